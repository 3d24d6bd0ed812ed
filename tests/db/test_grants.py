"""The database refuses what a user may not do, tried the way PostgREST runs SQL.

PostgREST (Supabase's REST layer) opens a transaction, `SET LOCAL ROLE authenticated`, puts
the caller's JWT claims in `request.jwt.claims` and runs the statement the client asked for.
Every test here does exactly that on the login Tender itself uses, and tries one attack a
signed-in user could send as a `PATCH /rest/v1/payments?id=eq...`: each must be refused
(permission denied) or touch no row, and nothing must change.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import asyncpg
import pytest

from tender.db import migrate
from tests.db.test_rls import USER_TABLES, seed_user

SERVICE_TABLES = ["stripe_events", "kill_switches", "audit_log"]
EVERY_TABLE = [*USER_TABLES, *SERVICE_TABLES, "alembic_version"]
API_ROLES = ["anon", "authenticated", "service_role"]
# The whole grant matrix Tender's tables may hold for the API roles (0002_grants).
EXPECTED = {("authenticated", t): {"SELECT"} for t in USER_TABLES} | {
    ("service_role", "customers"): {"SELECT", "INSERT"},
    ("service_role", "orders"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "payment_methods"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "payments"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "payment_errors"): {"SELECT", "INSERT"},
    ("service_role", "refunds"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "idempotency_keys"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "stripe_events"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "kill_switches"): {"SELECT", "INSERT", "UPDATE"},
    ("service_role", "audit_log"): {"SELECT", "INSERT"},
}
GRANTS_SQL = """
SELECT c.relname AS tbl, coalesce(r.rolname, 'PUBLIC') AS grantee, a.privilege_type AS priv
FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1::text[])
  AND (a.grantee = 0 OR r.rolname = ANY($2::text[]))
"""


async def _grants(conn: asyncpg.Connection) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for row in await conn.fetch(GRANTS_SQL, EVERY_TABLE, API_ROLES):
        found.setdefault((row["grantee"], row["tbl"]), set()).add(row["priv"])
    return found


@pytest.fixture
async def rest(database_urls: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """A connection on Tender's login, used the way PostgREST uses its `authenticator`."""
    conn = await asyncpg.connect(database_urls[1])
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def owner(database_urls: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_urls[0])
    try:
        yield conn
    finally:
        await conn.close()


async def as_role(
    conn: asyncpg.Connection, role: str, sql: str, *args: object, user: UUID | None = None
) -> str:
    """Run `sql` in one transaction as PostgREST would for `role` (and `user`'s claims)."""
    claims = {"role": role} | ({"sub": str(user)} if user else {})
    async with conn.transaction():
        await conn.execute(f"SET LOCAL ROLE {role}")
        await conn.execute("SELECT set_config('request.jwt.claims', $1, true)", json.dumps(claims))
        return str(await conn.execute(sql, *args))


async def refused(
    conn: asyncpg.Connection, role: str, sql: str, *args: object, user: UUID | None = None
) -> None:
    """The statement fails with permission denied (or RLS) and changes nothing."""
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_role(conn, role, sql, *args, user=user)


@pytest.fixture
async def victim(owner_db: object) -> dict[str, object]:
    """A user with a succeeded card payment on a paid order, as Tender would have stored it."""
    from tender.db.engine import Database

    assert isinstance(owner_db, Database)
    user = uuid4()
    await seed_user(owner_db, user)
    return {"user": user}


async def _payment_of(owner: asyncpg.Connection, user: UUID) -> asyncpg.Record:
    row = await owner.fetchrow("SELECT * FROM payments WHERE user_id = $1", user)
    assert row is not None
    return row


async def test_every_grant_on_tenders_tables_is_declared(owner: asyncpg.Connection) -> None:
    """Nothing more than the declared matrix: no TRUNCATE, no DELETE, nothing for anon."""
    assert await _grants(owner) == EXPECTED


