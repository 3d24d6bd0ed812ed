"""`tender alerts check` exits 1 while a rule fires and 0 when none does; `tender report --json`."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable

import asyncpg
from typer.testing import CliRunner

from tender.cli import app as cli
from tests.conftest import JWT_SECRET
from tests.monitoring import data


def _env(monitoring_db: tuple[str, str], stripe_emulator: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "ENVIRONMENT": "test",
        "DATABASE_URL": monitoring_db[1],
        "DATABASE_MIGRATION_URL": monitoring_db[0],
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "STRIPE_API_BASE": stripe_emulator,
        "ALERT_MIN_SAMPLES": "3",
        "TENDER_URL": "http://127.0.0.1:9",  # no service: the rules are evaluated here
    }


def _arrange(url: str, work: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await work(conn)
        finally:
            await conn.close()

    asyncio.run(run())


async def _clean_and_succeed(sql: asyncpg.Connection) -> None:
    await sql.execute("TRUNCATE payment_errors, refunds, payments, payment_methods CASCADE")
    for _ in range(3):
        await data.payment(sql)


async def _fail(sql: asyncpg.Connection) -> None:
    for _ in range(3):
        await data.payment(sql, status="requires_payment_method", error="card_declined")


def test_alerts_check_exit_code_and_report_json(
    monitoring_db: tuple[str, str], stripe_emulator: str
) -> None:
    env = _env(monitoring_db, stripe_emulator)
    runner = CliRunner()
    _arrange(monitoring_db[0], _clean_and_succeed)
    ok = runner.invoke(cli, ["alerts", "check", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    assert not [a for a in json.loads(ok.stdout)["alerts"] if a["firing"]]
    _arrange(monitoring_db[0], _fail)
    firing = runner.invoke(cli, ["alerts", "check", "--json"], env=env)
    assert firing.exit_code == 1, firing.output
    names = {a["alert"] for a in json.loads(firing.stdout)["alerts"] if a["firing"]}
    assert "payment_failure_rate_high" in names
    report = runner.invoke(cli, ["report", "--json"], env=env)
    assert report.exit_code == 0, report.output
    sections = {s["name"]: s for s in json.loads(report.stdout)["sections"]}
    status = {r["status"]: r["count"] for r in sections["payment-status"]["rows"]}
    assert status == {"succeeded": 3, "requires_payment_method": 3}
