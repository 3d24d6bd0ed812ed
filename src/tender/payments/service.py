"""Card payments: create a PaymentIntent (confirm lives in confirm.py), money-safe.

Each flow is: short transaction (insert or load, idempotency key) -> commit -> Stripe call
with a key derived from the payment id -> second short transaction stores the result. No
transaction is ever open across a Stripe call. A retryable failure (Stripe busy or
unreachable, an unknown outcome, the time budget spent, the database lost) leaves the payment
open: the same request (same Idempotency-Key, or same order) resumes it, and the intent
Stripe may already have made is found through the same Stripe idempotency key (or, failing
that, its `tender_payment_id` metadata) and linked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tender import idempotency
from tender.auth.principal import Principal
from tender.customers import service as customers
from tender.db.rls import DbContext, acting_as_service
from tender.errors import Conflict, ValidationFailed
from tender.gateway.deadline import time_budget
from tender.gateway.errors import ProviderUnavailable, StripeFailure
from tender.kit.money import check_amount, normalize_currency
from tender.orders import service as orders
from tender.payments import repository
from tender.payments.apply import (
    Applied,
    apply_charge_refund,
    apply_payment_intent,
    apply_payment_intent_in,
    record_error,
    settled_intent,
)
from tender.payments.confirm import confirm_payment, load_payment, unavailable
from tender.payments.views import Answer, public
from tender.runtime import Runtime

__all__ = [
    "Answer",
    "Applied",
    "apply_charge_refund",
    "apply_payment_intent",
    "apply_payment_intent_in",
    "confirm_payment",
    "create_card_payment",
    "get_payment",
    "list_payments",
    "record_error",
    "settled_intent",
    "unavailable",
]
CREATE = "create-payment-intent"
Payment = dict[str, Any]


def _user(principal: Principal) -> UUID:
    assert principal.user_id is not None
    return principal.user_id


async def create_card_payment(
    runtime: Runtime,
    principal: Principal,
    *,
    amount: int | None,
    currency: str | None,
    order_id: UUID | None,
    key: str | None,
    payload: dict[str, Any],
) -> Answer:
    """Create (or resume) a card payment and its PaymentIntent, within the time budget."""
    await runtime.switches.ensure_new_payment_allowed("card")
    user, ctx = _user(principal), principal.db_context()
    with time_budget(runtime.settings.payment_time_budget_seconds):
        async with runtime.db.transaction(ctx) as conn:
            payment: Payment | None = None
            if key is not None:
                claim = await idempotency.claim(conn, user, key, CREATE, payload)
                if claim.finished:
                    return Answer.replayed(*claim.answer())
                if claim.body and "payment_id" in claim.body:
                    payment = await repository.get_payment(conn, UUID(claim.body["payment_id"]))
            if payment is None:
                payment = await _open_payment(runtime, conn, user, amount, currency, order_id)
                if key is not None:
                    await idempotency.point_at(conn, user, key, {"payment_id": str(payment["id"])})
        if payment["stripe_payment_intent_id"] is None and payment["status"] != "canceled":
            payment = await _create_intent(runtime, principal, payment)
        body = public(payment)
        if key is not None:
            async with runtime.db.transaction(ctx) as conn:
                await idempotency.finish(conn, user, key, 201, body)
        return Answer(201, body)


async def _open_payment(
    runtime: Runtime,
    conn: Any,
    user: UUID,
    amount: int | None,
    currency: str | None,
    order_id: UUID | None,
) -> Payment:
    settings = runtime.settings
    if order_id is None:
        if amount is None or currency is None:
            raise ValidationFailed(
                "Give amount and currency, or an order_id.", code="missing_amount"
            )
        code = normalize_currency(currency, settings)
        return await repository.insert_payment(
            conn,
            user_id=user,
            order_id=None,
            method_type="card",
            amount=check_amount(amount, code, settings),
            currency=code,
        )
    order = await orders.payable_order(conn, order_id)  # locked: one payment per order
    if (amount is not None and amount != order["amount"]) or (
        currency is not None and currency.strip().lower() != order["currency"]
    ):
        raise ValidationFailed(
            "The amount does not match the order. The order's amount is charged.",
            code="amount_mismatch",
            extra={"order_amount": order["amount"], "order_currency": order["currency"]},
        )
    existing = await repository.open_payment_for_order(conn, order_id)
    if existing is not None:
        if existing["method_type"] != "card":
            raise Conflict(
                f"This order already has a {existing['method_type']} payment in progress.",
                code="payment_in_progress",
                extra={"payment_id": str(existing["id"])},
            )
        return existing  # same order: resume its payment, never start a second intent
    return await repository.insert_payment(
        conn,
        user_id=user,
        order_id=order_id,
        method_type="card",
        amount=order["amount"],
        currency=order["currency"],
    )


async def _create_intent(runtime: Runtime, principal: Principal, payment: Payment) -> Payment:
    user = _user(principal)
    metadata = {"tender_payment_id": str(payment["id"]), "tender_user_id": str(user)}
    if payment["order_id"] is not None:
        metadata["order_id"] = str(payment["order_id"])
    started = datetime.now(UTC)
    try:

        async def create(customer: str, healed: bool) -> dict[str, Any]:
            return await runtime.gateway.create_payment_intent(
                payment["id"],
                amount=payment["amount"],
                currency=payment["currency"],
                customer=customer,
                metadata=metadata,
                step=f"create:{customer}" if healed else "create",
            )

        intent = await customers.with_customer(runtime, user, principal.db_context(), create)
    except ProviderUnavailable:  # not sent, or sent with no answer: the payment stays open
        runtime.recorder.payment("card", "provider_unavailable")
        raise await unavailable(runtime) from None
    except StripeFailure as failure:
        found = await _made_anyway(runtime, payment, failure)
        if found is None:
            raise
        intent = found
    async with runtime.db.transaction(principal.db_context()) as conn, acting_as_service(conn):
        # Only owner-scoped writes here: one role switch for all of them.
        applied = await apply_payment_intent_in(
            conn, intent, source="create", observed_at=started, recorder=runtime.recorder
        )
    runtime.recorder.payment("card", "created")
    assert applied.payment is not None
    return applied.payment


async def _made_anyway(
    runtime: Runtime, payment: Payment, failure: StripeFailure
) -> dict[str, Any] | None:
    """After a refused create: the intent Stripe made for this payment earlier, if any.

    Stripe refuses a key reused with other parameters (`idempotency_error`); the intent the
    first request made is then found by its `tender_payment_id` metadata. A refusal that
    trying again cannot fix (an amount Stripe will not take) cancels the payment instead.
    """
    if failure.stripe_code == "idempotency_error":
        since = int(payment["created_at"].timestamp()) - 300
        try:
            return await runtime.gateway.find_payment_intent(payment["id"], created_gte=since)
        except ProviderUnavailable:
            raise await unavailable(runtime) from None
    if not failure.mapped.retryable:
        async with runtime.db.transaction(DbContext.service("create")) as conn:
            await repository.set_status(
                conn, payment["id"], "canceled", last_error_code=failure.stripe_code
            )
            if payment["order_id"] is not None:
                await orders.follow_payment(conn, payment["order_id"], "canceled", "card")
    return None


async def open_payment(conn: Any, order_id: UUID) -> Payment | None:
    """The order's newest payment that is not canceled or expired (for order flows)."""
    return await repository.open_payment_for_order(conn, order_id)


async def cancel_offline(conn: Any, payment_id: UUID) -> Payment:
    """Cancel a pending payment Stripe holds nothing for (offline, or card with no intent)."""
    return await repository.set_status(conn, payment_id, "canceled")


async def get_payment(runtime: Runtime, principal: Principal, payment_id: UUID) -> dict[str, Any]:
    """One of the caller's payments (404 for anyone else's)."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        return public(await load_payment(conn, payment_id, None))


async def list_payments(
    runtime: Runtime, principal: Principal, *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The caller's payments, newest first, optionally filtered by status."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        rows = await repository.list_payments(
            conn, _user(principal), status=status, limit=limit, offset=offset
        )
    return [public(r) for r in rows]
