"""Stripe refund calls (operations' part of the gateway): idempotent by Tender's refund id.

Failures come back as the gateway's three kinds: `RefundRefused` (Stripe answered no),
`ProviderUnavailable` (not sent) or `OutcomeUnknown` (sent, no answer: the refund may exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tender.errors import Conflict
from tender.gateway.errors import StripeFailure
from tender.gateway.stripe import StripeGateway, idempotency_key

# Stripe refund status -> the refunds table's status set.
REFUND_STATUS = {"requires_action": "pending"}


@dataclass(frozen=True)
class StripeRefund:
    id: str
    status: str  # pending | succeeded | failed | canceled
    amount: int
    charge_amount_refunded: int | None


class RefundRefused(Conflict):
    code = "refund_refused"
    message = "Stripe refused this refund."


async def create_refund(
    gateway: StripeGateway,
    *,
    refund_id: UUID,
    payment_id: UUID,
    intent_id: str,
    amount: int,
    reason: str | None,
) -> StripeRefund:
    """Create (or, on a retry, get back) the Stripe refund for Tender refund `refund_id`."""
    params: Any = {
        "payment_intent": intent_id,
        "amount": amount,
        "metadata": {"tender_refund_id": str(refund_id), "tender_payment_id": str(payment_id)},
        "expand": ["charge"],
    }
    if reason is not None:
        params["reason"] = reason
    options: Any = {"idempotency_key": idempotency_key("refund", refund_id, "create")}
    try:
        refund = await gateway.call(
            "refunds.create", lambda: gateway.client.v1.refunds.create_async(params, options)
        )
    except StripeFailure as failure:
        raise RefundRefused(
            failure.stripe_message or RefundRefused.message,
            code=failure.stripe_code or RefundRefused.code,
        ) from failure
    charge = refund.charge
    refunded = getattr(charge, "amount_refunded", None) if not isinstance(charge, str) else None
    status = str(refund.status or "pending")
    return StripeRefund(
        id=refund.id,
        status=REFUND_STATUS.get(status, status),
        amount=int(refund.amount),
        charge_amount_refunded=int(refunded) if refunded is not None else None,
    )
