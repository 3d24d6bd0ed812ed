"""The job queue: transactional enqueue, webhook jobs, failed-job retry, periodic alerts once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from tender import jobqueue as enqueue
from tender.app import create_app
from tender.cli import app as cli
from tender.config import Settings
from tender.jobs import scheduled
from tender.jobs.alert_state import check_alerts_once
from tender.jobs.app import build_app, cron_every
from tender.jobs.runner import run_worker
from tender.runtime import Runtime
from tender.webhooks.service import CONTEXT
from tests.jobs.conftest import drain, queue
from tests.monitoring import data
from tests.monitoring.conftest import Receiver
from tests.webhooks.test_inbox import PATH, event, signed


async def test_a_rolled_back_transaction_enqueues_nothing(
    jobs_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    async def enqueue_then_fail() -> None:
        async with jobs_runtime.db.transaction(CONTEXT) as conn:
            await enqueue.defer(conn, enqueue.APPLY_WEBHOOK_EVENT, {"event_id": "evt_lost"})
            raise RuntimeError("the caller's work failed after the enqueue")

    with pytest.raises(RuntimeError):
        await enqueue_then_fail()
    assert await queue(sql) == []

    async with jobs_runtime.db.transaction(CONTEXT) as conn:  # as the app login, service_role
        job_id = await enqueue.defer(conn, enqueue.APPLY_WEBHOOK_EVENT, {"event_id": "evt_kept"})
    [job] = await queue(sql)
    assert job_id > 0
    assert job["task_name"] == enqueue.APPLY_WEBHOOK_EVENT
    assert job["status"] == "todo"
    assert json.loads(job["args"]) == {"event_id": "evt_kept"}


async def test_webhook_is_stored_with_its_job_answered_then_applied_by_a_worker(
    jobs_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    evt = event("payment_intent.succeeded", {"id": "pi_unknown", "object": "payment_intent"})
    body, headers = signed(evt)
    transport = httpx.ASGITransport(app=create_app(jobs_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        resp = await client.post(PATH, content=body, headers=headers)
        again = await client.post(PATH, content=body, headers=headers)
    assert resp.status_code == 200
    assert resp.json() == {"received": True, "status": "queued"}
    assert again.json()["duplicate"] is True
    row = await sql.fetchrow("SELECT status, attempts FROM stripe_events WHERE id = $1", evt["id"])
    assert (row["status"], row["attempts"]) == ("pending", 0)  # answered before any Stripe read
    [job] = await queue(sql)  # one job, though delivered twice
    assert json.loads(job["args"]) == {"event_id": evt["id"]}

    await drain(jobs_runtime)  # works until the queue is empty
    row = await sql.fetchrow("SELECT status, attempts FROM stripe_events WHERE id = $1", evt["id"])
    assert (row["status"], row["attempts"]) == ("ignored", 1)  # Stripe has no such intent
    assert [j for j in await queue(sql) if j["task_name"] == job["task_name"]] == []


async def test_failed_jobs_are_listed_and_retried_by_tender_jobs(
    jobs_runtime: Runtime, jobs_db: tuple[str, str], sql: asyncpg.Connection
) -> None:
    async with jobs_runtime.db.transaction(CONTEXT) as conn:
        await enqueue.defer(conn, "tender.no_such_task", {"x": 1})
    await drain(jobs_runtime)
    assert [j["status"] for j in await queue(sql)] == ["failed"]

    env = {**os.environ, "DATABASE_URL": jobs_db[1]}
    runner = CliRunner()
    listed = await asyncio.to_thread(runner.invoke, cli, ["jobs", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    [failed] = json.loads(listed.stdout)
    assert (failed["task"], failed["args"]) == ("tender.no_such_task", {"x": 1})
    retried = await asyncio.to_thread(
        runner.invoke, cli, ["jobs", "retry", "--all-failed"], env=env
    )
    assert retried.exit_code == 0, retried.output
    assert [j["status"] for j in await queue(sql)] == ["todo"]


async def test_two_workers_notify_a_firing_alert_once(
    jobs_settings: Settings,
    jobs_db: tuple[str, str],
    sql: asyncpg.Connection,
    receiver: Receiver,
) -> None:
    """Each worker has its own process state; the periodic job runs once per tick anywhere."""
    for _ in range(3):
        await data.payment(sql, status="requires_payment_method", error="card_declined")
    for _ in range(3):
        await data.payment(sql)
    runtimes = [Runtime.build(jobs_settings, jobs_db[1]) for _ in range(2)]
    workers = [asyncio.create_task(run_worker(rt, name=f"w{i}")) for i, rt in enumerate(runtimes)]
    try:
        await asyncio.sleep(4.5)  # four or five ticks of the one-second alert schedule
    finally:
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for rt in runtimes:
            await rt.close()
    sent = [b for b in receiver.at("/slack") if b["alert"]["alert"] == "payment_failure_rate_high"]
    assert [b["alert"]["status"] for b in sent] == ["firing"]
    ticks = await sql.fetchval(
        "SELECT count(*) FROM procrastinate_periodic_defers WHERE task_name = $1",
        "tender.evaluate_alerts",
    )
    assert ticks >= 1
    state = await sql.fetch("SELECT name FROM alert_state")
    assert "payment_failure_rate_high" in {r["name"] for r in state}


@pytest.mark.parametrize(
    ("seconds", "cron"),
    [(1, "* * * * * */1"), (7, "* * * * * */6"), (60, "*/1 * * * * 0"), (900, "*/15 * * * * 0"),
     (3600, "0 */1 * * * 0"), (86400, "0 0 * * * 0")],
)  # fmt: skip
def test_periods_become_cron_lines(seconds: int, cron: str) -> None:
    assert cron_every(seconds) == cron


def test_the_schedule_follows_the_settings(test_settings: Settings) -> None:
    on = build_app(test_settings, "postgresql://unused/db")
    names = {task.name for task, *_ in _periodic(on)}
    assert {"tender.retry_webhook_events", "tender.evaluate_alerts", "tender.reconcile",
            "tender.expire_offline_payments", "tender.recheck_processing",
            "tender.retry_stalled_jobs"} <= names  # fmt: skip
    off = test_settings.model_copy(
        update={"alert_interval_seconds": 0.0, "reconcile_interval_seconds": 0}
    )
    names = {task.name for task, *_ in _periodic(build_app(off, "postgresql://unused/db"))}
    assert "tender.evaluate_alerts" not in names
    assert "tender.reconcile" not in names


def _periodic(app: object) -> list[tuple[object, ...]]:
    registry = app.periodic_registry  # type: ignore[attr-defined]
    return [(p.task, p.cron) for p in registry.periodic_tasks.values()]


async def test_tender_serve_runs_a_worker_in_process_by_default(
    jobs_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    """`make run` needs no separate worker: the app's lifespan works the queue."""
    assert jobs_runtime.settings.run_worker_in_process
    app = create_app(jobs_runtime)
    evt = event("payment_intent.succeeded", {"id": "pi_gone", "object": "payment_intent"})
    body, headers = signed(evt)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
        for _ in range(100):
            status = await sql.fetchval("SELECT status FROM stripe_events WHERE id = $1", evt["id"])
            if status != "pending":
                break
            await asyncio.sleep(0.05)
    assert status == "ignored"


