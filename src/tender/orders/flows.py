"""Order flows that touch other domains: creating with an Idempotency-Key, canceling."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tender.auth.principal import Principal
from tender.gateway.errors import ProviderUnavailable, StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.orders import service
from tender.payments import idempotency
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
    """Cancel an unpaid order, canceling its live card PaymentIntent at Stripe first."""
    async with runtime.db.transaction(principal.db_context()) as conn:
        order = await service.get_order(conn, order_id)
        live = await payments.open_payment(conn, order_id)
    if live is not None and live["stripe_payment_intent_id"] and live["status"] != "succeeded":
        try:
            intent = await runtime.gateway.cancel_payment_intent(
                live["stripe_payment_intent_id"],
                key=idempotency_key("payment", live["id"], "cancel"),
            )
        except StripeFailure:
            intent = await runtime.gateway.retrieve_payment_intent(live["stripe_payment_intent_id"])
        except ProviderUnavailable:
            raise await payments.unavailable(runtime) from None
        await payments.apply_payment_intent(
            runtime.db, intent, source="order_cancel", recorder=runtime.recorder
        )
    async with runtime.db.transaction(principal.db_context()) as conn:
        live = await payments.open_payment(conn, order_id)
        if live is not None and live["method_type"] != "card" and live["status"] == "pending":
            await payments.cancel_offline(conn, live["id"])
        order = await service.cancel(conn, order_id)
    result = service.public(order)
    if live is not None:
        result["payment"] = payment_view(live)
    return result
