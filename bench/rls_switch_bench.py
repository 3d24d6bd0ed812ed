"""What a write on a user's behalf costs now that it runs as service_role (0002_grants).

Creates a scratch database on a PostgreSQL server, then times N user transactions that each
write one order row, two ways: the write switched to service_role and back
(`execute_as_service`, what Tender does now) and the same INSERT run as service_role in a
service transaction (the cost of the write alone, no switch). Prints p50/p95 per
transaction and the difference, which is the price of the two extra statements.

    .venv/bin/python bench/rls_switch_bench.py --url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from uuid import uuid4

from sqlalchemy import text

from tender.db import migrate, provision
from tender.db.engine import Database
from tender.db.rls import DbContext, execute_as_service
from tender.db.urls import with_database, with_user

INSERT = text("INSERT INTO orders (user_id, amount, currency) VALUES (:u, 100, 'usd')")


async def _time(db: Database, n: int, *, switched: bool) -> list[float]:
    samples: list[float] = []
    for _ in range(n):
        user = uuid4()
        context = DbContext.user(user) if switched else DbContext.service("bench")
        started = time.perf_counter()
        async with db.transaction(context) as conn:
            if switched:
                await execute_as_service(conn, INSERT, {"u": user})
            else:
                await conn.execute(INSERT, {"u": user})
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _line(name: str, samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"{name:34} p50 {cuts[49]:6.3f} ms   p95 {cuts[94]:6.3f} ms   n={len(samples)}"


async def main(url: str, n: int) -> None:
    name = f"tender_bench_rls_{secrets.token_hex(3)}"
    admin = with_database(url, "postgres")
    await provision.ensure_database(admin, name)
    owner = with_database(url, name)
    try:
        await migrate.upgrade(owner)
        await provision.ensure_app_role(owner)
        db = Database(with_user(owner, provision.APP_ROLE), pool_size=1, max_overflow=0)
        try:
            await _time(db, 200, switched=True)  # warm the pool and prepared statements
            await _time(db, 200, switched=False)
            plain: list[float] = []
            switched: list[float] = []
            for _ in range(n // 100):  # interleaved, so machine noise hits both alike
                plain += await _time(db, 100, switched=False)
                switched += await _time(db, 100, switched=True)
        finally:
            await db.dispose()
    finally:
        await provision.drop_database(admin, name)
    print(_line("write as service_role (no switch)", plain))
    print(_line("user tx, write via execute_as_service", switched))
    diff = statistics.median(switched) - statistics.median(plain)
    print(f"{'extra per write (p50)':34} {diff:+.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a superuser libpq URL")
    parser.add_argument("--transactions", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.transactions))
