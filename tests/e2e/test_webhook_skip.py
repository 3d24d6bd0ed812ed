"""Webhooks that cannot change anything skip Stripe: a PaymentIntent event for a payment
already paid is done without re-reading the intent; other events are still re-read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from tests.conftest import bearer
from tests.e2e.conftest import card
from tests.webhooks.test_inbox import PATH, event, signed, stored

CREATE, CONFIRM = "/functions/v1/create-payment-intent", "/functions/v1/confirm-payment"
INTENT_READS_FAIL = {"path_prefix": "/v1/payment_intents", "methods": ["GET"], "error_rate": 1.0}


async def _jobs(owner_db: Any, event_id: str) -> int:
    async with owner_db.engine.connect() as conn:
        sql = "SELECT count(*) FROM procrastinate_jobs WHERE args->>'event_id' = :e"
        return int((await conn.execute(text(sql), {"e": event_id})).scalar_one())


async def _paid(client: httpx.AsyncClient, stripe_js: Any, user_id: UUID) -> dict[str, Any]:
    auth = bearer(user_id)
    pay = (await client.post(CREATE, json={"amount": 1500, "currency": "usd"}, headers=auth)).json()
    pm = await card(stripe_js, "4242424242424242")
    body = {"payment_id": pay["payment_id"], "payment_method": pm}
    confirmed = await client.post(CONFIRM, json=body, headers=auth)
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return dict(pay)


async def test_intent_event_for_a_paid_payment_needs_no_stripe_read(
    client: httpx.AsyncClient, stripe_js: Any, control: httpx.AsyncClient, owner_db: Any,
    user_id: UUID,
) -> None:  # fmt: skip
    pay = await _paid(client, stripe_js, user_id)
    await control.post("/_test/faults", json=INTENT_READS_FAIL)  # a re-read would fail
    for kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        evt = event(kind, {"id": pay["payment_intent_id"], "object": "payment_intent"})
        body, headers = signed(evt)
        resp = await client.post(PATH, content=body, headers=headers)
        assert resp.json()["status"] == "processed", resp.text
        assert [r.status for r in await stored(owner_db, evt["id"])] == ["processed"]
        assert await _jobs(owner_db, evt["id"]) == 0  # done on receipt: no job to run
    got = await client.get(f"/v1/payments/{pay['payment_id']}", headers=bearer(user_id))
    assert got.json()["status"] == "succeeded"


async def test_intent_event_for_an_unpaid_payment_is_still_read_from_stripe(
    client: httpx.AsyncClient, control: httpx.AsyncClient, owner_db: Any, user_id: UUID
) -> None:
    auth = bearer(user_id)
    pay = (await client.post(CREATE, json={"amount": 1500, "currency": "usd"}, headers=auth)).json()
    await control.post("/_test/faults", json=INTENT_READS_FAIL)
    evt = event("payment_intent.succeeded", {"id": pay["payment_intent_id"]})
    body, headers = signed(evt)
    resp = await client.post(PATH, content=body, headers=headers)
    assert resp.json()["status"] == "failed", resp.text  # it asked Stripe, which failed
    assert [r.status for r in await stored(owner_db, evt["id"])] == ["failed"]
    assert await _jobs(owner_db, evt["id"]) == 1
