"""`tender worker` (run the job queue) and `tender jobs` (failed jobs: list, retry)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer

from tender.config import Settings
from tender.db.runtime import locate
from tender.devdefaults import with_development_defaults
from tender.jobs.app import build_app
from tender.jobs.runner import run_worker
from tender.monitoring.logging import configure_logging
from tender.runtime import Runtime

jobs_app = typer.Typer(no_args_is_help=True, help="The job queue: failed jobs, retries.")


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once.")] = None,
) -> None:
    """Run background jobs and periodic tasks until SIGTERM/SIGINT (any number of these)."""
    settings = with_development_defaults(Settings())
    settings.check_production()
    if concurrency is not None:
        settings = settings.model_copy(update={"jobs_concurrency": concurrency})
    configure_logging(settings)
    target = locate(settings)

    async def main() -> None:
        runtime = Runtime.build(settings, target.app_url)
        try:
            await run_worker(runtime, signals=True, name="tender-worker")
        finally:
            await runtime.close()

    try:
        asyncio.run(main())
    finally:
        target.stop()


@jobs_app.command("list", short_help="Jobs in one status (failed by default).")
def list_jobs(
    status: Annotated[str, typer.Option(help="todo | doing | failed | succeeded")] = "failed",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Jobs in one status (failed by default): id, task, attempts, arguments."""

    async def fetch(settings: Settings, url: str) -> list[dict[str, object]]:
        async with build_app(settings, url, periodic=False).open_async() as app:
            jobs = await app.job_manager.list_jobs_async(status=status)
            return [
                {"id": j.id, "task": j.task_name, "attempts": j.attempts, "args": j.task_kwargs}
                for j in jobs
            ]

    with _database() as (settings, url):
        rows = asyncio.run(fetch(settings, url))
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(f"{row['id']}\t{row['task']}\tattempts={row['attempts']}\t{row['args']}")
    typer.echo(f"{len(rows)} {status} job(s)")


@jobs_app.command("retry")
def retry(
    job_id: Annotated[int | None, typer.Argument(help="One job; omit with --all-failed.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed")] = False,
) -> None:
    """Put failed jobs back in the queue (now)."""
    if (job_id is None) == (not all_failed):
        raise typer.BadParameter("give a JOB_ID or --all-failed (not both)")

    async def run(settings: Settings, url: str) -> int:
        async with build_app(settings, url, periodic=False).open_async() as app:
            ids = (
                [job_id]
                if job_id is not None
                else [j.id for j in await app.job_manager.list_jobs_async(status="failed")]
            )
            for one in ids:
                assert one is not None
                await app.job_manager.retry_job_by_id_async(one, retry_at=datetime.now(UTC))
            return len(ids)

    with _database() as (settings, url):
        count = asyncio.run(run(settings, url))
    typer.echo(f"{count} job(s) queued again")


@contextmanager
def _database() -> Iterator[tuple[Settings, str]]:
    """Settings and the app login's URL (DATABASE_URL, or the embedded server's)."""
    settings = with_development_defaults(Settings())
    target = locate(settings)
    try:
        yield settings, target.app_url
    finally:
        target.stop()


def register(app: typer.Typer) -> None:
    """Add `tender worker` and `tender jobs` to the `tender` command."""
    app.command("worker", short_help="Run background jobs and periodic tasks.")(worker)
    app.add_typer(jobs_app, name="jobs")
