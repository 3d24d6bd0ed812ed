"""SQL for payment_methods (card rows hold only the Stripe id and display details)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.rls import execute_as_service

Row = dict[str, Any]


async def list_active(conn: AsyncConnection, user_id: UUID) -> list[Row]:
    result = await conn.execute(
        text(
            "SELECT * FROM payment_methods WHERE user_id = :u AND status = 'active' "
            "ORDER BY is_default DESC, created_at DESC"
        ),
        {"u": user_id},
    )
    return [dict(r) for r in result.mappings()]


async def get_method(conn: AsyncConnection, method_id: UUID) -> Row | None:
    result = await conn.execute(
        text("SELECT * FROM payment_methods WHERE id = :id"), {"id": method_id}
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def upsert_card(
    conn: AsyncConnection,
    *,
    user_id: UUID,
    pm_id: str,
    brand: str | None,
    last4: str | None,
    exp_month: int | None,
    exp_year: int | None,
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "INSERT INTO payment_methods (user_id, type, stripe_payment_method_id, brand, last4, "
            "exp_month, exp_year) VALUES (:u, 'card', :pm, :b, :l4, :m, :y) "
            "ON CONFLICT (stripe_payment_method_id) DO UPDATE SET status = 'active', "
            "brand = EXCLUDED.brand, last4 = EXCLUDED.last4, exp_month = EXCLUDED.exp_month, "
            "exp_year = EXCLUDED.exp_year, updated_at = now() "
            "WHERE payment_methods.user_id = EXCLUDED.user_id RETURNING *"
        ),
        {"u": user_id, "pm": pm_id, "b": brand, "l4": last4, "m": exp_month, "y": exp_year},
    )
    return dict(result.mappings().one())


async def mark_detached(conn: AsyncConnection, pm_id: str) -> Row | None:
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payment_methods SET status = 'detached', is_default = false, "
            "updated_at = now() WHERE stripe_payment_method_id = :pm AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) RETURNING *"
        ),
        {"pm": pm_id},
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def has_default(conn: AsyncConnection, user_id: UUID) -> bool:
    result = await conn.execute(
        text(
            "SELECT 1 FROM payment_methods WHERE user_id = :u AND is_default AND status = 'active'"
        ),
        {"u": user_id},
    )
    return result.first() is not None


async def set_default(conn: AsyncConnection, user_id: UUID, method_id: UUID) -> Row | None:
    await execute_as_service(
        conn,
        text(
            "UPDATE payment_methods SET is_default = false, updated_at = now() "
            "WHERE user_id = :u AND is_default AND id <> :id"
        ),
        {"u": user_id, "id": method_id},
    )
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payment_methods SET is_default = true, updated_at = now() "
            "WHERE id = :id AND user_id = :u AND status = 'active' RETURNING *"
        ),
        {"u": user_id, "id": method_id},
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def ensure_offline(conn: AsyncConnection, user_id: UUID, method_type: str) -> UUID:
    """The user's one row for an offline method type, created on first use."""
    await execute_as_service(
        conn,
        text(
            "INSERT INTO payment_methods (user_id, type) VALUES (:u, :t) "
            "ON CONFLICT (user_id, type) WHERE type <> 'card' DO NOTHING"
        ),
        {"u": user_id, "t": method_type},
    )
    result = await conn.execute(
        text("SELECT id FROM payment_methods WHERE user_id = :u AND type = :t"),
        {"u": user_id, "t": method_type},
    )
    value: UUID = result.scalar_one()
    return value