async def test_separate_workers_mode_leaves_the_queue_to_them(
    jobs_settings: Settings, jobs_db: tuple[str, str], sql: asyncpg.Connection
) -> None:
    settings = jobs_settings.model_copy(update={"run_worker_in_process": False})
    runtime = Runtime.build(settings, jobs_db[1])
    app = create_app(runtime)
    evt = event("payment_intent.succeeded", {"id": "pi_gone", "object": "payment_intent"})
    body, headers = signed(evt)
    async with app.router.lifespan_context(app):  # closes the runtime on the way out
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
        await asyncio.sleep(1.0)
        status = await sql.fetchval("SELECT status FROM stripe_events WHERE id = $1", evt["id"])
    assert status == "pending"
    assert [j["status"] for j in await queue(sql)] == ["todo"]


async def test_a_dead_workers_jobs_come_back_and_its_periodic_tick_gives_way(
    jobs_runtime: Runtime, sql: asyncpg.Connection
) -> None:
    """A SIGKILLed worker leaves jobs in `doing`; once its heartbeat is stale they are
    requeued (a periodic tick is ended instead: the next tick does the same work)."""
    evt = event("payment_intent.succeeded", {"id": "pi_gone", "object": "payment_intent"})
    body, headers = signed(evt)
    transport = httpx.ASGITransport(app=create_app(jobs_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    dead = await sql.fetchval(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 minute') "
        "RETURNING id"
    )
    await sql.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = $1", dead)
    tick = "tender.retry_webhook_events"
    await sql.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args, "
        "status, worker_id) VALUES ('default', $1, $2, $2, '{\"timestamp\": 0}', 'doing', $3)",
        tick,
        tick,
        dead,
    )
    app = build_app(jobs_runtime.settings, jobs_runtime.db.url)
    async with app.open_async():
        assert await scheduled.requeue_stalled(app.job_manager) == 2
    states = {r["task_name"]: r["status"] for r in await queue(sql)}
    assert states == {enqueue.APPLY_WEBHOOK_EVENT: "todo", tick: "aborted"}

    await drain(jobs_runtime)  # another worker picks the requeued job up
    status = await sql.fetchval("SELECT status FROM stripe_events WHERE id = $1", evt["id"])
    assert status == "ignored"


async def test_the_alert_job_judges_every_instances_window(
    jobs_settings: Settings,
    jobs_db: tuple[str, str],
    sql: asyncpg.Connection,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two API processes each saw 3 slow payment requests (fewer than ALERT_MIN_SAMPLES=4
    alone); the worker, which saw none, still pages: it reads both published windows."""
    from tender.monitoring.alerts import shared

    await sql.execute("TRUNCATE monitor_windows")
    runtimes = [Runtime.build(jobs_settings, jobs_db[1]) for _ in range(3)]
    try:
        for n, api in enumerate(runtimes[:2]):
            for _ in range(3):
                api.monitor.request("/functions/v1/confirm-payment", 200, 6.0)
            monkeypatch.setattr(shared, "INSTANCE", f"api-{n}")
            await shared.publish(api)
        monkeypatch.setattr(shared, "INSTANCE", "worker")
        assert await check_alerts_once(runtimes[2]) >= 1
    finally:
        for rt in runtimes:
            await rt.close()
    slow = [b for b in receiver.at("/slack") if b["alert"]["alert"] == "payment_response_time_slow"]
    assert [b["alert"]["status"] for b in slow] == ["firing"]
    assert "6000 ms over 6 requests" in slow[0]["alert"]["summary"]
