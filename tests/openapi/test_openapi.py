"""The published OpenAPI document is the contract: valid, typed, every error documented."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from pydantic import SecretStr

from tender.app import create_app
from tender.config import Environment, Settings
from tender.runtime import Runtime

METHODS = {"get", "post", "put", "delete", "patch"}


@pytest.fixture(scope="module")
async def docs() -> AsyncIterator[httpx.AsyncClient]:
    """The app over a runtime that never connects: documents need no database."""
    settings = Settings(
        environment=Environment.test,
        supabase_jwt_secret=SecretStr("openapi-test-secret-" + "x" * 32),
        stripe_secret_key=SecretStr("sk_test_tender_offline"),
        stripe_publishable_key=SecretStr("pk_test_tender_offline"),
    )
    runtime = Runtime.build(settings, "postgresql://tender_app@127.0.0.1:9/never")
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://tender.test") as client:
        yield client
    await runtime.close()


@pytest.fixture(scope="module")
async def spec(docs: httpx.AsyncClient) -> dict[str, Any]:
    response = await docs.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def json_schema(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    return resolve(spec, response["content"]["application/json"]["schema"])


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert len(operations(spec)) >= 25


def test_every_operation_answers_a_typed_2xx(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        success = {s: r for s, r in op["responses"].items() if s.startswith("2")}
        assert success, (method, path)
        for status, response in success.items():
            schema = json_schema(spec, response)
            assert schema.get("properties"), (method, path, status, schema)
            assert schema.get("type") == "object", (method, path, status)


def test_bearer_scheme_instead_of_an_optional_header(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }
    for method, path, op in operations(spec):
        names = {p["name"].lower() for p in op.get("parameters", [])}
        assert "authorization" not in names, (method, path)
        if op.get("security"):
            assert op["security"] == [{"HTTPBearer": []}]
            codes = op["responses"]["401"]["x-error-codes"]
            assert {"token_missing", "token_expired", "token_invalid"} <= set(codes)
            if path != "/v1/me":  # any valid token may ask who it is
                assert "403" in op["responses"], (method, path)


def test_errors_use_one_schema_and_list_their_codes(spec: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    detail = resolve(spec, error["properties"]["error"])
    assert {"code", "message", "fields"} <= set(detail["properties"])
    for method, path, op in operations(spec):
        assert "422" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) < 400 or path in ("/readyz", "/api/health/payment"):
                continue
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }, (method, path, status)
            codes = response["x-error-codes"]
            assert codes, (method, path, status)
            assert all(f"`{code}`" in response["description"] for code in codes)
            example = response["content"]["application/json"]["example"]
            assert example["error"]["code"] in codes


def test_inputs_get_400_and_ids_get_404(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        responses = op["responses"]
        validated = [p for p in op.get("parameters", []) if p["in"] != "header"]
        if ("requestBody" in op and path != "/functions/v1/stripe-webhook") or validated:
            assert "400" in responses, (method, path)
            assert "validation_failed" in responses["400"]["x-error-codes"], (method, path)
        if "requestBody" in op and path != "/functions/v1/stripe-webhook":
            assert "invalid_json" in responses["400"]["x-error-codes"], (method, path)
        if re.search(r"\{\w+_id\}", path):
            assert "404" in responses, (method, path)


def codes(op: dict[str, Any], status: str) -> set[str]:
    return set(op["responses"][status]["x-error-codes"])


def test_payment_operations_document_declines_conflicts_and_outages(
    spec: dict[str, Any],
) -> None:
    create = spec["paths"]["/functions/v1/create-payment-intent"]["post"]
    confirm = spec["paths"]["/functions/v1/confirm-payment"]["post"]
    assert {"provider_unavailable", "payment_maintenance", "new_payments_paused"} <= codes(
        create, "503"
    )
    assert "fallback_methods" in create["responses"]["503"]["description"]
    assert "Retry-After" in create["responses"]["503"]["headers"]
    assert {"idempotency_key_reused", "order_not_payable"} <= codes(create, "409")
    assert {"card_declined", "insufficient_funds", "authentication_failed"} <= codes(confirm, "402")
    assert {"payment_method_required", "saved_method_not_card"} <= codes(confirm, "400")
    assert "provider_unavailable" in codes(confirm, "503")
    processing = confirm["responses"]["202"]
    assert "processing" in processing["description"]
    assert "Retry-After" in processing["headers"]
    refund = spec["paths"]["/v1/refunds"]["post"]
    assert "refund_exceeds_captured" in codes(refund, "409")
    assert "200" in refund["responses"]  # a replay


def test_request_and_response_examples(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        body = op.get("requestBody")
        if body is None or path == "/functions/v1/stripe-webhook":
            continue
        schema = resolve(spec, body["content"]["application/json"]["schema"])
        assert schema.get("examples") or schema.get("example"), (method, path)
    payment = spec["components"]["schemas"]["PaymentOut"]
    assert payment["example"]["status"] == "requires_payment_method"
    assert payment["properties"]["created_at"]["format"] == "date-time"


async def test_redoc_and_swagger_are_served_outside_production(docs: httpx.AsyncClient) -> None:
    for path in ("/redoc", "/docs"):
        response = await docs.get(path)
        assert response.status_code == 200, path
        assert "/openapi.json" in response.text
    redoc_csp = (await docs.get("/redoc")).headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in redoc_csp


async def test_production_serves_no_documentation_pages() -> None:
    settings = Settings(
        environment=Environment.production,
        supabase_jwt_secret=SecretStr("openapi-test-secret-" + "x" * 32),
        stripe_secret_key=SecretStr("sk_live_openapi"),
        stripe_publishable_key=SecretStr("pk_live_openapi"),
        stripe_webhook_secret=SecretStr("whsec_openapi"),
        database_url="postgresql://tender_app@db.internal/tender",
        bank_transfer_account_holder="Example Shop GmbH",
        bank_transfer_iban="DE02120300000000202051",
        https_only=False,
    )
    runtime = Runtime.build(settings, "postgresql://tender_app@127.0.0.1:9/never")
    transport = httpx.ASGITransport(app=create_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/docs", "/redoc"):
                assert (await client.get(path)).status_code == 404, path
    finally:
        await runtime.close()
