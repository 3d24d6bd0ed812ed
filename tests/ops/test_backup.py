"""Backups: payments made through the API survive backup -> drop -> restore -> drill exactly."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import stripe
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from tender.app import create_app
from tender.cli import app as cli
from tender.config import Settings
from tender.db import migrate, provision
from tender.db.urls import with_database, with_user
from tender.ops.backup import create_backup, latest_backup, read_manifest
from tender.ops.backup_restore import restore_backup
from tender.ops.backup_tools import invocation
from tender.ops.doctor_checks import DoctorContext, check_backups
from tender.runtime import Runtime
from tests.conftest import bearer, fresh_database
from tests.monitoring import data

SERVICE = bearer(None, role="service_role", extra={"sub": "backup-test"})
CARD = {"exp_month": 12, "exp_year": 2034, "cvc": "123"}
ALL_TIME = "1970-01-01T00:00:00Z"


@asynccontextmanager
async def tender_on(settings: Settings, app_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the database at `app_url`, logging in as tender_app like the service."""
    runtime = Runtime.build(settings, app_url)
    try:
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://tender.test") as c:
            yield c
    finally:
        await runtime.close()


async def pay(
    client: httpx.AsyncClient, js: stripe.StripeClient, user: UUID, amount: int, number: str
) -> dict[str, Any]:
    auth = bearer(user)
    created = await client.post(
        "/functions/v1/create-payment-intent", json={"amount": amount, "currency": "usd"},
        headers=auth,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    pm = await js.v1.payment_methods.create_async(
        {"type": "card", "card": {"number": number, **CARD}}  # type: ignore[typeddict-item]
    )
    confirmed = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": created.json()["payment_id"], "payment_method": pm.id}, headers=auth,
    )  # fmt: skip
    assert confirmed.status_code in (200, 402), confirmed.text
    return {**created.json(), "confirm_status": confirmed.status_code}


async def observe(client: httpx.AsyncClient, owner_url: str, users: list[UUID]) -> dict[str, Any]:
    """What a restore must give back: row counts, the seed's reports, what each user sees."""
    conn = await asyncpg.connect(owner_url)
    try:
        tables = await conn.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' ORDER BY relname"
        )
        counts = {
            t["relname"]: await conn.fetchval(f'SELECT count(*) FROM "{t["relname"]}"')
            for t in tables
        }
    finally:
        await conn.close()
    reports = await client.get(f"/v1/reports?since={ALL_TIME}", headers=SERVICE)
    assert reports.status_code == 200, reports.text
    seen = {}
    for user in users:
        mine = await client.get("/v1/payments", headers=bearer(user))
        assert mine.status_code == 200, mine.text
        seen[str(user)] = sorted(p["id"] for p in mine.json()["data"])
    return {"counts": counts, "reports": reports.json()["sections"], "seen": seen}


def invoke(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env)


def env_for(cli_env: dict[str, str], owner_url: str, **extra: str) -> dict[str, str]:
    return {
        **cli_env, "DATABASE_URL": with_user(owner_url, provision.APP_ROLE),
        "DATABASE_MIGRATION_URL": owner_url, **extra,
    }  # fmt: skip


