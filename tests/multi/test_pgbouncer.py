"""Tender's engine behind PgBouncer in transaction pooling (DATABASE_PGBOUNCER): many users'
transactions interleave on few server connections, each sees only its own RLS identity, none
leaks into the next, and statements are prepared again and again without collisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.db.urls import to_libpq
from tests.conftest import fresh_database
from tests.multi.deployment import STANDALONE, pgbouncer
from tests.multi.test_scale_out import pytestmark as multi_marks

pytestmark = multi_marks


@pytest.fixture(scope="module")
async def pooled_db() -> AsyncIterator[Database]:
    async with fresh_database(STANDALONE, "tender_pgb") as (_, app_url):
        with pgbouncer(STANDALONE, ["tender_app"]) as port:
            url = to_libpq(make_url(app_url).set(host="127.0.0.1", port=port))
            db = Database(url, pool_size=20, max_overflow=0, pgbouncer=True)
            try:
                yield db
            finally:
                await db.dispose()


async def test_rls_identity_stays_in_its_transaction(pooled_db: Database) -> None:
    async def as_user(user: UUID) -> list[str]:
        seen: list[str] = []
        for _ in range(5):
            async with pooled_db.transaction(DbContext.user(user)) as conn:
                seen.append(str((await conn.execute(text("SELECT auth.uid()"))).scalar()))
                await asyncio.sleep(0.01)  # let other clients take the server connection
                seen.append(str((await conn.execute(text("SELECT auth.uid()"))).scalar()))
        return seen

    users = [uuid4() for _ in range(40)]  # 40 clients on PgBouncer's 20 server connections
    results = await asyncio.gather(*(as_user(u) for u in users))
    assert results == [[str(u)] * 10 for u in users]

    async with pooled_db.engine.connect() as conn:  # a transaction with no identity set
        row = (
            await conn.execute(
                text(
                    "SELECT current_user, coalesce(current_setting('request.jwt.claims', true), '')"
                )
            )
        ).one()
    assert tuple(row) == ("tender_app", "")  # nothing left behind by the users
