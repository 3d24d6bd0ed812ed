"""Run Alembic migrations on an open connection, one process at a time (advisory lock)."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tender.db.urls import to_asyncpg
from tender.errors import ValidationFailed

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_KEY = 0x7E4DE2  # any constant; every Tender process agrees on it


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", "postgresql://")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The single head; several heads (parallel branches not yet merged) are an error."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revision(revision: str) -> str | None:
    """`revision` resolved (head, base, a prefix...), or one line naming the known ones."""
    script = ScriptDirectory.from_config(alembic_config())
    if revision in ("base", ""):
        return None
    try:
        found = script.get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        known = ", ".join(["base", *(r.revision for r in reversed(list(script.walk_revisions())))])
        raise ValidationFailed(
            f"Unknown revision '{revision}'; known: {known} (head is {head_revision()}).",
            code="unknown_revision",
        )
    return str(found.revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run(url: str, action: str, revision: str) -> str | None:
    if action != "current":
        known_revision(revision)  # before connecting: an unknown revision is one line
    engine = create_async_engine(to_asyncpg(url), poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})

            def apply(sync_conn: Connection) -> str | None:
                cfg = alembic_config(sync_conn)
                if action == "upgrade":
                    command.upgrade(cfg, revision)
                elif action == "downgrade":
                    command.downgrade(cfg, revision)
                return _current(sync_conn)

            return await conn.run_sync(apply)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database to `revision`; returns the revision it is at afterwards."""
    return await _run(url, "upgrade", revision)


async def downgrade(url: str, revision: str) -> str | None:
    return await _run(url, "downgrade", revision)


async def current(url: str) -> str | None:
    return await _run(url, "current", "")


def offline_sql(action: str, revision_range: str) -> str:
    """The SQL a migration would run, without touching a database (dry run); a range
    that changes nothing answers an SQL comment saying so."""
    start, _, end = revision_range.rpartition(":")
    target = known_revision(end)
    if start and known_revision(start) == target:
        return (
            f"-- Nothing to do: {action} from {start} to {end} runs no migration "
            f"(head is {head_revision()}; `tender migrate downgrade base --sql` shows "
            "the SQL that removes everything).\n"
        )
    buffer = io.StringIO()
    cfg = alembic_config()
    cfg.output_buffer = buffer
    if action == "upgrade":
        command.upgrade(cfg, revision_range, sql=True)
    else:
        command.downgrade(cfg, revision_range, sql=True)
    return buffer.getvalue()
