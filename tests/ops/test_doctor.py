"""`tender doctor`: every go-live check passing and failing on a real database."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import stripe
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from typer.testing import CliRunner

from tender.cli import app as cli
from tender.config import Environment, Settings
from tender.db import migrate
from tender.db.urls import with_user
from tender.doctor import run_doctor
from tender.ops.doctor_checks import (
    WEBHOOK_EVENTS,
    CheckResult,
    DoctorContext,
    check_bundle,
    check_headers,
    check_settings,
)
from tender_testmode.config import EmulatorConfig
from tender_testmode.server import running_emulator
from tests.conftest import fresh_database

DEAD = "http://127.0.0.1:1"


@pytest.fixture
async def private_stripe(test_settings: Settings) -> AsyncIterator[Settings]:
    """A test mode of our own: webhook endpoints registered here are seen by no other test."""
    async with running_emulator(EmulatorConfig(port=0)) as url:
        yield test_settings.model_copy(update={"stripe_api_base": url})


def _client(settings: Settings) -> stripe.StripeClient:
    assert settings.stripe_api_base
    assert settings.stripe_secret_key
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses={"api": settings.stripe_api_base},
        http_client=stripe.HTTPXClient(),
    )


async def _register(settings: Settings, events: list[str]) -> None:
    await _client(settings).v1.webhook_endpoints.create_async(
        params={"url": "https://tender.example/functions/v1/stripe-webhook",
                "enabled_events": events}  # type: ignore[typeddict-item]
    )  # fmt: skip


@pytest.fixture
async def scratch_db(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh migrated database a test may break: (owner URL, app URL)."""
    async with fresh_database(pg_server_url, "tender_doctor") as urls:
        yield urls


async def _sql(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _doctor(
    settings: Settings, urls: tuple[str, str], **kw: object
) -> dict[str, CheckResult]:
    ctx = DoctorContext(settings=settings, owner_url=urls[0], app_url=urls[1], **kw)  # type: ignore[arg-type]
    return {r.name: r for r in await run_doctor(ctx)}


async def test_a_ready_database_passes(
    private_stripe: Settings, scratch_db: tuple[str, str]
) -> None:
    await _register(private_stripe, [*WEBHOOK_EVENTS, "charge.refunded"])
    await _sql(
        scratch_db[0],
        "INSERT INTO stripe_events (id, type, stripe_created_at, payload)"
        " VALUES ('evt_doctor', 'payment_intent.succeeded', now(), '{}')",
    )
    db_name = scratch_db[0].rsplit("/", 1)[-1].split("?")[0]
    await _sql(
        scratch_db[0],
        f"ALTER DATABASE \"{db_name}\" SET log_statement = 'mod';"
        f'ALTER DATABASE "{db_name}" SET log_min_duration_statement = 1000;',
    )
    results = await _doctor(private_stripe, scratch_db)
    statuses = {name: r.status for name, r in results.items()}
    expected_pass = [
        "settings", "database", "migrations", "row level security", "roles",
        "database logging", "indexes", "stripe", "webhook endpoint", "webhook delivery",
        "security headers",
    ]  # fmt: skip
    assert {n: statuses[n] for n in expected_pass} == dict.fromkeys(expected_pass, "pass"), {
        n: results[n].detail for n in expected_pass if statuses[n] != "pass"
    }
    assert statuses["client bundle"] == "skip"
    assert statuses["health"] in {"pass", "fail"}  # its verdict is the health endpoint's own


async def test_rls_off_or_unforced_or_policy_missing_fails_and_names_the_table(
    test_settings: Settings, scratch_db: tuple[str, str]
) -> None:
    await _sql(
        scratch_db[0],
        "ALTER TABLE payments DISABLE ROW LEVEL SECURITY;"
        "ALTER TABLE orders NO FORCE ROW LEVEL SECURITY;"
        "DROP POLICY refunds_owner ON refunds;",
    )
    rls = (await _doctor(test_settings, scratch_db))["row level security"]
    assert rls.status == "fail"
    assert "payments: RLS disabled" in rls.detail
    assert "orders: RLS not forced" in rls.detail
    assert "refunds: no policy for authenticated" in rls.detail
    assert "customers" not in rls.detail


async def test_missing_index_and_old_migration_fail(
    test_settings: Settings, scratch_db: tuple[str, str]
) -> None:
    await _sql(scratch_db[0], "DROP INDEX payments_status_created_idx")
    results = await _doctor(test_settings, scratch_db)
    assert results["indexes"].status == "fail"
    assert "payments_status_created_idx" in results["indexes"].detail
    await migrate.downgrade(scratch_db[0], "base")
    results = await _doctor(test_settings, scratch_db)
    assert results["migrations"].status == "fail"
    assert "database at base" in results["migrations"].detail
    assert "payments: missing" in results["row level security"].detail


async def test_app_role_owning_tables_fails(
    test_settings: Settings, scratch_db: tuple[str, str]
) -> None:
    role = f"doctor_owner_{secrets.token_hex(3)}"
    await _sql(scratch_db[0], f"CREATE ROLE {role} LOGIN; CREATE TABLE sneaky (id int);"
               f"ALTER TABLE sneaky OWNER TO {role};")  # fmt: skip
    try:
        results = await _doctor(test_settings, (scratch_db[0], with_user(scratch_db[0], role)))
        assert results["roles"].status == "fail"
        assert f"{role} owns 1 tables" in results["roles"].detail
    finally:
        await _sql(scratch_db[0], f"DROP TABLE sneaky; DROP ROLE {role};")


async def test_missing_api_role_fails(
    test_settings: Settings, scratch_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tender.ops.doctor_checks.ROLES", ("anon", "authenticated", "no_such"))
    results = await _doctor(test_settings, scratch_db)
    assert results["roles"].status == "fail"
    assert results["roles"].detail == "missing: no_such"


async def test_logging_advice_fails_in_production_warns_elsewhere(
    test_settings: Settings, scratch_db: tuple[str, str]
) -> None:
    results = await _doctor(test_settings, scratch_db)
    assert results["database logging"].status == "warn"
    assert "log_statement = 'mod'" in results["database logging"].detail
    production = test_settings.model_copy(update={"environment": Environment.production})
    results = await _doctor(production, scratch_db)
    assert results["database logging"].status == "fail"


async def test_unreachable_database_fails_every_database_check(test_settings: Settings) -> None:
    dead = ("postgresql://nobody@127.0.0.1:1/none", "postgresql://nobody@127.0.0.1:1/none")
    results = await _doctor(test_settings, dead)
    for name in ("database", "migrations", "row level security", "indexes", "webhook delivery"):
        assert results[name].status == "fail", name
    assert results["database"].detail == "not reachable"


async def test_webhook_endpoint_missing_events_and_no_delivery_fail(
    private_stripe: Settings, scratch_db: tuple[str, str]
) -> None:
    results = await _doctor(private_stripe, scratch_db)
    assert results["webhook endpoint"].status == "fail"
    assert results["webhook endpoint"].detail == "no webhook endpoint registered in Stripe"
    assert results["webhook delivery"].detail == "no webhook event ever received"
    await _register(private_stripe, ["payment_intent.succeeded", "payment_intent.canceled"])
    await _sql(
        scratch_db[0],
        "INSERT INTO stripe_events (id, type, stripe_created_at, payload, received_at)"
        " VALUES ('evt_old', 'payment_intent.succeeded', now(), '{}', now() - interval '3 days')",
    )
    results = await _doctor(private_stripe, scratch_db)
    detail = results["webhook endpoint"].detail
    assert "payment_intent.payment_failed" in detail
    assert "payment_method.attached" in detail
    assert "payment_intent.succeeded" not in detail
    assert results["webhook delivery"].status == "fail"
    assert "h ago" in results["webhook delivery"].detail


async def test_stripe_unreachable_fails_stripe_and_health(
    test_settings: Settings, scratch_db: tuple[str, str]
) -> None:
    settings = test_settings.model_copy(
        update={"stripe_api_base": DEAD, "stripe_max_network_retries": 0}
    )
    results = await _doctor(settings, scratch_db)
    assert results["stripe"].status == "fail"
    assert results["health"].status == "fail"
    assert "stripe" in results["health"].detail


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"environment": Environment.production}, "STRIPE_SECRET_KEY is a test key"),
        ({"stripe_publishable_key": SecretStr("pk_live_abc")}, "different modes"),
        ({"stripe_publishable_key": SecretStr("sk_test_abc")}, "not a publishable key"),
        ({"stripe_webhook_secret": None}, "STRIPE_WEBHOOK_SECRET is not set"),
    ],
)
async def test_inconsistent_settings_fail(
    test_settings: Settings, update: dict[str, object], message: str
) -> None:
    ctx = DoctorContext(test_settings.model_copy(update=update), DEAD, DEAD)
    result = await check_settings(ctx)
    assert result.status == "fail"
    assert message in result.detail


