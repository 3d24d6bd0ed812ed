"""`tender db url` and `tender db psql`: where the database is, whether it runs, a shell on it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tender import stackfile
from tender.config import Settings
from tender.db.embedded import EmbeddedPostgres, _pgserver
from tender.db.runtime import EMBEDDED_DATABASE, locate
from tender.db.urls import with_database


@dataclass(frozen=True)
class DatabaseStatus:
    url: str | None  # the owner's libpq URL (no password for the embedded server)
    running: bool
    where: str  # one line: which database and who runs it


def status(settings: Settings) -> DatabaseStatus:
    """Which database the commands use and whether it answers, starting nothing."""
    if settings.database_url is not None:
        migration = settings.database_migration_url or settings.database_url
        url = migration.get_secret_value()
        ok = asyncio.run(_answers(url))
        shown = make_url(url).render_as_string(hide_password=True)
        return DatabaseStatus(url, ok, f"DATABASE_URL {shown}: {'running' if ok else 'no answer'}")
    stack = stackfile.read(settings.data_dir)
    if stack is not None:
        where = f"embedded, running (tender serve, pid {stack.pid})"
        return DatabaseStatus(stack.database_owner_url, True, where)
    embedded = EmbeddedPostgres(settings.data_dir / "pgdata")
    superuser = embedded.url()
    if superuser is None:
        where = f"embedded in {embedded.data_dir}: not running (`tender serve` starts it)"
        return DatabaseStatus(None, False, where)
    url = with_database(superuser, EMBEDDED_DATABASE)
    return DatabaseStatus(url, True, f"embedded in {embedded.data_dir}: running")


async def _answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3.0)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


def _psql() -> str:
    bundled = Path(_pgserver().__file__).parent / "pginstall" / "bin" / "psql"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("psql")
    if found is None:
        raise FileNotFoundError("psql is not installed")
    return found


def libpq_environment(url: str) -> dict[str, str]:
    """The URL as PG* variables: psql gets the password there, never on its command line."""
    parsed = make_url(url)
    env: dict[str, str] = {}
    host = parsed.query.get("host") or parsed.host
    for name, value in (
        ("PGHOST", host if isinstance(host, str) else None),
        ("PGPORT", str(parsed.port) if parsed.port else None),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password or None),
        ("PGDATABASE", parsed.database),
    ):
        if value:
            env[name] = str(value)
    return env


def psql(settings: Settings, args: list[str]) -> int:
    """Run psql on the database (starting the embedded one if needed, stopping it after)."""
    target = locate(settings)
    try:
        env = {**os.environ, **libpq_environment(target.migration_url)}
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to psql
        try:
            return subprocess.call([_psql(), *args], env=env)  # noqa: S603 - psql, user's args
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        target.stop()
