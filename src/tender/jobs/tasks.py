"""Jobs deferred by Tender's code: applying a stored webhook event; rescuing stalled jobs."""

from __future__ import annotations

import logging

import procrastinate
from procrastinate import JobContext, RetryStrategy

from tender.jobqueue import APPLY_WEBHOOK_EVENT
from tender.jobs.app import runtime_of
from tender.webhooks import service

log = logging.getLogger(__name__)
# A job that raises (the database is down, the worker lost its connection) is retried after
# 2, 4, 8, 16 s; an event that fails to apply is kept `failed` by the inbox and re-applied by
# the periodic `retry_webhook_events` with the inbox's own backoff.
RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)


async def apply_webhook_event(context: JobContext, event_id: str) -> str:
    """Re-read the event's object from Stripe and apply it (once: the inbox row is locked)."""
    status = await service.apply_event(runtime_of(context), event_id)
    log.debug("webhook event %s: %s", event_id, status)
    return status


def register(app: procrastinate.App) -> None:
    app.task(name=APPLY_WEBHOOK_EVENT, pass_context=True, retry=RETRY)(apply_webhook_event)
