"""`tender restore`: a backup into an empty database, all or nothing.

Roles are cluster-wide and not in a dump: the three API roles are created first when missing
(as migration 0001 does), then pg_restore runs in one transaction with `--no-owner` (objects
belong to the restoring login) and the grants kept, so RLS (enabled, forced, with its
policies) and the roles' privileges come back exactly as they were dumped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tender.db.urls import to_libpq
from tender.ops.backup import Backup, manifest_for, verify_checksum
from tender.ops.backup_tools import BackupError, find_tool, invocation, run_tool

API_ROLES = ("anon", "authenticated", "service_role")
ENSURE_ROLES = """
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
END $$;
"""
USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
"""


@dataclass(frozen=True)
class RestoreResult:
    database: str
    backup: Backup | None  # None: a dump without a manifest beside it (checksum not verified)
    replaced: bool


def refuse_password_in_url(url: str) -> None:
    """A URL typed on a command line must not carry a password (argv is visible to all)."""
    if make_url(url).password:
        raise BackupError(
            "the URL holds a password, and command lines are visible to every user: "
            "put the password in PGPASSWORD or ~/.pgpass (mode 0600) instead"
        )


async def user_relations(url: str) -> int:
    conn = await asyncpg.connect(to_libpq(url))
    try:
        return int(await conn.fetchval(USER_RELATIONS))
    finally:
        await conn.close()


async def ensure_api_roles(url: str) -> None:
    conn = await asyncpg.connect(to_libpq(url))
    try:
        await conn.execute(ENSURE_ROLES)
    finally:
        await conn.close()


async def restore_backup(
    dump: Path, into_url: str, *, force: bool = False, backup: Backup | None = None
) -> RestoreResult:
    """Restore `dump` into the database at `into_url` (empty, unless `force`)."""
    if not await asyncio.to_thread(dump.is_file):
        raise BackupError(f"{dump} does not exist")
    backup = backup or await asyncio.to_thread(manifest_for, dump)
    if backup is not None:
        await asyncio.to_thread(verify_checksum, backup)
    name = make_url(into_url).database or "?"
    try:
        existing = await user_relations(into_url)
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"cannot reach database {name}: {type(exc).__name__}") from exc
    if existing and not force:
        raise BackupError(
            f"database {name} is not empty ({existing} relations): restore into an empty "
            "database, or pass --force to replace the objects the backup holds"
        )
    conn = await asyncpg.connect(to_libpq(into_url))
    try:
        server_major = int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()
    pg_restore = await find_tool("pg_restore", server_major)
    await ensure_api_roles(into_url)
    async with invocation(into_url) as call:
        argv = [str(pg_restore), "--no-owner", "--exit-on-error", "--single-transaction",
                "--no-password", f"--dbname={call.dbname}"]  # fmt: skip
        if existing:
            argv += ["--clean", "--if-exists"]
        await run_tool([*argv, str(dump)], call.env)
    return RestoreResult(name, backup, replaced=bool(existing))
