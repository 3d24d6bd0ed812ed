"""The connection pool and the one way to open a transaction: under an RLS identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tender.db.rls import SET_CONTEXT, DbContext
from tender.db.urls import to_asyncpg


def connect_args(pgbouncer: bool) -> dict[str, Any]:
    """asyncpg options. Behind PgBouncer in transaction pooling (DATABASE_PGBOUNCER) a server
    connection serves one transaction and then another client: no statement may be cached
    across transactions, and each gets a unique name so two clients' never collide (the
    SQLAlchemy asyncpg dialect's documented PgBouncer set-up; PgBouncer < 1.21 cannot track
    prepared statements itself). The RLS context is set with set_config(..., true), local to
    the transaction, so it never leaks to the next client of that server connection."""
    args: dict[str, Any] = {"server_settings": {"application_name": "tender"}}
    if pgbouncer:
        args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__tender_{uuid4().hex}__",
        }
    return args


class Database:
    """Owns the pool. Every transaction it opens runs as `anon`, a user or `service_role`."""

    def __init__(
        self, url: str, *, pool_size: int = 10, max_overflow: int = 10, pgbouncer: bool = False
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            to_asyncpg(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,
            connect_args=connect_args(pgbouncer),
        )

    @asynccontextmanager
    async def transaction(self, context: DbContext) -> AsyncIterator[AsyncConnection]:
        """One short transaction as `context`; commits on success, rolls back on error."""
        async with self.engine.begin() as conn:
            await conn.execute(SET_CONTEXT, context.parameters())
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
