"""SQL for orders."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.rls import execute_as_service

Row = dict[str, Any]
_GET = text("SELECT * FROM orders WHERE id = :id")
# A row lock needs UPDATE rights, which users do not hold: run as service_role, owner-scoped.
_GET_LOCKED = text(
    "SELECT * FROM orders WHERE id = :id AND "
    "(current_setting('request.jwt.claim.role', true) = 'service_role' "
    "OR user_id = auth.uid()) FOR UPDATE"
)


async def insert_order(
    conn: AsyncConnection,
    *,
    user_id: UUID,
    amount: int,
    currency: str,
    description: str | None,
    metadata: dict[str, Any],
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "INSERT INTO orders (user_id, amount, currency, description, metadata) "
            "VALUES (:u, :a, :c, :d, CAST(:m AS jsonb)) RETURNING *"
        ),
        {"u": user_id, "a": amount, "c": currency, "d": description, "m": json.dumps(metadata)},
    )
    return dict(result.mappings().one())


async def get_order(conn: AsyncConnection, order_id: UUID, *, lock: bool = False) -> Row | None:
    if lock:
        result = await execute_as_service(conn, _GET_LOCKED, {"id": order_id})
    else:
        result = await conn.execute(_GET, {"id": order_id})
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def list_orders(
    conn: AsyncConnection, user_id: UUID, *, status: str | None, limit: int, offset: int
) -> list[Row]:
    result = await conn.execute(
        text(
            "SELECT * FROM orders WHERE user_id = :u "
            "AND (CAST(:s AS text) IS NULL OR status = :s) "
            "ORDER BY created_at DESC, id LIMIT :l OFFSET :o"
        ),
        {"u": user_id, "s": status, "l": limit, "o": offset},
    )
    return [dict(r) for r in result.mappings()]


async def set_status(
    conn: AsyncConnection,
    order_id: UUID,
    status: str,
    *,
    from_statuses: tuple[str, ...],
    method_type: str | None = None,
) -> Row | None:
    """Move the order to `status` only from one of `from_statuses`; None if it did not move."""
    result = await execute_as_service(
        conn,
        text(
            "UPDATE orders SET status = :s, updated_at = now(), "
            "payment_method_type = coalesce(CAST(:m AS text), payment_method_type) "
            "WHERE id = :id AND status = ANY(:f) AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) RETURNING *"
        ),
        {"s": status, "id": order_id, "f": list(from_statuses), "m": method_type},
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None
