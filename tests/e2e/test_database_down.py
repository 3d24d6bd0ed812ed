"""Database unavailable: every endpoint answers 503 `database_unavailable` with Retry-After,
fast, never 500; a database lost during the Stripe call leaves nothing half-written and the
retry (or the re-check) finishes the job once it is back.

The service reaches the real PostgreSQL through a loopback TCP proxy the test can cut.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from bench.endpoint_requests import endpoint_request, every_endpoint
from bench.tcpproxy import TcpProxy

from tender.config import Settings
from tender.db.engine import Database
from tender.payments.recheck import recheck_processing
from tender.runtime import Runtime
from tests.conftest import JWT_SECRET, WEBHOOK_SECRET, bearer
from tests.e2e.conftest import card, charges
from tests.e2e.faulty import CONFIRM, CREATE, count, elapsed, fault, payment_row, tender_with

# Endpoints that never need the database: they must still not answer 500.
NO_DATABASE = {"/livez", "/v1/me", "/openapi.json", "/docs", "/metrics"}
# Health probes report the database down in their own shape (503, not an error body).
PROBES = {"/readyz", "/api/health/payment"}


@pytest.fixture
async def proxy(database_urls: tuple[str, str]) -> AsyncIterator[TcpProxy]:
    cut = await TcpProxy.for_url(database_urls[1]).start()
    try:
        yield cut
    finally:
        await cut.close()


@pytest.fixture
async def behind_proxy(
    test_settings: Settings, database_urls: tuple[str, str], proxy: TcpProxy
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with tender_with(test_settings, proxy.url(database_urls[1])) as pair:
        yield pair


async def test_every_endpoint_answers_503_database_unavailable_while_the_database_is_cut(
    behind_proxy: tuple[Runtime, httpx.AsyncClient], proxy: TcpProxy, user_id: UUID
) -> None:
    _, api = behind_proxy
    routes = await every_endpoint(api)
    assert len(routes) > 25
    # Warm up: the pool holds live connections, the kill switches are cached.
    warm = await api.post(CREATE, json={"amount": 2500, "currency": "usd"}, headers=bearer(user_id))
    assert warm.status_code == 201, warm.text
    await proxy.cut()
    seen: dict[str, int] = {}
    for method, path in routes:
        request = endpoint_request(
            method, path, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET
        )
        resp, seconds = await elapsed(api.request(**request))
        seen[f"{method} {path}"] = resp.status_code
        assert resp.status_code < 500 or resp.status_code == 503, (method, path, resp.text)
        assert seconds < 3.0, (method, path, seconds)
        if path in NO_DATABASE or (resp.status_code < 500 and path not in PROBES):
            continue  # answered without the database (e.g. 404, a cached value)
        assert resp.status_code == 503, (method, path, resp.text)
        if path in PROBES:
            continue
        assert resp.json()["error"]["code"] == "database_unavailable", (method, path, resp.text)
        assert int(resp.headers["retry-after"]) >= 1
    answered_503 = [k for k, v in seen.items() if v == 503]
    assert len(answered_503) >= 20, seen  # nearly every endpoint needs the database
    await proxy.restore()
    back = await api.get("/v1/payments", headers=bearer(user_id))
    assert back.status_code == 200, back.text
    assert len(back.json()["data"]) == 1


async def test_database_lost_during_the_stripe_create_then_the_retry_links_the_intent(
    behind_proxy: tuple[Runtime, httpx.AsyncClient],
    proxy: TcpProxy,
    control: httpx.AsyncClient,
    owner_db: Database,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    _, api = behind_proxy
    headers = {**bearer(user_id), "Idempotency-Key": "db-lost-create"}
    body = {"amount": 2500, "currency": "usd"}
    await api.get("/v1/payments", headers=headers)  # a customer row and a warm pool
    await fault(control, "/v1/payment_intents", methods=["POST"], latency_ms=400)
    request = asyncio.create_task(api.post(CREATE, json=body, headers=headers))
    await asyncio.sleep(0.2)  # the payment row is committed; Stripe is working
    await proxy.cut()
    lost = await request
    assert lost.status_code == 503, lost.text
    assert lost.json()["error"]["code"] == "database_unavailable"
    assert lost.headers["retry-after"]
    await control.delete("/_test/faults")
    sql = "SELECT count(*) FROM payments WHERE user_id = :u AND stripe_payment_intent_id IS NULL"
    assert await count(owner_db, sql, u=user_id) == 1  # open, nothing else written
    await proxy.restore()
    again = await api.post(CREATE, json=body, headers=headers)
    assert again.status_code == 201, again.text
    intent = await stripe_admin.v1.payment_intents.retrieve_async(again.json()["payment_intent_id"])
    assert intent.metadata.to_dict()["tender_payment_id"] == again.json()["payment_id"]
    sql = "SELECT count(*) FROM payments WHERE user_id = :u"
    assert await count(owner_db, sql, u=user_id) == 1


async def test_database_lost_during_the_stripe_confirm_is_202_and_the_recheck_records_it(
    behind_proxy: tuple[Runtime, httpx.AsyncClient],
    proxy: TcpProxy,
    control: httpx.AsyncClient,
    owner_db: Database,
    stripe_js: Any,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    runtime, api = behind_proxy
    auth = bearer(user_id)
    pay = (await api.post(CREATE, json={"amount": 2500, "currency": "usd"}, headers=auth)).json()
    pid, pi = pay["payment_id"], pay["payment_intent_id"]
    pm = await card(stripe_js, "4242424242424242")
    await fault(control, f"/v1/payment_intents/{pi}/confirm", latency_ms=400)
    request = asyncio.create_task(
        api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
    )
    await asyncio.sleep(0.2)
    await proxy.cut()
    resp = await request
    assert resp.status_code == 202, resp.text  # Stripe answered; Tender could not record it
    assert resp.json()["status"] == "processing"
    assert resp.headers["retry-after"]
    assert (await payment_row(owner_db, pid))["status"] == "requires_payment_method"
    await proxy.restore()
    await control.delete("/_test/faults")
    runtime.settings.payment_time_budget_seconds = 0.5  # the attempt counts as stale sooner
    for _ in range(40):
        await asyncio.sleep(0.25)
        await recheck_processing(runtime)
        if (await payment_row(owner_db, pid))["status"] == "succeeded":
            break
    assert (await payment_row(owner_db, pid))["status"] == "succeeded"
    assert len(await charges(stripe_admin, pi)) == 1
