"""The connection pool and the one way to open a transaction: under an RLS identity.

A database that cannot be reached (refused, lost mid-transaction, pool exhausted) surfaces
from `transaction()` as `DatabaseUnavailable` (503 with Retry-After), never as a driver
error: this module is the one place connection errors are recognised.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tender.db.rls import ROLE, SET_CONTEXT, DbContext
from tender.db.urls import to_asyncpg
from tender.errors import DatabaseUnavailable, TenderError

_NETWORK = (OSError, ConnectionError, asyncio.TimeoutError, sa_exc.TimeoutError)
_ASYNCPG_LOST = frozenset(
    {
        "CannotConnectNowError", "ConnectionDoesNotExistError", "ConnectionFailureError",
        "InterfaceError", "InternalClientError", "TooManyConnectionsError",
        "ConnectionRejectionError", "AdminShutdownError", "CrashShutdownError",
    }
)  # fmt: skip


def is_unreachable(exc: BaseException) -> bool:
    """True for refused/lost connections, pool timeouts and asyncpg connection errors."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (DatabaseUnavailable, *_NETWORK)):
            return True
        if isinstance(current, TenderError):
            return False
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.InterfaceError):
            return True
        if type(current).__module__.startswith("asyncpg") and (
            type(current).__name__ in _ASYNCPG_LOST or "Connection" in type(current).__name__
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


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
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        connect_timeout: float = 3.0,
        pool_timeout: float = 10.0,
        pgbouncer: bool = False,
    ) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            to_asyncpg(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=1800,
            # A refused or unreachable server fails within `connect_timeout`; waiting for a
            # free pooled connection under load may take longer before it is a 503.
            pool_timeout=pool_timeout,
            connect_args=connect_args(pgbouncer) | {"timeout": connect_timeout},
        )

    @asynccontextmanager
    async def transaction(self, context: DbContext) -> AsyncIterator[AsyncConnection]:
        """One short transaction as `context`; commits on success, rolls back on error."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(SET_CONTEXT, context.parameters())
                conn.info[ROLE] = context.role  # acting_as_service skips reading it back
                try:
                    yield conn
                finally:
                    conn.info.pop(ROLE, None)
        except TenderError:
            raise  # the service's own answer (its cause may be a network error elsewhere)
        except Exception as exc:
            if is_unreachable(exc):
                raise DatabaseUnavailable() from exc
            raise

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