async def test_backup_drop_restore_drill_round_trip(
    pg_server_url: str,
    test_settings: Settings,
    stripe_js: stripe.StripeClient,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    alice, bob, stranger = uuid4(), uuid4(), uuid4()
    folder = tmp_path / "backups"
    async with fresh_database(pg_server_url, "tender_backup") as (owner_url, app_url):
        async with tender_on(test_settings, app_url) as client:
            paid = [
                await pay(client, stripe_js, alice, 2500, "4242424242424242"),
                await pay(client, stripe_js, alice, 1800, "4242424242424242"),
                await pay(client, stripe_js, bob, 9900, "4242424242424242"),
            ]
            declined = await pay(client, stripe_js, bob, 700, "4000000000000002")
            assert declined["confirm_status"] == 402
            refund = await client.post(
                "/v1/refunds", json={"payment_id": paid[2]["payment_id"], "amount": 900},
                headers={**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"},
            )  # fmt: skip
            assert refund.status_code == 201, refund.text
            sql = await asyncpg.connect(owner_url)
            try:  # a saved method with a payment, so the seed's method-usage query has rows
                await data.payment(sql, method_id=await data.payment_method(sql))
            finally:
                await sql.close()
            before = await observe(client, owner_url, [alice, bob, stranger])
        assert before["counts"]["payments"] == 5
        assert before["counts"]["refunds"] == 1
        assert before["counts"]["payment_errors"] >= 1
        assert len(before["seen"][str(alice)]) == 2
        assert before["seen"][str(stranger)] == []
        sections = {s["name"]: s["rows"] for s in before["reports"]}
        assert all(sections[name] for name in ("payment-status", "method-usage", "error-codes"))

        env = env_for(cli_env, owner_url)
        made = await asyncio.to_thread(invoke, ["backup", "--to", str(folder)], env)
        assert made.exit_code == 0, made.output
        backup = latest_backup(folder)
        assert backup is not None
        assert backup.manifest.row_counts == before["counts"]
        assert backup.manifest.alembic_revision == migrate.head_revision()
        assert stat.S_IMODE(backup.dump.stat().st_mode) == 0o600
        sha_line = (folder / f"{backup.dump.name}.sha256").read_text().split()
        assert sha_line == [backup.manifest.sha256, backup.dump.name]

        # Drop the database, recreate it empty, restore into it.
        name = make_url(owner_url).database
        assert name is not None
        admin = with_database(pg_server_url, "postgres")
        await provision.drop_database(admin, name)
        await provision.ensure_database(admin, name)
        restored = await asyncio.to_thread(
            invoke, ["restore", str(backup.dump), "--into", owner_url], env
        )
        assert restored.exit_code == 0, restored.output
        assert "checksum verified" in restored.output

        async with tender_on(test_settings, app_url) as client:
            after = await observe(client, owner_url, [alice, bob, stranger])
            assert after == before  # counts, the seed's reports, and RLS per user
            # The restored database still refuses what a user may not do.
            other = await client.get(f"/v1/payments/{paid[2]['payment_id']}", headers=bearer(alice))
            assert other.status_code == 404
        conn = await asyncpg.connect(owner_url)
        try:
            unforced = await conn.fetch(
                # every table a user role can read keeps forced RLS (the job queue's tables
                # are service_role's only, like alembic_version)
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind = 'r' AND NOT relforcerowsecurity "
                "AND (has_table_privilege('authenticated', oid, 'SELECT') "
                "OR has_table_privilege('anon', oid, 'SELECT'))"
            )
            assert unforced == []
        finally:
            await conn.close()

        drill = await asyncio.to_thread(
            invoke, ["backup", "drill", "--from", str(folder), "--json"], env
        )
        assert drill.exit_code == 0, drill.output
        result = json.loads(drill.stdout)
        assert result["ok"] is True
        checks = {c["name"]: c for c in result["checks"]}
        assert set(checks) >= {"checksum", "restore", "migration revision", "row counts",
                               "row level security", "seed queries", "rls enforced"}  # fmt: skip
        assert all(c["ok"] for c in checks.values())
        assert "a stranger sees 0 of" in checks["rls enforced"]["detail"]
        scratch = checks["restore"]["detail"].rsplit(" ", 1)[-1]
        conn = await asyncpg.connect(admin)
        try:
            assert (
                await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", scratch) is None
            )
        finally:
            await conn.close()


@pytest.fixture
async def backed_up(
    pg_server_url: str, cli_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[str, Path, dict[str, str]]]:
    """A database with a payment and one backup of it: (owner URL, folder, CLI env)."""
    async with fresh_database(pg_server_url, "tender_backup") as (owner_url, _app):
        conn = await asyncpg.connect(owner_url)
        try:
            await data.payment(conn)
        finally:
            await conn.close()
        env = env_for(cli_env, owner_url)
        made = await asyncio.to_thread(invoke, ["backup", "--to", str(tmp_path)], env)
        assert made.exit_code == 0, made.output
        yield owner_url, tmp_path, env


async def test_restore_refuses_a_non_empty_database_unless_forced(
    backed_up: tuple[str, Path, dict[str, str]],
) -> None:
    owner_url, folder, env = backed_up
    backup = latest_backup(folder)
    assert backup is not None
    conn = await asyncpg.connect(owner_url)
    try:
        await data.payment(conn)  # now 2 payments; the backup holds 1
        refused = await asyncio.to_thread(
            invoke, ["restore", str(backup.dump), "--into", owner_url], env
        )
        assert refused.exit_code == 1
        assert "not empty" in refused.output
        assert await conn.fetchval("SELECT count(*) FROM payments") == 2
    finally:
        await conn.close()
    forced = await asyncio.to_thread(
        invoke, ["restore", str(backup.dump), "--into", owner_url, "--force"], env
    )
    assert forced.exit_code == 0, forced.output
    conn = await asyncpg.connect(owner_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM payments") == 1
        assert await conn.fetchval(
            "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'payments'::regclass"
        )
    finally:
        await conn.close()


async def test_damaged_backup_is_refused_by_restore_and_fails_the_drill(
    backed_up: tuple[str, Path, dict[str, str]], pg_server_url: str
) -> None:
    _owner_url, folder, env = backed_up
    backup = latest_backup(folder)
    assert backup is not None
    raw = bytearray(backup.dump.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    backup.dump.write_bytes(bytes(raw))
    async with fresh_database(pg_server_url, "tender_restore") as (target, _):
        conn = await asyncpg.connect(target)
        try:
            await conn.execute("DROP TABLE alembic_version")
            before = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
        finally:
            await conn.close()
        refused = await asyncio.to_thread(
            invoke, ["restore", str(backup.dump), "--into", target, "--force"], env
        )
        assert refused.exit_code == 1
        assert "SHA-256" in refused.output
        conn = await asyncpg.connect(target)
        try:
            after = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname='public'")
            assert after == before
        finally:
            await conn.close()
    drill = await asyncio.to_thread(
        invoke, ["backup", "drill", "--from", str(folder), "--json"], env
    )
    assert drill.exit_code == 1
    checks = {c["name"]: c for c in json.loads(drill.stdout)["checks"]}
    assert checks["checksum"]["ok"] is False


def test_restore_refuses_a_password_on_the_command_line(tmp_path: Path) -> None:
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"PGDMP")
    url = "postgresql://postgres:hunter2@127.0.0.1:1/nowhere"
    result = CliRunner().invoke(cli, ["restore", str(dump), "--into", url])
    assert result.exit_code == 1
    assert "PGPASSWORD" in result.output
    assert "hunter2" not in result.output


async def test_tools_get_the_password_through_a_private_passfile() -> None:
    url = "postgresql://tender:p%3Ass@db.internal:5432/tender?sslmode=require"
    async with invocation(url) as call:
        assert "p:ss" not in call.dbname
        assert "p%3Ass" not in call.dbname
        assert call.dbname == "postgresql://tender@db.internal:5432/tender?sslmode=require"
        passfile = Path(call.env["PGPASSFILE"])
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert passfile.read_text() == "*:*:*:*:p\\:ss\n"
        assert "PGPASSWORD" not in call.env
    assert not passfile.exists()


async def test_doctor_fails_without_a_recent_backup(
    backed_up: tuple[str, Path, dict[str, str]], test_settings: Settings, tmp_path: Path
) -> None:
    owner_url, folder, _ = backed_up

    async def check(**settings: object) -> tuple[str, str]:
        ctx = DoctorContext(test_settings.model_copy(update=settings), owner_url, owner_url)
        result = await check_backups(ctx)
        return result.status, result.detail

    assert (await check())[0] == "skip"
    status, detail = await check(backup_dir=folder)
    assert status == "pass", detail
    status, detail = await check(backup_dir=tmp_path / "empty")
    assert (status, "no complete backup") == ("fail", detail[: len("no complete backup")])
    backup = latest_backup(folder)
    assert backup is not None
    old = backup.manifest.model_copy(update={"created_at": datetime.now(UTC) - timedelta(hours=25)})
    backup.manifest_path.write_text(old.model_dump_json())
    assert read_manifest(backup.manifest_path).created_at == old.created_at
    status, detail = await check(backup_dir=folder)
    assert status == "fail"
    assert "BACKUP_MAX_AGE_HOURS=24" in detail
    assert (await check(backup_dir=folder, backup_max_age_hours=30))[0] == "pass"
    os.remove(backup.dump)  # a manifest without its dump is not a backup
    assert (await check(backup_dir=folder, backup_max_age_hours=30))[0] == "fail"


class InsertWhenDumpStarts:
    """A progress listener that commits a payment after the manifest is counted and before
    pg_dump reads: the dump must still hold exactly what the manifest says."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tables = 0

    def start(self, tables: int) -> None:
        async def insert() -> None:
            conn = await asyncpg.connect(self.url)
            try:
                await data.payment(conn)
            finally:
                await conn.close()

        worker = threading.Thread(target=asyncio.run, args=(insert(),))
        worker.start()
        worker.join()
        self.tables = tables

    def table(self, name: str) -> None:
        return None


async def test_manifest_and_dump_come_from_one_snapshot(pg_server_url: str, tmp_path: Path) -> None:
    async with fresh_database(pg_server_url, "tender_backup") as (owner_url, _):
        progress = InsertWhenDumpStarts(owner_url)
        made = await create_backup(owner_url, tmp_path, progress)
        assert progress.tables >= len(made.manifest.row_counts)
        assert made.manifest.row_counts["payments"] == 0
        conn = await asyncpg.connect(owner_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM payments") == 1  # written meanwhile
        finally:
            await conn.close()
        async with fresh_database(pg_server_url, "tender_restore") as (target, _):
            conn = await asyncpg.connect(target)
            try:  # an empty database: drop what the fixture migrated
                await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                await conn.execute("DROP FUNCTION IF EXISTS auth.uid(); DROP SCHEMA auth")
            finally:
                await conn.close()
            await restore_backup(made.dump, target)
            conn = await asyncpg.connect(target)
            try:
                assert await conn.fetchval("SELECT count(*) FROM payments") == 0
            finally:
                await conn.close()


async def test_backup_refuses_a_login_that_cannot_see_every_row(
    database_urls: tuple[str, str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    _owner_url, app_url = database_urls
    env = {**cli_env, "DATABASE_MIGRATION_URL": app_url}  # tender_app: no BYPASSRLS
    made = await asyncio.to_thread(invoke, ["backup", "--to", str(tmp_path)], env)
    assert made.exit_code == 1
    assert "BYPASSRLS" in made.output
    assert list(tmp_path.iterdir()) == []
