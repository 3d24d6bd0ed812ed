"""Card payments: create a PaymentIntent and confirm it, in the money-safe shape.

Each flow is: short transaction (insert or load, idempotency key) -> commit -> Stripe call
with a key derived from the payment id -> second short transaction stores the result. No
transaction is ever open across a Stripe call; a crash in between is healed by retrying
the same request (same Idempotency-Key, or same order) or by reconciliation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tender.auth.principal import Principal
from tender.customers import service as customers
from tender.errors import Conflict, NotFound, ValidationFailed
from tender.gateway.errors import ProviderUnavailable, StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.kit.money import check_amount, normalize_currency
from tender.methods import service as methods
from tender.orders import service as orders
from tender.payments import idempotency, repository, states
from tender.payments.apply import (
    Applied,
    apply_charge_refund,
    apply_payment_intent,
    apply_payment_intent_in,
    record_error,
)
from tender.payments.views import public, with_action
from tender.runtime import Runtime

__all__ = [
    "Applied",
    "apply_charge_refund",
    "apply_payment_intent",
    "apply_payment_intent_in",
    "confirm_payment",
    "create_card_payment",
    "get_payment",
    "list_payments",
    "record_error",
]
CREATE = "create-payment-intent"
Payment = dict[str, Any]


async def unavailable(runtime: Runtime) -> ProviderUnavailable:
    """503 `provider_unavailable` naming the fallback methods enabled right now."""
    fallbacks = [m for m in await methods.enabled_methods(runtime) if m != "card"]
    error = ProviderUnavailable()
    error.extra = {"retryable": True, "fallback_methods": fallbacks}
    error.headers = {"Retry-After": "5"}
    return error


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
) -> tuple[int, dict[str, Any]]:
    """Create (or resume) a card payment and its PaymentIntent; returns (status, body)."""
    await runtime.switches.ensure_new_payment_allowed("card")
    user, ctx = _user(principal), principal.db_context()
    async with runtime.db.transaction(ctx) as conn:
        payment: Payment | None = None
        if key is not None:
            claim = await idempotency.claim(conn, user, key, CREATE, payload)
            if claim.finished:
                return claim.answer()
            if claim.body and "payment_id" in claim.body:
                payment = await repository.get_payment(conn, UUID(claim.body["payment_id"]))
        if payment is None:
            payment = await _open_payment(runtime, conn, user, amount, currency, order_id)
            if key is not None:
                await idempotency.point_at(conn, user, key, {"payment_id": str(payment["id"])})
    if payment["stripe_payment_intent_id"] is None:
        payment = await _create_intent(runtime, principal, payment)
    body = public(payment)
    if key is not None:
        async with runtime.db.transaction(ctx) as conn:
            await idempotency.finish(conn, user, key, 201, body)
    return 201, body


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
    try:
        customer = await customers.ensure_customer(runtime, user, principal.db_context())
        started = datetime.now(UTC)
        intent = await runtime.gateway.create_payment_intent(
            payment["id"],
            amount=payment["amount"],
            currency=payment["currency"],
            customer=customer,
            metadata=metadata,
        )
    except ProviderUnavailable:
        runtime.recorder.payment("card", "provider_unavailable")
        raise await unavailable(runtime) from None
    except StripeFailure as failure:
        async with runtime.db.transaction(principal.db_context()) as conn:
            await repository.set_status(
                conn, payment["id"], "canceled", last_error_code=failure.stripe_code
            )
            if payment["order_id"] is not None:
                await orders.follow_payment(conn, payment["order_id"], "canceled", "card")
        raise
    async with runtime.db.transaction(principal.db_context()) as conn:
        applied = await apply_payment_intent_in(
            conn, intent, source="create", observed_at=started, recorder=runtime.recorder
        )
    runtime.recorder.payment("card", "created")
    assert applied.payment is not None
    return applied.payment


async def _load(conn: Any, payment_id: UUID | None, intent_id: str | None) -> Payment:
    payment = None
    if payment_id is not None:
        payment = await repository.get_payment(conn, payment_id)
    elif intent_id is not None:
        payment = await repository.get_by_intent(conn, intent_id)
    if payment is None:
        raise NotFound("No such payment.", code="payment_not_found")
    return payment


async def confirm_payment(
    runtime: Runtime,
    principal: Principal,
    *,
    payment_id: UUID | None,
    intent_id: str | None,
    payment_method: str | None,
    saved_method_id: UUID | None,
    return_url: str | None,
) -> dict[str, Any]:
    """Confirm a card payment: succeeded, requires_action (3-D Secure), or a mapped decline."""
    await runtime.switches.ensure_payments_open()
    ctx = principal.db_context()
    async with runtime.db.transaction(ctx) as conn:
        payment = await _load(conn, payment_id, intent_id)
        if payment["method_type"] != "card":
            raise ValidationFailed("Only card payments are confirmed.", code="not_a_card_payment")
        if saved_method_id is not None:
            payment_method = await methods.stripe_id_of(conn, saved_method_id)
        intent = payment["stripe_payment_intent_id"]
        if intent is None:
            raise Conflict("This payment is still being set up; retry.", code="payment_not_ready")
        if payment_method is None and payment["status"] == "requires_payment_method":
            raise ValidationFailed(
                "Give payment_method (a Stripe PaymentMethod id, pm_...) or saved_method_id "
                "(the id of a saved card from GET /v1/payment-methods) to confirm with.",
                code="payment_method_required",
            )
        if payment["status"] in states.TERMINAL or (
            payment_method is None and payment["status"] in ("requires_action", "processing")
        ):
            attempt = 0  # nothing to confirm: report (and refresh) the current state
        else:
            attempt = await repository.bump_confirm_attempt(conn, payment["id"])
    if payment["status"] in states.TERMINAL:
        return with_action(public(payment), None)
    started = datetime.now(UTC)
    try:
        if attempt == 0:
            fresh = await runtime.gateway.retrieve_payment_intent(intent)
        else:
            fresh = await runtime.gateway.confirm_payment_intent(
                intent,
                key=idempotency_key("payment", payment["id"], f"confirm:{attempt}"),
                payment_method=payment_method,
                return_url=return_url,
            )
    except ProviderUnavailable:
        raise await unavailable(runtime) from None
    except StripeFailure as failure:
        return await _confirm_failed(runtime, principal, payment, failure, started)
    async with runtime.db.transaction(ctx) as conn:
        applied = await apply_payment_intent_in(
            conn, fresh, source="confirm", observed_at=started, recorder=runtime.recorder
        )
    assert applied.payment is not None
    return with_action(public(applied.payment), fresh)


async def _confirm_failed(
    runtime: Runtime,
    principal: Principal,
    payment: Payment,
    failure: StripeFailure,
    started: datetime,
) -> dict[str, Any]:
    intent = failure.intent
    if failure.stripe_code == "payment_intent_unexpected_state" or intent is None:
        # A concurrent confirm (or a webhook) moved it: report what Stripe has now.
        try:
            intent = await runtime.gateway.retrieve_payment_intent(
                payment["stripe_payment_intent_id"]
            )
        except ProviderUnavailable:
            raise await unavailable(runtime) from None
        if failure.stripe_code == "payment_intent_unexpected_state" or not failure.is_card_error:
            async with runtime.db.transaction(principal.db_context()) as conn:
                applied = await apply_payment_intent_in(
                    conn, intent, source="confirm", observed_at=started, recorder=runtime.recorder
                )
            assert applied.payment is not None
            if failure.stripe_code == "payment_intent_unexpected_state":
                return with_action(public(applied.payment), intent)
            raise failure
    async with runtime.db.transaction(principal.db_context()) as conn:
        applied = await apply_payment_intent_in(
            conn, intent, source="confirm", observed_at=started, recorder=runtime.recorder
        )
        current = applied.payment or payment
        await record_error(
            conn,
            current,
            code=failure.stripe_code or "unknown",
            decline_code=failure.decline_code,
            message=failure.stripe_message or failure.message,
            request_id=failure.request_id,
        )
    runtime.recorder.payment("card", "declined")
    failure.extra = {
        **failure.extra,
        "payment_id": str(payment["id"]),
        "payment_status": current["status"],
    }
    raise failure


async def open_payment(conn: Any, order_id: UUID) -> Payment | None:
    """The order's newest payment that is not canceled or expired (for order flows)."""
    return await repository.open_payment_for_order(conn, order_id)


async def cancel_offline(conn: Any, payment_id: UUID) -> Payment:
    """Cancel a pending offline payment (its order is being canceled in this transaction)."""
    return await repository.set_status(conn, payment_id, "canceled")


async def get_payment(runtime: Runtime, principal: Principal, payment_id: UUID) -> dict[str, Any]:
    """One of the caller's payments (404 for anyone else's)."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        return public(await _load(conn, payment_id, None))


async def list_payments(
    runtime: Runtime, principal: Principal, *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The caller's payments, newest first, optionally filtered by status."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        rows = await repository.list_payments(
            conn, _user(principal), status=status, limit=limit, offset=offset
        )
    return [public(r) for r in rows]
