"""The seed's smoke test verbatim, then card to paid through HTTP and the official SDK."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from tender.db.engine import Database
from tests.conftest import bearer
from tests.e2e.conftest import card, charges, flush


async def test_seed_smoke_create_payment_intent(client: httpx.AsyncClient, user_id: UUID) -> None:
    resp = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": 2500, "currency": "usd"},
        headers=bearer(user_id),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["payment_intent_id"].startswith("pi_")
    assert body["client_secret"].startswith(body["payment_intent_id"] + "_secret_")
    assert body["status"] == "requires_payment_method"
    assert UUID(body["payment_id"])


async def test_card_to_paid_with_webhook(
    hooked: str,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    user_id: UUID,
    owner_db: Database,
) -> None:
    auth = bearer(user_id)
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        order = (
            await api.post("/v1/orders", json={"amount": 1999, "currency": "eur"}, headers=auth)
        ).json()
        created = await api.post(
            "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=auth
        )
        assert created.status_code == 201, created.text
        pay = created.json()
        assert pay["amount"] == 1999
        pm = await card(stripe_js, "4242424242424242")
        confirmed = await api.post(
            "/functions/v1/confirm-payment",
            json={"payment_id": pay["payment_id"], "payment_method": pm},
            headers=auth,
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "succeeded"
        await flush(control)
        assert (await api.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1
    async with owner_db.engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    text("SELECT status FROM stripe_events WHERE object_id = :pi"),
                    {"pi": pay["payment_intent_id"]},
                )
            )
            .scalars()
            .all()
        )
    assert rows
    assert set(rows) <= {"processed", "ignored"}
