"""AlertService: evaluate every rule, track state, notify; on a schedule in the service."""

from __future__ import annotations

import asyncio
import os
import socket

import structlog
from prometheus_client import REGISTRY, push_to_gateway

from tender.db.rls import DbContext
from tender.monitoring import repository
from tender.monitoring.alerts import rules
from tender.monitoring.alerts.channels import Channel, channels_from_settings, deliver
from tender.monitoring.alerts.rules import AlertResult
from tender.monitoring.alerts.state import AlertTracker, Notification
from tender.monitoring.dberrors import is_database_unreachable
from tender.runtime import Runtime
from tender.telemetry import metrics
from tender.telemetry.monitor import MonitorSnapshot

log = structlog.get_logger("tender.alerts")
DB_RULES = (
    "payment_failure_rate_high",
    "payment_error_pattern_unusual",
    "new_payment_method_low_adoption",
    "payment_failure_revenue_impact",
)


class AlertService:
    """One per process: `check()` evaluates, updates state and sends what changed."""

    def __init__(self, runtime: Runtime, channels: list[Channel] | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.channels = (
            channels
            if channels is not None
            else channels_from_settings(self.settings, runtime.http)
        )
        self.tracker = AlertTracker(self.settings.alert_repeat_seconds)

    async def _database_rules(self) -> list[AlertResult]:
        s = self.settings
        async with self.runtime.db.transaction(DbContext.service("monitoring")) as conn:
            failure = await repository.failure_rate(conn, s.alert_window_seconds)
            pattern = await repository.error_pattern(
                conn, s.alert_window_seconds, s.alert_error_baseline_hours
            )
            methods = await repository.method_week_over_week(conn)
            failed = await repository.failed_amount_last_hour(conn)
        return [
            rules.failure_rate(failure, s),
            rules.error_pattern(pattern, s),
            rules.method_adoption(methods, s),
            rules.revenue_impact(failed, s),
        ]

    async def evaluate(self, snap: MonitorSnapshot | None = None) -> list[AlertResult]:
        """Every seed rule, now. Database trouble is itself the critical DB alert.

        `snap` is the window the in-memory rules read: this process's by default, or every
        instance's merged (the deployment-wide periodic job passes that)."""
        s = self.settings
        db_failed = False
        try:
            db_results = await asyncio.wait_for(
                self._database_rules(), timeout=max(s.health_check_timeout_seconds * 2, 1.0)
            )
        except Exception as exc:
            if not is_database_unreachable(exc):
                log.exception("alert_evaluation_failed")
            else:
                self.runtime.recorder.db_connection_error()
            db_failed = True
            why = f"database unavailable ({type(exc).__name__})"
            db_results = [rules.not_evaluated(name, why) for name in DB_RULES]
        snap = snap if snap is not None else self.runtime.monitor.snapshot()
        results = [
            db_results[0],
            rules.db_connection(snap, db_failed),
            rules.stripe_errors(snap, s),
            rules.response_time(snap, s),
            db_results[1],
            rules.cache_hit_rate(snap, s),
            db_results[2],
            db_results[3],
        ]
        for result in results:
            metrics.ALERTS_FIRING.labels(result.name, result.rule.severity.value).set(
                1 if result.firing else 0
            )
        return results

    async def check(
        self, *, notify: bool = True, snap: MonitorSnapshot | None = None
    ) -> tuple[list[AlertResult], list[Notification]]:
        """Evaluate, then send firing (once, then every ALERT_REPEAT_SECONDS) and resolves."""
        results = await self.evaluate(snap)
        notifications = self.tracker.update(results)
        if notify:
            await deliver(self.channels, notifications)
        return results, notifications

    async def push(self) -> None:
        """Push this process's metrics to METRICS_ENDPOINT (a Pushgateway)."""
        endpoint = self.settings.metrics_endpoint
        assert endpoint is not None
        instance = f"{socket.gethostname()}-{os.getpid()}"
        try:
            await asyncio.to_thread(
                push_to_gateway, endpoint, "tender", REGISTRY, grouping_key={"instance": instance}
            )
        except Exception as exc:
            log.warning("metrics_push_failed", error=type(exc).__name__)
