"""Stripe charge reads (the webhook inbox re-reads a charge before applying a refund)."""

from __future__ import annotations

from typing import Any

from tender.gateway.stripe import StripeGateway, as_dict


async def retrieve_charge(gateway: StripeGateway, charge_id: str) -> dict[str, Any]:
    """The Charge as Stripe has it now (amount_refunded, refunded, payment_intent)."""
    obj = await gateway._call(  # the gateway's error mapping and metrics
        "charges.retrieve", lambda: gateway.client.v1.charges.retrieve_async(charge_id)
    )
    return as_dict(obj)