async def test_user_cannot_mark_own_payment_succeeded_or_change_its_amount(
    rest: asyncpg.Connection, owner: asyncpg.Connection, victim: dict[str, object]
) -> None:
    user = victim["user"]
    assert isinstance(user, UUID)
    before = await owner.fetchrow(
        "INSERT INTO payments (user_id, amount, currency, status) VALUES ($1, 2500, 'usd',"
        " 'requires_confirmation') RETURNING *",
        user,
    )
    for sql in (
        "UPDATE payments SET status = 'succeeded' WHERE id = $1",
        "UPDATE payments SET amount = 1 WHERE id = $1",
        "UPDATE payments SET amount_refunded = 0, stripe_payment_intent_id = NULL WHERE id = $1",
        "DELETE FROM payments WHERE id = $1",
    ):
        await refused(rest, "authenticated", sql, before["id"], user=user)
    after = await owner.fetchrow("SELECT * FROM payments WHERE id = $1", before["id"])
    assert dict(after) == dict(before)


async def test_user_cannot_insert_a_succeeded_payment_a_refund_or_an_error(
    rest: asyncpg.Connection, owner: asyncpg.Connection, victim: dict[str, object]
) -> None:
    user = victim["user"]
    assert isinstance(user, UUID)
    payment = await _payment_of(owner, user)
    await refused(
        rest,
        "authenticated",
        "INSERT INTO payments (user_id, amount, currency, status) VALUES ($1, 500, 'usd',"
        " 'succeeded')",
        user,
        user=user,
    )
    await refused(
        rest,
        "authenticated",
        "INSERT INTO refunds (user_id, payment_id, amount, currency, status)"
        " VALUES ($1, $2, 100, 'usd', 'succeeded')",
        user,
        payment["id"],
        user=user,
    )
    await refused(
        rest,
        "authenticated",
        "INSERT INTO payment_errors (user_id, error_code, message) VALUES ($1, 'x', 'y')",
        user,
        user=user,
    )
    counts = await owner.fetchrow(
        "SELECT (SELECT count(*) FROM payments WHERE user_id = $1) AS p,"
        " (SELECT count(*) FROM refunds WHERE user_id = $1) AS r,"
        " (SELECT count(*) FROM payment_errors WHERE user_id = $1) AS e",
        user,
    )
    assert counts is not None
    assert (counts["p"], counts["r"], counts["e"]) == (1, 1, 1)


async def test_user_cannot_mark_own_order_paid(
    rest: asyncpg.Connection, owner: asyncpg.Connection, victim: dict[str, object]
) -> None:
    user = victim["user"]
    assert isinstance(user, UUID)
    await refused(
        rest, "authenticated", "UPDATE orders SET status = 'paid' WHERE user_id = $1", user,
        user=user,
    )  # fmt: skip
    await refused(
        rest,
        "authenticated",
        "INSERT INTO orders (user_id, amount, currency, status) VALUES ($1, 1, 'usd', 'paid')",
        user,
        user=user,
    )
    status = await owner.fetchval("SELECT status FROM orders WHERE user_id = $1", user)
    assert status == "pending"


@pytest.mark.parametrize("table", USER_TABLES)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE {t} SET user_id = user_id WHERE user_id = $1",
        "DELETE FROM {t} WHERE user_id = $1",
        "INSERT INTO {t} SELECT * FROM {t} WHERE user_id = $1",
    ],
    ids=["update", "delete", "insert"],
)
async def test_user_writes_no_user_table_directly(
    rest: asyncpg.Connection, victim: dict[str, object], table: str, sql: str
) -> None:
    user = victim["user"]
    await refused(rest, "authenticated", sql.format(t=table), user, user=user)


@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize("table", EVERY_TABLE)
async def test_no_api_role_may_truncate(rest: asyncpg.Connection, role: str, table: str) -> None:
    await refused(rest, role, f"TRUNCATE {table}", user=uuid4())


