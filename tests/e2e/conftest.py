"""E2E helpers: the client app's Stripe.js role (pk_test_ key), webhooks into live Tender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from tests.conftest import bearer


@pytest.fixture
async def control(stripe_emulator: str) -> AsyncIterator[httpx.AsyncClient]:
    """The test mode's /_test control API (knobs, faults, deliveries, 3-D Secure)."""
    async with httpx.AsyncClient(base_url=stripe_emulator, timeout=10) as c:
        yield c
        await c.delete("/_test/faults")
        await c.delete("/_test/webhooks")


async def card(stripe_js: Any, number: str) -> str:
    """A PaymentMethod id for a test card number (the number never reaches Tender)."""
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    pm = await stripe_js.v1.payment_methods.create_async({"type": "card", "card": card})
    return str(pm.id)


async def charges(stripe_admin: Any, intent_id: str) -> list[Any]:
    """Every charge the test mode holds for a PaymentIntent."""
    result = await stripe_admin.v1.charges.list_async({"payment_intent": intent_id, "limit": 100})
    return list(result.data)


@pytest.fixture
async def hooked(
    live_tender: str, stripe_admin: Any, control: httpx.AsyncClient
) -> AsyncIterator[str]:
    """Live Tender with a webhook endpoint registered for it; yields Tender's base URL."""
    endpoint = await stripe_admin.v1.webhook_endpoints.create_async(
        {"url": f"{live_tender}/functions/v1/stripe-webhook", "enabled_events": ["*"]}
    )
    try:
        yield live_tender
        await control.post("/_test/webhooks/flush", json={"timeout": 10})
    finally:
        await stripe_admin.v1.webhook_endpoints.delete_async(endpoint.id)


async def flush(control: httpx.AsyncClient) -> None:
    """Wait until every webhook the test mode holds or has in flight is delivered."""
    resp = await control.post("/_test/webhooks/flush", json={"timeout": 10})
    assert resp.json()["ok"], resp.text


@pytest.fixture
def new_user() -> Callable[[], tuple[UUID, dict[str, str]]]:
    """A fresh user id and its auth headers."""

    def make() -> tuple[UUID, dict[str, str]]:
        uid = uuid4()
        return uid, bearer(uid)

    return make


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.02)
