"""One Stripe customer per user: looked up (cached), else created with a derived key."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender.customers import repository
from tender.db.rls import DbContext
from tender.runtime import Runtime

CACHE = "stripe_customer"
TTL_SECONDS = 3600.0


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


async def user_for_customer(conn: AsyncConnection, customer_id: str) -> UUID | None:
    """The Tender user a Stripe customer belongs to (service context), if any."""
    return await repository.user_for_customer(conn, customer_id)
