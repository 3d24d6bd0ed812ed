"""Enqueue a job on a connection Tender already holds, inside its transaction.

procrastinate defers through its own psycopg connector; Tender's transactions are asyncpg
through SQLAlchemy. Calling the queue's SQL function on the caller's connection makes the job
part of the caller's transaction: it exists if and only if the caller commits (a stored
webhook event always has its job; a rolled-back one never has).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

DEFAULT_QUEUE = "default"
APPLY_WEBHOOK_EVENT = "tender.apply_webhook_event"  # the task that applies a stored event

# procrastinate_defer_jobs_v1(jobs procrastinate_job_to_defer_v1[]) -> bigint[] (schema.sql of
# the pinned procrastinate 3.x): (queue_name, task_name, priority, lock, queueing_lock, args,
# scheduled_at).
DEFER = text(
    "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer), "
    "CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb), "
    "CAST(NULL AS timestamptz))::procrastinate_job_to_defer_v1]))[1]"
)


async def defer(
    conn: AsyncConnection,
    task: str,
    args: dict[str, Any],
    *,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
    lock: str | None = None,
    queueing_lock: str | None = None,
) -> int:
    """Add one job for `task` with `args` in the caller's transaction; returns the job id."""
    result = await conn.execute(
        DEFER,
        {
            "queue": queue,
            "task": task,
            "priority": priority,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args),
        },
    )
    return int(result.scalar_one())
