"""SQL for the webhook inbox (stripe_events)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

Row = dict[str, Any]


async def insert_event(
    conn: AsyncConnection,
    *,
    event_id: str,
    event_type: str,
    api_version: str | None,
    livemode: bool,
    object_id: str | None,
    created_at: datetime,
    payload: dict[str, Any],
) -> bool:
    """Store the raw event; False if this id is already in the inbox (a duplicate)."""
    result = await conn.execute(
        text(
            "INSERT INTO stripe_events (id, type, api_version, livemode, object_id, "
            "stripe_created_at, payload) VALUES (:id, :t, :v, :l, :o, :c, CAST(:p AS jsonb)) "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {
            "id": event_id,
            "t": event_type,
            "v": api_version,
            "l": livemode,
            "o": object_id,
            "c": created_at,
            "p": json.dumps(payload),
        },
    )
    return result.first() is not None


async def lock_event(conn: AsyncConnection, event_id: str) -> Row | None:
    """The event, locked for applying; None if another worker holds it."""
    result = await conn.execute(
        text("SELECT * FROM stripe_events WHERE id = :id FOR UPDATE SKIP LOCKED"),
        {"id": event_id},
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def get_event(conn: AsyncConnection, event_id: str) -> Row | None:
    result = await conn.execute(
        text("SELECT * FROM stripe_events WHERE id = :id"), {"id": event_id}
    )
    row = result.mappings().one_or_none()
    return dict(row) if row is not None else None


async def finish_event(conn: AsyncConnection, event_id: str, status: str) -> None:
    await conn.execute(
        text(
            "UPDATE stripe_events SET status = :s, attempts = attempts + 1, last_error = NULL, "
            "next_attempt_at = NULL, processed_at = now() WHERE id = :id"
        ),
        {"s": status, "id": event_id},
    )


async def fail_event(conn: AsyncConnection, event_id: str, error: str, retry_at: datetime) -> None:
    await conn.execute(
        text(
            "UPDATE stripe_events SET status = 'failed', attempts = attempts + 1, "
            "last_error = :e, next_attempt_at = :at WHERE id = :id AND status <> 'processed'"
        ),
        {"e": error[:500], "at": retry_at, "id": event_id},
    )


async def due_events(conn: AsyncConnection, now: datetime, limit: int) -> list[str]:
    """Ids of events waiting to be (re)applied whose time has come, oldest first."""
    result = await conn.execute(
        text(
            "SELECT id FROM stripe_events WHERE status IN ('pending', 'failed') "
            "AND coalesce(next_attempt_at, received_at) <= :now "
            "ORDER BY stripe_created_at, id LIMIT :l"
        ),
        {"now": now, "l": limit},
    )
    return [str(r[0]) for r in result]


async def events_for_replay(
    conn: AsyncConnection, *, failed_only: bool, since: datetime | None
) -> list[str]:
    """Ids to replay: failed (and pending) ones, or all; received since `since`."""
    result = await conn.execute(
        text(
            "SELECT id FROM stripe_events WHERE "
            "(NOT :f OR status IN ('failed', 'pending')) "
            "AND (CAST(:since AS timestamptz) IS NULL OR received_at >= :since) "
            "ORDER BY stripe_created_at, id"
        ),
        {"f": failed_only, "since": since},
    )
    return [str(r[0]) for r in result]


async def insert_rejected(
    conn: AsyncConnection, *, event_id: str, event_type: str, reason: str, payload: dict[str, Any]
) -> bool:
    """Store a signed delivery that can never be applied, once; False if already stored."""
    result = await conn.execute(
        text(
            "INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, "
            "last_error, processed_at) VALUES (:id, :t, now(), CAST(:p AS jsonb), 'rejected', "
            ":e, now()) ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {"id": event_id, "t": event_type, "p": json.dumps(payload), "e": reason},
    )
    return result.first() is not None
