"""`tender serve` as a user runs it: pay, stop, start again, pay again; operator commands in a
second terminal see the same world; every stop leaves nothing running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import psutil
import pytest

from tender.db.embedded import EmbeddedPostgres
from tests.stack.serving import clean_env, leave_nothing_running, new_card, pay, serve, tender

pytestmark = pytest.mark.slow
DEMO_USER = uuid4()


def _no_secret_on_any_command_line(pids: set[int]) -> None:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        except OSError:
            continue
    assert len(lines) >= 3  # launcher, test mode, postgres at least
    assert not [line for line in lines if b"whsec_" in line or b"sk_" in line]


@pytest.fixture(autouse=True)
def _tidy(tmp_path: Path) -> Iterator[None]:
    yield
    leave_nothing_running(tmp_path / "shop")


async def _failed_events(owner_url: str) -> int:
    conn = await asyncpg.connect(owner_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM stripe_events WHERE status = 'failed'"
        )
        return count
    finally:
        await conn.close()


def test_restart_keeps_returning_users_paying_and_operators_see_the_same_world(
    tmp_path: Path,
) -> None:
    project = tmp_path / "shop"
    (project / "src" / "deep").mkdir(parents=True)
    log = tmp_path / "serve.log"
    first = serve(project, log)
    try:
        _no_secret_on_any_command_line(first.pids())
        paid = pay(first, DEMO_USER, {"payment_method": new_card(first)})
        assert paid["status"] == "succeeded"
        auth = {"Authorization": f"Bearer {first.token(DEMO_USER)}"}
        saved = httpx.post(
            first.api + "/v1/payment-methods",
            json={"payment_method_id": new_card(first, "5555555555554444")},
            headers=auth,
        )
        assert saved.status_code == 201, saved.text
        saved_id = saved.json()["id"]
        assert pay(first, DEMO_USER, {"saved_method_id": saved_id})["status"] == "succeeded"

        # A second terminal, in a subfolder of the project, no settings at all.
        elsewhere = project / "src" / "deep"
        doctor = tender("doctor", cwd=elsewhere)
        assert "FAIL" not in doctor.stdout, doctor.stdout
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert f"stripe {first.stripe_base}" in doctor.stderr  # says which Stripe it used
        assert "database embedded, running" in doctor.stderr
        reconciled = tender("reconcile", "--json", cwd=elsewhere)
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        assert json.loads(reconciled.stdout)["unfixed"] == 0
        replayed = tender("webhooks", "replay", cwd=elsewhere)
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert "replayed" in replayed.stdout
        owner_url = str(first.stack["database_owner_url"])
        assert asyncio.run(_failed_events(owner_url)) == 0
        twice = tender(
            "serve", "--port", "1", cwd=project, env=clean_env(DATA_DIR=str(project / ".tender"))
        )
        assert twice.returncode == 2
        assert "already runs" in twice.stdout + twice.stderr
        url = tender("db", "url", cwd=elsewhere)
        assert (url.returncode, url.stdout.strip()) == (0, owner_url)
    finally:
        took = first.stop(signal.SIGTERM)
    assert took < 10
    assert not (first.data_dir / "stack.json").exists()
    assert EmbeddedPostgres(first.data_dir / "pgdata").running_pid() is None

    second = serve(project, log)
    try:
        assert pay(second, DEMO_USER, {"payment_method": new_card(second)})["status"] == (
            "succeeded"
        )
        again = pay(second, DEMO_USER, {"saved_method_id": saved_id})  # saved card, reused
        assert again["status"] == "succeeded"
        reconciled = tender("reconcile", "--json", cwd=project)
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        report = json.loads(reconciled.stdout)
        assert report["checked"] >= 4  # this run's payments and the first run's
        assert (report["unfixed"], report["drifts"]) == (0, [])
    finally:
        assert second.stop(signal.SIGINT) < 10


def test_stops_cleanly_after_a_database_restarted_underneath_and_a_killed_launcher(
    tmp_path: Path,
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    log = tmp_path / "serve.log"
    served = serve(project, log)
    pgdata = served.data_dir / "pgdata"
    handles = pgdata / ".handle_pids.json"
    handles.write_text(json.dumps([999_999, 999_998]))  # stale handles of killed processes
    before = EmbeddedPostgres(pgdata).running_pid()
    underneath = EmbeddedPostgres(pgdata)  # someone else restarts the server under the service
    underneath.shutdown()
    underneath.start()
    restarted = underneath.running_pid()
    assert restarted is not None
    assert restarted != before
    served.stack["pids"] = {**served.stack["pids"], "postgres": restarted}  # type: ignore[dict-item]
    assert served.stop(signal.SIGTERM) < 10
    assert EmbeddedPostgres(pgdata).running_pid() is None

    killed = serve(project, log)  # SIGKILL: no cleanup at all; postgres and stack.json remain
    killed.proc.send_signal(signal.SIGKILL)
    killed.proc.wait(10)
    assert EmbeddedPostgres(pgdata).running_pid() is not None

    after = serve(project, log)  # starts over what was left, then stops all of it
    assert after.stack["pid"] == after.proc.pid
    assert pay(after, uuid4(), {"payment_method": "pm_card_visa"})["status"] == "succeeded"
    assert after.stop(signal.SIGTERM) < 10
    assert EmbeddedPostgres(pgdata).running_pid() is None
    testmodes = [  # info["cmdline"] is None for a zombie (reaped soon), never an error
        p
        for p in psutil.process_iter(["cmdline"])
        if str(project) in " ".join(p.info["cmdline"] or [])
    ]
    assert testmodes == []


def test_db_commands_without_a_running_stack(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    data = project / ".tender"
    project.mkdir()
    migrated = tender("migrate", cwd=project, env=clean_env(DATA_DIR=str(data)))
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert EmbeddedPostgres(data / "pgdata").running_pid() is None  # it stops what it started

    url = tender("db", "url", cwd=project)
    assert url.returncode == 1
    assert "not running" in url.stderr
    assert url.stdout == ""

    # A stale postmaster.pid naming a live process that is not PostgreSQL (a reused pid).
    (data / "pgdata" / "postmaster.pid").write_text(f"{os.getpid()}\n{data / 'pgdata'}\n")
    shell = tender("db", "psql", "-At", "-c", "SELECT 40 + 2", cwd=project)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == "42"
    assert EmbeddedPostgres(data / "pgdata").running_pid() is None  # stopped after


def test_commands_outside_a_project_refuse_instead_of_making_a_secret(tmp_path: Path) -> None:
    outside = tmp_path / "somewhere"
    outside.mkdir()
    minted = tender("token", "--user", str(uuid4()), cwd=outside, env=clean_env())
    assert minted.returncode == 2
    assert "not inside a Tender project" in minted.stdout + minted.stderr
    assert not (outside / ".tender").exists()
