"""SQL for checkout sessions (rows are written as the service role only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class SessionRow:
    id: UUID
    user_id: UUID
    order_id: UUID
    status: str
    payment_id: UUID | None
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None


def _row(mapping: RowMapping | None) -> SessionRow | None:
    return SessionRow(**mapping) if mapping is not None else None


async def insert_session(
    conn: AsyncConnection,
    *,
    token_sha256: bytes,
    user_id: UUID,
    order_id: UUID,
    expires_at: datetime,
) -> SessionRow:
    result = await conn.execute(
        text(
            "INSERT INTO checkout_sessions (token_sha256, user_id, order_id, expires_at) "
            "VALUES (:t, :u, :o, :e) RETURNING id, user_id, order_id, status, payment_id, "
            "created_at, expires_at, completed_at"
        ),
        {"t": token_sha256, "u": user_id, "o": order_id, "e": expires_at},
    )
    row = _row(result.mappings().one())
    assert row is not None
    return row


async def by_token(conn: AsyncConnection, token_sha256: bytes) -> SessionRow | None:
    result = await conn.execute(
        text(
            "SELECT id, user_id, order_id, status, payment_id, created_at, expires_at, "
            "completed_at FROM checkout_sessions WHERE token_sha256 = :t"
        ),
        {"t": token_sha256},
    )
    return _row(result.mappings().one_or_none())


async def complete(conn: AsyncConnection, session_id: UUID, payment_id: UUID) -> SessionRow | None:
    """Mark an open session used; None when it was already complete (single use)."""
    result = await conn.execute(
        text(
            "UPDATE checkout_sessions SET status = 'complete', completed_at = now(), "
            "payment_id = :p WHERE id = :id AND status = 'open' RETURNING id, user_id, "
            "order_id, status, payment_id, created_at, expires_at, completed_at"
        ),
        {"id": session_id, "p": payment_id},
    )
    return _row(result.mappings().one_or_none())


async def attach_payment(conn: AsyncConnection, session_id: UUID, payment_id: UUID) -> None:
    await conn.execute(
        text("UPDATE checkout_sessions SET payment_id = :p WHERE id = :id AND status = 'open'"),
        {"id": session_id, "p": payment_id},
    )
