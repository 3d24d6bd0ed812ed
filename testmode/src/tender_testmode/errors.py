"""Stripe error envelope as an exception the request pipeline turns into a response."""

from __future__ import annotations

from typing import Any

DOC_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An API error rendered as Stripe's ``{"error": {...}}`` envelope.

    ``save_idempotent`` is False for errors raised before the endpoint "started executing"
    (parameter validation), which Stripe does not store under an idempotency key.
    """

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        payment_intent: dict[str, Any] | None = None,
        setup_intent: dict[str, Any] | None = None,
        payment_method: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        save_idempotent: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.decline_code = decline_code
        self.param = param
        self.payment_intent = payment_intent
        self.setup_intent = setup_intent
        self.payment_method = payment_method
        self.headers = headers or {}
        self.save_idempotent = save_idempotent
        self.extra = extra

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "decline_code": self.decline_code,
            "message": self.message,
            "param": self.param,
        }
        if self.code:
            err["doc_url"] = DOC_BASE + self.code
        if self.extra:
            err.update(self.extra)
        if self.payment_intent is not None:
            err["payment_intent"] = self.payment_intent
        if self.setup_intent is not None:
            err["setup_intent"] = self.setup_intent
        if self.payment_method is not None:
            err["payment_method"] = self.payment_method
        return {"error": err}


def invalid_request(
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    status: int = 400,
    save_idempotent: bool = True,
) -> StripeError:
    return StripeError(
        status,
        "invalid_request_error",
        message,
        code=code,
        param=param,
        save_idempotent=save_idempotent,
    )


def unknown_parameter(param: str) -> StripeError:
    return invalid_request(
        f"Received unknown parameter: {param}",
        param=param,
        code="parameter_unknown",
        save_idempotent=False,
    )


def missing_parameter(param: str) -> StripeError:
    return invalid_request(
        f"Missing required param: {param}.",
        param=param,
        code="parameter_missing",
        save_idempotent=False,
    )


def invalid_value(param: str, message: str, code: str = "parameter_invalid_string") -> StripeError:
    return invalid_request(message, param=param, code=code, save_idempotent=False)


def resource_missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return invalid_request(
        f"No such {kind}: '{object_id}'",
        param=param,
        code="resource_missing",
        status=404,
    )


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message, save_idempotent=False)


def api_error(message: str = "An unknown error occurred") -> StripeError:
    return StripeError(500, "api_error", message, save_idempotent=False)
