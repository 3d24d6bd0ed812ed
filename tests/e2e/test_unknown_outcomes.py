"""Three outcomes, not two: an answer Tender does not have is `processing` (202), never a
decline; the background re-check (or the webhook) settles it within seconds.

Every fault is injected by the test mode and reaches Tender through the real SDK.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest

from tender.config import Settings
from tender.db.engine import Database
from tender.payments.recheck import QUIET_SECONDS, recheck_processing
from tests.conftest import bearer
from tests.e2e.conftest import card, charges, flush
from tests.e2e.faulty import CONFIRM, CREATE, count, fault, payment_row, tender_with

FAST = {"stripe_timeout_seconds": 0.4, "stripe_max_network_retries": 3}


async def _new_payment(api: httpx.AsyncClient, auth: dict[str, str], amount: int = 2500) -> Any:
    resp = await api.post(CREATE, json={"amount": amount, "currency": "usd"}, headers=auth)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _assert_processing(resp: httpx.Response, payment_id: str) -> None:
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "processing"
    assert resp.json()["payment_id"] == payment_id
    assert int(resp.headers["retry-after"]) >= 1


async def _settled(runtime: Any, api: httpx.AsyncClient, auth: dict[str, str], pid: str) -> Any:
    """Run the re-check until the payment leaves `processing` (at most a few seconds)."""
    for _ in range(50):
        await asyncio.sleep(QUIET_SECONDS / 2)
        await recheck_processing(runtime)
        body = (await api.get(f"/v1/payments/{pid}", headers=auth)).json()
        if body["status"] != "processing":
            return body
    raise AssertionError("the payment stayed processing")


async def test_stripe_answering_after_the_timeout_is_processing_then_succeeded(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    stripe_admin: Any,
    owner_db: Database,
    user_id: UUID,
) -> None:
    """Issue 10 item 1: the confirm runs at Stripe after the per-try timeout; the retries
    meet `409 idempotency_key_in_use`. Before: 402 'use a different card'. Now: 202."""
    auth = bearer(user_id)
    async with tender_with(
        test_settings, database_urls[1], payment_time_budget_seconds=1.5, **FAST
    ) as (runtime, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", latency_ms=2500)
        pm = await card(stripe_js, "4242424242424242")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        _assert_processing(resp, pid)
        assert (await payment_row(owner_db, pid))["status"] == "processing"
        assert (
            await count(
                owner_db, "SELECT count(*) FROM payment_errors WHERE payment_id = :p", p=pid
            )
            == 0
        )
        settled = await _settled(runtime, api, auth, pid)
    assert settled["status"] == "succeeded"
    assert len(await charges(stripe_admin, pi)) == 1


@pytest.mark.parametrize("mode", ["500", "reset"])
async def test_failure_after_sending_a_confirm_is_processing_and_is_settled(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    stripe_admin: Any,
    user_id: UUID,
    mode: str,
) -> None:
    """5xx and a connection lost after sending: Stripe may have confirmed. The re-check
    re-sends the same attempt (same idempotency key), so it runs once."""
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], **FAST) as (runtime, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=4, fail_mode=mode)
        pm = await card(stripe_js, "4242424242424242")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        _assert_processing(resp, pid)
        # A client polling (confirm without a card) while Stripe is still failing: still 202.
        await fault(control, f"/v1/payment_intents/{pi}", fail_next=20, fail_mode="500")
        again = await api.post(CONFIRM, json={"payment_id": pid}, headers=auth)
        _assert_processing(again, pid)
        await control.delete("/_test/faults")
        settled = await _settled(runtime, api, auth, pid)
    assert settled["status"] == "succeeded"
    assert len(await charges(stripe_admin, pi)) == 1


async def test_unknown_outcomes_never_count_toward_the_card_testing_block(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(
        test_settings, database_urls[1], card_testing_max_declines=2, **FAST
    ) as (_, api):
        for _ in range(3):
            pay = await _new_payment(api, auth)
            await fault(
                control, f"/v1/payment_intents/{pay['payment_intent_id']}/confirm",
                fail_next=4, fail_mode="500",
            )  # fmt: skip
            pm = await card(stripe_js, "4242424242424242")
            resp = await api.post(
                CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
            )
            _assert_processing(resp, pay["payment_id"])
        await control.delete("/_test/faults")
        pay = await _new_payment(api, auth)
        pm = await card(stripe_js, "4242424242424242")
        ok = await api.post(
            CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
        )
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "succeeded"


async def test_a_confirm_stripe_never_took_is_503_and_leaves_the_payment_as_it_was(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    owner_db: Database,
    user_id: UUID,
) -> None:
    """429 is refused before Stripe runs anything: nothing happened, say so (retryable)."""
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], **FAST) as (_, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=4, fail_mode="429")
        pm = await card(stripe_js, "4242424242424242")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        assert resp.status_code == 503, resp.text
        error = resp.json()["error"]
        assert error["code"] == "provider_unavailable"
        assert error["retryable"] is True
        assert "cash_on_pickup" in error["fallback_methods"]
        assert (await payment_row(owner_db, pid))["status"] == "requires_payment_method"
        await control.delete("/_test/faults")
        retried = await api.post(
            CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth
        )
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "succeeded"


async def test_a_decline_found_by_the_recheck_is_recorded_once(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    owner_db: Database,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], **FAST) as (runtime, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=4, fail_mode="500")
        pm = await card(stripe_js, "4000000000000002")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        _assert_processing(resp, pid)
        await control.delete("/_test/faults")
        settled = await _settled(runtime, api, auth, pid)
    assert settled["status"] == "requires_payment_method"
    assert settled["last_error_code"] == "generic_decline"
    sql = "SELECT count(*) FROM payment_errors WHERE payment_id = :p"
    assert await count(owner_db, sql, p=pid) == 1


async def test_the_webhook_settles_a_processing_payment_too(
    hooked: str,
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(
        test_settings, database_urls[1], payment_time_budget_seconds=1.2, **FAST
    ) as (_, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", latency_ms=1500)
        pm = await card(stripe_js, "4242424242424242")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        _assert_processing(resp, pid)
        await asyncio.sleep(1.0)  # Stripe finishes the confirm and sends the event
        await flush(control)
        body = (await api.get(f"/v1/payments/{pid}", headers=auth)).json()
    assert body["status"] == "succeeded"


async def test_the_periodic_recheck_settles_a_processing_payment(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], **FAST) as (runtime, api):
        pay = await _new_payment(api, auth)
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=4, fail_mode="500")
        pm = await card(stripe_js, "4242424242424242")
        resp = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        _assert_processing(resp, pid)
        await control.delete("/_test/faults")
        for _ in range(100):  # what the periodic job does every PAYMENT_RECHECK_INTERVAL
            await recheck_processing(runtime)
            body = (await api.get(f"/v1/payments/{pid}", headers=auth)).json()
            if body["status"] != "processing":
                break
            await asyncio.sleep(0.1)
    assert body["status"] == "succeeded"
