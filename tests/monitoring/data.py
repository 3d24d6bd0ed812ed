"""Small factories for the rows monitoring reads (inserted as superuser, RLS bypassed)."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg


async def payment(
    conn: asyncpg.Connection,
    *,
    status: str = "succeeded",
    amount: int = 2500,
    currency: str = "usd",
    method_type: str = "card",
    error: str | None = None,
    age: str = "0 seconds",
    method_id: UUID | None = None,
) -> UUID:
    row = await conn.fetchrow(
        """INSERT INTO payments (user_id, method_type, amount, currency, status, last_error_code,
                                 payment_method_id, created_at, updated_at, bank_reference)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now() - $8::text::interval, now() - $8::text::interval,
                   CASE WHEN $2 = 'bank_transfer' THEN gen_random_uuid()::text END)
           RETURNING id""",
        uuid4(), method_type, amount, currency, status, error, method_id, age,
    )  # fmt: skip
    return UUID(str(row["id"]))


async def payment_error(
    conn: asyncpg.Connection, code: str, *, age: str = "0 seconds", count: int = 1
) -> None:
    for _ in range(count):
        await conn.execute(
            """INSERT INTO payment_errors (user_id, error_code, message, created_at)
               VALUES ($1, $2, 'declined', now() - $3::text::interval)""",
            uuid4(), code, age,
        )  # fmt: skip


async def payment_method(conn: asyncpg.Connection, method_type: str = "card") -> UUID:
    pm = f"pm_{uuid4().hex[:14]}" if method_type == "card" else None
    row = await conn.fetchrow(
        "INSERT INTO payment_methods (user_id, type, stripe_payment_method_id) "
        "VALUES ($1, $2, $3) RETURNING id",
        uuid4(), method_type, pm,
    )  # fmt: skip
    return UUID(str(row["id"]))
