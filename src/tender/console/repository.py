"""The console's own SQL: hourly volume and success, method split, launch criteria inputs.

Runs as service_role. "Failed" matches the alert rules: an error was recorded and the payment
did not go on to succeed. Abandoned attempts (canceled) and offline payments still waiting
for money, or never paid (expired), are neither paid nor failed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_PAID = "('succeeded', 'refunded', 'partially_refunded')"
# Not failed: paid, or still going (the same set the alert rules' failure rate excludes).
_LIVE = "('succeeded', 'processing', 'requires_capture', 'refunded', 'partially_refunded')"

HOURLY = text(f"""
SELECT date_trunc('hour', created_at) AS hour,
       COUNT(*) AS payments,
       COUNT(*) FILTER (WHERE status IN {_PAID}) AS succeeded,
       COUNT(*) FILTER (WHERE last_error_code IS NOT NULL
                        AND status NOT IN {_LIVE}) AS failed,
       COALESCE(SUM(amount) FILTER (WHERE status IN {_PAID}), 0) AS amount
FROM payments
WHERE created_at >= date_trunc('hour', now()) - interval '23 hours'
GROUP BY 1
ORDER BY 1
""")  # noqa: S608 - constants only

METHODS = text("""
SELECT method_type, COUNT(*) AS payments
FROM payments
WHERE created_at >= now() - interval '24 hours'
GROUP BY method_type
ORDER BY payments DESC, method_type
""")

RECENT = text("""
SELECT id, created_at, method_type, amount, currency, status, last_error_code
FROM payments
ORDER BY created_at DESC
LIMIT 10
""")


async def hourly(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(HOURLY)).mappings()]


async def methods(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(METHODS)).mappings()]


async def recent(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(RECENT)).mappings()]
