"""Job-queue fixtures: a private database (alert rules read whole tables; queue rows are
counted), settings with webhooks applied by jobs only, and helpers to read the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tender.config import Settings
from tender.runtime import Runtime
from tests.conftest import fresh_database
from tests.monitoring.conftest import Receiver, receiver  # noqa: F401 - fixture re-export


@pytest.fixture(scope="module")
async def jobs_db(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    async with fresh_database(pg_server_url, "tender_jobs") as urls:
        yield urls


@pytest.fixture
async def sql(jobs_db: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection; the queue and the tables alerts read start empty."""
    conn = await asyncpg.connect(jobs_db[0])
    await conn.execute(
        "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers, "
        "payment_errors, refunds, payments, stripe_events, alert_state CASCADE"
    )
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def jobs_settings(test_settings: Settings, receiver: Receiver) -> Settings:  # noqa: F811
    from pydantic import SecretStr

    return test_settings.model_copy(
        update={
            "webhook_apply_inline": False,
            "jobs_poll_seconds": 0.2,
            "alert_interval_seconds": 1.0,
            "alert_window_seconds": 60.0,
            "alert_min_samples": 4,
            "alert_repeat_seconds": 3600.0,
            "alert_webhook_url": SecretStr(receiver.url + "/slack"),
            "reconcile_interval_seconds": 0,
        }
    )


@pytest.fixture
async def jobs_runtime(jobs_settings: Settings, jobs_db: tuple[str, str]) -> AsyncIterator[Runtime]:
    rt = Runtime.build(jobs_settings, jobs_db[1])
    yield rt
    await rt.close()


async def queue(sql: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await sql.fetch("SELECT task_name, status::text, args FROM procrastinate_jobs")
    return [dict(r) for r in rows]


async def drain(runtime: Runtime) -> None:
    """Work the queue until it is empty (no periodic ticks: only what the test queued)."""
    from tender.jobs.app import build_app
    from tender.jobs.runner import run_worker

    app = build_app(runtime.settings, runtime.db.url, periodic=False)
    await run_worker(runtime, app=app, wait=False)
