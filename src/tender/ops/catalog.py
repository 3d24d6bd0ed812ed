"""Catalog queries for `tender doctor` (run as the migration owner, read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class TableSecurity:
    name: str
    exists: bool
    rls_enabled: bool
    rls_forced: bool
    policy_roles: frozenset[str]


async def server_version(conn: asyncpg.Connection) -> str:
    return str(await conn.fetchval("SHOW server_version"))


async def alembic_revision(conn: asyncpg.Connection) -> str | None:
    if await conn.fetchval("SELECT to_regclass('public.alembic_version')") is None:
        return None
    value: str | None = await conn.fetchval("SELECT version_num FROM alembic_version LIMIT 1")
    return value


async def table_security(conn: asyncpg.Connection, tables: tuple[str, ...]) -> list[TableSecurity]:
    rows = await conn.fetch(
        """
SELECT t.name, c.oid IS NOT NULL AS exists,
       coalesce(c.relrowsecurity, false) AS enabled,
       coalesce(c.relforcerowsecurity, false) AS forced,
       coalesce((SELECT array_agg(DISTINCT r) FROM pg_policies p, unnest(p.roles) r
                 WHERE p.schemaname = 'public' AND p.tablename = t.name), '{}') AS roles
FROM unnest($1::text[]) AS t(name)
LEFT JOIN pg_class c ON c.relname = t.name AND c.relnamespace = 'public'::regnamespace
""",
        list(tables),
    )
    return [
        TableSecurity(r["name"], r["exists"], r["enabled"], r["forced"], frozenset(r["roles"]))
        for r in rows
    ]


async def existing_roles(conn: asyncpg.Connection, names: tuple[str, ...]) -> set[str]:
    rows = await conn.fetch("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", list(names))
    return {r["rolname"] for r in rows}


async def login_role_powers(conn: asyncpg.Connection, role: str) -> tuple[bool, bool, int]:
    """(superuser, bypassrls, tables owned in public) for the app's login role."""
    row = await conn.fetchrow(
        """
SELECT r.rolsuper, r.rolbypassrls,
       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid
          AND c.relnamespace = 'public'::regnamespace AND c.relkind = 'r') AS owned
FROM pg_roles r WHERE r.rolname = $1
""",
        role,
    )
    if row is None:
        return False, False, 0
    return bool(row["rolsuper"]), bool(row["rolbypassrls"]), int(row["owned"])


async def logging_settings(conn: asyncpg.Connection) -> tuple[str, int]:
    """(log_statement, log_min_duration_statement in ms) as a new session sees them."""
    row = await conn.fetchrow(
        "SELECT current_setting('log_statement') AS statement,"
        " (SELECT setting::int FROM pg_settings WHERE name = 'log_min_duration_statement')"
        " AS duration"
    )
    assert row is not None
    return str(row["statement"]), int(row["duration"])


async def existing_indexes(conn: asyncpg.Connection, names: tuple[str, ...]) -> set[str]:
    rows = await conn.fetch(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname = ANY($1)",
        list(names),
    )
    return {r["indexname"] for r in rows}


async def last_webhook_received(conn: asyncpg.Connection) -> datetime | None:
    if await conn.fetchval("SELECT to_regclass('public.stripe_events')") is None:
        return None
    value: datetime | None = await conn.fetchval("SELECT max(received_at) FROM stripe_events")
    return value
