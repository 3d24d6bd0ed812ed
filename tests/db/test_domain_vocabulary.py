"""The database and the code name the same statuses and method types.

`tender.domain.statuses` is the one source in Python; the migrations write the same values
into CHECK constraints and into the payments state-machine trigger. These tests read both
back from a migrated database, so adding a status on one side only fails here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from enum import StrEnum

import asyncpg
import pytest

from tender.domain.statuses import (
    EventStatus,
    MethodType,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
)
from tender.payments import states

# (table, column) -> the enum its single-column `IN (...)` CHECK must list exactly.
COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("payments", "status"): PaymentStatus,
    ("payments", "method_type"): MethodType,
    ("orders", "status"): OrderStatus,
    ("orders", "payment_method_type"): MethodType,
    ("payment_methods", "type"): MethodType,
    ("refunds", "status"): RefundStatus,
    ("stripe_events", "status"): EventStatus,
}
LITERAL = re.compile(r"'([^']*)'")


@pytest.fixture
async def owner(database_urls: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_urls[0])
    yield conn
    await conn.close()


async def allowed_values(conn: asyncpg.Connection, table: str, column: str) -> set[str]:
    """The values the column's own CHECK lists (the constraint on that column alone)."""
    rows = await conn.fetch(
        """
        SELECT pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'c' AND c.conrelid = $1::regclass AND a.attname = $2
          AND cardinality(c.conkey) = 1
        """,
        f"public.{table}",
        column,
    )
    lists = [r["def"] for r in rows if "ANY (ARRAY[" in r["def"]]
    assert len(lists) == 1, f"{table}.{column}: expected one IN (...) CHECK, found {rows}"
    return set(LITERAL.findall(lists[0]))


@pytest.mark.parametrize(("table", "column"), list(COLUMNS), ids=lambda v: str(v))
async def test_check_constraint_lists_exactly_the_enum(
    owner: asyncpg.Connection, table: str, column: str
) -> None:
    enum = COLUMNS[(table, column)]
    assert await allowed_values(owner, table, column) == {m.value for m in enum}


async def test_trigger_names_only_payment_statuses(owner: asyncpg.Connection) -> None:
    source = await owner.fetchval(
        "SELECT prosrc FROM pg_proc WHERE proname = 'payments_guard_transition'"
    )
    named = set(LITERAL.findall(source)) - {"check_violation", "payments_state_machine"}
    named = {n for n in named if "%" not in n}  # the RAISE message
    assert named, "the trigger names no statuses: the parse is wrong"
    assert named <= {s.value for s in PaymentStatus}
    finals = re.search(r"OLD\.status IN \(([^)]*)\)", source)
    assert finals is not None
    assert set(LITERAL.findall(finals.group(1))) == {s.value for s in states.FINAL}


async def test_can_move_agrees_with_the_trigger_for_every_pair(
    owner: asyncpg.Connection,
) -> None:
    """Run the real trigger function on a scratch table for all old -> new pairs."""
    refused: set[tuple[str, str]] = set()
    async with owner.transaction():
        await owner.execute(
            "CREATE TEMP TABLE moves (id int, status text, updated_at timestamptz)"
            " ON COMMIT DROP;"
            "CREATE TRIGGER moves_guard BEFORE UPDATE OF status ON moves"
            " FOR EACH ROW EXECUTE FUNCTION payments_guard_transition();"
        )
        for old in PaymentStatus:
            for new in PaymentStatus:
                try:
                    async with owner.transaction():
                        await owner.execute("INSERT INTO moves VALUES (1, $1, now())", old.value)
                        await owner.execute("UPDATE moves SET status = $1", new.value)
                        raise _Undo
                except asyncpg.CheckViolationError:
                    refused.add((old.value, new.value))
                except _Undo:
                    pass
        await owner.execute("DROP TABLE moves")
    expected = {
        (o.value, n.value)
        for o in PaymentStatus
        for n in PaymentStatus
        if not states.can_move(o, n)
    }
    assert refused == expected
    assert ("succeeded", "canceled") in refused  # the parse above is not vacuous


class _Undo(Exception):
    """Rolls the savepoint back after an allowed move."""
