"""Confirm a card payment: three outcomes, never two.

- Stripe answered yes (`succeeded`, or `requires_action` for 3-D Secure): 200.
- Stripe answered no (a decline): a `payment_errors` row and a mapped 402.
- Nobody knows (timeout, connection lost after sending, 5xx, `idempotency_key_in_use`, the
  time budget ran out): the payment is `processing`, the answer is 202 with Retry-After, and
  `settle` (called by the background re-check, or by the next confirm) finds out.

Each attempt has its own Stripe idempotency key (`tender:payment:<id>:confirm:<n>`) and the
payment row remembers what the attempt sent, so an unknown attempt is re-sent as is: Stripe
replays its answer if it finished, says it is still in flight, or runs it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tender.auth.principal import Principal
from tender.db.rls import DbContext, acting_as_service
from tender.errors import Conflict, DatabaseUnavailable, NotFound, ValidationFailed
from tender.gateway.deadline import time_budget
from tender.gateway.errors import OutcomeUnknown, ProviderUnavailable, StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.methods import service as methods
from tender.orders import service as orders
from tender.payments import repository, states
from tender.payments.apply import apply_payment_intent_in, record_error
from tender.payments.views import Answer, processing, public, with_action
from tender.runtime import Runtime

Payment = dict[str, Any]
# Intent states that mean "no confirm has taken effect (yet)".
UNCONFIRMED = frozenset({"requires_payment_method", "requires_confirmation"})


@dataclass(frozen=True)
class Attempt:
    """One confirm attempt: its number (for the idempotency key) and what it sends."""

    number: int
    payment_method: str | None
    return_url: str | None

    @classmethod
    def pending(cls, payment: Payment) -> Attempt | None:
        """The last attempt recorded on the payment, if any."""
        raw = (payment.get("metadata") or {}).get("confirm_pending")
        if not isinstance(raw, dict) or not isinstance(raw.get("attempt"), int):
            return None
        return cls(raw["attempt"], raw.get("payment_method"), raw.get("return_url"))

    def key(self, payment_id: UUID) -> str:
        return idempotency_key("payment", payment_id, f"confirm:{self.number}")


async def unavailable(runtime: Runtime) -> ProviderUnavailable:
    """503 `provider_unavailable` naming the fallback methods enabled right now."""
    fallbacks = [m for m in await methods.enabled_methods(runtime) if m != "card"]
    error = ProviderUnavailable()
    error.extra = {"retryable": True, "fallback_methods": fallbacks}
    error.headers = {"Retry-After": "5"}
    return error


async def load_payment(conn: Any, payment_id: UUID | None, intent_id: str | None) -> Payment:
    """The payment by Tender id or PaymentIntent id, as the caller may see it (else 404)."""
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
) -> Answer:
    """Confirm a card payment within the time budget (see the module docstring)."""
    await runtime.switches.ensure_payments_open()
    ctx = principal.db_context()
    with time_budget(runtime.settings.payment_time_budget_seconds):
        async with runtime.db.transaction(ctx) as conn:
            payment = await load_payment(conn, payment_id, intent_id)
            if payment["method_type"] != "card":
                raise ValidationFailed(
                    "Only card payments are confirmed.", code="not_a_card_payment"
                )
            if saved_method_id is not None:
                payment_method = await methods.stripe_id_of(conn, saved_method_id)
            if payment["stripe_payment_intent_id"] is None:
                raise Conflict(
                    "This payment is still being set up; retry.", code="payment_not_ready"
                )
            status = payment["status"]
            if payment_method is None and status == "requires_payment_method":
                raise ValidationFailed(
                    "Give payment_method (a Stripe PaymentMethod id, pm_...) or saved_method_id "
                    "(the id of a saved card from GET /v1/payment-methods) to confirm with.",
                    code="payment_method_required",
                )
            attempt: Attempt | None = None
            if status in states.TERMINAL:
                return Answer(200, with_action(public(payment), None))
            if status != "processing" and payment_method is not None:
                number = await repository.bump_confirm_attempt(
                    conn, payment["id"], payment_method=payment_method, return_url=return_url
                )
                attempt = Attempt(number, payment_method, return_url)
        if attempt is None:  # nothing new to send: settle or refresh what is there
            return await settle(runtime, ctx, payment)
        return await send(runtime, ctx, payment, attempt)


async def settle(runtime: Runtime, ctx: DbContext, payment: Payment) -> Answer:
    """Find out where a payment stands: re-read the intent; if no confirm has taken effect
    there and an attempt's answer was never recorded, re-send that attempt with its key."""
    started = datetime.now(UTC)
    try:
        fresh = await runtime.gateway.retrieve_payment_intent(payment["stripe_payment_intent_id"])
    except ProviderUnavailable:
        if payment["status"] == "processing":
            return processing(with_action(public(payment), None))
        raise await unavailable(runtime) from None
    attempt = Attempt.pending(payment)  # sent, answer never recorded
    if attempt is not None and fresh["status"] in UNCONFIRMED:
        return await send(runtime, ctx, payment, attempt)
    return await _store(runtime, ctx, payment, fresh, started)


