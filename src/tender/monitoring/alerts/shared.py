"""Every instance's monitoring window, for the one deployment-wide alert evaluation.

The in-memory rules (Stripe error rate, payment response time, cache hit rate, database
connection errors) read what a process saw. With several API processes and separate workers,
each process publishes its window to `monitor_windows` every ALERT_INTERVAL_SECONDS; the
periodic alert job merges the fresh ones, so it judges the whole deployment's traffic.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, fields
from datetime import timedelta

from sqlalchemy import text

from tender.db.rls import DbContext
from tender.runtime import Runtime
from tender.telemetry.monitor import MonitorSnapshot

CONTEXT = DbContext.service("monitoring")
INSTANCE = f"{socket.gethostname()}-{os.getpid()}"
FORGET_AFTER = timedelta(days=1)  # rows of processes long gone are deleted


async def publish(runtime: Runtime) -> None:
    """Store this process's current window (one row per process, replaced each time)."""
    snapshot = json.dumps(asdict(runtime.monitor.snapshot()))
    async with runtime.db.transaction(CONTEXT) as conn:
        await conn.execute(
            text(
                "INSERT INTO monitor_windows (instance, at, snapshot) "
                "VALUES (:i, now(), CAST(:s AS jsonb)) ON CONFLICT (instance) "
                "DO UPDATE SET at = now(), snapshot = excluded.snapshot"
            ),
            {"i": INSTANCE, "s": snapshot},
        )
        await conn.execute(
            text("DELETE FROM monitor_windows WHERE at < now() - CAST(:f AS interval)"),
            {"f": FORGET_AFTER},
        )


async def deployment_window(runtime: Runtime, fresh_seconds: float) -> MonitorSnapshot:
    """This process's window merged with every other published within `fresh_seconds`."""
    await publish(runtime)
    async with runtime.db.transaction(CONTEXT) as conn:
        rows = await conn.execute(
            text("SELECT snapshot FROM monitor_windows WHERE at >= now() - CAST(:f AS interval)"),
            {"f": timedelta(seconds=max(fresh_seconds, 1.0))},
        )
        snapshots = [_load(row.snapshot) for row in rows]
    return merge(snapshots, runtime.monitor.snapshot().window_seconds)


def _load(raw: object) -> MonitorSnapshot:
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)  # type: ignore[call-overload]
    known = {f.name for f in fields(MonitorSnapshot)}
    return MonitorSnapshot(**{k: v for k, v in data.items() if k in known})


def merge(snapshots: list[MonitorSnapshot], window_seconds: float) -> MonitorSnapshot:
    """Counts add up; the average payment latency is weighted by each one's requests."""
    counts = {
        f.name: sum(getattr(s, f.name) for s in snapshots)
        for f in fields(MonitorSnapshot)
        if f.type in ("int", int)
    }
    weighted = sum((s.payment_latency_ms_avg or 0.0) * s.payment_requests for s in snapshots)
    requests = counts.get("payment_requests", 0)
    return MonitorSnapshot(
        window_seconds=window_seconds,
        payment_latency_ms_avg=weighted / requests if requests else None,
        **counts,
    )
