"""SQL for payments, payment_errors and the payment audit trail."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.rls import execute_as_service

Row = dict[str, Any]
_BY_ID = text("SELECT * FROM payments WHERE id = :id")
# A row lock needs UPDATE rights, which users do not hold: locked reads run as service_role,
# scoped to the caller's rows (see tender.db.rls).
_BY_ID_LOCKED = text(
    "SELECT * FROM payments WHERE id = :id AND "
    "(current_setting('request.jwt.claim.role', true) = 'service_role' "
    "OR user_id = auth.uid()) FOR UPDATE"
)
_BY_INTENT = text("SELECT * FROM payments WHERE stripe_payment_intent_id = :pi")
_BY_INTENT_LOCKED = text(
    "SELECT * FROM payments WHERE stripe_payment_intent_id = :pi AND "
    "(current_setting('request.jwt.claim.role', true) = 'service_role' "
    "OR user_id = auth.uid()) FOR UPDATE"
)


def _one(result: Any) -> Row | None:
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def insert_payment(
    conn: AsyncConnection,
    *,
    user_id: UUID,
    order_id: UUID | None,
    method_type: str,
    amount: int,
    currency: str,
    payment_method_id: UUID | None = None,
    bank_reference: str | None = None,
    expires_at: datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "INSERT INTO payments (user_id, order_id, method_type, amount, currency, "
            "payment_method_id, bank_reference, expires_at, metadata) "
            "VALUES (:u, :o, :t, :a, :c, :pm, :ref, :exp, CAST(:m AS jsonb)) "
            "RETURNING *"
        ),
        {
            "u": user_id,
            "o": order_id,
            "t": method_type,
            "a": amount,
            "c": currency,
            "pm": payment_method_id,
            "ref": bank_reference,
            "exp": expires_at,
            "m": json.dumps(metadata or {}),
        },
    )
    return dict(result.mappings().one())


async def get_payment(conn: AsyncConnection, payment_id: UUID, *, lock: bool = False) -> Row | None:
    if lock:
        return _one(await execute_as_service(conn, _BY_ID_LOCKED, {"id": payment_id}))
    return _one(await conn.execute(_BY_ID, {"id": payment_id}))


async def get_by_intent(conn: AsyncConnection, intent_id: str, *, lock: bool = False) -> Row | None:
    if lock:
        return _one(await execute_as_service(conn, _BY_INTENT_LOCKED, {"pi": intent_id}))
    return _one(await conn.execute(_BY_INTENT, {"pi": intent_id}))


async def open_payment_for_order(conn: AsyncConnection, order_id: UUID) -> Row | None:
    """The order's newest payment that is not canceled or expired."""
    return _one(
        await conn.execute(
            text(
                "SELECT * FROM payments WHERE order_id = :o "
                "AND status NOT IN ('canceled', 'expired') ORDER BY created_at DESC LIMIT 1"
            ),
            {"o": order_id},
        )
    )


async def list_payments(
    conn: AsyncConnection, user_id: UUID, *, status: str | None, limit: int, offset: int
) -> list[Row]:
    result = await conn.execute(
        text(
            "SELECT * FROM payments WHERE user_id = :u "
            "AND (CAST(:s AS text) IS NULL OR status = :s) "
            "ORDER BY created_at DESC, id LIMIT :l OFFSET :o"
        ),
        {"u": user_id, "s": status, "l": limit, "o": offset},
    )
    return [dict(r) for r in result.mappings()]


async def update_from_intent(
    conn: AsyncConnection,
    payment_id: UUID,
    *,
    status: str,
    intent_id: str,
    customer: str | None,
    client_secret: str | None,
    last_error_code: str | None,
    observed_at: datetime,
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payments SET status = :s, stripe_payment_intent_id = :pi, "
            "stripe_customer_id = coalesce(:cus, stripe_customer_id), "
            "client_secret = coalesce(:cs, client_secret), last_error_code = :err, "
            "stripe_state_at = greatest(stripe_state_at, :at), updated_at = now() "
            "WHERE id = :id AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) RETURNING *"
        ),
        {
            "s": status,
            "pi": intent_id,
            "cus": customer,
            "cs": client_secret,
            "err": last_error_code,
            "at": observed_at,
            "id": payment_id,
        },
    )
    return dict(result.mappings().one())


async def set_status(
    conn: AsyncConnection,
    payment_id: UUID,
    status: str,
    *,
    last_error_code: str | None = None,
    received: bool = False,
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payments SET status = :s, updated_at = now(), "
            "last_error_code = coalesce(:err, last_error_code), "
            "received_at = CASE WHEN :rcv THEN now() ELSE received_at END "
            "WHERE id = :id AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) RETURNING *"
        ),
        {"s": status, "err": last_error_code, "rcv": received, "id": payment_id},
    )
    return dict(result.mappings().one())


async def set_refunded(
    conn: AsyncConnection, payment_id: UUID, amount_refunded: int, status: str
) -> Row:
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payments SET amount_refunded = greatest(amount_refunded, :r), status = :s, "
            "updated_at = now() WHERE id = :id AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) RETURNING *"
        ),
        {"r": amount_refunded, "s": status, "id": payment_id},
    )
    return dict(result.mappings().one())


