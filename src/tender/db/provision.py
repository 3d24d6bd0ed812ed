"""Create the database and the application's login role on a server Tender administers.

The app logs in as `tender_app`, a role that owns nothing and holds no table privileges of its
own: every query runs after switching to `authenticated` or `service_role` inside the
transaction, so a forgotten role switch fails closed (permission denied) instead of leaking.
"""

from __future__ import annotations

import contextlib

import asyncpg

APP_ROLE = "tender_app"


async def ensure_database(superuser_url: str, name: str) -> None:
    conn = await asyncpg.connect(superuser_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(superuser_url: str, name: str) -> None:
    conn = await asyncpg.connect(superuser_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_app_role(superuser_url: str) -> None:
    """The login role the service uses; a member of the three API roles, owner of nothing."""
    conn = await asyncpg.connect(superuser_url)
    try:
        await conn.execute(f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    BEGIN
      CREATE ROLE {APP_ROLE} LOGIN NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
END $$;
GRANT anon, authenticated, service_role TO {APP_ROLE};
""")
    finally:
        await conn.close()
