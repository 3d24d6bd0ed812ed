"""One Stripe customer per user: looked up (cached), else created with a derived key.

Stripe may lose a customer Tender remembers (deleted in the dashboard, a test mode reset):
:func:`with_customer` then makes a new one, remembers it and runs the call again, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender.customers import repository
from tender.db.rls import DbContext
from tender.gateway.errors import MappedError, StripeFailure
from tender.runtime import Runtime

CACHE = "stripe_customer"
TTL_SECONDS = 3600.0
T = TypeVar("T")


CUSTOMER_MISSING = MappedError(
    "stripe_customer_missing",
    "Your customer record at the payment provider is missing and could not be re-created. "
    "Please try again shortly.",
    503,
    True,
)


class CustomerLost(StripeFailure):
    """Stripe no longer knows the user's customer and a replacement could not be used (a
    StripeFailure: callers that clean up after Stripe failures do so here too)."""

    def __init__(self, failure: StripeFailure) -> None:
        super().__init__(
            CUSTOMER_MISSING,
            stripe_code=failure.stripe_code,
            stripe_message=failure.stripe_message,
            request_id=failure.request_id,
        )


async def ensure_customer(runtime: Runtime, user_id: UUID, context: DbContext) -> str:
    """The user's Stripe customer id, creating the customer on first use."""
    cached = await runtime.cache.get_json(CACHE, str(user_id))
    if isinstance(cached, str):
        return cached
    async with runtime.db.transaction(context) as conn:
        existing = await repository.customer_for_user(conn, user_id)
    if existing is None:
        # The key is derived from the user id: concurrent first payments share one customer.
        created = await runtime.gateway.create_customer(user_id)
        async with runtime.db.transaction(context) as conn:
            existing = await repository.insert_customer(conn, user_id, str(created["id"]))
    await runtime.cache.set_json(CACHE, str(user_id), existing, TTL_SECONDS)
    return existing


def is_lost(failure: StripeFailure, customer: str) -> bool:
    """Stripe answered that this very customer does not exist (resource_missing)."""
    return failure.stripe_code == "resource_missing" and customer in (failure.stripe_message or "")


async def replace_customer(runtime: Runtime, user_id: UUID, context: DbContext, lost: str) -> str:
    """A new Stripe customer for the user, remembered in place of `lost`."""
    await runtime.cache.delete(CACHE, str(user_id))
    created = await runtime.gateway.create_customer(user_id, step=f"replace:{lost}")
    async with runtime.db.transaction(context) as conn:
        current = await repository.replace_customer(conn, user_id, lost, str(created["id"]))
    await runtime.cache.set_json(CACHE, str(user_id), current, TTL_SECONDS)
    return current


async def with_customer(
    runtime: Runtime,
    user_id: UUID,
    context: DbContext,
    call: Callable[[str, bool], Awaitable[T]],
) -> T:
    """`call(customer, healed)` with the user's customer; if Stripe lost it, once more with a
    new one (`healed` True: derive another idempotency key). Never blames a payment method."""
    customer = await ensure_customer(runtime, user_id, context)
    try:
        return await call(customer, False)
    except StripeFailure as failure:
        if not is_lost(failure, customer):
            raise
    replacement = await replace_customer(runtime, user_id, context, customer)
    try:
        return await call(replacement, True)
    except StripeFailure as failure:
        if failure.stripe_code == "resource_missing" and is_lost(failure, replacement):
            raise CustomerLost(failure) from failure
        raise


async def user_for_customer(conn: AsyncConnection, customer_id: str) -> UUID | None:
    """The Tender user a Stripe customer belongs to (service context), if any."""
    return await repository.user_for_customer(conn, customer_id)
