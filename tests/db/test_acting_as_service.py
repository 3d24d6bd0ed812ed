"""Writes Tender makes for a user run as service_role, scoped to that user, then switch back."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tender.db.engine import Database
from tender.db.rls import SET_CONTEXT, DbContext, acting_as_service, execute_as_service
from tender.orders import repository as orders
from tests.db.test_rls import seed_user


async def _order_of(db: Database, user: UUID) -> dict[str, object]:
    async with db.transaction(DbContext.service("test")) as conn:
        row = (
            (await conn.execute(text("SELECT * FROM orders WHERE user_id = :u"), {"u": user}))
            .mappings()
            .one()
        )
    return dict(row)


async def test_a_write_for_a_user_reaches_only_that_users_rows(
    app_db: Database, owner_db: Database
) -> None:
    a, b = uuid4(), uuid4()
    await seed_user(owner_db, a)
    await seed_user(owner_db, b)
    theirs = await _order_of(owner_db, b)
    async with app_db.transaction(DbContext.user(a)) as conn:
        moved = await orders.set_status(conn, theirs["id"], "canceled", from_statuses=("pending",))
        locked = await orders.get_order(conn, theirs["id"], lock=True)
    assert moved is None
    assert locked is None
    assert (await _order_of(owner_db, b))["status"] == "pending"
    mine = await _order_of(owner_db, a)
    async with app_db.transaction(DbContext.user(a)) as conn:
        moved = await orders.set_status(conn, mine["id"], "canceled", from_statuses=("pending",))
    assert moved is not None
    assert moved["status"] == "canceled"


async def test_the_role_goes_back_to_the_user_after_the_write(app_db: Database) -> None:
    user = uuid4()
    async with app_db.transaction(DbContext.user(user)) as conn:
        during = await execute_as_service(conn, text("SELECT current_user"))
        after = (await conn.execute(text("SELECT current_user, auth.uid()"))).one()
    assert during.scalar_one() == "service_role"
    assert tuple(after) == ("authenticated", user)


async def test_a_service_transaction_stays_service(app_db: Database) -> None:
    async with app_db.transaction(DbContext.service("test")) as conn:
        async with acting_as_service(conn):
            pass
        assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "service_role"


async def test_a_failed_write_rolls_back_and_leaves_no_role_behind(app_db: Database) -> None:
    user = uuid4()
    with pytest.raises(IntegrityError):
        async with app_db.transaction(DbContext.user(user)) as conn:
            await execute_as_service(
                conn,
                text("INSERT INTO orders (user_id, amount, currency) VALUES (:u, 0, 'usd')"),
                {"u": user},
            )
    async with app_db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT current_user"))).scalar_one() == "tender_app"


async def test_legacy_claim_settings_are_set_with_the_claims(app_db: Database) -> None:
    user = uuid4()
    async with app_db.transaction(DbContext.user(user)) as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT current_setting('request.jwt.claim.sub', true),"
                    " current_setting('request.jwt.claim.role', true),"
                    " current_setting('request.jwt.claims', true)::jsonb ->> 'sub'"
                )
            )
        ).one()
    assert tuple(row) == (str(user), "authenticated", str(user))


async def test_a_role_claim_in_a_users_token_does_not_widen_the_write(
    app_db: Database, owner_db: Database
) -> None:
    a, b = uuid4(), uuid4()
    await seed_user(owner_db, b)
    theirs = await _order_of(owner_db, b)
    context = DbContext.user(a, {"role": "service_role", "sub": str(b)})
    async with app_db.transaction(context) as conn:
        moved = await orders.set_status(conn, theirs["id"], "canceled", from_statuses=("pending",))
    assert moved is None
    assert (await _order_of(owner_db, b))["status"] == "pending"


async def test_outside_the_transaction_helper_the_role_is_read_from_the_server(
    app_db: Database,
) -> None:
    """The helper's note of its role never outlives its transaction (the connection is
    pooled): a bare connection's switch asks the server which role to return to."""
    async with app_db.transaction(DbContext.service("test")):
        pass
    async with app_db.engine.connect() as conn:
        await conn.execute(SET_CONTEXT, DbContext.user(uuid4()).parameters())
        during = await execute_as_service(conn, text("SELECT current_user"))
        after = (await conn.execute(text("SELECT current_user"))).scalar_one()
        await conn.rollback()
    assert during.scalar_one() == "service_role"
    assert after == "authenticated"
