"""The seed guide's published figures, which every report is set beside."""

from __future__ import annotations

# API response times, 95th percentile, ms ("Expected Performance Metrics").
P95_BASELINE_MS = {
    "create-payment-intent": 1500.0,
    "confirm-payment": 2000.0,
    "list-payment-methods": 500.0,
}
# Database query times, 95th percentile, ms.
DB_P95_BASELINE_MS = {"payment insert": 100.0, "payment method query": 50.0, "order update": 75.0}
# "Load Testing Results (Verified)": 100 users, 50,000 requests, 10 minutes.
SEED_LOAD = {
    "users": 100,
    "requests": 50_000,
    "duration_s": 600.0,
    "requests_per_s": 50_000 / 600.0,
    "avg_ms": 1200.0,
    "p95_ms": 2800.0,
    "p99_ms": 4100.0,
    "error_rate": 0.0002,
}
# Issue 7's targets on one 2-core machine with zero injected latency.
TARGETS = {"requests_per_s": 830.0, "p95_ms": 50.0, "p99_ms": 150.0, "errors": 0}