async def test_headers_missing_on_a_served_instance_fail(test_settings: Settings) -> None:
    bare = Starlette(routes=[Route("/livez", lambda _: PlainTextResponse("ok"))])
    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="https://bare") as client:
        ctx = DoctorContext(test_settings, DEAD, DEAD, http=client)
        result = await check_headers(ctx)
    assert result.status == "fail"
    assert "Strict-Transport-Security" in result.detail


async def test_bundle_scan_finds_secrets_without_printing_them(
    test_settings: Settings, tmp_path: Path
) -> None:
    settings = test_settings.model_copy(
        update={"supabase_service_role_key": SecretStr("service-role-" + "s" * 30)}
    )
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "app.js").write_text("const pk = 'pk_live_public_is_fine';\n")
    assert (await check_bundle(DoctorContext(settings, DEAD, DEAD, bundle=clean))).status == "pass"
    dirty = tmp_path / "dirty"
    (dirty / "assets").mkdir(parents=True)
    live = "sk_live_" + "a1" * 12
    (dirty / "assets" / "main.js").write_text(f"x=1;\nconst k='{live}';\n")
    (dirty / "env.js").write_text(
        "const s = 'service-role-" + "s" * 30 + "'; // whsec_abcdefgh12\n"
    )
    result = await check_bundle(DoctorContext(settings, DEAD, DEAD, bundle=dirty))
    assert result.status == "fail"
    assert "main.js:2: Stripe live secret key" in result.detail
    assert "env.js:1: service-role key" in result.detail
    assert "Stripe webhook secret" in result.detail
    assert live not in result.detail


async def test_cli_json_and_exit_code(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Run in a thread: the session loop must keep serving the test mode meanwhile."""
    (tmp_path / "bundle.js").write_text("var key = 'sk_test_" + "z" * 20 + "';")
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, cli, ["doctor", "--json", "--bundle", str(tmp_path)], env=cli_env
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["client bundle"]["status"] == "fail"
    assert checks["database"]["status"] == "pass"
    assert checks["row level security"]["status"] == "pass"
    human = await asyncio.to_thread(
        runner.invoke, cli, ["doctor"], env={**cli_env, "COLUMNS": "200"}
    )
    assert "PASS row level security" in human.output
    assert "SKIP client bundle" in human.output
