"""Periodic tasks: each runs once per period across every worker of every instance.

procrastinate's periodic deferrer in each worker inserts the tick's job under a unique
(task, timestamp) row, so however many workers run, one job exists per tick; a queueing lock
keeps at most one waiting, and a lock keeps at most one running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import procrastinate
from procrastinate import JobContext
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

from tender.config import Settings
from tender.jobs.alert_state import check_alerts_once
from tender.jobs.app import STALLED_AFTER_SECONDS, cron_every, runtime_of
from tender.ops.reconcile import KINDS
from tender.ops.reconcile import reconcile as run_reconcile
from tender.payments import offline
from tender.payments.recheck import recheck_processing as settle_unknown_payments
from tender.refunds.service import recheck_pending_refunds
from tender.webhooks import service

log = logging.getLogger(__name__)


async def retry_webhook_events(context: JobContext, timestamp: int) -> int:
    """Re-apply inbox events whose retry time has come (failed, or pending without a job)."""
    return await service.apply_due(runtime_of(context))


async def expire_offline_payments(context: JobContext, timestamp: int) -> int:
    return await offline.expire_offline_payments(runtime_of(context).db)


async def reconcile(context: JobContext, timestamp: int) -> int:
    """The scheduled reconciliation pass (report only); returns the differences found.

    The job's lock is what keeps passes from overlapping. It does not take the session
    advisory lock of `ReconcileScheduler.run_once`: that holds a pooled connection for the
    whole pass, and behind PgBouncer in transaction pooling a session lock and its unlock
    can land on different server connections, leaving the lock held for ever."""
    runtime = runtime_of(context)
    window = timedelta(minutes=runtime.settings.reconcile_window_minutes)
    report = await run_reconcile(runtime, since=window)
    drift = sum(report.count(k) for k in KINDS)
    if drift:
        log.warning("reconciliation found %d differences", drift)
    return drift


async def evaluate_alerts(context: JobContext, timestamp: int) -> int:
    """Evaluate every rule and notify what changed; returns the notifications sent."""
    return await check_alerts_once(runtime_of(context))


async def recheck_processing(context: JobContext, timestamp: int) -> int:
    """Ask Stripe about payments (and refunds) whose outcome Tender does not know yet."""
    runtime = runtime_of(context)
    return await settle_unknown_payments(runtime) + await recheck_pending_refunds(runtime)


async def retry_stalled_jobs(context: JobContext, timestamp: int) -> int:
    """Put back the jobs of workers that died mid-job (SIGKILL, lost host) so others run them."""
    assert context.app is not None
    return await requeue_stalled(context.app.job_manager)


async def requeue_stalled(manager: JobManager) -> int:
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS))
    for job in stalled:
        assert job.id is not None
        if job.queueing_lock is not None:
            # A periodic tick: the next tick (already queued, holding the queueing lock) does
            # the same work, so this one ends as aborted and frees its lock for it.
            log.warning("abandoning stalled periodic job %s (%s)", job.id, job.task_name)
            await manager.finish_job_by_id_async(job.id, Status.ABORTED, delete_job=False)
            continue
        log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await manager.retry_job(job)
    return len(stalled)


Periodic = Callable[[JobContext, int], Awaitable[int]]


def schedule(settings: Settings) -> list[tuple[str, int, Periodic, bool]]:
    """(name, period in seconds, function, locked) of every enabled periodic task."""
    s = settings
    out: list[tuple[str, int, Periodic, bool]] = [
        ("tender.retry_webhook_events", s.webhook_retry_interval_seconds, retry_webhook_events,
         True),
        ("tender.expire_offline_payments", s.offline_expiry_interval_seconds,
         expire_offline_payments, True),
        ("tender.recheck_processing", s.payment_recheck_interval_seconds,
         recheck_processing, True),
        ("tender.retry_stalled_jobs", 5, retry_stalled_jobs, False),
    ]  # fmt: skip
    if s.reconcile_interval_seconds > 0:
        out.append(("tender.reconcile", s.reconcile_interval_seconds, reconcile, True))
    if s.monitor_enable_alerts and s.alert_interval_seconds > 0:
        period = max(1, round(s.alert_interval_seconds))  # cron counts whole seconds
        out.append(("tender.evaluate_alerts", period, evaluate_alerts, True))
    return [row for row in out if row[1] > 0]


def register(app: procrastinate.App, settings: Settings) -> None:
    for name, period, function, locked in schedule(settings):
        task = app.task(
            name=name,
            pass_context=True,
            queueing_lock=name,  # at most one waiting
            lock=name if locked else None,  # at most one running
        )(function)
        app.periodic(cron=cron_every(period))(task)