async def bump_confirm_attempt(
    conn: AsyncConnection,
    payment_id: UUID,
    *,
    payment_method: str | None = None,
    return_url: str | None = None,
) -> int:
    """Count a confirm attempt (each gets its own Stripe idempotency key) and remember what
    it sends, so an attempt whose outcome is unknown can be re-sent as is to settle it."""
    result = await execute_as_service(
        conn,
        text(
            "UPDATE payments SET metadata = metadata || jsonb_build_object("
            "'confirm_attempts', coalesce((metadata->>'confirm_attempts')::int, 0) + 1, "
            "'confirm_pending', jsonb_build_object("
            "'attempt', coalesce((metadata->>'confirm_attempts')::int, 0) + 1, "
            "'payment_method', CAST(:pm AS text), 'return_url', CAST(:url AS text))) "
            "WHERE id = :id AND "
            "(current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid()) "
            "RETURNING (metadata->>'confirm_attempts')::int"
        ),
        {"id": payment_id, "pm": payment_method, "url": return_url},
    )
    return int(result.scalar_one())


async def mark_processing(conn: AsyncConnection, payment_id: UUID) -> Row | None:
    """Move a payment whose confirm outcome is unknown to `processing` (if not already past)."""
    return _one(
        await execute_as_service(
            conn,
            text(
                "UPDATE payments SET status = 'processing', updated_at = now() WHERE id = :id "
                "AND status IN ('requires_payment_method', 'requires_confirmation', "
                "'requires_action', 'processing') "
                "AND (current_setting('request.jwt.claim.role', true) = 'service_role' "
                "OR user_id = auth.uid()) RETURNING *"
            ),
            {"id": payment_id},
        )
    )


async def settle_attempt(conn: AsyncConnection, payment_id: UUID) -> None:
    """Forget the pending confirm attempt: Stripe's answer to it is recorded."""
    await execute_as_service(
        conn,
        text(
            "UPDATE payments SET metadata = metadata - 'confirm_pending' "
            "WHERE id = :id AND metadata ? 'confirm_pending' "
            "AND (current_setting('request.jwt.claim.role', true) = 'service_role' "
            "OR user_id = auth.uid())"
        ),
        {"id": payment_id},
    )


async def unsettled_payments(
    conn: AsyncConnection, *, quiet: float, stale: float, limit: int = 100
) -> list[Row]:
    """Card payments whose outcome Tender does not know, oldest first: `processing` for
    `quiet` seconds, or with a confirm attempt sent `stale` seconds ago and never answered."""
    result = await conn.execute(
        text(
            "SELECT * FROM payments WHERE method_type = 'card' "
            "AND stripe_payment_intent_id IS NOT NULL AND ("
            "(status = 'processing' AND updated_at <= now() - make_interval(secs => :q)) OR "
            "(metadata ? 'confirm_pending' AND status NOT IN "
            "('succeeded', 'canceled', 'expired', 'refunded', 'partially_refunded') "
            "AND updated_at <= now() - make_interval(secs => :s))) "
            "ORDER BY updated_at LIMIT :l"
        ),
        {"q": quiet, "s": stale, "l": limit},
    )
    return [dict(r) for r in result.mappings()]


async def insert_error(
    conn: AsyncConnection,
    *,
    user_id: UUID,
    payment_id: UUID,
    error_code: str,
    decline_code: str | None,
    message: str,
    request_id: str | None,
) -> bool:
    """Record a failure once per (payment, Stripe request); False if already recorded."""
    result = await execute_as_service(
        conn,
        text(
            "INSERT INTO payment_errors (user_id, payment_id, error_code, decline_code, message, "
            "stripe_request_id) SELECT :u, :p, :c, :d, :m, :r WHERE CAST(:r AS text) IS NULL "
            "OR NOT EXISTS (SELECT 1 FROM payment_errors WHERE payment_id = :p "
            "AND stripe_request_id = :r) RETURNING id"
        ),
        {
            "u": user_id,
            "p": payment_id,
            "c": error_code[:64],
            "d": decline_code,
            "m": message[:500],
            "r": request_id,
        },
    )
    return result.first() is not None


async def expire_offline(conn: AsyncConnection, now: datetime) -> list[Row]:
    """Expire every offline payment still pending after its deadline."""
    result = await conn.execute(
        text(
            "UPDATE payments SET status = 'expired', updated_at = now() "
            "WHERE method_type <> 'card' AND status = 'pending' AND expires_at <= :now "
            "RETURNING *"
        ),
        {"now": now},
    )
    return [dict(r) for r in result.mappings()]


async def audit(
    conn: AsyncConnection, actor: str, action: str, subject: str, old: Any, new: Any
) -> None:
    await conn.execute(
        text(
            "INSERT INTO audit_log (actor, action, subject, old_value, new_value) "
            "VALUES (:a, :ac, :s, CAST(:o AS jsonb), CAST(:n AS jsonb))"
        ),
        {"a": actor, "ac": action, "s": subject, "o": json.dumps(old), "n": json.dumps(new)},
    )
