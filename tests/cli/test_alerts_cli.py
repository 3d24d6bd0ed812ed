"""`tender alerts check` reads the service's in-process rules from the running service, or
says they need it: never a silent `0/0 Stripe calls`."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator

import pytest
import uvicorn
from typer.testing import CliRunner

from tender.app import create_app
from tender.cli import app as cli
from tender.monitoring.cli import SERVICE_RULES
from tender.runtime import Runtime
from tests.conftest import JWT_SECRET

CLOSED = "http://127.0.0.1:9"


def _env(database_urls: tuple[str, str], tender_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_urls[1],
        "DATABASE_MIGRATION_URL": database_urls[0],
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "TENDER_URL": tender_url,
        "COLUMNS": "80",
    }


def test_without_the_service_its_rules_say_they_need_it(
    database_urls: tuple[str, str], stripe_emulator: str
) -> None:
    env = {**_env(database_urls, CLOSED), "STRIPE_API_BASE": stripe_emulator}
    result = CliRunner().invoke(cli, ["alerts", "check", "--json"], env=env)
    assert result.exit_code in (0, 1), result.output
    body = json.loads(result.stdout)
    assert body["source"].startswith("the database (no answer from http://127.0.0.1:9")
    by_name = {a["alert"]: a for a in body["alerts"]}
    assert len(by_name) == 8
    for name in SERVICE_RULES:
        assert by_name[name]["evaluated"] is False, name
        assert by_name[name]["summary"] == "not evaluated: needs the running service"
        assert by_name[name]["details"]["why"].startswith("no answer from http://127.0.0.1:9")
    assert "Stripe calls" not in result.output
    assert by_name["payment_failure_rate_high"]["evaluated"] is True
    human = CliRunner().invoke(cli, ["alerts", "check"], env=env)
    assert "4 rules need the service" in " ".join(human.output.split())
    assert "stripe_api_error_rate_high" in human.output  # folded, never cut with "…"
    assert "…" not in human.output
    assert max(len(line) for line in human.stdout.splitlines()) <= 80


@pytest.fixture
async def served(runtime: Runtime) -> AsyncIterator[str]:
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_with_the_service_every_rule_comes_from_it(
    served: str, runtime: Runtime, database_urls: tuple[str, str]
) -> None:
    for _ in range(12):  # the service's own window now has Stripe calls to count
        runtime.monitor.stripe_call("ok")
    env = _env(database_urls, served)
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["alerts", "check", "--json"], env=env
    )
    # The served app logs its access line into the same process's stdout: skip to the JSON.
    body = json.loads(result.output[result.output.index("{\n") :])
    assert body["source"] == f"the running service at {served}"
    stripe = next(a for a in body["alerts"] if a["alert"] == "stripe_api_error_rate_high")
    assert stripe["evaluated"] is True
    # the 12 calls above, plus any its in-process worker's periodic jobs made meanwhile
    counted = re.match(r"0/(\d+) Stripe calls failed", stripe["summary"])
    assert counted is not None, stripe
    assert int(counted.group(1)) >= 12, stripe
