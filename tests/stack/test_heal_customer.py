"""A customer Stripe lost (deleted in the dashboard) is replaced; the payment goes on."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from tender.customers import service as customers
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.gateway.errors import StripeFailure, lookup
from tender.runtime import Runtime
from tests.conftest import bearer


async def _stored_customer(owner_db: Database, user: UUID) -> str:
    async with owner_db.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT stripe_customer_id FROM customers WHERE user_id = :u"), {"u": user}
        )
        return str(row.scalar_one())


async def _pay(client: httpx.AsyncClient, user: UUID, pm: str) -> httpx.Response:
    created = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": 2500, "currency": "usd"},
        headers=bearer(user),
    )
    assert created.status_code == 201, created.text
    return await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": created.json()["payment_id"], "payment_method": pm},
        headers=bearer(user),
    )


async def test_a_customer_deleted_at_stripe_is_replaced_and_the_payment_succeeds(
    client: httpx.AsyncClient, stripe_admin: Any, owner_db: Database, user_id: UUID
) -> None:
    first = await _pay(client, user_id, "pm_card_visa")
    assert first.status_code == 200, first.text
    lost = await _stored_customer(owner_db, user_id)
    await stripe_admin.v1.customers.delete_async(
        lost
    )  # behind Tender's back (its cache still has it)

    again = await _pay(client, user_id, "pm_card_visa")

    assert again.status_code == 200, again.text
    assert again.json()["status"] == "succeeded"
    healed = await _stored_customer(owner_db, user_id)
    assert healed != lost
    intent = await stripe_admin.v1.payment_intents.retrieve_async(again.json()["payment_intent_id"])
    assert intent.customer == healed
    assert (await stripe_admin.v1.customers.retrieve_async(healed)).metadata[
        "tender_user_id"
    ] == str(user_id)


async def test_a_setup_intent_for_a_lost_customer_uses_a_new_one(
    client: httpx.AsyncClient, stripe_admin: Any, owner_db: Database, user_id: UUID
) -> None:
    assert (await _pay(client, user_id, "pm_card_visa")).status_code == 200
    lost = await _stored_customer(owner_db, user_id)
    await stripe_admin.v1.customers.delete_async(lost)

    setup = await client.post(
        "/v1/payment-methods/setup-intent", headers={**bearer(user_id), "Idempotency-Key": "k1"}
    )

    assert setup.status_code in (200, 201), setup.text
    seti = await stripe_admin.v1.setup_intents.retrieve_async(setup.json()["setup_intent_id"])
    assert seti.customer == await _stored_customer(owner_db, user_id) != lost


async def test_when_healing_fails_the_answer_names_the_customer_not_a_payment_method(
    runtime: Runtime, user_id: UUID
) -> None:
    context = DbContext.user(user_id)
    tried: list[str] = []

    async def always_missing(customer: str, healed: bool) -> None:
        tried.append(customer)
        raise StripeFailure(
            lookup("resource_missing", None),
            stripe_code="resource_missing",
            stripe_message=f"No such customer: '{customer}'",
        )

    with pytest.raises(customers.CustomerLost) as caught:
        await customers.with_customer(runtime, user_id, context, always_missing)

    assert len(tried) == 2  # the stored customer, then one replacement
    assert tried[0] != tried[1]
    assert caught.value.status_code == 503
    assert caught.value.code == "stripe_customer_missing"
    assert "customer record" in caught.value.message
    assert "payment method" not in caught.value.message
