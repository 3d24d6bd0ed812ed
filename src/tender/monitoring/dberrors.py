"""Is this exception 'the database cannot be reached' (not a query or constraint error)?"""

from __future__ import annotations

import asyncio

from sqlalchemy import exc as sa_exc

_NETWORK = (OSError, ConnectionError, asyncio.TimeoutError, sa_exc.TimeoutError)


def is_database_unreachable(exc: BaseException) -> bool:
    """True for refused/lost connections, pool timeouts and asyncpg connection errors."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _NETWORK):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.InterfaceError):
            return True
        module = type(current).__module__
        name = type(current).__name__
        if module.startswith("asyncpg") and (
            "Connection" in name or name in {"CannotConnectNowError", "TooManyConnectionsError"}
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
