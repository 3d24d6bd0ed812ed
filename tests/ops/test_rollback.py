"""Rollback runbook commands: the downgrade dry run prints SQL and changes nothing."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from tender.cli import app as cli
from tender.db import migrate


async def test_downgrade_dry_run_prints_sql_and_touches_nothing(
    cli_env: dict[str, str], database_urls: tuple[str, str]
) -> None:
    before = await migrate.current(database_urls[0])
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["migrate", "downgrade", "base", "--sql"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert "DROP TABLE IF EXISTS" in result.stdout
    assert "DELETE FROM alembic_version" in result.stdout
    assert await migrate.current(database_urls[0]) == before == migrate.head_revision()
