"""SQL for refunds (and the payment row a refund locks). Run as service_role."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

Row = dict[str, Any]


async def lock_payment(conn: AsyncConnection, payment_id: UUID) -> Row | None:
    row = (
        (
            await conn.execute(
                text(
                    "SELECT id, user_id, amount, amount_refunded, currency, status, method_type,"
                    " stripe_payment_intent_id FROM payments WHERE id = :id FOR UPDATE"
                ),
                {"id": payment_id},
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def get_refund(conn: AsyncConnection, refund_id: UUID) -> Row | None:
    row = (
        (await conn.execute(text("SELECT * FROM refunds WHERE id = :id"), {"id": refund_id}))
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def reserved_amount(conn: AsyncConnection, payment_id: UUID) -> int:
    """Refunded or in flight: what no new refund may eat into."""
    value = await conn.scalar(
        text(
            "SELECT coalesce(sum(amount), 0) FROM refunds"
            " WHERE payment_id = :id AND status IN ('pending', 'succeeded')"
        ),
        {"id": payment_id},
    )
    return int(value or 0)


async def succeeded_amount(conn: AsyncConnection, payment_id: UUID) -> int:
    value = await conn.scalar(
        text(
            "SELECT coalesce(sum(amount), 0) FROM refunds"
            " WHERE payment_id = :id AND status = 'succeeded'"
        ),
        {"id": payment_id},
    )
    return int(value or 0)


async def insert_refund(
    conn: AsyncConnection, *, refund_id: UUID, payment: Row, amount: int, reason: str | None
) -> Row:
    row = (
        (
            await conn.execute(
                text("""
INSERT INTO refunds (id, user_id, payment_id, amount, currency, reason)
VALUES (:id, :user_id, :payment_id, :amount, :currency, :reason)
RETURNING *
"""),
                {
                    "id": refund_id,
                    "user_id": payment["user_id"],
                    "payment_id": payment["id"],
                    "amount": amount,
                    "currency": payment["currency"],
                    "reason": reason,
                },
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


async def finish_refund(
    conn: AsyncConnection, refund_id: UUID, *, status: str, stripe_refund_id: str | None
) -> Row:
    row = (
        (
            await conn.execute(
                text("""
UPDATE refunds SET status = :status,
  stripe_refund_id = coalesce(:stripe_id, stripe_refund_id), updated_at = now()
WHERE id = :id RETURNING *
"""),
                {"id": refund_id, "status": status, "stripe_id": stripe_refund_id},
            )
        )
        .mappings()
        .one()
    )
    return dict(row)


async def list_refunds(conn: AsyncConnection, payment_id: UUID) -> list[Row]:
    rows = await conn.execute(
        text("SELECT * FROM refunds WHERE payment_id = :id ORDER BY created_at"),
        {"id": payment_id},
    )
    return [dict(r) for r in rows.mappings()]


async def unanswered_refunds(conn: AsyncConnection, quiet_seconds: float, limit: int) -> list[Row]:
    """Pending refunds Stripe never answered (no Stripe id), untouched for `quiet_seconds`."""
    rows = await conn.execute(
        text(
            "SELECT * FROM refunds WHERE status = 'pending' AND stripe_refund_id IS NULL"
            " AND updated_at <= now() - make_interval(secs => :q) ORDER BY updated_at LIMIT :l"
        ),
        {"q": quiet_seconds, "l": limit},
    )
    return [dict(r) for r in rows.mappings()]
