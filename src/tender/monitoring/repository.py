"""All of monitoring's SQL: the seed's three queries, revenue, refunds and alert inputs.

Each report query is the seed's text with one change: the window start is
`COALESCE(:since, NOW() - INTERVAL '...')`, so with no `since` it is the seed's query.
Everything runs as `service_role` (DbContext.service("monitoring")).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

PAYMENT_STATUS = text("""
SELECT
  status,
  COUNT(*) as count,
  ROUND(COUNT(*) * 100.0 / SUM(COUNT(*)) OVER(), 2) as percentage
FROM payments
WHERE created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '24 hours')
GROUP BY status
ORDER BY count DESC, status
""")

METHOD_USAGE = text("""
SELECT
  pm.type,
  COUNT(p.id) as payment_count,
  AVG(p.amount) as avg_amount
FROM payment_methods pm
LEFT JOIN payments p ON p.payment_method_id = pm.id
WHERE p.created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '7 days')
GROUP BY pm.type
ORDER BY payment_count DESC, pm.type
""")

# Every payment by method type (cards included: the seed's METHOD_USAGE above joins saved
# methods only, and card payments made with a fresh PaymentMethod have none), per currency.
PAYMENTS_BY_METHOD = text("""
SELECT method_type AS type, currency,
       COUNT(*) AS payment_count,
       ROUND(AVG(amount)) AS avg_amount,
       SUM(amount) AS total_amount
FROM payments
WHERE created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '7 days')
GROUP BY method_type, currency
ORDER BY payment_count DESC, method_type, currency
""")

ERROR_CODES = text("""
SELECT
  error_code,
  COUNT(*) as error_count,
  DATE_TRUNC('hour', created_at) as hour
FROM payment_errors
WHERE created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '24 hours')
GROUP BY error_code, hour
ORDER BY hour DESC, error_count DESC, error_code
""")

REVENUE = text("""
SELECT currency,
       COUNT(*) AS payments,
       SUM(amount) AS gross,
       SUM(amount_refunded) AS refunded,
       SUM(amount - amount_refunded) AS net
FROM payments
WHERE status IN ('succeeded', 'partially_refunded', 'refunded')
  AND created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '24 hours')
GROUP BY currency
ORDER BY gross DESC, currency
""")

REFUNDS = text("""
SELECT status, currency, COUNT(*) AS refunds, SUM(amount) AS amount
FROM refunds
WHERE created_at >= COALESCE(CAST(:since AS timestamptz), NOW() - INTERVAL '24 hours')
GROUP BY status, currency
ORDER BY refunds DESC, status, currency
""")

# A payment counts as failed once an error was recorded and it did not go on to succeed.
FAILURE_RATE = text("""
SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE last_error_code IS NOT NULL
    AND status NOT IN ('succeeded', 'processing', 'requires_capture', 'refunded',
                       'partially_refunded')) AS failed
FROM payments
WHERE created_at >= NOW() - make_interval(secs => :seconds)
""")

FAILED_AMOUNT = text("""
SELECT currency, SUM(amount) AS amount, COUNT(*) AS payments
FROM payments
WHERE last_error_code IS NOT NULL
    AND status NOT IN ('succeeded', 'processing', 'requires_capture', 'refunded',
                       'partially_refunded') AND updated_at >= NOW() - INTERVAL '1 hour'
GROUP BY currency
ORDER BY currency
""")

ERROR_PATTERN = text("""
SELECT error_code,
       COUNT(*) FILTER (WHERE created_at >= NOW() - make_interval(secs => :seconds)) AS recent,
       COUNT(*) FILTER (WHERE created_at < NOW() - make_interval(secs => :seconds)) AS baseline
FROM payment_errors
WHERE created_at >= NOW() - make_interval(hours => :baseline_hours)
GROUP BY error_code
""")

METHOD_WEEK_OVER_WEEK = text("""
SELECT method_type,
       COUNT(*) FILTER (WHERE created_at >= NOW() - INTERVAL '7 days') AS this_week,
       COUNT(*) FILTER (WHERE created_at < NOW() - INTERVAL '7 days') AS last_week
FROM payments
WHERE created_at >= NOW() - INTERVAL '14 days'
GROUP BY method_type
ORDER BY method_type
""")

WEBHOOK_INBOX = text("""
SELECT EXTRACT(EPOCH FROM NOW() - MAX(received_at)) AS last_event_age,
       COUNT(*) FILTER (WHERE status = 'failed') AS failed,
       EXTRACT(EPOCH FROM NOW() - MIN(received_at) FILTER (WHERE status = 'pending'))
         AS oldest_pending_age
FROM stripe_events
""")


async def rows(conn: AsyncConnection, query: Any, **params: Any) -> list[dict[str, Any]]:
    result = await conn.execute(query, params)
    return [dict(row) for row in result.mappings()]


async def payment_status(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, PAYMENT_STATUS, since=since)


async def method_usage(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, METHOD_USAGE, since=since)


async def payments_by_method(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, PAYMENTS_BY_METHOD, since=since)


async def error_codes(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, ERROR_CODES, since=since)


async def revenue(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, REVENUE, since=since)


async def refunds(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    return await rows(conn, REFUNDS, since=since)


async def failure_rate(conn: AsyncConnection, seconds: float) -> dict[str, Any]:
    return (await rows(conn, FAILURE_RATE, seconds=seconds))[0]


async def failed_amount_last_hour(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await rows(conn, FAILED_AMOUNT)


async def error_pattern(
    conn: AsyncConnection, seconds: float, baseline_hours: int
) -> list[dict[str, Any]]:
    return await rows(conn, ERROR_PATTERN, seconds=seconds, baseline_hours=baseline_hours)


async def method_week_over_week(conn: AsyncConnection) -> list[dict[str, Any]]:
    return await rows(conn, METHOD_WEEK_OVER_WEEK)


async def webhook_inbox(conn: AsyncConnection) -> dict[str, Any]:
    return (await rows(conn, WEBHOOK_INBOX))[0]
