"""Prometheus metrics. Label values come from small fixed sets: never ids, amounts or secrets."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
