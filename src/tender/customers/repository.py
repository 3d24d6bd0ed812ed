"""SQL for the customers table (user_id -> stripe_customer_id)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.rls import execute_as_service


async def customer_for_user(conn: AsyncConnection, user_id: UUID) -> str | None:
    row = await conn.execute(
        text("SELECT stripe_customer_id FROM customers WHERE user_id = :u"), {"u": user_id}
    )
    value = row.scalar_one_or_none()
    return str(value) if value is not None else None


async def insert_customer(conn: AsyncConnection, user_id: UUID, customer_id: str) -> str:
    """Remember the customer; if another request won the race, keep (and return) theirs."""
    await execute_as_service(
        conn,
        text(
            "INSERT INTO customers (user_id, stripe_customer_id) VALUES (:u, :c) "
            "ON CONFLICT DO NOTHING"
        ),
        {"u": user_id, "c": customer_id},
    )
    return await customer_for_user(conn, user_id) or customer_id


async def user_for_customer(conn: AsyncConnection, customer_id: str) -> UUID | None:
    row = await conn.execute(
        text("SELECT user_id FROM customers WHERE stripe_customer_id = :c"), {"c": customer_id}
    )
    value = row.scalar_one_or_none()
    return value if isinstance(value, UUID) else None


async def replace_customer(conn: AsyncConnection, user_id: UUID, lost: str, new: str) -> str:
    """Swap a customer Stripe no longer has for `new`; if another request already swapped
    it, keep (and return) theirs."""
    await execute_as_service(
        conn,
        text(
            "UPDATE customers SET stripe_customer_id = :new "
            "WHERE user_id = :u AND stripe_customer_id = :lost "
            "AND (current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid())"
        ),
        {"u": user_id, "lost": lost, "new": new},
    )
    return await customer_for_user(conn, user_id) or new
