"""Kill switches: environment at start, endpoint and CLI at run time, audited, cross-process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tender.cli import app as cli
from tender.config import Settings
from tender.controls.switches import (
    ACCEPT_NEW_PAYMENTS,
    MAINTENANCE,
    REFRESH_SECONDS,
    KillSwitches,
    method_switch,
)
from tender.db.engine import Database
from tender.errors import ServiceUnavailable
from tests.conftest import bearer

pytestmark = pytest.mark.usefixtures("clean_switches")
SERVICE = bearer(None, role="service_role", extra={"sub": "ops-oncall"})


async def _audit(owner_db: Database, name: str, actor: str) -> list[dict[str, object]]:
    async with owner_db.engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT actor, action, old_value, new_value, at FROM audit_log"
                " WHERE subject = :name AND action = 'switch.set' AND actor = :actor ORDER BY id"
            ),
            {"name": name, "actor": actor},
        )
        return [dict(r._mapping) for r in rows]


async def _refusal_within(check: Callable[[], Awaitable[None]], seconds: float) -> str | None:
    """The code of the first 503 `check` raises within `seconds`, None if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            await check()
        except ServiceUnavailable as exc:
            return exc.code
        await asyncio.sleep(0.05)
    return None


async def test_defaults_let_payments_through(app_db: Database) -> None:
    switches = KillSwitches(app_db)
    await switches.ensure_payments_open()
    await switches.ensure_new_payment_allowed("card")


async def test_environment_pins_switches_at_start(
    app_db: Database, test_settings: Settings
) -> None:
    settings = test_settings.model_copy(
        update={
            "payment_maintenance": True,
            "accept_new_payments": False,
            "disabled_payment_methods": ["bank_transfer"],
        }
    )
    switches = KillSwitches.from_settings(app_db, settings)
    with pytest.raises(ServiceUnavailable) as maintenance:
        await switches.ensure_payments_open()
    assert maintenance.value.code == "payment_maintenance"
    await switches.set(MAINTENANCE, False, actor="test")  # the table says off; env still wins
    with pytest.raises(ServiceUnavailable):
        await switches.ensure_payments_open()
    states = {s.name: s for s in await switches.states()}
    assert states[MAINTENANCE].source == "env"
    assert states[method_switch("bank_transfer")].enabled is False


async def test_graceful_rollback_pauses_new_payments_only(app_db: Database) -> None:
    switches = KillSwitches(app_db)
    await switches.set(ACCEPT_NEW_PAYMENTS, False, actor="test", reason="graceful rollback")
    await switches.ensure_payments_open()  # confirms, webhooks, offline completions go on
    with pytest.raises(ServiceUnavailable) as paused:
        await switches.ensure_new_payment_allowed("card")
    assert paused.value.code == "new_payments_paused"


async def test_disabling_one_method(app_db: Database) -> None:
    switches = KillSwitches(app_db)
    await switches.set(method_switch("cash_on_pickup"), False, actor="test")
    await switches.ensure_new_payment_allowed("card")
    with pytest.raises(ServiceUnavailable) as disabled:
        await switches.ensure_new_payment_allowed("cash_on_pickup")
    assert disabled.value.code == "payment_method_disabled"


async def test_endpoint_sets_and_audits(client: httpx.AsyncClient, owner_db: Database) -> None:
    response = await client.put(
        f"/v1/ops/switches/{MAINTENANCE}",
        json={"enabled": True, "reason": "incident 42"},
        headers=SERVICE,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["enabled"] is True
    assert body["updated_by"] == "service:ops-oncall"
    await client.put(f"/v1/ops/switches/{MAINTENANCE}", json={"enabled": False}, headers=SERVICE)
    audit = await _audit(owner_db, MAINTENANCE, "service:ops-oncall")
    assert [(a["old_value"], a["new_value"]) for a in audit] == [
        (None, {"enabled": True, "reason": "incident 42"}),
        ({"enabled": True, "reason": "incident 42"}, {"enabled": False, "reason": None}),
    ]
    assert all(a["at"] is not None for a in audit)
    listed = await client.get("/v1/ops/switches", headers=SERVICE)
    by_name = {s["name"]: s for s in listed.json()["data"]}
    assert by_name[MAINTENANCE]["enabled"] is False
    assert by_name[ACCEPT_NEW_PAYMENTS]["source"] == "default"


async def test_endpoint_needs_the_service_role(client: httpx.AsyncClient) -> None:
    user = await client.put(
        f"/v1/ops/switches/{MAINTENANCE}", json={"enabled": True}, headers=bearer(uuid4())
    )
    assert user.status_code == 403
    assert user.json()["error"]["code"] == "service_role_required"
    unknown = await client.put("/v1/ops/switches/nope", json={"enabled": True}, headers=SERVICE)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_switch"


def test_cli_sets_reads_and_audits(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["switch", "new-payments", "off", "--reason", "rollback", "--actor", "alice"],
        env=cli_env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "accept_new_payments is now off" in result.output
    status = runner.invoke(cli, ["switch", "status", "--json"], env=cli_env)
    assert status.exit_code == 0, status.output
    states = {s["name"]: s for s in json.loads(status.stdout)}
    assert states[ACCEPT_NEW_PAYMENTS]["enabled"] is False
    assert states[ACCEPT_NEW_PAYMENTS]["updated_by"] == "alice"
    history = runner.invoke(cli, ["switch", "history", "--json"], env=cli_env)
    latest = json.loads(history.stdout)[0]
    assert latest["actor"] == "alice"
    assert latest["subject"] == ACCEPT_NEW_PAYMENTS
    assert latest["new_value"] == {"enabled": False, "reason": "rollback"}
    bad = runner.invoke(cli, ["switch", "method", "bitcoin", "off"], env=cli_env)
    assert bad.exit_code == 2


async def test_flip_in_one_process_is_obeyed_by_another_within_seconds(
    app_db: Database, cli_env: dict[str, str]
) -> None:
    """This process's KillSwitches (its own pool) obeys a `tender switch` run elsewhere."""
    switches = KillSwitches(app_db)
    await switches.ensure_payments_open()  # cache warm: maintenance off
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tender", "switch", "maintenance", "on", env=cli_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    assert proc.returncode == 0, output.decode()
    code = await _refusal_within(switches.ensure_payments_open, REFRESH_SECONDS + 0.5)
    assert code == "payment_maintenance"


async def test_flip_through_one_api_is_obeyed_by_a_second_runtime(
    client: httpx.AsyncClient, database_urls: tuple[str, str]
) -> None:
    second = Database(database_urls[1], pool_size=1, max_overflow=0)
    try:
        other = KillSwitches(second)
        await other.ensure_new_payment_allowed("card")
        await client.put(
            f"/v1/ops/switches/{method_switch('card')}", json={"enabled": False}, headers=SERVICE
        )
        code = await _refusal_within(
            lambda: other.ensure_new_payment_allowed("card"), REFRESH_SECONDS + 0.5
        )
        assert code == "payment_method_disabled"
    finally:
        await second.dispose()