async def send(runtime: Runtime, ctx: DbContext, payment: Payment, attempt: Attempt) -> Answer:
    """Send one confirm attempt and store what Stripe answered (or `processing`)."""
    started = datetime.now(UTC)
    try:
        fresh = await runtime.gateway.confirm_payment_intent(
            payment["stripe_payment_intent_id"],
            key=attempt.key(payment["id"]),
            payment_method=attempt.payment_method,
            return_url=attempt.return_url,
        )
    except OutcomeUnknown:
        return await _unknown(runtime, ctx, payment)
    except ProviderUnavailable:
        if payment["status"] == "processing":
            return processing(with_action(public(payment), None))
        raise await unavailable(runtime) from None
    except StripeFailure as failure:
        return await _confirm_failed(runtime, ctx, payment, failure, started)
    return await _store(runtime, ctx, payment, fresh, started)


async def _store(
    runtime: Runtime, ctx: DbContext, payment: Payment, intent: dict[str, Any], started: datetime
) -> Answer:
    try:
        async with runtime.db.transaction(ctx) as conn, acting_as_service(conn):
            # Only owner-scoped writes here: one role switch for all of them.
            applied = await apply_payment_intent_in(
                conn, intent, source="confirm", observed_at=started, recorder=runtime.recorder
            )
            await repository.settle_attempt(conn, payment["id"])
    except DatabaseUnavailable:
        # Stripe answered but Tender could not record it: the webhook will. Not final yet.
        return processing(with_action(public(payment), None))
    current = applied.payment or payment
    body = with_action(public(current), intent)
    if current["status"] == "processing":
        return processing(body)
    return Answer(200, body)


async def _unknown(runtime: Runtime, ctx: DbContext, payment: Payment) -> Answer:
    """Stripe may have confirmed: `processing` (never a decline, never counted as one)."""
    runtime.recorder.payment("card", "unknown")
    try:
        async with runtime.db.transaction(ctx) as conn:
            moved = await repository.mark_processing(conn, payment["id"])
            if moved is not None and moved["order_id"] is not None:
                await orders.follow_payment(conn, moved["order_id"], "processing", "card")
            current = moved or await repository.get_payment(conn, payment["id"]) or payment
    except DatabaseUnavailable:
        current = payment
    body = with_action(public(current), None)
    if current["status"] in states.TERMINAL:
        return Answer(200, body)  # a webhook settled it while we waited
    return processing(body)


async def _confirm_failed(
    runtime: Runtime,
    ctx: DbContext,
    payment: Payment,
    failure: StripeFailure,
    started: datetime,
) -> Answer:
    intent = failure.intent
    unexpected = failure.stripe_code == "payment_intent_unexpected_state"
    if unexpected or intent is None:
        # A concurrent confirm (or a webhook) moved it: report what Stripe has now.
        try:
            intent = await runtime.gateway.retrieve_payment_intent(
                payment["stripe_payment_intent_id"]
            )
        except ProviderUnavailable:
            raise await unavailable(runtime) from None
        if unexpected or not failure.is_card_error:
            answer = await _store(runtime, ctx, payment, intent, started)
            if unexpected:
                return answer
            raise failure
    async with runtime.db.transaction(ctx) as conn:
        applied = await apply_payment_intent_in(
            conn, intent, source="confirm", observed_at=started, recorder=runtime.recorder
        )
        current = applied.payment or payment
        await repository.settle_attempt(conn, payment["id"])
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
