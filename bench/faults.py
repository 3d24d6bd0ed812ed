"""Trust under faults, measured: per fault class, cases tried, answers, 5xx other than 503
(must be 0), the slowest answer; then every intent linked once and nothing left processing.

Starts a fresh database (through a loopback proxy it can cut), the Stripe test mode and
Tender (`tender serve`, one worker) in their own processes, injects each fault through the
test mode's /_test/faults, and prints one table.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.faults --cases 20 --budget 1.5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import text

from bench.endpoint_requests import CONFIRM, CREATE, endpoint_request, every_endpoint
from bench.stack import JWT_SECRET, ROOT, SECRET_KEY, WEBHOOK_SECRET, free_port
from bench.tcpproxy import TcpProxy
from tender.auth.tokens import mint_token
from tender.db import migrate, provision
from tender.db.engine import Database
from tender.db.urls import with_database, with_user

# Never touch the database (health probes do, and answer 503 in their own shape).
NO_DATABASE = {"/livez", "/v1/me", "/openapi.json", "/docs"}
SERVICE = {"Authorization": "Bearer " + mint_token(JWT_SECRET, user_id=None, role="service_role")}


@dataclass
class Result:
    expected: str
    statuses: Counter[int] = field(default_factory=Counter)
    slowest: float = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] += 1
        self.slowest = max(self.slowest, seconds)

    @property
    def bad_5xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)


def _user() -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(JWT_SECRET, user_id=uuid4())}


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    resp = await call
    return resp, time.perf_counter() - started


class Bench:
    def __init__(self, api: httpx.AsyncClient, stripe: httpx.AsyncClient, proxy: TcpProxy) -> None:
        self.api, self.stripe, self.proxy = api, stripe, proxy
        self.results: dict[str, Result] = {}

    async def fault(self, path: str, **rule: Any) -> None:
        await self.stripe.post("/_test/faults", json={"path_prefix": path, "replace": True, **rule})

    async def clear(self) -> None:
        await self.stripe.delete("/_test/faults")

    async def payment(self, auth: dict[str, str]) -> dict[str, Any]:
        resp = await self.api.post(CREATE, json={"amount": 2500, "currency": "usd"}, headers=auth)
        resp.raise_for_status()
        return dict(resp.json())

    async def confirm_under(self, name: str, expected: str, **rule: Any) -> None:
        result = self.results.setdefault(name, Result(expected))
        auth = _user()
        pay = await self.payment(auth)
        await self.fault(f"/v1/payment_intents/{pay['payment_intent_id']}/confirm", **rule)
        body = {"payment_id": pay["payment_id"], "payment_method": "pm_card_visa"}
        resp, seconds = await _timed(self.api.post(CONFIRM, json=body, headers=auth))
        result.add(resp.status_code, seconds)
        await self.clear()

    async def create_under(self, name: str, expected: str, **rule: Any) -> None:
        result = self.results.setdefault(name, Result(expected))
        headers = {**_user(), "Idempotency-Key": str(uuid4())}
        await self.fault("/v1/payment_intents", methods=["POST"], **rule)
        body = {"amount": 2500, "currency": "usd"}
        resp, seconds = await _timed(self.api.post(CREATE, json=body, headers=headers))
        result.add(resp.status_code, seconds)
        await self.clear()
        await asyncio.sleep(rule.get("latency_ms", 0) / 1000)  # let a late Stripe finish
        retry, seconds = await _timed(self.api.post(CREATE, json=body, headers=headers))
        mine = (await self.api.get("/v1/payments", headers=headers)).json()["data"]
        same = [p["payment_id"] for p in mine] == [retry.json().get("payment_id")]
        self.results.setdefault(name + " (retry)", Result("201, the same payment")).add(
            retry.status_code if same else 599,
            seconds,  # 599: a second payment was opened
        )

    async def refund_under(self, name: str, expected: str, **rule: Any) -> None:
        result = self.results.setdefault(name, Result(expected))
        auth = _user()
        pay = await self.payment(auth)
        body = {"payment_id": pay["payment_id"], "payment_method": "pm_card_visa"}
        (await self.api.post(CONFIRM, json=body, headers=auth)).raise_for_status()
        await self.fault("/v1/refunds", methods=["POST"], **rule)
        headers = {**SERVICE, "Idempotency-Key": str(uuid4())}
        refund = {"payment_id": pay["payment_id"]}
        resp, seconds = await _timed(self.api.post("/v1/refunds", json=refund, headers=headers))
        result.add(resp.status_code, seconds)
        await self.clear()

    async def database_cut(self, cases: int) -> None:
        result = self.results.setdefault("database cut", Result("503 database_unavailable"))
        await self.payment(_user())  # a warm pool and cached switches
        routes = await every_endpoint(self.api)
        await self.proxy.cut()
        try:
            for _ in range(cases):
                for method, path in routes:
                    if path in NO_DATABASE:
                        continue
                    request = endpoint_request(
                        method, path, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET
                    )
                    resp, seconds = await _timed(self.api.request(**request))
                    result.add(resp.status_code, seconds)
        finally:
            await self.proxy.restore()


async def _run(cases: int, budget: float, server_url: str) -> int:
    name = f"tender_faults_{os.getpid()}"
    admin, owner = with_database(server_url, "postgres"), with_database(server_url, name)
    await provision.ensure_database(admin, name)
    await migrate.upgrade(owner)
    await provision.ensure_app_role(owner)
    target = with_user(owner, provision.APP_ROLE)
    proxy = await TcpProxy.for_url(target).start()
    emulator_port, tender_port = free_port(), free_port()
    logs = ROOT / "bench" / "reports"
    logs.mkdir(parents=True, exist_ok=True)
    emulator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tender", "emulator", "--port", str(emulator_port),
        "--webhook-secret", WEBHOOK_SECRET,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    env = {
        **os.environ,
        "ENVIRONMENT": "staging",
        "DATABASE_URL": proxy.url(with_user(owner, provision.APP_ROLE)),
        "DATABASE_MIGRATION_URL": owner,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_bench",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": f"http://127.0.0.1:{emulator_port}",
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "warning",
        "PAYMENT_TIME_BUDGET_SECONDS": str(budget),
        "PAYMENT_RECHECK_INTERVAL_SECONDS": "0.5",
        "RATE_LIMIT_PER_IP": "1000000000",
        "RATE_LIMIT_PER_USER": "1000000000",
    }
    with (logs / "faults-tender.log").open("wb") as log:
        tender = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tender", "serve", "--port", str(tender_port),
            env=env, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{tender_port}", timeout=30) as api,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{emulator_port}", timeout=30) as stripe,
        ):
            await _wait(api, "/livez")
            bench = Bench(api, stripe, proxy)
            late = {"latency_ms": budget * 1000 + 500}
            plan: list[tuple[Callable[..., Awaitable[None]], str, str, dict[str, Any]]] = [
                (bench.confirm_under, "confirm: Stripe late", "202", late),
                (bench.confirm_under, "confirm: 500", "202", _fail("500")),
                (bench.confirm_under, "confirm: reset", "202", _fail("reset")),
                (bench.confirm_under, "confirm: hang", "202", _fail("timeout")),
                (bench.confirm_under, "confirm: 429", "503", _fail("429")),
                (bench.create_under, "create: 429", "503", _fail("429")),
                (bench.create_under, "create: hang", "503", _fail("timeout")),
                (bench.create_under, "create: Stripe late", "503", late),
                (bench.refund_under, "refund: 500", "202", _fail("500")),
            ]
            for _ in range(cases):
                for run, label, expected, rule in plan:
                    await run(label, expected, **rule)
            await bench.database_cut(max(1, cases // 10))
            left = await _settle(owner)
            orphans = await _orphans(stripe, owner)
    finally:
        for proc in (tender, emulator):
            proc.terminate()
            await proc.wait()
        await proxy.close()
        await provision.drop_database(admin, name)
    _print(bench.results, cases, budget, left, orphans)
    bad = sum(r.bad_5xx for r in bench.results.values()) + left + orphans
    return 1 if bad else 0


def _fail(mode: str) -> dict[str, Any]:
    return {"fail_next": 10, "fail_mode": mode}


async def _wait(api: httpx.AsyncClient, path: str) -> None:
    for _ in range(300):
        try:
            if (await api.get(path)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("tender did not start")


async def _settle(owner: str) -> int:
    """Seconds for the re-check to settle everything; returns how many are left unsettled."""
    db = Database(owner, pool_size=1, max_overflow=0)
    try:
        sql = text(
            "SELECT (SELECT count(*) FROM payments WHERE status = 'processing') + "
            "(SELECT count(*) FROM refunds WHERE status = 'pending')"
        )
        for _ in range(60):
            async with db.engine.connect() as conn:
                left = int((await conn.execute(sql)).scalar_one())
            if left == 0:
                return 0
            await asyncio.sleep(0.5)
        return left
    finally:
        await db.dispose()


async def _orphans(stripe: httpx.AsyncClient, owner: str) -> int:
    """Intents in the test mode not linked to exactly one payment."""
    auth = {"Authorization": f"Bearer {SECRET_KEY}"}
    ids: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": "100", **({"starting_after": after} if after else {})}
        page = (await stripe.get("/v1/payment_intents", params=params, headers=auth)).json()
        ids += [pi["id"] for pi in page["data"]]
        if not page["has_more"] or not page["data"]:
            break
        after = page["data"][-1]["id"]
    db = Database(owner, pool_size=1, max_overflow=0)
    try:
        async with db.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT stripe_payment_intent_id, count(*) FROM payments GROUP BY 1")
            )
            linked = {r[0]: r[1] for r in rows}
    finally:
        await db.dispose()
    return sum(1 for i in ids if linked.get(i) != 1)


def _print(results: dict[str, Result], cases: int, budget: float, left: int, orphans: int) -> None:
    print(f"\nTrust under faults: {cases} cases per class, PAYMENT_TIME_BUDGET_SECONDS={budget}")
    print(f"{'class':<30}{'expected':<26}{'tried':>6}{'5xx≠503':>9}{'slowest s':>11}  answers")
    for label, r in results.items():
        answers = " ".join(f"{s}x{n}" for s, n in sorted(r.statuses.items()))
        print(
            f"{label:<30}{r.expected:<26}{sum(r.statuses.values()):>6}{r.bad_5xx:>9}"
            f"{r.slowest:>11.2f}  {answers}"
        )
    print(f"left processing/pending after the re-check: {left}; intents not linked once: {orphans}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--budget", type=float, default=1.5)
    parser.add_argument("--server-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    if not args.server_url:
        sys.exit("give --server-url or TEST_DATABASE_URL (a PostgreSQL superuser URL)")
    sys.exit(asyncio.run(_run(args.cases, args.budget, args.server_url)))


if __name__ == "__main__":
    main()
