"""The SQL `tender migrate ... --sql` prints is exactly what the migrations do.

An operator may read it and run it by hand (the rollback runbook's dry run): run through
psql's path (one simple-query script), it must build the same database, grants included.
"""

from __future__ import annotations

import os
import secrets

import asyncpg

from tender.db import migrate, provision
from tender.db.urls import with_database
from tests.db.test_grants import EXPECTED, _grants


async def test_printed_upgrade_sql_builds_the_same_database(pg_server_url: str) -> None:
    sql = migrate.offline_sql("upgrade", f"base:{migrate.head_revision()}")
    assert "%%" not in sql
    name = f"tender_offline_{os.getpid()}_{secrets.token_hex(3)}"
    admin = with_database(pg_server_url, "postgres")
    await provision.ensure_database(admin, name)
    try:
        conn = await asyncpg.connect(with_database(pg_server_url, name))
        try:
            await conn.execute(sql)
            assert await conn.fetchval("SELECT version_num FROM alembic_version") == (
                migrate.head_revision()
            )
            assert await _grants(conn) == EXPECTED
            check = await conn.fetchval(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conname = 'customers_stripe_customer_id_check'"
            )
            assert "'cus_%'" in check
            down = migrate.offline_sql("downgrade", f"{migrate.head_revision()}:base")
            await conn.execute(down)
            tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            assert [t["tablename"] for t in tables] == ["alembic_version"]
        finally:
            await conn.close()
    finally:
        await provision.drop_database(admin, name)
