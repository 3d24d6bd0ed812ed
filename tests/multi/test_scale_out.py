"""Scale-out proven as a deployment: two `tender serve` API processes (no in-process worker)
and one `tender worker`, behind PgBouncer (transaction pooling) on one PostgreSQL and Redis,
with the Stripe test mode delivering webhooks to both APIs. In the middle of the checkouts one
API process and the worker are SIGKILLed and the worker restarted. Then: no payment lost or
duplicated, every event applied once, each alert notified once, a kill switch set through one
API obeyed by the other within 2 s, rate limits shared, /metrics aggregated.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy.engine import make_url

from tender.db.urls import to_libpq
from tests.conftest import JWT_SECRET, WEBHOOK_SECRET, bearer, fresh_database
from tests.monitoring.conftest import Receiver, receiver  # noqa: F401 - fixture re-export
from tests.multi.deployment import STANDALONE, Deployment, answers, free_port, pgbouncer, wait_http

REDIS_DB = 11  # a database number of the shared Redis no other test uses
CHECKOUTS = 40
DECLINED = "4000000000000002"
PAID = "4242424242424242"
CONNECTION_LOST = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)

pytestmark = [
    pytest.mark.multi,
    pytest.mark.skipif(
        not (
            answers("127.0.0.1", make_url(STANDALONE).port or 5432)
            and answers("127.0.0.1", 6379)
            and (shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer"))
        ),
        reason="needs the standalone PostgreSQL, Redis on 6379 and pgbouncer (.ci/run has them)",
    ),
]


@pytest.fixture(scope="module")
async def multi_db() -> AsyncIterator[tuple[str, str]]:
    async with fresh_database(STANDALONE, "tender_multi") as urls:
        yield urls


def _env(
    folder: Path, db: tuple[str, str], pooled: str, stripe: str, alerts: str
) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PROMETHEUS"))}
    metrics = folder / "metrics"
    metrics.mkdir()
    return keep | {
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "warning",
        "DATA_DIR": str(folder),
        "DATABASE_URL": pooled,  # through PgBouncer
        "DATABASE_PGBOUNCER": "true",
        "DATABASE_MIGRATION_URL": db[0],
        "JOBS_DATABASE_URL": db[1],  # workers LISTEN: direct
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_offline",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "RATE_LIMIT_PER_USER": "10",
        "RATE_LIMIT_PER_IP": "100000",
        "CARD_TESTING_MAX_DECLINES": "100000",
        "ALERT_WEBHOOK_URL": alerts,
        "ALERT_INTERVAL_SECONDS": "1",
        "ALERT_MIN_SAMPLES": "4",
        "ALERT_REPEAT_SECONDS": "3600",
        "RECONCILE_INTERVAL_SECONDS": "3",
        "JOBS_POLL_SECONDS": "0.5",
        "WEBHOOK_RETRY_INTERVAL_SECONDS": "2",
    }


class Driver:
    """A client that, like a load balancer, sends each request to its API and, when that
    process is gone, to the other with the same Idempotency-Key."""

    def __init__(self, apis: list[str], http: httpx.AsyncClient) -> None:
        self.apis = apis
        self.http = http
        self.dead: set[str] = set()
        self.answered: Counter[str] = Counter()

    async def post(
        self, first: int, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        order = [self.apis[first % 2], self.apis[(first + 1) % 2]]
        for attempt in range(20):
            base = next((a for a in order if a not in self.dead), order[-1])
            try:
                resp = await self.http.post(base + path, json=body, headers=headers)
            except CONNECTION_LOST:
                self.dead.add(base)
                await asyncio.sleep(0.1 * attempt)
                continue
            if (
                resp.status_code == 409
                and resp.json().get("error", {}).get("code") == "idempotency_key_in_flight"
            ):
                await asyncio.sleep(0.2)
                continue
            self.answered[base] += 1
            return resp
        raise AssertionError(f"no API answered {path}")


async def _card(stripe_js: Any, number: str) -> str:
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return str((await stripe_js.v1.payment_methods.create_async({"type": "card", "card": card})).id)


async def checkout(driver: Driver, stripe_js: Any, i: int) -> dict[str, Any]:
    user = uuid4()
    headers = bearer(user) | {"Idempotency-Key": f"checkout-{i}"}
    body = {"amount": 1000 + i, "currency": "usd"}
    created = await driver.post(i, "/functions/v1/create-payment-intent", body, headers)
    assert created.status_code in (200, 201), created.text
    payment_id = created.json()["payment_id"]
    number = DECLINED if i % 3 == 0 else PAID
    confirm = {"payment_id": payment_id, "payment_method": await _card(stripe_js, number)}
    headers["Idempotency-Key"] = f"confirm-{i}"
    confirmed = await driver.post(i + 1, "/functions/v1/confirm-payment", confirm, headers)
    assert confirmed.status_code in (200, 402), confirmed.text
    return {"i": i, "user": user, "payment_id": UUID(payment_id), "paid": number == PAID}


async def test_two_apis_and_a_worker_behind_pgbouncer(
    multi_db: tuple[str, str],
    stripe_emulator: str,
    stripe_js: Any,
    stripe_admin: Any,
    receiver: Receiver,  # noqa: F811
    tmp_path: Path,
) -> None:
    owner_url, app_url = multi_db
    started = time.time()
    cache = aioredis.Redis(db=REDIS_DB)
    await cache.flushdb()
    await cache.aclose()
    with pgbouncer(STANDALONE, ["tender_app"]) as pgb:
        pooled = to_libpq(make_url(app_url).set(host="127.0.0.1", port=pgb))
        env = _env(tmp_path, multi_db, pooled, stripe_emulator, receiver.url + "/slack")
        deployment = Deployment(tmp_path, env)
        ports = [free_port(), free_port()]
        apis = [f"http://127.0.0.1:{p}" for p in ports]
        hooks = []
        try:
            deployment.api("api-a", ports[0])
            deployment.api("api-b", ports[1])
            deployment.worker()
            for api in apis:
                await asyncio.to_thread(wait_http, api + "/livez")
                hooks.append(
                    await stripe_admin.v1.webhook_endpoints.create_async(
                        {"url": f"{api}/functions/v1/stripe-webhook", "enabled_events": ["*"]}
                    )
                )
            async with httpx.AsyncClient(timeout=30) as http:
                await _kill_switch_crosses_instances(http, apis)
                await _rate_limits_are_shared(http, apis)
                driver = Driver(apis, http)
                results = await _checkouts_with_kills(driver, stripe_js, deployment)
                await http.post(stripe_emulator + "/_test/webhooks/flush", json={"timeout": 20})
                await _all_events_applied(owner_url)
                await _no_payment_lost_or_duplicated(owner_url, stripe_admin, results)
                await _rls_context_stays_in_its_transaction(http, apis[1], results)
                await _metrics_aggregated(http, apis[1], driver, started)
            await _first_alert(receiver)  # a killed worker's tick is requeued after 10 s
            await asyncio.sleep(2.5)  # a few more alert ticks: none may notify again
            _each_alert_notified_once(receiver)
        except BaseException:
            print(deployment.logs())
            raise
        finally:
            for hook in hooks:
                await stripe_admin.v1.webhook_endpoints.delete_async(hook.id)
            deployment.stop()


async def _kill_switch_crosses_instances(http: httpx.AsyncClient, apis: list[str]) -> None:
    ops = bearer(None, role="service_role")
    body = {"amount": 500, "currency": "usd"}
    path = "/functions/v1/create-payment-intent"
    resp = await http.put(
        apis[0] + "/v1/ops/switches/payment_maintenance",
        json={"enabled": True, "reason": "scale-out test"},
        headers=ops,
    )
    assert resp.status_code == 200, resp.text
    started = time.monotonic()
    while True:
        answer = await http.post(apis[1] + path, json=body, headers=bearer(uuid4()))
        if answer.status_code == 503 and answer.json()["error"]["code"] == "payment_maintenance":
            break
        assert time.monotonic() - started < 2.0, "the other instance still takes payments"
        await asyncio.sleep(0.05)
    resp = await http.put(
        apis[0] + "/v1/ops/switches/payment_maintenance", json={"enabled": False}, headers=ops
    )
    assert resp.status_code == 200
    started = time.monotonic()
    while (await http.post(apis[1] + path, json=body, headers=bearer(uuid4()))).status_code == 503:
        assert time.monotonic() - started < 2.0
        await asyncio.sleep(0.05)


async def _rate_limits_are_shared(http: httpx.AsyncClient, apis: list[str]) -> None:
    """RATE_LIMIT_PER_USER=10 per window: ten answers across both instances, then 429."""
    headers = bearer(uuid4())
    codes = [
        (await http.get(apis[n % 2] + "/v1/payments", headers=headers)).status_code
        for n in range(14)
    ]
    assert codes.count(200) == 10, codes
    assert codes[10:] == [429] * 4, codes


async def _checkouts_with_kills(
    driver: Driver, stripe_js: Any, deployment: Deployment
) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(8)
    done: list[dict[str, Any]] = []

    async def one(i: int) -> None:
        async with gate:
            done.append(await checkout(driver, stripe_js, i))

    async def chaos() -> None:
        while len(done) < CHECKOUTS // 3:
            await asyncio.sleep(0.05)
        deployment.processes["api-a"].kill()
        deployment.processes["worker"].kill()
        await asyncio.sleep(1.0)
        deployment.worker("worker-restarted")

    await asyncio.gather(chaos(), *(one(i) for i in range(CHECKOUTS)))
    assert driver.answered[driver.apis[0]] > 0, "api-a answered nothing before it was killed"
    return done


async def _all_events_applied(owner_url: str) -> None:
    conn = await asyncpg.connect(owner_url)
    try:
        deadline = time.monotonic() + 45
        while True:
            left = await conn.fetchval(
                "SELECT count(*) FROM stripe_events WHERE status NOT IN ('processed', 'ignored')"
            )
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} events never applied"
            await asyncio.sleep(0.25)
        rows = await conn.fetch("SELECT id, status, attempts FROM stripe_events")
        assert len(rows) >= CHECKOUTS
        assert [r["id"] for r in rows if r["attempts"] != 1] == [], "applied more than once"
    finally:
        await conn.close()


async def _no_payment_lost_or_duplicated(
    owner_url: str, stripe_admin: Any, results: list[dict[str, Any]]
) -> None:
    assert len({r["payment_id"] for r in results}) == CHECKOUTS
    conn = await asyncpg.connect(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT id, user_id, status, stripe_payment_intent_id FROM payments "
            "WHERE user_id = ANY($1::uuid[])",
            [r["user"] for r in results],
        )
    finally:
        await conn.close()
    assert len(rows) == CHECKOUTS  # one payment per checkout, none created twice
    by_id = {r["id"]: r for r in rows}
    intents: Counter[str] = Counter()
    listing = await stripe_admin.v1.payment_intents.list_async({"limit": 100})
    async for intent in listing.auto_paging_iter():
        tender_id = (intent.to_dict().get("metadata") or {}).get("tender_payment_id")
        if tender_id is not None:
            intents[tender_id] += 1
    for result in results:
        payment = by_id[result["payment_id"]]
        assert intents[str(result["payment_id"])] == 1, "a payment with two intents at Stripe"
        intent = await stripe_admin.v1.payment_intents.retrieve_async(
            payment["stripe_payment_intent_id"]
        )
        want = "succeeded" if result["paid"] else "requires_payment_method"
        assert (intent.status, payment["status"]) == (want, want), result


async def _rls_context_stays_in_its_transaction(
    http: httpx.AsyncClient, api: str, results: list[dict[str, Any]]
) -> None:
    """Through PgBouncer, many users at once each see exactly their own payment: a pooled
    server connection never carries one transaction's user into the next."""

    async def mine(result: dict[str, Any]) -> list[str]:
        resp = await http.get(api + "/v1/payments", headers=bearer(result["user"]))
        assert resp.status_code == 200, resp.text
        return [p["id"] for p in resp.json()["data"]]

    seen = await asyncio.gather(*(mine(r) for r in results))
    assert seen == [[str(r["payment_id"])] for r in results]


async def _metrics_aggregated(
    http: httpx.AsyncClient, api: str, driver: Driver, started: float
) -> None:
    text = (await http.get(api + "/metrics")).text
    reconciled = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("tender_reconciliation_last_run_timestamp{")
    ]
    assert max(reconciled, default=0) > started, "the worker's periodic reconcile never ran"
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("tender_http_requests_total{")
        and 'route="/functions/v1/create-payment-intent"' in line
    )
    answered_here = driver.answered[api]
    assert total > answered_here, "only this process's requests are counted"
    assert total >= CHECKOUTS


async def _first_alert(box: Receiver, seconds: float = 40.0) -> None:
    """Wait until the firing payment-failure alert has reached the receiver (or time out)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if any(b["alert"]["alert"] == "payment_failure_rate_high" for b in box.at("/slack")):
            return
        await asyncio.sleep(0.25)


def _each_alert_notified_once(box: Receiver) -> None:
    firing = Counter(b["alert"]["alert"] for b in box.at("/slack")
                     if b["alert"]["status"] == "firing")  # fmt: skip
    assert firing["payment_failure_rate_high"] == 1, firing
    assert set(firing.values()) == {1}, firing
