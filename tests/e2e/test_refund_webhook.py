"""A refund made outside Tender (Stripe's dashboard) reaches it through `charge.refunded`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx

from tender.runtime import Runtime
from tender.webhooks.service import replay
from tests.conftest import bearer
from tests.e2e.conftest import card, flush


async def _paid(api: httpx.AsyncClient, stripe_js: Any, auth: dict[str, str]) -> dict[str, Any]:
    order = (
        await api.post("/v1/orders", json={"amount": 4000, "currency": "usd"}, headers=auth)
    ).json()
    pay = (
        await api.post(
            "/functions/v1/create-payment-intent", json={"order_id": order["id"]}, headers=auth
        )
    ).json()
    pm = await card(stripe_js, "4242424242424242")
    confirmed = await api.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": pay["payment_id"], "payment_method": pm},
        headers=auth,
    )
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return {**pay, "order_id": order["id"]}


async def test_dashboard_refunds_move_payment_and_order_and_never_go_back(
    hooked: str,
    runtime: Runtime,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with httpx.AsyncClient(base_url=hooked, timeout=10) as api:
        pay = await _paid(api, stripe_js, auth)
        intent = pay["payment_intent_id"]

        await stripe_admin.v1.refunds.create_async({"payment_intent": intent, "amount": 1500})
        await flush(control)
        payment = (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
        assert (payment["status"], payment["amount_refunded"]) == ("partially_refunded", 1500)
        order = (await api.get(f"/v1/orders/{pay['order_id']}", headers=auth)).json()
        assert order["status"] == "partially_refunded"

        await stripe_admin.v1.refunds.create_async({"payment_intent": intent})
        await flush(control)
        payment = (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
        assert (payment["status"], payment["amount_refunded"]) == ("refunded", 4000)

        # Every stored event applied again, the older partial refund included, moves nothing.
        counts = await replay(runtime, failed_only=False, since=None)
        assert counts
        payment = (await api.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
        assert (payment["status"], payment["amount_refunded"]) == ("refunded", 4000)
