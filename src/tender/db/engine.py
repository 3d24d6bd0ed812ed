"""The connection pool and the one way to open a transaction: under an RLS identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tender.db.rls import SET_CONTEXT, DbContext
from tender.db.urls import to_asyncpg


class Database:
    """Owns the pool. Every transaction it opens runs as `anon`, a user or `service_role`."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            to_asyncpg(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,
            connect_args={"server_settings": {"application_name": "tender"}},
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
