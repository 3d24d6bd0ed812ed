"""The `tender` commands as an operator meets them: plain help, one-line errors, no raw
JSON or log lines in human output, `--json` for machines, 80 columns."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from tender.cli import app as cli
from tender.config import Settings
from tender.db import migrate
from tests.conftest import JWT_SECRET, WEBHOOK_SECRET

NARROW = {"COLUMNS": "80", "ENVIRONMENT": "test", "TENDER_URL": "http://127.0.0.1:9"}
HELP_SCREENS = [
    [],
    ["backup"],
    ["jobs"],
    ["db"],
    ["switch"],
    ["webhooks"],
    ["alerts"],
    ["alerts", "check"],
    ["report"],
    ["reconcile"],
    ["webhooks", "replay"],
    ["switch", "maintenance"],
    ["switch", "history"],
    ["doctor"],
    ["migrate"],
]


@pytest.fixture
def env(database_urls: tuple[str, str], test_settings: Settings) -> dict[str, str]:
    assert test_settings.stripe_api_base is not None
    return {
        **NARROW,
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_urls[1],
        "DATABASE_MIGRATION_URL": database_urls[0],
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_offline",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": test_settings.stripe_api_base,
        "DATA_DIR": str(test_settings.data_dir),
    }


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("command", HELP_SCREENS, ids=lambda c: " ".join(c) or "tender")
def test_help_screens_are_plain_and_fit_80_columns(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], env=NARROW)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    listed = [line for line in result.output.splitlines() if not line.startswith("Usage:")]
    assert not [line for line in listed if line.endswith("...")]  # one-line helps are whole


@pytest.mark.parametrize(
    "command",
    [
        ["webhooks", "replay", "--since", "yesterday"],
        ["report", "--since", "yesterday"],
        ["reconcile", "--since", "yesterday"],
    ],
    ids=lambda c: c[0],
)
def test_a_bad_since_is_one_line_in_every_command(command: list[str]) -> None:
    result = CliRunner().invoke(cli, command, env=NARROW)
    assert result.exit_code == 2
    [line] = _lines(result.stderr)[-1:]  # after the "tender: stripe/database" lines
    assert not _lines(result.stdout)
    assert line.startswith("error: --since 'yesterday' is not a time; use 30m, 24h, 7d")
    assert "Traceback" not in result.output


def _tender(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **NARROW}
    return subprocess.run(
        [sys.executable, "-m", "tender", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_migrate_unknown_revision_is_one_line() -> None:
    result = _tender("migrate", "downgrade", "nope", "--sql")
    assert result.returncode == 2
    [line] = _lines(result.stdout + result.stderr)
    assert line.startswith("error: Unknown revision 'nope'; known: base, 0001, ")
    assert line.endswith(f"(head is {migrate.head_revision()}).")


def test_migrate_sql_with_nothing_to_do_says_so() -> None:
    head = migrate.head_revision()
    result = _tender("migrate", "downgrade", str(head), "--sql")
    assert result.returncode == 0
    assert result.stdout.startswith(f"-- Nothing to do: downgrade from {head} to {head}")
    assert "BEGIN" not in result.stdout


def test_switch_history_reads_as_text_and_json(env: dict[str, str]) -> None:
    runner = CliRunner()
    flip = runner.invoke(
        cli, ["switch", "method", "bank_transfer", "off", "--reason", "INC-9", "--json"], env=env
    )
    assert flip.exit_code == 0, flip.output
    state = json.loads(flip.stdout)
    assert (state["name"], state["enabled"]) == ("method:bank_transfer", False)
    assert "." not in state["updated_at"]  # ISO 8601 to the second
    back = runner.invoke(cli, ["switch", "method", "bank_transfer", "on"], env=env)
    assert back.exit_code == 0, back.output
    human = runner.invoke(cli, ["switch", "history", "--limit", "2"], env=env)
    assert human.exit_code == 0, human.output
    assert '{"enabled"' not in human.output
    assert "method:bank_transfer  off -> on" in human.output
    assert "by cli:" in human.output
    assert ": INC-9" in human.output
    assert max(len(line) for line in human.stdout.splitlines()) <= 80
    rows: list[dict[str, Any]] = json.loads(
        runner.invoke(cli, ["switch", "history", "--json"], env=env).stdout
    )
    assert rows[0]["new_value"] == {"enabled": True, "reason": None}
    assert "T" in rows[0]["at"]


def test_replay_answers_json(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["webhooks", "replay", "--since", "30m", "--json"], env=env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"replayed", "by_status"}


def test_doctor_prints_checks_without_access_log_lines(env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["doctor"], env=env)
    assert '"event": "request"' not in result.output
    assert " request " not in result.output
    first = _lines(result.stdout)[0]
    assert first.split()[0] in ("PASS", "FAIL", "WARN", "SKIP"), result.output


async def test_the_stripe_sdk_logs_no_info_lines(
    stripe_admin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import tender.cli  # noqa: F401  (what the command imports)

    with caplog.at_level(logging.INFO):
        await stripe_admin.v1.customers.list_async({"limit": 1})
    assert not [r for r in caplog.records if r.name.startswith("stripe")]
