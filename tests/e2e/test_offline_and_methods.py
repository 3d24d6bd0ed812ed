"""Cash on pickup and bank transfer to paid and to expired; saved payment methods."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from tender.db.engine import Database
from tests.conftest import bearer
from tests.e2e.conftest import card, flush

SERVICE = bearer(None, role="service_role")


async def _order(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    resp = await client.post("/v1/orders", json={"amount": 2500, "currency": "eur"}, headers=auth)
    assert resp.status_code == 201
    body: dict[str, Any] = resp.json()
    return body


@pytest.mark.parametrize("method", ["cash_on_pickup", "bank_transfer"])
async def test_offline_to_paid(client: httpx.AsyncClient, user_id: UUID, method: str) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    resp = await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": method}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    pay = resp.json()
    assert pay["status"] == "pending"
    assert pay["instructions"]["type"] == method
    if method == "bank_transfer":
        assert pay["bank_reference"].startswith("TND-")
        assert pay["bank_reference"] in pay["instructions"]["text"]
    assert (await client.get(f"/v1/orders/{order['id']}", headers=auth)).json()[
        "status"
    ] == "awaiting_payment"
    # A user cannot mark their own payment received.
    assert (
        await client.post(f"/v1/payments/{pay['id']}/mark-received", headers=auth)
    ).status_code == 403
    done = await client.post(f"/v1/payments/{pay['id']}/mark-received", headers=SERVICE)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"
    assert done.json()["received_at"]
    assert (await client.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"


@pytest.mark.parametrize("method", ["cash_on_pickup", "bank_transfer"])
async def test_offline_to_expired(
    client: httpx.AsyncClient, owner_db: Database, user_id: UUID, method: str
) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    pay = (
        await client.post(
            f"/v1/orders/{order['id']}/offline-payment", json={"method": method}, headers=auth
        )
    ).json()
    async with owner_db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE payments SET expires_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": pay["id"]},
        )
    assert (await client.post("/v1/payments/expire-offline", headers=SERVICE)).json()[
        "expired"
    ] >= 1
    assert (await client.get(f"/v1/payments/{pay['id']}", headers=auth)).json()[
        "status"
    ] == "expired"
    assert (await client.get(f"/v1/orders/{order['id']}", headers=auth)).json()[
        "status"
    ] == "expired"
    late = await client.post(f"/v1/payments/{pay['id']}/mark-received", headers=SERVICE)
    assert late.status_code == 409


async def test_offline_then_card_is_conflict(client: httpx.AsyncClient, user_id: UUID) -> None:
    auth = bearer(user_id)
    order = await _order(client, auth)
    await client.post(
        f"/v1/orders/{order['id']}/offline-payment", json={"method": "cash_on_pickup"}, headers=auth
    )
    resp = await client.post(
        "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=auth
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "payment_in_progress"


async def test_save_list_default_detach_card(
    client: httpx.AsyncClient, stripe_js: Any, user_id: UUID
) -> None:
    auth = bearer(user_id)
    pm = await card(stripe_js, "4242424242424242")
    saved = await client.post("/v1/payment-methods", json={"payment_method_id": pm}, headers=auth)
    assert saved.status_code == 201, saved.text
    first = saved.json()
    assert (first["brand"], first["last4"], first["is_default"]) == ("visa", "4242", True)
    second = (
        await client.post(
            "/v1/payment-methods",
            json={"payment_method_id": await card(stripe_js, "5555555555554444")},
            headers=auth,
        )
    ).json()
    assert second["is_default"] is False
    listed = (await client.get("/v1/payment-methods", headers=auth)).json()["data"]
    assert [m["last4"] for m in listed] == ["4242", "4444"]
    await client.post(f"/v1/payment-methods/{second['id']}/default", headers=auth)
    listed = (await client.get("/v1/payment-methods", headers=auth)).json()["data"]
    assert listed[0]["id"] == second["id"]
    assert (await client.get("/v1/payment-methods", headers=bearer(uuid4()))).json()["data"] == []
    assert (
        await client.delete(f"/v1/payment-methods/{first['id']}", headers=bearer(uuid4()))
    ).status_code == 404
    gone = await client.delete(f"/v1/payment-methods/{first['id']}", headers=auth)
    assert gone.json()["status"] == "detached"
    assert [
        m["id"] for m in (await client.get("/v1/payment-methods", headers=auth)).json()["data"]
    ] == [second["id"]]
    # A saved card pays by its Tender id.
    pay = (
        await client.post(
            "/functions/v1/create-payment-intent",
            json={"amount": 800, "currency": "usd"},
            headers=auth,
        )
    ).json()
    paid = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": pay["payment_id"], "saved_method_id": second["id"]},
        headers=auth,
    )
    assert paid.json()["status"] == "succeeded"


async def test_setup_intent_flow_and_webhook_detach(
    hooked: str, stripe_js: Any, stripe_admin: Any, control: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        setup = (await api.post("/v1/payment-methods/setup-intent", headers=auth)).json()
        pm = await card(stripe_js, "4242424242424242")
        await stripe_js.v1.setup_intents.confirm_async(
            setup["setup_intent_id"],
            {"payment_method": pm, "client_secret": setup["client_secret"]},
        )
        saved = await api.post(
            "/v1/payment-methods", json={"setup_intent_id": setup["setup_intent_id"]}, headers=auth
        )
        assert saved.status_code == 201, saved.text
        assert (await api.get("/v1/payment-methods", headers=auth)).json()["data"][0][
            "last4"
        ] == "4242"
        # Detached outside Tender (e.g. in the dashboard): the webhook updates the saved list.
        await stripe_admin.v1.payment_methods.detach_async(pm)
        await flush(control)
        assert (await api.get("/v1/payment-methods", headers=auth)).json()["data"] == []