@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM alembic_version",
        "UPDATE alembic_version SET version_num = '0001'",
        "INSERT INTO alembic_version VALUES ('x')",
        "DELETE FROM alembic_version",
    ],
    ids=["select", "update", "insert", "delete"],
)
async def test_migration_bookkeeping_is_closed_to_api_roles(
    rest: asyncpg.Connection, owner: asyncpg.Connection, role: str, sql: str
) -> None:
    await refused(rest, role, sql, user=uuid4())
    assert await owner.fetchval("SELECT version_num FROM alembic_version") == (
        migrate.head_revision()
    )
    security = await owner.fetchval(
        "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.alembic_version'::regclass"
    )
    assert security is True


@pytest.mark.parametrize("table", USER_TABLES)
async def test_user_reads_own_rows_and_no_one_elses(
    rest: asyncpg.Connection, owner_db: object, table: str
) -> None:
    from tender.db.engine import Database

    assert isinstance(owner_db, Database)
    a, b = uuid4(), uuid4()
    await seed_user(owner_db, a)
    await seed_user(owner_db, b)
    async with rest.transaction():
        await rest.execute("SET LOCAL ROLE authenticated")
        await rest.execute(
            "SELECT set_config('request.jwt.claims', $1, true)",
            json.dumps({"sub": str(a), "role": "authenticated"}),
        )
        owners = {r["user_id"] for r in await rest.fetch(f"SELECT user_id FROM {table}")}
        others = await rest.fetchval(f"SELECT count(*) FROM {table} WHERE user_id = $1", b)
    assert owners == {a}
    assert others == 0


@pytest.mark.parametrize("table", [*USER_TABLES, *SERVICE_TABLES])
async def test_anon_reads_nothing_at_all(rest: asyncpg.Connection, table: str) -> None:
    await refused(rest, "anon", f"SELECT * FROM {table}")


async def test_service_role_deletes_nothing(
    rest: asyncpg.Connection, victim: dict[str, object]
) -> None:
    for table in ("payments", "refunds", "orders", "audit_log", "stripe_events"):
        await refused(rest, "service_role", f"DELETE FROM {table}")


async def test_service_role_still_writes_through_the_state_machine(
    rest: asyncpg.Connection, owner: asyncpg.Connection, victim: dict[str, object]
) -> None:
    """The trigger function holds no grants for API roles, and still guards every update."""
    user = victim["user"]
    assert isinstance(user, UUID)
    payment = await _payment_of(owner, user)  # succeeded
    with pytest.raises(asyncpg.CheckViolationError):
        await as_role(
            rest,
            "service_role",
            "UPDATE payments SET status = 'pending' WHERE id = $1",
            payment["id"],
        )
    result = await as_role(
        rest,
        "service_role",
        "INSERT INTO audit_log (actor, action, subject) VALUES ('t', 'test', 'identity')",
    )
    assert result == "INSERT 0 1"  # the identity sequence needs no grant


async def test_no_table_or_sequence_in_public_gives_api_roles_more(
    owner: asyncpg.Connection,
) -> None:
    """A table a later migration adds is held to the user-facing rules too: nothing for anon
    (or PUBLIC), SELECT at most for authenticated and only under RLS, no TRUNCATE for any
    API role. (The exact matrix for Tender's money tables is the test above.)"""
    rows = await owner.fetch(
        """
SELECT c.relname, c.relkind, c.relrowsecurity, coalesce(r.rolname, 'PUBLIC') AS grantee,
       a.privilege_type
FROM pg_class c
CROSS JOIN LATERAL aclexplode(c.relacl) a
LEFT JOIN pg_roles r ON r.oid = a.grantee
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S')
  AND (a.grantee = 0 OR r.rolname = ANY($1::text[]))
""",
        API_ROLES,
    )
    assert rows
    assert not [r for r in rows if r["grantee"] in ("PUBLIC", "anon")]
    assert not [r for r in rows if r["privilege_type"] == "TRUNCATE"]
    users = [r for r in rows if r["grantee"] == "authenticated"]
    assert {r["privilege_type"] for r in users} == {"SELECT"}
    assert all(r["relkind"] != "S" and r["relrowsecurity"] for r in users)
