"""The console's dashboard: one JSON document built from monitoring, reports and ops.

Every figure comes from a service Tender already has (reports, alerts, health, switches,
reconciliation's gauges, the ValidationMonitor); this module only puts them side by side with
the seed's launch success criteria.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY

from tender.console import repository
from tender.db.rls import DbContext
from tender.monitoring import repository as monitoring
from tender.monitoring.alerts import AlertService
from tender.monitoring.health import payment_health
from tender.monitoring.reports import build_section, json_safe
from tender.ops.reconcile import KINDS
from tender.runtime import Runtime

# The seed's "Production Launch Success Criteria" (technical and business).
TARGETS = {"uptime": 0.995, "error_rate": 0.02, "avg_response_ms": 3000.0, "success_rate": 0.95}


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def criteria(hourly: list[dict[str, Any]], runtime: Runtime) -> list[dict[str, Any]]:
    """Each launch criterion: its value now, the target and whether it is met (None: no data)."""
    snap = runtime.monitor.snapshot()
    paid = sum(int(h["succeeded"]) for h in hourly)
    failed = sum(int(h["failed"]) for h in hourly)
    total = sum(int(h["payments"]) for h in hourly)
    values = {
        "uptime": (1 - s if (s := _ratio(snap.server_errors, snap.requests)) is not None else None),
        "error_rate": _ratio(failed, total),
        "avg_response_ms": snap.payment_latency_ms_avg,
        "success_rate": _ratio(paid, paid + failed),
    }
    labels = {
        "uptime": ("Uptime", "requests answered without a 5xx, this instance, last "
                   f"{snap.window_seconds:.0f} s", ">="),
        "error_rate": ("Error rate", "payments that failed, last 24 h", "<"),
        "avg_response_ms": ("Average response", "payment operations, this instance, last "
                            f"{snap.window_seconds:.0f} s", "<"),
        "success_rate": ("Payment success", "paid of decided payments, last 24 h", ">="),
    }  # fmt: skip
    out = []
    for key, target in TARGETS.items():
        value = values[key]
        label, basis, op = labels[key]
        met = None if value is None else (value >= target if op == ">=" else value < target)
        out.append(
            {"key": key, "label": label, "basis": basis, "op": op, "value": value,
             "target": target, "met": met}
        )  # fmt: skip
    return out


def reconciliation() -> dict[str, Any]:
    """What the last scheduled reconciliation found (its Prometheus gauges)."""
    gauge = "tender_reconciliation_drift"
    drift = {k: REGISTRY.get_sample_value(gauge, {"kind": k}) for k in KINDS}
    last = REGISTRY.get_sample_value("tender_reconciliation_last_run_timestamp")
    return {
        "drift": {k: int(v) for k, v in drift.items() if v is not None},
        "total": int(sum(v for v in drift.values() if v is not None)),
        "last_run": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
    }


async def overview(runtime: Runtime, alerts: AlertService | None) -> dict[str, Any]:
    """Everything the console shows, in one read."""
    async with runtime.db.transaction(DbContext.service("console")) as conn:
        hourly = await repository.hourly(conn)
        methods = await repository.methods(conn)
        inbox = await monitoring.webhook_inbox(conn)
        recent = await repository.recent(conn)
    errors = await build_section(runtime.db, "error-codes", None)
    results = await (alerts or AlertService(runtime, channels=[])).evaluate()
    switches = [asdict(s) for s in await runtime.switches.states()]
    hourly = json_safe(hourly)
    board: dict[str, Any] = json_safe(
        {
            "generated_at": datetime.now(UTC).isoformat(),
            "hourly": hourly,
            "methods": methods,
            "recent": recent,
            "error_codes": errors["rows"],
            "alerts": [r.as_dict() for r in results],
            "switches": switches,
            "reconciliation": reconciliation(),
            "webhooks": {
                "failed": int(inbox["failed"] or 0),
                "oldest_pending_seconds": inbox["oldest_pending_age"],
                "last_event_seconds": inbox["last_event_age"],
            },
            "health": await payment_health(runtime),
            "criteria": criteria(hourly, runtime),
        }
    )
    return board
