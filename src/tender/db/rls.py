"""Row-level security context: who a transaction runs as, set locally inside it.

The same contract as PostgREST and Supabase: the role is switched with `set_config('role')`
and the JWT claims are put in `request.jwt.claims`, plus the legacy per-claim settings
`request.jwt.claim.sub` and `request.jwt.claim.role` that older Supabase `auth.uid()` and
`auth.role()` read. All are local to the transaction and set in one statement (one round
trip), so a pooled connection never carries one user's identity into the next transaction.

Users read under RLS as `authenticated` and hold no write grant at all (migration
0002_grants). Where Tender writes on a user's behalf, after its own checks, the repository
function runs its statement through `execute_as_service` and scopes the SQL with the owner
predicate `(current_setting('request.jwt.claim.role', true) = 'service_role' OR user_id =
auth.uid())`. The claims stay set while the role is switched, so in a user's transaction the
write reaches only that user's rows, and fails closed (no row) if `auth.uid()` were ever
NULL; in a service transaction (webhooks, operators) any row.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Result, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

DbRole = Literal["anon", "authenticated", "service_role"]

SET_CONTEXT = text(
    "SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true),"
    " set_config('request.jwt.claim.sub', :sub, true),"
    " set_config('request.jwt.claim.role', :role, true)"
)
# The role before the switch is read first (a materialised CTE runs before the outer SELECT).
_TO_SERVICE = (
    "WITH before AS MATERIALIZED (SELECT current_setting('role') AS role) "
    "SELECT role, set_config('role', 'service_role', true) FROM before"
)
_SERVICE = "SELECT set_config('role', 'service_role', true)"
_BACK = "SELECT set_config('role', $1, true)"
# `Connection.info` key: the role the open transaction runs as, set by the transaction helper
# (tender.db.engine) when it sets the context and cleared when the transaction ends.
ROLE = "tender.role"
_DRIVER = "tender.driver"


@dataclass(frozen=True)
class DbContext:
    """The identity a transaction runs under."""

    role: DbRole
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def user(cls, user_id: UUID, claims: dict[str, Any] | None = None) -> DbContext:
        merged = {**(claims or {}), "sub": str(user_id), "role": "authenticated"}
        return cls("authenticated", merged)

    @classmethod
    def service(cls, actor: str) -> DbContext:
        return cls("service_role", {"role": "service_role", "actor": actor})

    @classmethod
    def anonymous(cls) -> DbContext:
        return cls("anon", {"role": "anon"})

    def parameters(self) -> dict[str, str]:
        sub = self.claims.get("sub")
        return {
            "role": self.role,
            "claims": json.dumps(self.claims, separators=(",", ":")),
            "sub": sub if isinstance(sub, str) else "",
        }


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn` (the role switches skip SQLAlchemy's layers)."""
    driver = conn.info.get(_DRIVER)
    if driver is None:
        driver = (await conn.get_raw_connection()).driver_connection
        conn.info[_DRIVER] = driver
    return driver


@asynccontextmanager
async def acting_as_service(conn: AsyncConnection) -> AsyncIterator[None]:
    """Run the block's statements as `service_role`, then return to the previous role.

    For writes Tender makes on a user's behalf after its own checks: users hold no write
    grant. The claims stay set, so `auth.uid()` still names the caller. If a database error
    ends the block the transaction is aborted and rolls back, role switch included. In a
    transaction already running as `service_role` it costs no statement at all.
    """
    known = conn.info.get(ROLE)
    if known == "service_role":
        yield
        return
    driver = await _driver(conn)
    if known is None:  # a connection not opened by the transaction helper: ask the server
        before = str((await driver.fetchrow(_TO_SERVICE))[0])
    else:
        before = str(known)
        await driver.execute(_SERVICE)
    conn.info[ROLE] = "service_role"
    try:
        yield
    except DBAPIError:
        raise  # the transaction is aborted: nothing more runs in it
    except Exception:
        if before != "service_role":
            await driver.execute(_BACK, before)
        raise
    else:
        if before != "service_role":
            await driver.execute(_BACK, before)
    finally:
        if known is None:
            conn.info.pop(ROLE, None)
        else:
            conn.info[ROLE] = known


async def execute_as_service(
    conn: AsyncConnection, statement: Executable, parameters: dict[str, Any] | None = None
) -> Result[Any]:
    """`conn.execute(statement, parameters)` as `service_role` (see `acting_as_service`)."""
    async with acting_as_service(conn):
        return await conn.execute(statement, parameters)
