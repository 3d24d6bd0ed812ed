"""API rules users rely on: idempotency, ownership, card refusal, amounts, outages."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tests.conftest import bearer
from tests.e2e.conftest import card

CREATE = "/functions/v1/create-payment-intent"
CONFIRM = "/functions/v1/confirm-payment"


async def test_idempotency_key_replays_and_conflicts(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    headers = {**bearer(user_id), "Idempotency-Key": f"k-{uuid4()}"}
    body = {"amount": 2500, "currency": "usd"}
    first, second = await asyncio.gather(
        client.post(CREATE, json=body, headers=headers),
        client.post(CREATE, json=body, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["payment_id"] == second.json()["payment_id"]
    third = await client.post(CREATE, json=body, headers=headers)
    assert third.json() == first.json() or third.json()["payment_id"] == first.json()["payment_id"]
    other = await client.post(CREATE, json={"amount": 2600, "currency": "usd"}, headers=headers)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    listed = (await client.get("/v1/payments", headers=bearer(user_id))).json()["data"]
    assert len(listed) == 1


async def test_order_create_idempotent(client: httpx.AsyncClient, user_id: UUID) -> None:
    headers = {**bearer(user_id), "Idempotency-Key": "order-1"}
    a = await client.post("/v1/orders", json={"amount": 1000, "currency": "usd"}, headers=headers)
    b = await client.post("/v1/orders", json={"amount": 1000, "currency": "usd"}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"]
    c = await client.post("/v1/orders", json={"amount": 1001, "currency": "usd"}, headers=headers)
    assert c.status_code == 409


async def test_same_order_never_gets_a_second_intent(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 3000, "currency": "usd"}, headers=auth)
    ).json()
    answers = await asyncio.gather(
        *(client.post(CREATE, json={"order_id": order["id"]}, headers=auth) for _ in range(4))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["payment_intent_id"] for a in answers}) == 1


async def test_order_amount_mismatch_is_400(client: httpx.AsyncClient, user_id: UUID) -> None:
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 3000, "currency": "usd"}, headers=auth)
    ).json()
    resp = await client.post(CREATE, json={"order_id": order["id"], "amount": 50}, headers=auth)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "amount_mismatch"
    assert (await client.get("/v1/payments", headers=auth)).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": 49, "currency": "usd"}, "amount_out_of_range"),
        ({"amount": 100001, "currency": "usd"}, "amount_out_of_range"),
        ({"amount": 2500, "currency": "xyz"}, "unsupported_currency"),
        ({"amount": "2500", "currency": "usd"}, "validation_failed"),
    ],
)
async def test_amount_rules(
    client: httpx.AsyncClient, user_id: UUID, body: dict[str, Any], code: str
) -> None:
    resp = await client.post(CREATE, json=body, headers=bearer(user_id))
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code


async def test_zero_decimal_currency_amount_is_not_scaled(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    resp = await client.post(
        CREATE, json={"amount": 500, "currency": "jpy"}, headers=bearer(user_id)
    )
    assert resp.status_code == 201
    assert resp.json()["amount"] == 500


async def test_other_users_resources_are_404(
    client: httpx.AsyncClient, user_id: UUID, stripe_js: Any
) -> None:
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 3000, "currency": "usd"}, headers=auth)
    ).json()
    pay = (await client.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
    intruder = bearer(uuid4())
    assert (await client.get(f"/v1/orders/{order['id']}", headers=intruder)).status_code == 404
    assert (
        await client.get(f"/v1/payments/{pay['payment_id']}", headers=intruder)
    ).status_code == 404
    assert (
        await client.post(f"/v1/orders/{order['id']}/cancel", headers=intruder)
    ).status_code == 404
    pm = await card(stripe_js, "4242424242424242")
    confirm = await client.post(
        CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=intruder
    )
    assert confirm.status_code == 404
    assert (
        await client.post(CREATE, json={"order_id": order["id"]}, headers=intruder)
    ).status_code == 404
    assert (await client.get("/v1/payments", headers=intruder)).json()["data"] == []
    assert (await client.get("/v1/orders", headers=intruder)).json()["data"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 2500, "currency": "usd", "card": "4242424242424242"},
        {"amount": 2500, "currency": "usd", "note": "my card is 4000 0000 0000 0002 thanks"},
        {"amount": 2500, "currency": "usd", "metadata": {"x": "5555-5555-5555-4444"}},
    ],
)
async def test_card_numbers_are_refused_and_not_logged(
    client: httpx.AsyncClient, user_id: UUID, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for path in (CREATE, "/v1/orders"):
        resp = await client.post(path, json=body, headers=bearer(user_id))
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "card_data_not_allowed"
        digits = "".join(ch for ch in str(body) if ch.isdigit())
        assert digits[-16:] not in resp.text
    assert "4242424242424242" not in caplog.text
    assert "0000 0000 0002" not in caplog.text
    assert "5555-5555-5555-4444" not in caplog.text


async def test_order_id_that_is_not_luhn_is_not_a_card(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    resp = await client.post(
        "/v1/orders",
        json={"amount": 1000, "currency": "usd", "metadata": {"ref": "1234567890123"}},
        headers=bearer(user_id),
    )
    assert resp.status_code == 201


async def test_stripe_down_is_503_with_fallbacks(
    client: httpx.AsyncClient, control: httpx.AsyncClient, user_id: UUID
) -> None:
    await control.post("/_test/faults", json={"path_prefix": "/v1", "error_rate": 1.0})
    resp = await client.post(
        CREATE, json={"amount": 2500, "currency": "usd"}, headers=bearer(user_id)
    )
    assert resp.status_code == 503
    error = resp.json()["error"]
    assert error["code"] == "provider_unavailable"
    assert error["fallback_methods"] == ["cash_on_pickup", "bank_transfer"]
    assert error["retryable"] is True


async def test_client_config_is_only_public(
    client: httpx.AsyncClient, stripe_emulator: str
) -> None:
    body = (await client.get("/v1/client-config")).json()
    assert body == {
        "publishable_key": "pk_test_tender_offline",
        "enabled_methods": ["card", "cash_on_pickup", "bank_transfer"],
        "maintenance": False,
        "stripe_js_url": f"{stripe_emulator}/v3/",
    }


async def test_cancel_unpaid_order_cancels_its_intent(
    client: httpx.AsyncClient, stripe_admin: Any, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 3000, "currency": "usd"}, headers=auth)
    ).json()
    pay = (await client.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
    resp = await client.post(f"/v1/orders/{order['id']}/cancel", headers=auth)
    assert resp.status_code == 200
    assert resp.json()["status"] == "canceled"
    intent = await stripe_admin.v1.payment_intents.retrieve_async(pay["payment_intent_id"])
    assert intent.status == "canceled"
    assert (await client.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()[
        "status"
    ] == "canceled"
    again = await client.post(CREATE, json={"order_id": order["id"]}, headers=auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "order_not_payable"
