"""The OpenAPI document as the contract: one error schema, error codes per operation.

Every route declares its typed 2xx `response_model` (in its domain's `schemas.py`) and its
error answers through `errors(...)`, which lists the stable codes of each status in the
response description and in an `x-error-codes` extension. `install_openapi` drops FastAPI's
default 422 `HTTPValidationError` (Tender answers 400 `validation_failed`) and serves the
document with the bearer security scheme the auth dependency declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from tender.gateway.errors import DEFAULT, STRIPE_ERRORS


class FieldError(BaseModel):
    """One invalid field: its dotted name, the rule it broke and a readable message."""

    field: str = Field(examples=["currency"])
    rule: str = Field(examples=["string_too_short"])
    message: str | None = Field(default=None, examples=["currency must have 3 characters."])


class ErrorDetail(BaseModel):
    """A stable `code` to branch on and a `message` that is safe to show."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["validation_failed"])
    message: str = Field(examples=["Field 'currency' must have 3 characters."])
    fields: list[FieldError] | None = Field(default=None, description="validation_failed only")
    retryable: bool | None = Field(default=None, description="Trying again later can help.")
    fallback_methods: list[str] | None = Field(
        default=None, description="provider_unavailable: methods that work right now."
    )
    payment_id: str | None = Field(default=None, description="Declines: the payment concerned.")


class ErrorResponse(BaseModel):
    """Every error Tender answers: `{"error": {"code", "message", ...}}`."""

    error: ErrorDetail


REASONS = {
    400: "Bad request",
    401: "Missing or invalid bearer token",
    402: "Card declined",
    403: "Not allowed for this role",
    404: "Not found",
    409: "Conflict with the current state",
    410: "Gone: no longer usable",
    413: "Request body too large",
    429: "Too many requests",
    503: "Temporarily unavailable",
}
ErrorSpec = Mapping[int, Sequence[str]]

AUTH: ErrorSpec = {
    401: (
        "token_missing",
        "token_malformed",
        "token_invalid",
        "token_expired",
        "token_algorithm",
        "token_audience",
        "token_subject",
        "token_unknown_key",
    )
}
USER: ErrorSpec = {**AUTH, 403: ("user_token_required",)}
SERVICE: ErrorSpec = {**AUTH, 403: ("service_role_required",)}
INPUT: ErrorSpec = {400: ("validation_failed", "invalid_json")}
BODY: ErrorSpec = {
    400: ("validation_failed", "invalid_json", "card_data_not_allowed"),
    413: ("request_too_large",),
}
RATE_LIMITED: ErrorSpec = {429: ("rate_limited",)}
# Every decline code a confirm can answer, from the gateway's one error table.
DECLINES: ErrorSpec = {
    402: tuple(sorted({m.code for m in (*STRIPE_ERRORS.values(), DEFAULT) if m.status == 402}))
}
MAINTENANCE: ErrorSpec = {503: ("payment_maintenance",)}
NEW_PAYMENT: ErrorSpec = {
    503: ("payment_maintenance", "new_payments_paused", "payment_method_disabled"),
}
IDEMPOTENT: ErrorSpec = {
    400: ("invalid_idempotency_key",),
    409: ("idempotency_key_reused",),
}


def merge(*specs: ErrorSpec) -> dict[int, list[str]]:
    """Union of error specs, codes kept in first-seen order."""
    merged: dict[int, list[str]] = {}
    for spec in specs:
        for status, codes in spec.items():
            known = merged.setdefault(status, [])
            known.extend(c for c in codes if c not in known)
    return merged


def errors(*specs: ErrorSpec, notes: Mapping[int, str] | None = None) -> dict[int | str, Any]:
    """FastAPI `responses=` for these error statuses, each with its codes and an example."""
    responses: dict[int | str, Any] = {}
    for status, codes in sorted(merge(*specs).items()):
        listed = ", ".join(f"`{c}`" for c in codes)
        note = f" {notes[status]}" if notes and status in notes else ""
        responses[status] = {
            "model": ErrorResponse,
            "description": f"{REASONS.get(status, 'Error')}. Error codes: {listed}.{note}",
            "x-error-codes": list(codes),
            "content": {
                "application/json": {
                    "example": {"error": {"code": codes[0], "message": _example_message(status)}}
                }
            },
        }
    return responses


def _example_message(status: int) -> str:
    return {
        400: "Field 'currency' must have 3 characters.",
        401: "An Authorization: Bearer token is required.",
        402: "Your card was declined. Please use a different card or payment method.",
        403: "This endpoint needs the service role.",
        404: "No such payment.",
        409: "This Idempotency-Key was used with a different request.",
        410: "This checkout link has expired. Please start the payment again from the app.",
        413: "The request body is too large.",
        429: "Too many requests; retry after the Retry-After delay.",
        503: "Payments are paused for maintenance. Please try again shortly.",
    }.get(status, "The request could not be processed.")


DESCRIPTION = """Tender's payment API. Every error answers `{"error": {"code", "message", ...}}`
with a stable `code` (listed per operation and status); amounts are integers in the
currency's minor unit. Authenticate with `Authorization: Bearer <JWT>` (a Supabase user's
access token, or a service-role token for operator endpoints). Walkthrough:
`docs/CLIENT_GUIDE.md`."""


def install_openapi(app: FastAPI) -> None:
    """Serve the contract: no 422 (Tender answers 400), bearer auth, the guide's summary."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=DESCRIPTION,
                routes=app.routes,
            )
            _drop_default_validation_error(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _drop_default_validation_error(schema: dict[str, Any]) -> None:
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
