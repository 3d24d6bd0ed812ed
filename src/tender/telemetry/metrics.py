"""Prometheus metrics. Label values come from small fixed sets: never ids, amounts or secrets."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Buckets resolve the seed's baselines: 50 ms (method query) up to 5 s (alert threshold).
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    2.5,
    3.0,
    5.0,
    10.0,
)

STRIPE_REQUESTS = Counter(
    "tender_stripe_requests_total",
    "Stripe API calls by operation and result.",
    ["operation", "result"],
)
STRIPE_LATENCY = Histogram(
    "tender_stripe_request_seconds",
    "Stripe API call latency.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
VALIDATION_FAILURES = Counter(
    "tender_validation_failures_total",
    "Rejected input by field and rule.",
    ["field", "rule"],
)
WEBHOOK_EVENTS = Counter(
    "tender_webhook_events_total",
    "Stripe webhook events by type and result.",
    ["type", "result"],
)
CACHE_LOOKUPS = Counter(
    "tender_cache_lookups_total",
    "Cache lookups by cache and result.",
    ["cache", "result"],
)
CACHE_ERRORS = Counter(
    "tender_cache_errors_total",
    "Cache backend failures (each served as a miss) by cache and operation.",
    ["cache", "operation"],
)
DB_LATENCY = Histogram(
    "tender_db_operation_seconds",
    "Database operation latency.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
PAYMENTS = Counter(
    "tender_payments_total",
    "Payment outcomes by method and result.",
    ["method", "result"],
)
HTTP_REQUESTS = Counter(
    "tender_http_requests_total",
    "HTTP requests by route template, method and status class.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "tender_http_request_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_CONNECTION_ERRORS = Counter(
    "tender_db_connection_errors_total",
    "Failures to reach the database (connect, pool, lost connection).",
)
ALERTS_FIRING = Gauge(
    "tender_alerts_firing",
    "1 while an in-service alert rule fires, else 0.",
    ["alertname", "severity"],
    multiprocess_mode="max",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition() -> bytes:
    """The text exposition: every worker's samples when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


ALERT_NOTIFICATIONS = Counter(
    "tender_alert_notifications_total",
    "Alert notifications by channel and result.",
    ["channel", "result"],
)
