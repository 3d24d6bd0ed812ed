"""Refunds under faults: an unknown outcome is a `pending` refund (202), never a second
refund, never more than captured; the re-check (same Stripe key) finishes it."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest
import stripe
from sqlalchemy import text

from tender.config import Settings
from tender.db.engine import Database
from tender.refunds.service import recheck_pending_refunds
from tests.conftest import bearer
from tests.e2e.faulty import count, fault, payment_row, tender_with
from tests.refunds.conftest import PaidPayment

SERVICE = bearer(None, role="service_role", extra={"sub": "support-desk"})
FAST = {"stripe_timeout_seconds": 0.4, "stripe_max_network_retries": 2}


@pytest.fixture
async def control(stripe_emulator: str) -> Any:
    async with httpx.AsyncClient(base_url=stripe_emulator, timeout=10) as c:
        yield c
        await c.delete("/_test/faults")


async def _settle(runtime: Any, owner_db: Database, refund_id: str) -> str:
    for _ in range(40):
        await asyncio.sleep(0.3)
        await recheck_pending_refunds(runtime)  # what the recheck job runs after payments
        async with owner_db.engine.connect() as conn:
            sql = text("SELECT status FROM refunds WHERE id = :i")
            status = (await conn.execute(sql, {"i": refund_id})).scalar_one()
        if status != "pending":
            return str(status)
    return "pending"


@pytest.mark.parametrize("mode", ["500", "late"])
async def test_unknown_refund_is_pending_202_then_settled_once(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    paid_payment: PaidPayment,
    owner_db: Database,
    stripe_admin: stripe.StripeClient,
    mode: str,
) -> None:
    pay = await paid_payment(amount=4000)
    pid = pay["payment_id"]
    headers = {**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"}
    async with tender_with(
        test_settings, database_urls[1], payment_time_budget_seconds=1.5, **FAST
    ) as (runtime, api):
        if mode == "500":
            await fault(control, "/v1/refunds", methods=["POST"], fail_next=10, fail_mode="500")
        else:  # Stripe makes the refund after Tender stopped waiting
            await fault(control, "/v1/refunds", methods=["POST"], latency_ms=1800)
        resp = await api.post("/v1/refunds", json={"payment_id": pid}, headers=headers)
        assert resp.status_code == 202, resp.text
        assert resp.json()["refund"]["status"] == "pending"
        assert resp.headers["retry-after"]
        refund_id = resp.json()["refund"]["id"]
        # The pending refund holds the amount: no second refund can eat into it.
        more = await api.post(
            "/v1/refunds",
            json={"payment_id": pid, "amount": 100},
            headers={**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"},
        )
        assert more.status_code == 409, more.text
        assert more.json()["error"]["code"] == "refund_exceeds_captured"
        await asyncio.sleep(2.0 if mode == "late" else 0)
        await control.delete("/_test/faults")
        assert await _settle(runtime, owner_db, refund_id) == "succeeded"
        replay = await api.post("/v1/refunds", json={"payment_id": pid}, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["refund"]["status"] == "succeeded"
    row = await payment_row(owner_db, pid)
    assert (row["status"], row["amount_refunded"]) == ("refunded", 4000)
    made = await stripe_admin.v1.refunds.list_async({"payment_intent": pay["payment_intent_id"]})
    assert [r.amount for r in made.data] == [4000]


async def test_retrying_a_pending_refund_with_its_key_finishes_it_and_answers_200(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    paid_payment: PaidPayment,
    owner_db: Database,
) -> None:
    pay = await paid_payment(amount=3000)
    headers = {**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"}
    body = {"payment_id": pay["payment_id"], "amount": 1000}
    async with tender_with(test_settings, database_urls[1], **FAST) as (_, api):
        await fault(control, "/v1/refunds", methods=["POST"], fail_next=10, fail_mode="429")
        first = await api.post("/v1/refunds", json=body, headers=headers)
        assert first.status_code == 202, first.text
        await control.delete("/_test/faults")
        again = await api.post("/v1/refunds", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["refund"]["status"] == "succeeded"
    assert again.json()["payment"]["amount_refunded"] == 1000
    sql = "SELECT count(*) FROM refunds WHERE payment_id = :p"
    assert await count(owner_db, sql, p=pay["payment_id"]) == 1


async def test_a_refund_stripe_refuses_is_recorded_failed(
    test_settings: Settings,
    database_urls: tuple[str, str],
    paid_payment: PaidPayment,
    owner_db: Database,
    stripe_admin: stripe.StripeClient,
) -> None:
    pay = await paid_payment(amount=2000)
    # Behind Tender's back the whole charge is refunded: Stripe refuses Tender's refund.
    await stripe_admin.v1.refunds.create_async({"payment_intent": pay["payment_intent_id"]})
    async with tender_with(test_settings, database_urls[1]) as (_, api):
        resp = await api.post(
            "/v1/refunds",
            json={"payment_id": pay["payment_id"], "amount": 500},
            headers={**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"},
        )
    assert resp.status_code == 409, resp.text
    sql = "SELECT count(*) FROM refunds WHERE payment_id = :p AND status = 'failed'"
    assert await count(owner_db, sql, p=pay["payment_id"]) == 1
