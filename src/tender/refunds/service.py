"""Refund a captured card payment: one short transaction, the Stripe call, another one.

Idempotent: the refund's id is derived from (payment, Idempotency-Key), and Stripe's
idempotency key from that id, so a retry (even after a crash between the steps) resumes
the same refund and never refunds twice. Never more than captured: refunds in flight
count against the payment while its row is locked.

Three outcomes: Stripe made it (201), Stripe refused it (`failed`, 409), or nobody knows
yet (Stripe unreachable, no answer, the time budget spent, the database lost after Stripe
answered): the refund stays `pending`, the answer is 202, and the background re-check sends
it again with the same key until Stripe's answer is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from tender.auth.principal import Principal
from tender.controls import repository as audit
from tender.db.rls import DbContext
from tender.domain.statuses import PaymentStatus, RefundStatus
from tender.errors import Conflict, DatabaseUnavailable, NotFound
from tender.gateway.deadline import time_budget
from tender.gateway.errors import ProviderUnavailable
from tender.gateway.refunds import RefundRefused, StripeRefund, create_refund
from tender.payments.apply import apply_charge_refund
from tender.refunds import repository
from tender.runtime import Runtime

REFUND_NAMESPACE = UUID("5f0e7a52-7d0c-4a57-9a55-3f2f1f0d6e21")
REFUNDABLE = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED})


QUIET_SECONDS = 1.0  # a pending refund is re-sent only after this long untouched


@dataclass(frozen=True)
class RefundResult:
    refund: dict[str, Any]
    payment: dict[str, Any]
    created: bool  # False: the Idempotency-Key was seen before (answered 200 or 202)

    @property
    def status_code(self) -> int:
        if self.refund["status"] == RefundStatus.PENDING:
            return 202
        return 201 if self.created else 200


def refund_id_for(payment_id: UUID, idempotency_key: str) -> UUID:
    return uuid5(REFUND_NAMESPACE, f"{payment_id}:{idempotency_key}")


async def refund_payment(
    runtime: Runtime,
    caller: Principal,
    *,
    payment_id: UUID,
    amount: int | None,
    reason: str | None,
    idempotency_key: str,
) -> RefundResult:
    """Refund `amount` (default: all that is left) of a payment, exactly once per key."""
    refund_id = refund_id_for(payment_id, idempotency_key)
    context = DbContext.service(caller.actor)
    with time_budget(runtime.settings.payment_time_budget_seconds):
        async with runtime.db.transaction(context) as conn:
            payment = await repository.lock_payment(conn, payment_id)  # serialises this payment
            if payment is None:
                raise NotFound("No such payment.", code="payment_not_found")
            refund = await repository.get_refund(conn, refund_id)
            created = refund is None
            if refund is not None:
                if (amount is not None and amount != refund["amount"]) or reason != refund[
                    "reason"
                ]:
                    raise Conflict(
                        "This Idempotency-Key was used for a different refund.",
                        code="idempotency_key_reused",
                    )
                if refund["status"] != RefundStatus.PENDING:
                    return RefundResult(refund, _payment_view(payment), created=False)
            else:
                refund = await _open_refund(conn, refund_id, payment, amount, reason)
        result = await _send(runtime, caller.actor, refund, payment)
    return RefundResult(result.refund, result.payment, created=created)


async def _send(
    runtime: Runtime, actor: str, refund: dict[str, Any], payment: dict[str, Any]
) -> RefundResult:
    """Send the refund to Stripe (same key every time) and record the answer, or leave it
    `pending` when the answer is not known or not recorded."""
    context = DbContext.service(actor)
    intent_id = payment["stripe_payment_intent_id"]
    try:
        stripe_refund = await create_refund(
            runtime.gateway,
            refund_id=refund["id"],
            payment_id=payment["id"],
            intent_id=intent_id,
            amount=refund["amount"],
            reason=refund["reason"],
        )
    except RefundRefused:
        async with runtime.db.transaction(context) as conn:
            await repository.finish_refund(
                conn, refund["id"], status=RefundStatus.FAILED, stripe_refund_id=None
            )
        raise
    except ProviderUnavailable:  # not sent, or no answer: pending; the re-check sends it again
        return RefundResult(refund, _payment_view(payment), created=True)
    try:
        return await _record(runtime, actor, refund["id"], payment["id"], intent_id, stripe_refund)
    except DatabaseUnavailable:  # Stripe made it; the re-check records it (same key: replay)
        return RefundResult(refund, _payment_view(payment), created=True)


async def recheck_pending_refunds(runtime: Runtime, *, limit: int = 50) -> int:
    """Re-send every refund Stripe never answered (same key); returns how many settled."""
    actor = "recheck"
    async with runtime.db.transaction(DbContext.service(actor)) as conn:
        pending = await repository.unanswered_refunds(conn, QUIET_SECONDS, limit)
    settled = 0
    for refund in pending:
        async with runtime.db.transaction(DbContext.service(actor)) as conn:
            payment = await repository.lock_payment(conn, refund["payment_id"])
        assert payment is not None
        with time_budget(runtime.settings.payment_time_budget_seconds):
            try:
                result = await _send(runtime, actor, refund, payment)
            except RefundRefused:
                settled += 1
                continue
        settled += int(result.refund["status"] != RefundStatus.PENDING)
    return settled


async def _open_refund(
    conn: Any, refund_id: UUID, payment: dict[str, Any], amount: int | None, reason: str | None
) -> dict[str, Any]:
    if payment["method_type"] != "card" or not payment["stripe_payment_intent_id"]:
        raise Conflict("Only card payments are refunded here.", code="payment_not_refundable")
    if payment["status"] not in REFUNDABLE:
        raise Conflict(
            f"A {payment['status']} payment cannot be refunded.", code="payment_not_refundable"
        )
    taken = max(await repository.reserved_amount(conn, payment["id"]), payment["amount_refunded"])
    remaining = payment["amount"] - taken
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise Conflict(
            f"Refund of {amount} is more than the {remaining} left on this payment.",
            code="refund_exceeds_captured",
            extra={"refundable": remaining},
        )
    return await repository.insert_refund(
        conn, refund_id=refund_id, payment=payment, amount=amount, reason=reason
    )


async def _record(
    runtime: Runtime,
    actor: str,
    refund_id: UUID,
    payment_id: UUID,
    intent_id: str,
    stripe_refund: StripeRefund,
) -> RefundResult:
    """Store Stripe's answer and move the payment (monotonic amount_refunded), audited."""
    async with runtime.db.transaction(DbContext.service(actor)) as conn:
        before = await repository.lock_payment(conn, payment_id)
        assert before is not None
        refund = await repository.finish_refund(
            conn, refund_id, status=stripe_refund.status, stripe_refund_id=stripe_refund.id
        )
        total = max(
            await repository.succeeded_amount(conn, payment_id),
            stripe_refund.charge_amount_refunded or 0,
        )
        applied = await apply_charge_refund(
            conn, {"payment_intent": intent_id, "amount_refunded": total}
        )
        after = applied.payment or before
        await audit.insert_audit(
            conn,
            actor=actor,
            action="refund.create",
            subject=f"payment:{payment_id}",
            old_value={"status": before["status"], "amount_refunded": before["amount_refunded"]},
            new_value={
                "status": after["status"],
                "amount_refunded": after["amount_refunded"],
                "refund_id": str(refund_id),
                "refund_amount": refund["amount"],
                "refund_status": refund["status"],
            },
        )
    return RefundResult(refund, _payment_view(after), created=True)


def _payment_view(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(payment["id"]),
        "status": payment["status"],
        "amount": payment["amount"],
        "amount_refunded": payment["amount_refunded"],
        "currency": payment["currency"],
    }


async def list_refunds(runtime: Runtime, caller: Principal, payment_id: UUID) -> list[Any]:
    async with runtime.db.transaction(DbContext.service(caller.actor)) as conn:
        return await repository.list_refunds(conn, payment_id)
