"""Refund fixtures: a paid card payment made through Tender's own API and the test mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import stripe

from tests.conftest import bearer

PaidPayment = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def paid_payment(client: httpx.AsyncClient, stripe_js: stripe.StripeClient) -> PaidPayment:
    async def pay(amount: int = 5000, currency: str = "usd", user: UUID | None = None) -> Any:
        auth = bearer(user or uuid4())
        created = await client.post(
            "/functions/v1/create-payment-intent",
            json={"amount": amount, "currency": currency},
            headers=auth,
        )
        assert created.status_code == 201, created.text
        card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
        pm = await stripe_js.v1.payment_methods.create_async({"type": "card", "card": card})
        confirmed = await client.post(
            "/functions/v1/confirm-payment",
            json={"payment_id": created.json()["payment_id"], "payment_method": pm.id},
            headers=auth,
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "succeeded"
        return created.json()

    return pay
