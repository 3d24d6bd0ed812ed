"""Saved payment methods: card tokens via Stripe (never card data) and offline fallbacks."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender.auth.principal import Principal
from tender.controls.switches import ACCEPT_NEW_PAYMENTS, MAINTENANCE, method_switch
from tender.customers import service as customers
from tender.domain.statuses import MethodType
from tender.errors import NotFound, ValidationFailed
from tender.gateway.errors import StripeFailure
from tender.gateway.stripe import idempotency_key
from tender.kit.times import iso
from tender.methods import repository
from tender.runtime import Runtime

CACHE = "payment_methods"
TTL_SECONDS = 300.0
ALL_METHODS = tuple(MethodType)


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API shape of a saved method: display details and ids, nothing more."""
    return {
        "id": str(row["id"]),
        "type": row["type"],
        "stripe_payment_method_id": row["stripe_payment_method_id"],
        "brand": row["brand"],
        "last4": row["last4"],
        "exp_month": row["exp_month"],
        "exp_year": row["exp_year"],
        "is_default": row["is_default"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
    }


def _user(principal: Principal) -> UUID:
    assert principal.user_id is not None
    return principal.user_id


async def enabled_methods(runtime: Runtime) -> list[str]:
    """Payment method types accepted right now (kill switches, maintenance included)."""
    values = await runtime.switches.values()
    if values.get(MAINTENANCE, False) or not values.get(ACCEPT_NEW_PAYMENTS, True):
        return []
    return [m for m in ALL_METHODS if values.get(method_switch(m), True)]


async def invalidate(runtime: Runtime, user_id: UUID) -> None:
    """Forget the cached listing after any change to a user's methods."""
    await runtime.cache.delete(CACHE, str(user_id))


async def list_methods(runtime: Runtime, principal: Principal) -> list[dict[str, Any]]:
    """The caller's active saved cards, default first (cached, invalidated on every change).

    Offline rows (cash on pickup, bank transfer) are bookkeeping for offline payments, not
    something to confirm a card payment with: they are not listed (clients offer them from
    `/v1/client-config`'s enabled_methods and `POST /v1/orders/{id}/offline-payment`)."""
    user = _user(principal)
    cached = await runtime.cache.get_json(CACHE, str(user))
    if isinstance(cached, list):
        return cached
    async with runtime.db.transaction(principal.db_context()) as conn:
        rows = [public(r) for r in await repository.list_active(conn, user) if r["type"] == "card"]
    await runtime.cache.set_json(CACHE, str(user), rows, TTL_SECONDS)
    return rows


async def stripe_id_of(conn: AsyncConnection, method_id: UUID) -> str:
    """The Stripe PaymentMethod id of one of the caller's saved cards, or 404."""
    row = await repository.get_method(conn, method_id)
    if row is not None and row["status"] == "active" and row["type"] != "card":
        raise ValidationFailed(
            f"Saved method {method_id} is {row['type']}, not a card: pay the order offline "
            "with POST /v1/orders/{order_id}/offline-payment instead.",
            code="saved_method_not_card",
            extra={"field": "saved_method_id"},
        )
    if row is None or row["status"] != "active" or row["stripe_payment_method_id"] is None:
        raise NotFound("No such saved payment method.", code="payment_method_not_found")
    return str(row["stripe_payment_method_id"])


async def create_setup_intent(runtime: Runtime, principal: Principal, key: str) -> dict[str, Any]:
    """A SetupIntent the client confirms with Stripe.js, then saves with `setup_intent_id`."""
    user = _user(principal)

    async def create(customer: str, healed: bool) -> dict[str, Any]:
        step = f"{key}:{customer}" if healed else key
        return await runtime.gateway.create_setup_intent(
            customer, key=idempotency_key("setup", user, step)
        )

    setup = await customers.with_customer(runtime, user, principal.db_context(), create)
    return {"setup_intent_id": setup["id"], "client_secret": setup["client_secret"]}


async def save_card(
    runtime: Runtime,
    principal: Principal,
    *,
    payment_method_id: str | None,
    setup_intent_id: str | None,
    make_default: bool,
) -> dict[str, Any]:
    """Attach a Stripe PaymentMethod (or a SetupIntent's) to the user and remember it."""
    user, ctx = _user(principal), principal.db_context()
    customer = await customers.ensure_customer(runtime, user, ctx)
    if setup_intent_id is not None:
        setup = await _stripe_or_404(runtime.gateway.retrieve_setup_intent(setup_intent_id))
        if setup.get("customer") != customer or setup.get("status") != "succeeded":
            raise NotFound("No such completed SetupIntent.", code="setup_intent_not_found")
        payment_method_id = str(setup["payment_method"])
    if payment_method_id is None:
        raise ValidationFailed("Give payment_method_id or setup_intent_id.", code="missing_method")
    pm = await _stripe_or_404(runtime.gateway.retrieve_payment_method(payment_method_id))
    if pm.get("customer") not in (None, customer):
        raise NotFound("No such payment method.", code="payment_method_not_found")
    if pm.get("customer") is None:
        pm = await runtime.gateway.attach_payment_method(payment_method_id, customer)
    async with runtime.db.transaction(ctx) as conn:
        row = await _upsert(conn, user, pm)
        if make_default or not await repository.has_default(conn, user):
            row = await repository.set_default(conn, user, row["id"]) or row
    await invalidate(runtime, user)
    return public(row)


async def _stripe_or_404(call: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await call
    except StripeFailure as failure:
        if failure.stripe_code == "resource_missing":
            raise NotFound("No such payment method.", code="payment_method_not_found") from None
        raise
    return result


async def _upsert(conn: AsyncConnection, user: UUID, pm: Mapping[str, Any]) -> dict[str, Any]:
    card = pm.get("card") or {}
    return await repository.upsert_card(
        conn,
        user_id=user,
        pm_id=str(pm["id"]),
        brand=card.get("brand"),
        last4=card.get("last4"),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


async def detach(runtime: Runtime, principal: Principal, method_id: UUID) -> dict[str, Any]:
    """Detach a saved card at Stripe and mark it detached (offline rows just deactivate)."""
    user, ctx = _user(principal), principal.db_context()
    async with runtime.db.transaction(ctx) as conn:
        row = await repository.get_method(conn, method_id)
    if row is None or row["status"] != "active":
        raise NotFound("No such payment method.", code="payment_method_not_found")
    pm_id = row["stripe_payment_method_id"]
    if pm_id is not None:
        with contextlib.suppress(StripeFailure):  # already detached at Stripe is fine
            await runtime.gateway.detach_payment_method(pm_id)
        async with runtime.db.transaction(ctx) as conn:
            row = await repository.mark_detached(conn, pm_id) or row
    await invalidate(runtime, user)
    return public(row)


async def set_default(runtime: Runtime, principal: Principal, method_id: UUID) -> dict[str, Any]:
    """Make one of the caller's active methods the default."""
    user = _user(principal)
    async with runtime.db.transaction(principal.db_context()) as conn:
        row = await repository.set_default(conn, user, method_id)
    if row is None:
        raise NotFound("No such payment method.", code="payment_method_not_found")
    await invalidate(runtime, user)
    return public(row)


async def ensure_offline_method(conn: AsyncConnection, user_id: UUID, method_type: str) -> UUID:
    """The id of the user's row for `cash_on_pickup` or `bank_transfer`."""
    return await repository.ensure_offline(conn, user_id, method_type)


async def apply_payment_method(conn: AsyncConnection, pm: Mapping[str, Any]) -> UUID | None:
    """Apply a PaymentMethod's state (service context); returns the user to `invalidate`."""
    customer = pm.get("customer")
    customer_id = customer if isinstance(customer, str) or customer is None else customer["id"]
    if customer_id is None:
        row = await repository.mark_detached(conn, str(pm["id"]))
        user = row["user_id"] if row is not None else None
    else:
        user = await customers.user_for_customer(conn, str(customer_id))
        if user is not None and pm.get("type", "card") == "card":
            await _upsert(conn, user, pm)
    return user
