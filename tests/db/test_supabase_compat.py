"""Tender on a database set up the way a Supabase project is, old and new.

- Older Supabase projects define `auth.uid()` from `request.jwt.claim.sub` only; the
  migration keeps an existing `auth.uid()`, so Tender must set that legacy setting too.
- Supabase's default privileges hand ALL (TRUNCATE included) on every new table to anon,
  authenticated and service_role; 0002_grants must take that back to the declared matrix.
- 0002_grants downgrades to exactly what 0001 granted, and upgrades again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest

from tender.app import create_app
from tender.config import Settings
from tender.db import migrate, provision
from tender.db.urls import with_database, with_user
from tender.runtime import Runtime
from tests.conftest import bearer
from tests.db.test_grants import EXPECTED, _grants, as_role

SUPABASE_LIKE = """
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
END $$;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
CREATE SCHEMA auth;
-- The definition older Supabase projects still carry: the legacy per-claim setting only.
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;
"""


@pytest.fixture(scope="module")
async def supabase_like(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, app URL) of a database prepared like an older Supabase project, migrated."""
    name = f"tender_supa_{os.getpid()}_{secrets.token_hex(3)}"
    admin = with_database(pg_server_url, "postgres")
    await provision.ensure_database(admin, name)
    owner_url = with_database(pg_server_url, name)
    try:
        conn = await asyncpg.connect(owner_url)
        try:
            await conn.execute(SUPABASE_LIKE)
        finally:
            await conn.close()
        await migrate.upgrade(owner_url)
        await provision.ensure_app_role(owner_url)
        yield owner_url, with_user(owner_url, provision.APP_ROLE)
    finally:
        await provision.drop_database(admin, name)


@pytest.fixture
async def supa_client(
    test_settings: Settings, supabase_like: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    runtime = Runtime.build(test_settings, supabase_like[1])
    transport = httpx.ASGITransport(app=create_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tender.test") as c:
            yield c
    finally:
        await runtime.close()


async def test_the_legacy_auth_uid_is_kept(supabase_like: tuple[str, str]) -> None:
    conn = await asyncpg.connect(supabase_like[0])
    try:
        body = await conn.fetchval(
            "SELECT prosrc FROM pg_proc WHERE oid = 'auth.uid()'::regprocedure"
        )
    finally:
        await conn.close()
    assert "request.jwt.claim.sub" in body
    assert "request.jwt.claims" not in body


async def test_user_creates_and_confirms_a_payment_under_the_legacy_auth_uid(
    supa_client: httpx.AsyncClient, stripe_js: Any
) -> None:
    user = uuid4()
    headers = bearer(user)
    order = await supa_client.post(
        "/v1/orders", json={"amount": 2500, "currency": "usd"}, headers=headers
    )
    assert order.status_code == 201, order.text
    created = await supa_client.post(
        "/functions/v1/create-payment-intent",
        json={"order_id": order.json()["id"]},
        headers={**headers, "Idempotency-Key": f"legacy-{user}"},
    )
    assert created.status_code == 201, created.text
    pm = await stripe_js.v1.payment_methods.create_async(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    confirmed = await supa_client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": created.json()["payment_id"], "payment_method": pm.id},
        headers=headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    listed = await supa_client.get("/v1/orders", headers=headers)
    assert [o["status"] for o in listed.json()["data"]] == ["paid"]
    other = await supa_client.get("/v1/payments", headers=bearer(uuid4()))
    assert other.json()["data"] == []


async def test_supabase_default_privileges_are_taken_back(
    supabase_like: tuple[str, str],
) -> None:
    conn = await asyncpg.connect(supabase_like[0])
    try:
        assert await _grants(conn) == EXPECTED
    finally:
        await conn.close()


async def test_downgrade_restores_0001_grants_and_upgrade_closes_them_again(
    pg_server_url: str,
) -> None:
    name = f"tender_grants_{os.getpid()}_{secrets.token_hex(3)}"
    admin = with_database(pg_server_url, "postgres")
    await provision.ensure_database(admin, name)
    url = with_database(pg_server_url, name)
    try:
        await migrate.upgrade(url)
        await provision.ensure_app_role(url)
        user = uuid4()
        conn = await asyncpg.connect(url)
        app = await asyncpg.connect(with_user(url, provision.APP_ROLE))
        try:
            await conn.execute(
                "INSERT INTO orders (user_id, amount, currency) VALUES ($1, 100, 'usd')", user
            )
            attack = "UPDATE orders SET status = 'paid' WHERE user_id = $1"
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_role(app, "authenticated", attack, user, user=user)

            assert await migrate.downgrade(url, "0001") == "0001"
            # What 0001 allowed (and 0002 exists to forbid): the attack goes through.
            assert await as_role(app, "authenticated", attack, user, user=user) == "UPDATE 1"
            assert await conn.fetchval("SELECT relrowsecurity FROM pg_class"
                                       " WHERE oid = 'alembic_version'::regclass") is False  # fmt: skip

            assert await migrate.upgrade(url) == migrate.head_revision()
            await conn.execute("UPDATE orders SET status = 'pending' WHERE user_id = $1", user)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await as_role(app, "authenticated", attack, user, user=user)
            assert await _grants(conn) == EXPECTED
        finally:
            await app.close()
            await conn.close()
    finally:
        await provision.drop_database(admin, name)
