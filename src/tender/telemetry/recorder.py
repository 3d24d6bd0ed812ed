"""The one seam services report through; monitoring decides what to do with each record.

Result vocabularies (label values, keep them small): `stripe_call` result is `ok`, `error`
(Stripe answered with an error, e.g. a decline) or `unavailable` (network, 5xx, auth: the
"Stripe API error" of the seed's alert); `payment` result is e.g. `succeeded`, `failed`,
`requires_action`, `canceled` (`failed` feeds the failure-rate alert); `webhook_event`
result is e.g. `processed`, `duplicate`, `ignored`, `failed`.
"""

from __future__ import annotations

from tender.telemetry import metrics
from tender.telemetry.monitor import ValidationMonitor

WEBHOOK_TYPES = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.requires_action",
        "payment_intent.processing",
        "payment_method.attached",
        "payment_method.detached",
        "charge.refunded",
        "refund.created",
        "refund.updated",
    }
)


class Recorder:
    """Services call these; no service imports prometheus or a logger for monitoring."""

    def __init__(self, monitor: ValidationMonitor | None = None) -> None:
        self.monitor = monitor

    def stripe_call(self, operation: str, result: str, seconds: float) -> None:
        metrics.STRIPE_REQUESTS.labels(operation, result).inc()
        metrics.STRIPE_LATENCY.labels(operation).observe(seconds)
        if self.monitor is not None:
            self.monitor.stripe_call(result)

    def validation_failure(self, field: str, rule: str) -> None:
        metrics.VALIDATION_FAILURES.labels(field[:64], rule[:64]).inc()
        if self.monitor is not None:
            self.monitor.validation_failure()

    def webhook_event(self, event_type: str, result: str) -> None:
        # Unknown types share one label so a sender cannot grow the label set.
        label = event_type if event_type in WEBHOOK_TYPES else "other"
        metrics.WEBHOOK_EVENTS.labels(label, result).inc()
        if self.monitor is not None:
            self.monitor.webhook_event(result)

    def cache(self, name: str, hit: bool) -> None:
        metrics.CACHE_LOOKUPS.labels(name, "hit" if hit else "miss").inc()
        if self.monitor is not None:
            self.monitor.cache(hit)

    def cache_error(self, name: str, operation: str) -> None:
        metrics.CACHE_ERRORS.labels(name, operation).inc()

    def db_time(self, operation: str, seconds: float) -> None:
        metrics.DB_LATENCY.labels(operation).observe(seconds)

    def db_connection_error(self) -> None:
        """The database could not be reached (the seed's critical `database_connection_errors`)."""
        metrics.DB_CONNECTION_ERRORS.inc()
        if self.monitor is not None:
            self.monitor.db_connection_error()

    def payment(self, method: str, result: str) -> None:
        metrics.PAYMENTS.labels(method, result).inc()
        if self.monitor is not None:
            self.monitor.payment(result)

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One HTTP request, by route template (never the raw path)."""
        metrics.HTTP_REQUESTS.labels(route, method, f"{status // 100}xx").inc()
        metrics.HTTP_LATENCY.labels(route, method).observe(seconds)
        if self.monitor is not None:
            self.monitor.request(route, status, seconds)
