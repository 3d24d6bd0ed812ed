"""Retryable means resumable, and every operation answers within its time budget.

A failure the answer calls retryable never cancels the payment; the same Idempotency-Key
(or the same order) resumes it; the intent Stripe made is always found and linked, so no
intent in the test mode belongs to no payment (or to two).
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any
from uuid import UUID

import httpx
import pytest

from tender.config import Settings
from tender.db.engine import Database
from tests.conftest import bearer
from tests.e2e.conftest import card, charges
from tests.e2e.faulty import CONFIRM, CREATE, count, elapsed, fault, payment_row, tender_with

BODY = {"amount": 2500, "currency": "usd"}
CREATE_PATH = "/v1/payment_intents"


async def _intents_of(stripe_admin: Any, user_id: UUID) -> list[Any]:
    since = int(time.time()) - 120
    params = {"limit": 100, "created": {"gte": since}}
    found = [
        pi
        async for pi in (
            await stripe_admin.v1.payment_intents.list_async(params)
        ).auto_paging_iter()
    ]
    return [pi for pi in found if pi.metadata.to_dict().get("tender_user_id") == str(user_id)]


async def _each_intent_linked_once(stripe_admin: Any, owner_db: Database, user_id: UUID) -> int:
    intents = await _intents_of(stripe_admin, user_id)
    for pi in intents:
        linked = await count(
            owner_db, "SELECT count(*) FROM payments WHERE stripe_payment_intent_id = :pi", pi=pi.id
        )
        assert linked == 1, f"{pi.id} is linked to {linked} payments"
    return len(intents)


async def test_429_on_create_keeps_the_payment_and_the_same_key_resumes_it(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    stripe_admin: Any,
    owner_db: Database,
    user_id: UUID,
) -> None:
    """Issue 10 item 2: before, a 429 canceled the payment and the retry got it back dead."""
    headers = {**bearer(user_id), "Idempotency-Key": "create-429"}
    async with tender_with(test_settings, database_urls[1], stripe_max_network_retries=2) as (
        _,
        api,
    ):
        await fault(control, CREATE_PATH, methods=["POST"], fail_next=3, fail_mode="429")
        first = await api.post(CREATE, json=BODY, headers=headers)
        assert first.status_code == 503, first.text
        error = first.json()["error"]
        assert error["code"] == "provider_unavailable"
        assert error["retryable"] is True
        assert set(error["fallback_methods"]) >= {"cash_on_pickup"}
        assert first.headers["retry-after"]
        (row,) = (await api.get("/v1/payments", headers=bearer(user_id))).json()["data"]
        assert row["status"] == "pending"  # open (no intent yet), not canceled
        assert row["payment_intent_id"] is None

        again = await api.post(CREATE, json=BODY, headers=headers)
        assert again.status_code == 201, again.text
        assert again.json()["payment_id"] == row["payment_id"]
        assert again.json()["payment_intent_id"].startswith("pi_")
        replay = await api.post(CREATE, json=BODY, headers=headers)
        assert replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == again.json()
        assert "idempotent-replayed" not in again.headers

        pm = await card(stripe_js, "4242424242424242")
        confirmed = await api.post(
            CONFIRM, json={"payment_id": row["payment_id"], "payment_method": pm}, headers=headers
        )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert await _each_intent_linked_once(stripe_admin, owner_db, user_id) == 1


@pytest.mark.parametrize("by", ["key", "order"])
async def test_intent_stripe_made_after_the_timeout_is_linked_on_retry(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_admin: Any,
    owner_db: Database,
    user_id: UUID,
    by: str,
) -> None:
    """Stripe answers the create only after Tender gave up (latency > per-try timeout and
    budget): the retry finds the intent Stripe made (same Stripe key), no orphan."""
    auth = bearer(user_id)
    async with tender_with(
        test_settings,
        database_urls[1],
        stripe_timeout_seconds=0.3,
        payment_time_budget_seconds=1.0,
    ) as (_, api):
        if by == "order":
            order = await api.post("/v1/orders", json=BODY, headers=auth)
            body: dict[str, Any] = {"order_id": order.json()["id"]}
            headers = auth
        else:
            body, headers = BODY, {**auth, "Idempotency-Key": "create-late"}
        await fault(control, CREATE_PATH, methods=["POST"], latency_ms=1500)
        first = await api.post(CREATE, json=body, headers=headers)
        assert first.status_code == 503, first.text
        assert first.json()["error"]["code"] == "provider_unavailable"
        await asyncio.sleep(1.7)  # Stripe finishes the create it was given
        await control.delete("/_test/faults")
        assert len(await _intents_of(stripe_admin, user_id)) == 1  # made, not yet linked
        again = await api.post(CREATE, json=body, headers=headers)
        assert again.status_code == 201, again.text
    (intent,) = await _intents_of(stripe_admin, user_id)
    assert again.json()["payment_intent_id"] == intent.id
    assert intent.metadata.to_dict()["tender_payment_id"] == again.json()["payment_id"]
    assert await _each_intent_linked_once(stripe_admin, owner_db, user_id) == 1


async def test_create_with_stripe_hanging_answers_503_within_the_budget(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    """Issue 10 item 3: before, 62.8 s (20 s x 3 tries). Budget 1.5 s: answer < 2.0 s."""
    headers = {**bearer(user_id), "Idempotency-Key": "create-hang"}
    budget = 1.5
    async with tender_with(
        test_settings,
        database_urls[1],
        payment_time_budget_seconds=budget,
        stripe_timeout_seconds=20.0,
        stripe_max_network_retries=2,
    ) as (_, api):
        await fault(control, CREATE_PATH, methods=["POST"], fail_next=10, fail_mode="timeout")
        resp, seconds = await elapsed(api.post(CREATE, json=BODY, headers=headers))
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "provider_unavailable"
        assert resp.json()["error"]["fallback_methods"]
        assert seconds < budget + 0.5, seconds
        await control.delete("/_test/faults")
        again = await api.post(CREATE, json=BODY, headers=headers)
    assert again.status_code == 201, again.text
    assert (await payment_row(owner_db, again.json()["payment_id"]))["status"] == (
        "requires_payment_method"
    )


async def test_confirm_with_stripe_hanging_answers_202_within_the_budget(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    budget = 1.5
    async with tender_with(test_settings, database_urls[1], payment_time_budget_seconds=budget) as (
        _,
        api,
    ):
        pay = (await api.post(CREATE, json=BODY, headers=auth)).json()
        pi = pay["payment_intent_id"]
        await fault(control, f"{CREATE_PATH}/{pi}/confirm", fail_next=10, fail_mode="timeout")
        pm = await card(stripe_js, "4242424242424242")
        resp, seconds = await elapsed(
            api.post(
                CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
            )
        )
        assert resp.status_code == 202, resp.text
        assert resp.json()["status"] == "processing"
        assert resp.headers["retry-after"]
        assert seconds < budget + 0.5, seconds
    assert await charges(stripe_admin, pi) == []  # the hung request never ran


async def test_stripe_refusing_connections_is_503_and_the_payment_stays_open(
    test_settings: Settings, database_urls: tuple[str, str], owner_db: Database, user_id: UUID
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    headers = {**bearer(user_id), "Idempotency-Key": "create-refused"}
    async with tender_with(test_settings, database_urls[1], stripe_api_base=closed) as (_, api):
        resp, seconds = await elapsed(api.post(CREATE, json=BODY, headers=headers))
    assert resp.status_code == 503, resp.text
    assert resp.json()["error"]["code"] == "provider_unavailable"
    assert seconds < test_settings.payment_time_budget_seconds
    sql = "SELECT count(*) FROM payments WHERE user_id = :u AND status = 'pending'"
    assert await count(owner_db, sql, u=user_id) == 1


async def test_canceling_the_order_cancels_the_intent_stripe_made_unbeknown(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_admin: Any,
    owner_db: Database,
    user_id: UUID,
) -> None:
    """The create's answer never came back, the customer gives up: canceling the order finds
    the intent Stripe made (by metadata), cancels it and links it; nothing is left live."""
    auth = bearer(user_id)
    async with tender_with(
        test_settings, database_urls[1], stripe_timeout_seconds=0.3, payment_time_budget_seconds=1.0
    ) as (_, api):
        order = (await api.post("/v1/orders", json=BODY, headers=auth)).json()
        await fault(control, CREATE_PATH, methods=["POST"], latency_ms=1500)
        first = await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)
        assert first.status_code == 503, first.text
        await asyncio.sleep(1.7)
        await control.delete("/_test/faults")
        canceled = await api.post(f"/v1/orders/{order['id']}/cancel", headers=auth)
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    (intent,) = await _intents_of(stripe_admin, user_id)
    assert intent.status == "canceled"
    assert await _each_intent_linked_once(stripe_admin, owner_db, user_id) == 1
    sql = "SELECT count(*) FROM payments WHERE stripe_payment_intent_id = :pi AND status = :s"
    assert await count(owner_db, sql, pi=intent.id, s="canceled") == 1


async def test_canceling_an_order_whose_create_never_reached_stripe(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1]) as (_, api):
        order = (await api.post("/v1/orders", json=BODY, headers=auth)).json()
        await fault(control, CREATE_PATH, methods=["POST"], fail_next=3, fail_mode="429")
        assert (
            await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)
        ).status_code == 503
        await control.delete("/_test/faults")
        canceled = await api.post(f"/v1/orders/{order['id']}/cancel", headers=auth)
    assert canceled.status_code == 200, canceled.text
    sql = "SELECT count(*) FROM payments WHERE order_id = :o AND status = 'canceled'"
    assert await count(owner_db, sql, o=order["id"]) == 1
