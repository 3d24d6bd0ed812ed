"""ValidationMonitor: the seed's monitor, configured from settings and fed by the Recorder.

It keeps a sliding window of what this process saw (requests by route and outcome, Stripe
calls, cache lookups, database connection errors, validation failures, payments, webhook
events) so the alert rules can ask "what happened in the last N seconds" without a
Prometheus server. Prometheus gets the same facts as counters (see metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tender.config import Settings
from tender.telemetry.window import SlidingWindow

# Routes whose latency the seed's "payment response time" alert watches.
PAYMENT_ROUTE_MARK = "payment"


@dataclass(frozen=True)
class AlertThreshold:
    error_rate: float = 0.05  # Stripe API error rate
    response_time: float = 5000.0  # ms, average payment response time


@dataclass(frozen=True)
class MonitorConfig:
    """The seed's `ValidationMonitor.configure({...})` object."""

    enable_logging: bool = True
    log_level: str = "error"
    enable_metrics: bool = True
    metrics_endpoint: str | None = None
    enable_alerts: bool = True
    alert_threshold: AlertThreshold = field(default_factory=AlertThreshold)
    window_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MonitorConfig:
        return cls(
            enable_logging=settings.monitor_enable_logging,
            log_level=settings.log_level,
            enable_metrics=settings.monitor_enable_metrics,
            metrics_endpoint=settings.metrics_endpoint,
            enable_alerts=settings.monitor_enable_alerts,
            alert_threshold=AlertThreshold(
                error_rate=settings.monitor_alert_error_rate,
                response_time=settings.monitor_alert_response_time_ms,
            ),
            window_seconds=settings.alert_window_seconds,
        )


@dataclass(frozen=True)
class MonitorSnapshot:
    """What this process saw in one window; the alert rules read this."""

    window_seconds: float
    requests: int = 0
    server_errors: int = 0
    payment_requests: int = 0
    payment_latency_ms_avg: float | None = None
    stripe_calls: int = 0
    stripe_errors: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    db_connection_errors: int = 0
    validation_failures: int = 0
    payments: int = 0
    payments_failed: int = 0
    webhook_events: int = 0
    webhook_failures: int = 0

    @property
    def cache_hit_rate(self) -> float | None:
        lookups = self.cache_hits + self.cache_misses
        return self.cache_hits / lookups if lookups else None

    @property
    def stripe_error_rate(self) -> float | None:
        return self.stripe_errors / self.stripe_calls if self.stripe_calls else None


class ValidationMonitor:
    """Records every operation into a sliding window; `snapshot()` summarises it."""

    def __init__(self, config: MonitorConfig | None = None) -> None:
        self.config = config or MonitorConfig()
        span = max(self.config.window_seconds, 0.1)
        self.window = SlidingWindow(span, resolution=max(span / 60.0, 0.01))

    @classmethod
    def from_settings(cls, settings: Settings) -> ValidationMonitor:
        return cls(MonitorConfig.from_settings(settings))

    def request(self, route: str, status: int, seconds: float) -> None:
        payment = PAYMENT_ROUTE_MARK in route
        self.window.add(("http", payment, status >= 500), seconds * 1000.0)

    def stripe_call(self, result: str) -> None:
        self.window.add(("stripe", result == "unavailable"))

    def cache(self, hit: bool) -> None:
        self.window.add(("cache", hit))

    def db_connection_error(self) -> None:
        self.window.add(("db_conn_error",))

    def validation_failure(self) -> None:
        self.window.add(("validation",))

    def payment(self, result: str) -> None:
        self.window.add(("payment", result == "failed"))

    def webhook_event(self, result: str) -> None:
        self.window.add(("webhook", result in {"failed", "error", "invalid_signature"}))

    def snapshot(self, within: float | None = None) -> MonitorSnapshot:
        totals = self.window.totals(within)
        counts: dict[str, int] = {}
        latency_sum = latency_count = 0.0
        for key, (count, total) in totals.items():
            kind = str(key[0])
            counts[kind] = counts.get(kind, 0) + int(count)
            if len(key) > 1 and key[1] is True:
                counts[f"{kind}:flag"] = counts.get(f"{kind}:flag", 0) + int(count)
            if kind == "http":
                if key[1] is True:
                    latency_sum += total
                    latency_count += count
                if key[2] is True:
                    counts["http:5xx"] = counts.get("http:5xx", 0) + int(count)
        return MonitorSnapshot(
            window_seconds=self.window.span if within is None else within,
            requests=counts.get("http", 0),
            server_errors=counts.get("http:5xx", 0),
            payment_requests=int(latency_count),
            payment_latency_ms_avg=latency_sum / latency_count if latency_count else None,
            stripe_calls=counts.get("stripe", 0),
            stripe_errors=counts.get("stripe:flag", 0),
            cache_hits=counts.get("cache:flag", 0),
            cache_misses=counts.get("cache", 0) - counts.get("cache:flag", 0),
            db_connection_errors=counts.get("db_conn_error", 0),
            validation_failures=counts.get("validation", 0),
            payments=counts.get("payment", 0),
            payments_failed=counts.get("payment:flag", 0),
            webhook_events=counts.get("webhook", 0),
            webhook_failures=counts.get("webhook:flag", 0),
        )
