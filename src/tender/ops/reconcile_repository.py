"""SQL for reconciliation: Tender's side of the comparison (run as service_role)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.engine import Database

Row = dict[str, Any]


async def card_payments_since(conn: AsyncConnection, since: datetime) -> list[Row]:
    rows = await conn.execute(
        text(
            "SELECT id, status, amount, currency, stripe_payment_intent_id, created_at"
            " FROM payments WHERE method_type = 'card' AND created_at >= :since"
        ),
        {"since": since},
    )
    return [dict(r) for r in rows.mappings()]


async def payments_by_intent(conn: AsyncConnection, intent_ids: list[str]) -> dict[str, Row]:
    rows = await conn.execute(
        text(
            "SELECT id, status, amount, stripe_payment_intent_id FROM payments"
            " WHERE stripe_payment_intent_id = ANY(:ids)"
        ),
        {"ids": intent_ids},
    )
    return {r["stripe_payment_intent_id"]: dict(r) for r in rows.mappings()}


async def expired_offline(conn: AsyncConnection, now: datetime) -> list[Row]:
    rows = await conn.execute(
        text(
            "SELECT id, status, method_type, expires_at FROM payments"
            " WHERE method_type <> 'card' AND status = 'pending' AND expires_at < :now"
        ),
        {"now": now},
    )
    return [dict(r) for r in rows.mappings()]


SCHEDULE_LOCK = 0x7E4DE3  # one scheduled reconciliation at a time across every instance


@asynccontextmanager
async def schedule_lease(db: Database) -> AsyncIterator[bool]:
    """Hold the scheduled-run lock while the block runs; False if another process holds it.

    A session-level advisory lock on a connection outside any transaction: the run makes
    Stripe calls, and no transaction may stay open across a network call.
    """
    async with db.engine.connect() as raw:
        conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
        lock = {"k": SCHEDULE_LOCK}
        held = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), lock)).scalar())
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), lock)
