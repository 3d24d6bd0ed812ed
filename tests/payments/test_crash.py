"""Crash between the Stripe call and the second transaction: a retry or reconciliation heals.

The process "dies" right after Stripe answered (the gateway raises before Tender can store
the answer, as a killed process would never store it). Restarting is a fresh Runtime.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from tender.app import create_app
from tender.config import Settings
from tender.gateway.stripe import StripeGateway
from tender.payments.service import apply_payment_intent
from tender.runtime import Runtime
from tests.conftest import bearer

CREATE = "/functions/v1/create-payment-intent"
CONFIRM = "/functions/v1/confirm-payment"


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after the Stripe call runs."""


class DyingGateway(StripeGateway):
    """Talks to the test mode for real, then dies before returning the answer."""

    die_after: str = ""

    async def create_payment_intent(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = await super().create_payment_intent(*args, **kwargs)
        if self.die_after == "create":
            raise ProcessDied
        return result

    async def confirm_payment_intent(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = await super().confirm_payment_intent(*args, **kwargs)
        if self.die_after == "confirm":
            raise ProcessDied
        return result


@pytest.fixture
async def dying(
    test_settings: Settings, database_urls: tuple[str, str]
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    runtime = Runtime.build(test_settings, database_urls[1])
    runtime.gateway = DyingGateway(test_settings, runtime.recorder)
    transport = httpx.ASGITransport(app=create_app(runtime), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://dying") as c:
        yield runtime, c
    await runtime.close()


async def _charges(stripe_admin: Any, intent_id: str) -> int:
    result = await stripe_admin.v1.charges.list_async({"payment_intent": intent_id})
    return len(result.data)


async def test_crash_after_create_is_healed_by_retrying_the_same_key(
    dying: tuple[Runtime, httpx.AsyncClient], client: httpx.AsyncClient, user_id: UUID
) -> None:
    runtime, doomed = dying
    headers = {**bearer(user_id), "Idempotency-Key": "crash-create"}
    body = {"amount": 2500, "currency": "usd"}
    assert isinstance(runtime.gateway, DyingGateway)
    runtime.gateway.die_after = "create"
    with pytest.raises(ProcessDied):
        await doomed.post(CREATE, json=body, headers=headers)
    # Restarted Tender (the `client` fixture is a fresh runtime): the same request resumes.
    retried = await client.post(CREATE, json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    listed = (await client.get("/v1/payments", headers=bearer(user_id))).json()["data"]
    assert len(listed) == 1
    assert listed[0]["payment_intent_id"] == retried.json()["payment_intent_id"]


async def test_crash_after_create_for_an_order_resumes_the_same_intent(
    dying: tuple[Runtime, httpx.AsyncClient],
    client: httpx.AsyncClient,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    runtime, doomed = dying
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 1800, "currency": "usd"}, headers=auth)
    ).json()
    assert isinstance(runtime.gateway, DyingGateway)
    runtime.gateway.die_after = "create"
    with pytest.raises(ProcessDied):
        await doomed.post(CREATE, json={"order_id": order["id"]}, headers=auth)
    retried = (await client.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
    intents = await stripe_admin.v1.payment_intents.list_async({"limit": 100})
    mine = [pi for pi in intents.data if pi.metadata.to_dict().get("order_id") == order["id"]]
    assert [pi.id for pi in mine] == [retried["payment_intent_id"]]


async def test_crash_after_confirm_is_healed_by_retry_and_by_reconciliation(
    dying: tuple[Runtime, httpx.AsyncClient],
    client: httpx.AsyncClient,
    runtime: Runtime,
    stripe_js: Any,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    doomed_rt, doomed = dying
    auth = bearer(user_id)
    order = (
        await client.post("/v1/orders", json={"amount": 2200, "currency": "usd"}, headers=auth)
    ).json()
    pay = (await client.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
    pm = (
        await stripe_js.v1.payment_methods.create_async(
            {
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 12,
                    "exp_year": 2034,
                    "cvc": "123",
                },
            }
        )
    ).id
    assert isinstance(doomed_rt.gateway, DyingGateway)
    doomed_rt.gateway.die_after = "confirm"
    with pytest.raises(ProcessDied):
        await doomed.post(
            CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
        )
    stale = (await client.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
    assert stale["status"] == "requires_payment_method"  # Stripe charged; Tender never heard
    # Reconciliation: list intents from Stripe and apply them.
    async for intent in runtime.gateway.list_payment_intents(
        created_gte=int(time.time()) - 120, page=3
    ):
        await apply_payment_intent(runtime.db, intent, source="reconcile")
    healed = (await client.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
    assert healed["status"] == "succeeded"
    assert (await client.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"
    # A client retry of the confirm changes nothing and charges nothing.
    again = await client.post(
        CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
    )
    assert again.json()["status"] == "succeeded"
    assert await _charges(stripe_admin, pay["payment_intent_id"]) == 1
