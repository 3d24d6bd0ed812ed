"""SQL for kill switches and the audit trail (run as service_role)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class SwitchRow:
    name: str
    enabled: bool
    reason: str | None
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    subject: str
    old_value: Any
    new_value: Any


async def switch_values(conn: AsyncConnection) -> dict[str, bool]:
    rows = await conn.execute(text("SELECT name, enabled FROM kill_switches"))
    return {name: bool(enabled) for name, enabled in rows}


async def list_switches(conn: AsyncConnection) -> list[SwitchRow]:
    rows = await conn.execute(
        text("SELECT name, enabled, reason, updated_by, updated_at FROM kill_switches")
    )
    return [SwitchRow(*row) for row in rows]


async def lock_switch(conn: AsyncConnection, name: str) -> SwitchRow | None:
    """Serialise changes to one switch (even one with no row yet) and read its current row."""
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('tender:switch:' || :name))"), {"name": name}
    )
    row = (
        await conn.execute(
            text(
                "SELECT name, enabled, reason, updated_by, updated_at FROM kill_switches"
                " WHERE name = :name"
            ),
            {"name": name},
        )
    ).first()
    return SwitchRow(*row) if row else None


async def upsert_switch(
    conn: AsyncConnection, name: str, enabled: bool, reason: str | None, actor: str
) -> SwitchRow:
    row = (
        await conn.execute(
            text("""
INSERT INTO kill_switches (name, enabled, reason, updated_by, updated_at)
VALUES (:name, :enabled, :reason, :actor, now())
ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, reason = EXCLUDED.reason,
  updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
RETURNING name, enabled, reason, updated_by, updated_at
"""),
            {"name": name, "enabled": enabled, "reason": reason, "actor": actor},
        )
    ).one()
    return SwitchRow(*row)


async def insert_audit(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    subject: str,
    old_value: Any,
    new_value: Any,
) -> None:
    await conn.execute(
        text("""
INSERT INTO audit_log (actor, action, subject, old_value, new_value)
VALUES (:actor, :action, :subject, CAST(:old AS jsonb), CAST(:new AS jsonb))
"""),
        {
            "actor": actor,
            "action": action,
            "subject": subject,
            "old": None if old_value is None else json.dumps(old_value, default=str),
            "new": None if new_value is None else json.dumps(new_value, default=str),
        },
    )


async def audit_history(
    conn: AsyncConnection, *, action_prefix: str, limit: int = 50
) -> list[AuditRow]:
    rows = await conn.execute(
        text(
            "SELECT at, actor, action, subject, old_value, new_value FROM audit_log"
            " WHERE action LIKE :prefix ORDER BY id DESC LIMIT :limit"
        ),
        {"prefix": action_prefix + "%", "limit": limit},
    )
    return [AuditRow(*row) for row in rows]
