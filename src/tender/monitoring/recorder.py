"""The one seam services report through; monitoring decides what to do with each record."""

from __future__ import annotations

from tender.monitoring import metrics

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

    def stripe_call(self, operation: str, result: str, seconds: float) -> None:
        metrics.STRIPE_REQUESTS.labels(operation, result).inc()
        metrics.STRIPE_LATENCY.labels(operation).observe(seconds)

    def validation_failure(self, field: str, rule: str) -> None:
        metrics.VALIDATION_FAILURES.labels(field[:64], rule[:64]).inc()

    def webhook_event(self, event_type: str, result: str) -> None:
        # Unknown types share one label so a sender cannot grow the label set.
        label = event_type if event_type in WEBHOOK_TYPES else "other"
        metrics.WEBHOOK_EVENTS.labels(label, result).inc()

    def cache(self, name: str, hit: bool) -> None:
        metrics.CACHE_LOOKUPS.labels(name, "hit" if hit else "miss").inc()

    def cache_error(self, name: str, operation: str) -> None:
        metrics.CACHE_ERRORS.labels(name, operation).inc()

    def db_time(self, operation: str, seconds: float) -> None:
        metrics.DB_LATENCY.labels(operation).observe(seconds)

    def payment(self, method: str, result: str) -> None:
        metrics.PAYMENTS.labels(method, result).inc()
