"""Messages a client developer reads: they name the field, the allowed values and the fix."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tender.controls.switches import MAINTENANCE
from tender.runtime import Runtime
from tests.conftest import bearer

SERVICE = bearer(None, role="service_role")
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+")


async def _order(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    resp = await client.post("/v1/orders", json={"amount": 4200, "currency": "eur"}, headers=auth)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _error(resp: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    error: dict[str, Any] = resp.json()["error"]
    return error


async def test_invalid_json_says_so(client: httpx.AsyncClient, user_id: UUID) -> None:
    resp = await client.post(
        "/v1/orders",
        content=b'{"amount": 4200, "currency": ',
        headers={**bearer(user_id), "Content-Type": "application/json"},
    )
    error = _error(resp)
    assert error["code"] == "invalid_json"
    assert "not valid JSON" in error["message"]
    assert "Field '" not in error["message"]


async def test_pattern_failures_name_the_allowed_values(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    resp = await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": "cheque"}, headers=auth
    )
    error = _error(resp)
    assert error["message"] == "Field 'method' must be one of: cash_on_pickup, bank_transfer."
    assert error["fields"] == [
        {"field": "method", "rule": "string_pattern_mismatch", "message": error["message"]}
    ]
    status = await client.get("/v1/payments?status=paid", headers=auth)
    assert "must be one of: pending, requires_payment_method," in _error(status)["message"]
    confirm = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": str(uuid4()), "payment_method": "card_4242"},
        headers=auth,
    )
    assert _error(confirm)["message"] == (
        "Field 'payment_method' must be a Stripe PaymentMethod id starting with pm_."
    )


async def test_currency_and_ranges_name_the_allowed_values(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    short = await client.post("/v1/orders", json={"amount": 100, "currency": "eu"}, headers=auth)
    assert _error(short)["message"] == (
        "Field 'currency' must be one of: aud, cad, eur, gbp, jpy, usd."
    )
    amount = await client.post("/v1/orders", json={"amount": 10, "currency": "eur"}, headers=auth)
    assert _error(amount)["message"] == "Amount must be between 50 and 100000 (minor units)."
    limit = await client.get("/v1/orders?limit=500", headers=auth)
    assert _error(limit)["message"] == "Field 'limit' must be between 1 and 100."
    refund = await client.post(
        "/v1/refunds",
        json={"payment_id": str(uuid4()), "amount": 0},
        headers={**SERVICE, "Idempotency-Key": "r-1"},
    )
    assert _error(refund)["message"] == "Field 'amount' must be between 1 and 99999999."
    reason = await client.post(
        "/v1/refunds",
        json={"payment_id": str(uuid4()), "reason": "because"},
        headers={**SERVICE, "Idempotency-Key": "r-2"},
    )
    assert "'duplicate', 'fraudulent' or 'requested_by_customer'" in _error(reason)["message"]


async def test_unknown_field_lists_the_accepted_ones(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    resp = await client.post(
        "/v1/payment-methods", json={"pm": "pm_card_visa"}, headers=bearer(user_id)
    )
    assert _error(resp)["message"] == (
        "Field 'pm' is not accepted here; accepted fields: payment_method_id, "
        "payment_method, setup_intent_id, make_default."
    )


async def test_save_card_accepts_payment_method_too(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    resp = await client.post(
        "/v1/payment-methods", json={"payment_method": "pm_card_visa"}, headers=bearer(user_id)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["last4"] == "4242"


async def test_payment_method_required_mentions_saved_method_id(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    created = await client.post(
        "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=auth
    )
    assert created.status_code == 201, created.text
    resp = await client.post(
        "/functions/v1/confirm-payment", json={"payment_id": created.json()["id"]}, headers=auth
    )
    error = _error(resp)
    assert error["code"] == "payment_method_required"
    assert "saved_method_id" in error["message"]
    assert "payment_method" in error["message"]


async def test_saved_offline_method_is_not_offered_for_card_confirmation(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    cash_order = await _order(client, auth)
    offline = await client.post(
        f"/v1/orders/{cash_order['id']}/offline-payment",
        json={"method": "cash_on_pickup"},
        headers=auth,
    )
    assert offline.status_code == 201
    listed = (await client.get("/v1/payment-methods", headers=auth)).json()
    assert listed == {"data": [], "has_more": False}  # the cash row is not a saved card
    # Its id (from the payment) still gets a message that says what to do instead.
    offline_row = await _offline_method_id(client, offline.json()["id"])
    card_order = await _order(client, auth)
    created = await client.post(
        "/functions/v1/create-payment-intent", json={"order_id": card_order["id"]}, headers=auth
    )
    resp = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": created.json()["id"], "saved_method_id": offline_row},
        headers=auth,
    )
    error = _error(resp)
    assert error["code"] == "saved_method_not_card"
    assert "offline-payment" in error["message"]


async def _offline_method_id(client: httpx.AsyncClient, payment_id: str) -> str:
    runtime: Runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    from sqlalchemy import text

    from tender.db.rls import DbContext

    async with runtime.db.transaction(DbContext.service("test")) as conn:
        found = await conn.scalar(
            text("SELECT payment_method_id FROM payments WHERE id = :id"), {"id": payment_id}
        )
    return str(found)


async def test_lists_say_whether_more_rows_exist(client: httpx.AsyncClient, user_id: UUID) -> None:
    auth = bearer(user_id)
    for _ in range(3):
        await _order(client, auth)
    first = (await client.get("/v1/orders?limit=2", headers=auth)).json()
    last = (await client.get("/v1/orders?limit=2&offset=2", headers=auth)).json()
    assert (len(first["data"]), first["has_more"]) == (2, True)
    assert (len(last["data"]), last["has_more"]) == (1, False)
    payments = (await client.get("/v1/payments", headers=auth)).json()
    assert payments["has_more"] is False
    switches = (await client.get("/v1/ops/switches", headers=SERVICE)).json()
    assert switches["has_more"] is False


async def test_client_config_offers_nothing_during_maintenance(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await runtime.switches.set(MAINTENANCE, True, actor="test", reason="client-config test")
    try:
        runtime.switches.invalidate()
        body = (await client.get("/v1/client-config")).json()
    finally:
        await runtime.switches.set(MAINTENANCE, False, actor="test")
        runtime.switches.invalidate()
    assert body["enabled_methods"] == []
    assert body["maintenance"] is True
    assert (await client.get("/v1/client-config")).json()["maintenance"] is False


async def test_bank_transfer_instructions_name_the_account(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    resp = await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": "bank_transfer"}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    instructions = resp.json()["instructions"]
    account = instructions["bank_account"]
    assert "TEST DATA" in account["account_holder"]  # development/test defaults are marked
    assert account["iban"] == "DE89370400440532013000"
    assert account["bic"] == "COBADEFFXXX"
    assert "IBAN DE89370400440532013000" in instructions["text"]
    assert "42.00 EUR" in instructions["text"]
    assert instructions["amount_display"] == "42.00 EUR"
    assert instructions["reference"] in instructions["text"]
    assert instructions["pay_before"] in instructions["text"]


async def test_times_are_iso_8601_without_microseconds(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    pay = await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": "bank_transfer"}, headers=auth
    )
    bodies = [
        order,
        pay.json(),
        (await client.get("/v1/orders", headers=auth)).json(),
        (await client.get("/v1/payments", headers=auth)).json(),
        (await client.get("/v1/ops/switches", headers=SERVICE)).json(),
        (await client.get("/api/health/payment")).json(),
        (await client.get("/v1/reports", headers=SERVICE)).json(),
    ]
    text = str(bodies)
    assert not MICROSECONDS.search(text), MICROSECONDS.search(text)
    assert pay.json()["instructions"]["pay_before"].endswith("+00:00")


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/payment-methods"])
async def test_missing_token_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, path: str
) -> None:
    resp = await client.get(path)
    assert _error(resp, 401)["code"] == "token_missing"
    assert resp.headers["www-authenticate"] == "Bearer"
    malformed = await client.get(path, headers={"Authorization": "Basic abc"})
    assert _error(malformed, 401)["code"] == "token_malformed"


async def test_offline_fallback_after_a_failed_card_start(
    client: httpx.AsyncClient, user_id: UUID, stripe_emulator: str
) -> None:
    """503 provider_unavailable offers bank_transfer: choosing it must work (it was 409)."""
    auth = bearer(user_id)
    order = await _order(client, auth)
    async with httpx.AsyncClient(base_url=stripe_emulator) as control:
        await control.post("/_test/faults", json={"path_prefix": "/v1", "error_rate": 1.0})
        try:
            card = await client.post(
                "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=auth
            )
        finally:
            await control.delete("/_test/faults")
    assert _error(card, 503)["fallback_methods"] == ["cash_on_pickup", "bank_transfer"]
    offline = await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": "bank_transfer"}, headers=auth
    )
    assert offline.status_code == 201, offline.text
    payments = (await client.get("/v1/payments", headers=auth)).json()["data"]
    by_method = {p["method_type"]: p["status"] for p in payments if p["order_id"] == order["id"]}
    assert by_method == {"bank_transfer": "pending", "card": "canceled"}
