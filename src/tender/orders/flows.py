"""Order flows that touch other domains: creating with an Idempotency-Key, canceling."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tender import idempotency
from tender.auth.principal import Principal
from tender.gateway.errors import ProviderUnavailable, StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.orders import service
from tender.payments import service as payments
from tender.payments.views import public as payment_view
from tender.runtime import Runtime

CREATE = "create-order"


async def create_order(
    runtime: Runtime, principal: Principal, body: dict[str, Any], key: str | None
) -> tuple[int, dict[str, Any]]:
    """Create an order; the same Idempotency-Key replays the first answer."""
    assert principal.user_id is not None
    user = principal.user_id
    async with runtime.db.transaction(principal.db_context()) as conn:
        if key is not None:
            claim = await idempotency.claim(conn, user, key, CREATE, body)
            if claim.finished:
                return claim.answer()
        order = await service.create_order(
            conn,
            runtime.settings,
            user,
            amount=body["amount"],
            currency=body["currency"],
            description=body.get("description"),
            metadata=body.get("metadata") or {},
        )
        result = service.public(order)
        if key is not None:
            await idempotency.finish(conn, user, key, 201, result)
    return 201, result


async def cancel_order(runtime: Runtime, principal: Principal, order_id: UUID) -> dict[str, Any]:
    """Cancel an unpaid order, canceling its live card PaymentIntent at Stripe first (also
    one Stripe made while Tender never heard back: it is found by its metadata)."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        order = await service.get_order(conn, order_id)
        live = await payments.open_payment(conn, order_id)
    if live is not None and live["method_type"] == "card" and live["status"] != "succeeded":
        await _cancel_card_payment(runtime, live)
    async with runtime.db.transaction(principal.db_context()) as conn:
        live = await payments.open_payment(conn, order_id)
        if live is not None and live["status"] == "pending":
            await payments.cancel_offline(conn, live["id"])  # offline, or card with no intent
        order = await service.cancel(conn, order_id)
    result = service.public(order)
    if live is not None:
        result["payment"] = payment_view(live)
    return result


async def _cancel_card_payment(runtime: Runtime, live: dict[str, Any]) -> None:
    intent_id = live["stripe_payment_intent_id"]
    try:
        if intent_id is None:
            since = int(live["created_at"].timestamp()) - 300
            found = await runtime.gateway.find_payment_intent(live["id"], created_gte=since)
            if found is None:
                return
            intent_id = found["id"]
        try:
            intent = await runtime.gateway.cancel_payment_intent(
                intent_id, key=idempotency_key("payment", live["id"], "cancel")
            )
        except StripeFailure:
            intent = await runtime.gateway.retrieve_payment_intent(intent_id)
    except ProviderUnavailable:
        raise await payments.unavailable(runtime) from None
    await payments.apply_payment_intent(
        runtime.db, intent, source="order_cancel", recorder=runtime.recorder
    )
