"""Every revision upgrades, downgrades to base and upgrades again on a real database."""

from __future__ import annotations

import secrets

import asyncpg

from tender.db import migrate, provision
from tender.db.urls import with_database

SEED_MONITORING_QUERIES = [
    """SELECT
  status,
  COUNT(*) as count,
  ROUND(COUNT(*) * 100.0 / SUM(COUNT(*)) OVER(), 2) as percentage
FROM payments
WHERE created_at >= NOW() - INTERVAL '24 hours'
GROUP BY status
ORDER BY count DESC;""",
    """SELECT
  pm.type,
  COUNT(p.id) as payment_count,
  AVG(p.amount) as avg_amount
FROM payment_methods pm
LEFT JOIN payments p ON p.payment_method_id = pm.id
WHERE p.created_at >= NOW() - INTERVAL '7 days'
GROUP BY pm.type
ORDER BY payment_count DESC;""",
    """SELECT
  error_code,
  COUNT(*) as error_count,
  DATE_TRUNC('hour', created_at) as hour
FROM payment_errors
WHERE created_at >= NOW() - INTERVAL '24 hours'
GROUP BY error_code, hour
ORDER BY hour DESC, error_count DESC;""",
]


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_round_trip(pg_server_url: str) -> None:
    name = f"tender_mig_{secrets.token_hex(4)}"
    admin = with_database(pg_server_url, "postgres")
    await provision.ensure_database(admin, name)
    url = with_database(pg_server_url, name)
    try:
        assert await migrate.upgrade(url) == migrate.head_revision()
        tables = await _tables(url)
        assert {
            "orders",
            "payments",
            "payment_methods",
            "payment_errors",
            "stripe_events",
            "kill_switches",
            "audit_log",
        } <= tables
        assert await migrate.downgrade(url, "base") is None
        assert await _tables(url) == {"alembic_version"}
        assert await migrate.upgrade(url) == migrate.head_revision()
        assert await _tables(url) == tables
    finally:
        await provision.drop_database(admin, name)


async def test_seed_monitoring_queries_run_verbatim(database_urls: tuple[str, str]) -> None:
    conn = await asyncpg.connect(database_urls[0])
    try:
        for query in SEED_MONITORING_QUERIES:
            await conn.fetch(query)  # raises if a column or table the seed names is missing
    finally:
        await conn.close()


def test_offline_sql_prints_a_dry_run_without_a_database() -> None:
    sql = migrate.offline_sql("downgrade", f"{migrate.head_revision()}:base")
    assert "DROP TABLE IF EXISTS" in sql
    assert "payments" in sql
