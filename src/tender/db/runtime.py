"""Decide which database Tender uses: DATABASE_URL, or the embedded server."""

from __future__ import annotations

from dataclasses import dataclass

from tender import stackfile
from tender.config import Settings
from tender.db import migrate, provision
from tender.db.embedded import EmbeddedPostgres
from tender.db.urls import with_database, with_user

EMBEDDED_DATABASE = "tender"


@dataclass
class DatabaseTarget:
    """Where the app connects, where migrations run, and the embedded server if any."""

    app_url: str
    migration_url: str
    embedded: EmbeddedPostgres | None = None

    def stop(self, *, force: bool = False) -> None:
        """Stop the embedded server if this process started it (`force`: whoever did)."""
        if self.embedded is not None:
            self.embedded.stop(force=force)


def locate(settings: Settings, *, attach: bool = True) -> DatabaseTarget:
    """DATABASE_URL; else the embedded server of the running `tender serve` (`attach`); else
    the embedded server, started now and stopped by `stop()` (blocking: call before the event
    loop runs)."""
    if settings.database_url is not None:
        app_url = settings.database_url.get_secret_value()
        migration = settings.database_migration_url
        return DatabaseTarget(app_url, migration.get_secret_value() if migration else app_url)
    stack = stackfile.read(settings.data_dir) if attach else None
    if stack is not None:
        return DatabaseTarget(stack.database_url, stack.database_owner_url)
    embedded = EmbeddedPostgres(settings.data_dir / "pgdata")
    superuser_url = embedded.start()
    migration_url = with_database(superuser_url, EMBEDDED_DATABASE)
    return DatabaseTarget(with_user(migration_url, provision.APP_ROLE), migration_url, embedded)


async def prepare(target: DatabaseTarget) -> str | None:
    """Create (embedded only), migrate to head and provision the app role. Idempotent."""
    if target.embedded is not None:
        await provision.ensure_database(
            with_database(target.migration_url, "postgres"), EMBEDDED_DATABASE
        )
    revision = await migrate.upgrade(target.migration_url)
    if target.embedded is not None:
        await provision.ensure_app_role(target.migration_url)
    return revision
