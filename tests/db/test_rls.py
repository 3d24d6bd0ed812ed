"""Row-level security: users see only their own rows, in every user-owned table, and write none."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from tender.db.engine import Database
from tender.db.rls import DbContext

USER_TABLES = [
    "customers",
    "orders",
    "payment_methods",
    "payments",
    "payment_errors",
    "refunds",
    "idempotency_keys",
]


async def seed_user(db: Database, user: UUID) -> None:
    """One row per user-owned table for `user`, written as service_role."""
    async with db.transaction(DbContext.service("test")) as conn:
        order = (
            await conn.execute(
                text(
                    "INSERT INTO orders (user_id, amount, currency) VALUES (:u, 2500, 'usd') RETURNING id"
                ),
                {"u": user},
            )
        ).scalar_one()
        method = (
            await conn.execute(
                text(
                    "INSERT INTO payment_methods (user_id, type, stripe_payment_method_id, brand, last4,"
                    " exp_month, exp_year) VALUES (:u, 'card', :pm, 'visa', '4242', 12, 2030) RETURNING id"
                ),
                {"u": user, "pm": f"pm_{uuid4().hex}"},
            )
        ).scalar_one()
        payment = (
            await conn.execute(
                text(
                    "INSERT INTO payments (user_id, order_id, payment_method_id, amount, currency, status)"
                    " VALUES (:u, :o, :m, 2500, 'usd', 'succeeded') RETURNING id"
                ),
                {"u": user, "o": order, "m": method},
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO payment_errors (user_id, payment_id, error_code, message)"
                " VALUES (:u, :p, 'card_declined', 'declined')"
            ),
            {"u": user, "p": payment},
        )
        await conn.execute(
            text(
                "INSERT INTO refunds (user_id, payment_id, amount, currency)"
                " VALUES (:u, :p, 100, 'usd')"
            ),
            {"u": user, "p": payment},
        )
        await conn.execute(
            text("INSERT INTO customers (user_id, stripe_customer_id) VALUES (:u, :c)"),
            {"u": user, "c": f"cus_{uuid4().hex[:14]}"},
        )
        await conn.execute(
            text(
                "INSERT INTO idempotency_keys (user_id, key, operation, request_hash)"
                " VALUES (:u, 'k1', 'test', 'h')"
            ),
            {"u": user},
        )


@pytest.fixture
async def two_users(owner_db: Database) -> tuple[UUID, UUID]:
    a, b = uuid4(), uuid4()
    await seed_user(owner_db, a)
    await seed_user(owner_db, b)
    return a, b


@pytest.mark.parametrize("table", USER_TABLES)
async def test_user_reads_only_own_rows_even_without_a_filter(
    app_db: Database, two_users: tuple[UUID, UUID], table: str
) -> None:
    a, _b = two_users
    async with app_db.transaction(DbContext.user(a)) as conn:
        owners = (await conn.execute(text(f"SELECT user_id FROM {table}"))).scalars().all()
    assert owners
    assert set(owners) == {a}


@pytest.mark.parametrize("table", USER_TABLES)
async def test_user_cannot_update_or_delete_another_users_rows(
    app_db: Database, owner_db: Database, two_users: tuple[UUID, UUID], table: str
) -> None:
    a, b = two_users
    for sql in (
        f"UPDATE {table} SET user_id = user_id WHERE user_id = :b",
        f"DELETE FROM {table} WHERE user_id = :b",
    ):
        with pytest.raises(ProgrammingError, match="permission denied"):
            async with app_db.transaction(DbContext.user(a)) as conn:
                await conn.execute(text(sql), {"b": b})
    async with owner_db.transaction(DbContext.service("check")) as conn:
        left = (
            await conn.execute(text(f"SELECT count(*) FROM {table} WHERE user_id = :b"), {"b": b})
        ).scalar_one()
    assert left >= 1


async def test_user_cannot_write_a_row_owned_by_someone_else(
    app_db: Database, two_users: tuple[UUID, UUID]
) -> None:
    a, b = two_users
    with pytest.raises(DBAPIError, match="permission denied"):
        async with app_db.transaction(DbContext.user(a)) as conn:
            await conn.execute(
                text("INSERT INTO orders (user_id, amount, currency) VALUES (:b, 100, 'usd')"),
                {"b": b},
            )


async def test_user_cannot_hand_own_row_to_someone_else(
    app_db: Database, two_users: tuple[UUID, UUID]
) -> None:
    a, b = two_users
    with pytest.raises(DBAPIError, match="permission denied"):
        async with app_db.transaction(DbContext.user(a)) as conn:
            await conn.execute(
                text("UPDATE orders SET user_id = :b WHERE user_id = :a"), {"a": a, "b": b}
            )


async def test_service_role_sees_every_user(app_db: Database, two_users: tuple[UUID, UUID]) -> None:
    async with app_db.transaction(DbContext.service("ops")) as conn:
        owners = set((await conn.execute(text("SELECT user_id FROM payments"))).scalars())
    assert set(two_users) <= owners


@pytest.mark.parametrize("table", USER_TABLES)
async def test_anon_sees_nothing(
    app_db: Database, two_users: tuple[UUID, UUID], table: str
) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"):
        async with app_db.transaction(DbContext.anonymous()) as conn:
            await conn.execute(text(f"SELECT count(*) FROM {table}"))


@pytest.mark.parametrize("table", ["stripe_events", "kill_switches", "audit_log"])
async def test_users_cannot_reach_service_tables(
    app_db: Database, user_id: UUID, table: str
) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"):
        async with app_db.transaction(DbContext.user(user_id)) as conn:
            await conn.execute(text(f"SELECT * FROM {table}"))


async def test_app_login_role_without_a_context_is_denied(app_db: Database) -> None:
    """The login role owns nothing: a query that forgot to switch role fails closed."""
    with pytest.raises(ProgrammingError, match="permission denied"):
        async with app_db.engine.connect() as conn:
            await conn.execute(text("SELECT * FROM payments"))


async def test_identity_does_not_leak_across_pooled_transactions(
    app_db: Database, two_users: tuple[UUID, UUID]
) -> None:
    a, _ = two_users
    async with app_db.transaction(DbContext.user(a)) as conn:
        assert (await conn.execute(text("SELECT auth.uid()"))).scalar_one() == a
    for _ in range(5):  # the same pooled connections, no context set
        async with app_db.engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT current_user, current_setting('request.jwt.claims', true)")
                )
            ).one()
            assert row[0] == "tender_app"
            assert not row[1]


async def test_seed_rls_verification_queries(
    database_urls: tuple[str, str], two_users: tuple[UUID, UUID]
) -> None:
    import asyncpg

    a, _ = two_users
    conn = await asyncpg.connect(database_urls[0])
    try:
        rows = await conn.fetch("""
SELECT schemaname, tablename, rowsecurity
FROM pg_tables
WHERE tablename IN ('payments', 'payment_methods', 'orders')
AND rowsecurity = true;""")
        assert {r["tablename"] for r in rows} == {"payments", "payment_methods", "orders"}
        rows = await conn.fetch("""
SELECT tablename, rowsecurity FROM pg_tables
WHERE schemaname = 'public' AND tablename LIKE '%payment%';""")
        assert rows
        assert all(r["rowsecurity"] for r in rows)
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('request.jwt.claims', $1, true)",
                f'{{"sub": "{a}", "role": "authenticated"}}',
            )
            await conn.execute("SET ROLE authenticated;")
            rows = await conn.fetch("SELECT * FROM payments;")
            await conn.execute("RESET ROLE")
        assert rows
        assert {r["user_id"] for r in rows} == {a}
    finally:
        await conn.close()


async def test_rls_is_forced_on_every_user_table(owner_db: Database) -> None:
    async with owner_db.transaction(DbContext.service("check")) as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
                    " WHERE relname = ANY(:t)"
                ),
                {"t": USER_TABLES},
            )
        ).all()
    assert {r[0] for r in rows} == set(USER_TABLES)
    assert all(r[1] and r[2] for r in rows)
