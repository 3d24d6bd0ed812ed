"""What the checkout page does for its session: show the order, pay by card, fall back.

Every action runs as the session's user (row-level security applies) through the payment
services the API uses; this module only adds the session rules (expiry, single use) and the
switch from a failed card attempt to an offline method.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tender.checkout import service
from tender.checkout.repository import SessionRow
from tender.db.rls import DbContext
from tender.errors import Conflict
from tender.gateway.errors import ProviderUnavailable, StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.methods import service as methods
from tender.orders import service as orders
from tender.payments import offline, states
from tender.payments import service as payments
from tender.payments.views import public as payment_view
from tender.runtime import Runtime

# A card attempt in one of these states has not taken money and may be abandoned.
ABANDONABLE = ("pending", "requires_payment_method", "requires_confirmation", "requires_action")


def _items(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Line items from the order's metadata (`items: [{name, quantity, amount}]`), if any."""
    raw = metadata.get("items")
    if not isinstance(raw, list):
        return []
    items: list[dict[str, Any]] = []
    for item in raw[:50]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            quantity = item.get("quantity", 1)
            amount = item.get("amount")
            items.append(
                {
                    "name": item["name"][:200],
                    "quantity": quantity if isinstance(quantity, int) else 1,
                    "amount": amount if isinstance(amount, int) else None,
                }
            )
    return items


async def session_view(runtime: Runtime, session: SessionRow) -> dict[str, Any]:
    """The order, the enabled methods and any payment in progress, for the page."""
    principal = service.acting_principal(session)
    async with runtime.db.transaction(principal.db_context()) as conn:
        order = await orders.get_order(conn, session.order_id)
        live = await payments.open_payment(conn, session.order_id)
    switches = await runtime.switches.values()
    return {
        "session": {"id": str(session.id), "expires_at": session.expires_at.isoformat()},
        "order": {
            "id": str(order["id"]),
            "status": order["status"],
            "description": order["description"],
            "amount": order["amount"],
            "currency": order["currency"],
            "items": _items(order["metadata"] or {}),
        },
        "enabled_methods": await methods.enabled_methods(runtime),
        "maintenance": bool(switches.get("payment_maintenance", False)),
        "bank_transfer_account": offline.account_text(offline.bank_account(runtime.settings)),
        "payment": payment_view(live) if live is not None else None,
    }


async def start_card(runtime: Runtime, session: SessionRow) -> dict[str, Any]:
    """Create (or resume) the order's card payment; the page confirms it with Stripe.js."""
    principal = service.acting_principal(session)
    created = await payments.create_card_payment(
        runtime,
        principal,
        amount=None,
        currency=None,
        order_id=session.order_id,
        key=None,
        payload={},
    )
    body = created.body
    await service.remember_payment(runtime, session, UUID(body["payment_id"]))
    return body


async def confirm_card(
    runtime: Runtime, session: SessionRow, payment_method: str | None
) -> dict[str, Any]:
    """Confirm the session's card payment (or re-check it after 3-D Secure)."""
    principal = service.acting_principal(session)
    payment_id = await _card_payment_id(runtime, session)
    answer = await payments.confirm_payment(
        runtime,
        principal,
        payment_id=payment_id,
        intent_id=None,
        payment_method=payment_method,
        saved_method_id=None,
        return_url=None,
    )
    result = answer.body  # 202 processing too: the page polls it to its end
    if result["status"] in states.PAID:
        await service.complete(runtime, session, payment_id)
    return result


async def payment_state(runtime: Runtime, session: SessionRow) -> dict[str, Any]:
    """The session's payment now (the page polls this while a payment is processing)."""
    principal = service.acting_principal(session)
    payment_id = session.payment_id or await _card_payment_id(runtime, session)
    result = await payments.get_payment(runtime, principal, payment_id)
    if result["status"] in ("processing", "requires_action"):  # ask Stripe, not the webhook
        result = (
            await payments.confirm_payment(
                runtime, principal, payment_id=payment_id, intent_id=None,
                payment_method=None, saved_method_id=None, return_url=None,
            )
        ).body  # fmt: skip
    if result["status"] in states.PAID:
        await service.complete(runtime, session, payment_id)
    return result


async def choose_offline(runtime: Runtime, session: SessionRow, method: str) -> dict[str, Any]:
    """Pay by cash on pickup or bank transfer, abandoning an unfinished card attempt first."""
    principal = service.acting_principal(session)
    await _abandon_card_attempt(runtime, session)
    _, body = await offline.choose_offline(runtime, principal, session.order_id, method, None)
    await service.complete(runtime, session, UUID(body["payment_id"]))
    return body


async def _card_payment_id(runtime: Runtime, session: SessionRow) -> UUID:
    principal = service.acting_principal(session)
    async with runtime.db.transaction(principal.db_context()) as conn:
        live = await payments.open_payment(conn, session.order_id)
    if live is None or live["method_type"] != "card":
        raise Conflict("Start the card payment first.", code="payment_not_started")
    return UUID(str(live["id"]))


async def _abandon_card_attempt(runtime: Runtime, session: SessionRow) -> None:
    """Cancel the order's card payment if it has taken no money, so a fallback can start."""
    principal = service.acting_principal(session)
    async with runtime.db.transaction(principal.db_context()) as conn:
        live = await payments.open_payment(conn, session.order_id)
    if live is None or live["method_type"] != "card":
        return
    if live["status"] not in ABANDONABLE:
        raise Conflict(
            f"Your card payment is {live['status']}; it cannot be replaced now.",
            code="payment_in_progress",
            extra={"payment_id": str(live["id"]), "payment_status": live["status"]},
        )
    intent_id = live["stripe_payment_intent_id"]
    if intent_id is None:
        # Stripe never answered the create: no intent Tender knows of can be confirmed.
        async with runtime.db.transaction(DbContext.service("checkout")) as conn:
            await payments.cancel_offline(conn, live["id"])  # a plain cancel of this row
        return
    try:
        intent = await runtime.gateway.cancel_payment_intent(
            intent_id, key=idempotency_key("payment", live["id"], "cancel")
        )
    except StripeFailure:
        intent = await runtime.gateway.retrieve_payment_intent(intent_id)
    except ProviderUnavailable:
        raise Conflict(
            "Your card attempt cannot be closed while the card processor is unreachable. "
            "Please try again in a moment.",
            code="card_attempt_open",
        ) from None
    await payments.apply_payment_intent(
        runtime.db, intent, source="checkout_fallback", recorder=runtime.recorder
    )
