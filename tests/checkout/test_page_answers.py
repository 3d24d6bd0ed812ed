"""The page's JSON answers are the documented payment shapes: every field the page reads is
there (response models drop undeclared ones), a lost Stripe answer is 202 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest

from tender.config import Settings
from tender.payments.schemas import ConfirmedPayment, OfflinePaymentOut, PaymentOut
from tests.checkout.test_sessions import _order, _session
from tests.conftest import bearer
from tests.e2e.faulty import fault, tender_with

PAYMENT_FIELDS = set(PaymentOut.model_fields)


async def _link(client: httpx.AsyncClient, user_id: UUID) -> str:
    auth = bearer(user_id)
    resp = await _session(client, auth, await _order(client, auth))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["url"]).replace("http://tender.test", "")


async def test_card_flow_answers_carry_every_payment_field(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    path = await _link(client, user_id)
    view = (await client.get(f"{path}/session")).json()
    assert view["payment"] is None
    assert view["order"]["amount"] == 2500
    assert view["enabled_methods"][0] == "card"

    started = await client.post(f"{path}/card")
    assert started.status_code == 200, started.text
    assert set(started.json()) == PAYMENT_FIELDS
    assert started.json()["client_secret"].startswith(started.json()["payment_intent_id"])
    live = (await client.get(f"{path}/session")).json()["payment"]
    assert set(live) == PAYMENT_FIELDS
    assert live["status"] == "requires_payment_method"

    paid = await client.post(f"{path}/confirm", json={"payment_method": "pm_card_visa"})
    assert paid.status_code == 200, paid.text
    assert set(paid.json()) == set(ConfirmedPayment.model_fields)
    assert (paid.json()["status"], paid.json()["requires_action"]) == ("succeeded", False)

    used = await client.get(f"{path}/session")
    assert (used.status_code, used.json()["error"]["code"]) == (410, "checkout_session_used")
    state = await client.get(f"{path}/payment")  # a used link still reads its payment
    assert state.status_code == 200
    assert set(state.json()) == PAYMENT_FIELDS
    assert state.json()["status"] == "succeeded"


async def test_offline_answer_carries_instructions_and_reference(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    path = await _link(client, user_id)
    chosen = await client.post(f"{path}/offline", json={"method": "bank_transfer"})
    assert chosen.status_code == 201, chosen.text
    body = chosen.json()
    assert set(body) == set(OfflinePaymentOut.model_fields)
    assert body["method_type"] == "bank_transfer"
    assert body["instructions"]["reference"] == body["bank_reference"]
    assert body["instructions"]["pay_before"] == body["expires_at"]
    again = await client.post(f"{path}/offline", json={"method": "cash_on_pickup"})
    assert (again.status_code, again.json()["error"]["code"]) == (410, "checkout_session_used")


@pytest.fixture
async def control(stripe_emulator: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stripe_emulator, timeout=10) as c:
        yield c
        await c.delete("/_test/faults")


async def test_a_lost_confirm_answer_is_202_processing_with_retry_after(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    user_id: UUID,
) -> None:
    fast = {"stripe_timeout_seconds": 0.4, "stripe_max_network_retries": 3}
    async with tender_with(test_settings, database_urls[1], **fast) as (_, api):
        path = await _link(api, user_id)
        started = (await api.post(f"{path}/card")).json()
        pi = started["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=4, fail_mode="500")
        resp = await api.post(f"{path}/confirm", json={"payment_method": "pm_card_visa"})
        assert resp.status_code == 202, resp.text
        assert resp.json()["status"] == "processing"
        assert resp.json()["payment_id"] == started["payment_id"]
        assert set(resp.json()) == set(ConfirmedPayment.model_fields)
        assert int(resp.headers["retry-after"]) >= 1
        view = (await api.get(f"{path}/session")).json()
        assert view["payment"]["status"] == "processing"  # the page resumes polling
