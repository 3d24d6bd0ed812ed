"""Run Alembic migrations on an open connection, one process at a time (advisory lock)."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tender.db.urls import to_asyncpg

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


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _run(url: str, action: str, revision: str) -> str | None:
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
    """The SQL a migration would run, without touching a database (dry run)."""
    buffer = io.StringIO()
    cfg = alembic_config()
    cfg.output_buffer = buffer
    if action == "upgrade":
        command.upgrade(cfg, revision_range, sql=True)
    else:
        command.downgrade(cfg, revision_range, sql=True)
    return buffer.getvalue()
