"""The procrastinate App: its connector, its tasks and its periodic schedule from Settings."""

from __future__ import annotations

from typing import Any

import procrastinate
from procrastinate import JobContext

from tender.config import Settings
from tender.runtime import Runtime

# Workers talk to the queue as service_role, set at connection start: the login role owns
# nothing and may read nothing by itself, exactly as for Tender's own transactions.
CONNECT_OPTIONS = "-c role=service_role -c application_name=tender-jobs"
RUNTIME_KEY = "runtime"
HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = 10.0  # five missed heartbeats: the worker is gone


def jobs_url(settings: Settings, app_url: str) -> str:
    """Where workers connect: JOBS_DATABASE_URL (direct, when DATABASE_URL is PgBouncer)."""
    direct = settings.jobs_database_url
    return direct.get_secret_value() if direct is not None else app_url


def cron_every(seconds: int) -> str:
    """A cron line (6 fields: seconds last) that fires every `seconds`, rounded to a divisor.

    Periods that divide a minute, an hour or a day are exact; others use the nearest
    shorter period that does (cron cannot count "every 7 minutes" across the hour).
    """
    seconds = max(1, seconds)
    if seconds < 60:
        step = max(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if d <= seconds)
        return f"* * * * * */{step}"
    minutes = seconds // 60
    if minutes < 60:
        step = max(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if d <= minutes)
        return f"*/{step} * * * * 0"
    hours = min(minutes // 60, 24)
    step = max(d for d in (1, 2, 3, 4, 6, 8, 12, 24) if d <= hours)
    return f"0 */{step} * * * 0" if step < 24 else "0 0 * * * 0"


def runtime_of(context: JobContext) -> Runtime:
    """The worker's Runtime, handed to every job through the worker's additional context."""
    runtime: Runtime = context.additional_context[RUNTIME_KEY]
    return runtime


def build_app(
    settings: Settings, app_url: str, *, periodic: bool = True, **pool: Any
) -> procrastinate.App:
    """An App with Tender's tasks and, from `settings`, its periodic schedule (unless
    `periodic=False`: a worker that only drains what is queued, as tests and tools use)."""
    from tender.jobs import scheduled, tasks

    connector = procrastinate.PsycopgConnector(
        conninfo=jobs_url(settings, app_url),
        kwargs={"options": CONNECT_OPTIONS},
        min_size=pool.pop("min_size", 1),
        max_size=pool.pop("max_size", settings.jobs_concurrency + 2),
        **pool,
    )
    app = procrastinate.App(
        connector=connector,
        worker_defaults={
            "concurrency": settings.jobs_concurrency,
            "fetch_job_polling_interval": settings.jobs_poll_seconds,
            "listen_notify": settings.jobs_listen_notify,
            "delete_jobs": "successful",  # failed jobs stay visible for `tender jobs`
            "install_signal_handlers": False,
            # A SIGKILLed worker's jobs (and the locks they hold) come back after
            # STALLED_AFTER_SECONDS without its heartbeat (tasks.retry_stalled_jobs).
            "update_heartbeat_interval": HEARTBEAT_SECONDS,
            "stalled_worker_timeout": STALLED_AFTER_SECONDS,
        },
        periodic_defaults={"max_delay": 600},
    )
    tasks.register(app)
    if periodic:
        scheduled.register(app, settings)
    return app
