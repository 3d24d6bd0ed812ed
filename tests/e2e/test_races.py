"""Races with real concurrency: each ends in one consistent state and exactly one charge."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from tender.db.engine import Database
from tender.runtime import Runtime
from tender.webhooks import service as webhooks
from tests.conftest import bearer
from tests.e2e.conftest import card, charges, flush

CREATE = "/functions/v1/create-payment-intent"
CONFIRM = "/functions/v1/confirm-payment"


async def _events(owner_db: Database, intent_id: str) -> list[str]:
    async with owner_db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT status FROM stripe_events WHERE object_id = :o"), {"o": intent_id}
        )
        return [r.status for r in rows]


async def test_two_confirms_of_one_payment(
    client: httpx.AsyncClient, stripe_js: Any, stripe_admin: Any, user_id: UUID
) -> None:
    auth = bearer(user_id)
    pay = (await client.post(CREATE, json={"amount": 700, "currency": "usd"}, headers=auth)).json()
    pm = await card(stripe_js, "4242424242424242")
    body = {"payment_id": pay["payment_id"], "payment_method": pm}
    answers = await asyncio.gather(
        *(client.post(CONFIRM, json=body, headers=auth) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"succeeded"}
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1


async def test_webhook_racing_the_confirm_response(
    hooked: str,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        order = (
            await api.post("/v1/orders", json={"amount": 1500, "currency": "usd"}, headers=auth)
        ).json()
        pay = (await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
        # The client confirms with Stripe.js; the webhook lands before Tender hears back.
        pm = await card(stripe_js, "4242424242424242")
        await stripe_js.v1.payment_intents.confirm_async(
            pay["payment_intent_id"], {"payment_method": pm, "client_secret": pay["client_secret"]}
        )
        await flush(control)
        assert (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()[
            "status"
        ] == "succeeded"
        again = {"payment_id": pay["payment_id"], "payment_method": pm}
        resp, also = await asyncio.gather(
            api.post(CONFIRM, json=again, headers=auth), api.post(CONFIRM, json=again, headers=auth)
        )
        assert resp.json()["status"] == also.json()["status"] == "succeeded"
        await flush(control)
        assert (await api.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1
    assert "failed" not in await _events(owner_db, pay["payment_intent_id"])


async def test_same_event_delivered_five_times(
    hooked: str,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    await control.post("/_test/webhooks", json={"duplicates": 5})
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        pay = (await api.post(CREATE, json={"amount": 900, "currency": "usd"}, headers=auth)).json()
        pm = await card(stripe_js, "4242424242424242")
        await api.post(
            CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
        )
        await flush(control)
        got = (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
    assert got["status"] == "succeeded"
    deliveries = (
        await control.get("/_test/deliveries", params={"event_type": "payment_intent.succeeded"})
    ).json()["data"]
    mine = [d for d in deliveries if d["ok"] and d["event_id"]]
    assert len(mine) >= 5
    statuses = await _events(owner_db, pay["payment_intent_id"])
    assert statuses.count("processed") >= 1
    assert "failed" not in statuses
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1


async def test_events_in_reverse_order_end_in_the_latest_state(
    hooked: str,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    await control.post("/_test/webhooks", json={"hold": True, "release_order": "reverse"})
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        order = (
            await api.post("/v1/orders", json={"amount": 4200, "currency": "usd"}, headers=auth)
        ).json()
        pay = (await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
        pm = await card(stripe_js, "4000002760003184")
        first = await api.post(
            CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
        )
        assert first.json()["status"] == "requires_action"
        await control.post(
            f"/_test/payment_intents/{pay['payment_intent_id']}/authenticate",
            json={"outcome": "succeed"},
        )
        await flush(control)  # requires_action, charge.succeeded, succeeded: delivered newest first
        got = (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
        assert got["status"] == "succeeded"
        assert (await api.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"
    assert "failed" not in await _events(owner_db, pay["payment_intent_id"])
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1


async def test_event_failing_while_stripe_is_down_is_replayed(
    hooked: str,
    runtime: Runtime,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    await control.post("/_test/webhooks", json={"hold": True})
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        pay = (
            await api.post(CREATE, json={"amount": 1200, "currency": "usd"}, headers=auth)
        ).json()
        pm = await card(stripe_js, "4242424242424242")
        # Paid behind Tender's back (its confirm answer lost): only the events can tell it,
        # and applying them needs Stripe's current copy of the intent.
        await stripe_admin.v1.payment_intents.confirm_async(
            pay["payment_intent_id"], {"payment_method": pm}
        )
        # Reading the intent back fails (Stripe 500s) while the events arrive: stored as failed.
        await control.post(
            "/_test/faults",
            json={"path_prefix": "/v1/payment_intents", "methods": ["GET"], "error_rate": 1.0},
        )
        await flush(control)
        assert "failed" in await _events(owner_db, pay["payment_intent_id"])
        await control.delete("/_test/faults")
        counts = await webhooks.replay(runtime, failed_only=True, since=None)
        paid = await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)
    assert counts.get("processed", 0) >= 1
    assert paid.json()["status"] == "succeeded"
    assert "failed" not in await _events(owner_db, pay["payment_intent_id"])
