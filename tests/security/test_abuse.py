"""Rate limits per user and per IP, and the card-testing guard, in memory and in Redis."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from tests.conftest import bearer
from tests.security.conftest import AppClient
from tests.security.test_headers import assert_security_headers

CONFIRM = "/functions/v1/confirm-payment"
REST_CONFIRM = "/v1/payments/p1/confirm"


def payment_stand_ins(app: FastAPI) -> None:
    """Stand-ins for the payment endpoints, first in the route table: a confirm that declines
    (402) when asked to, and a cheap payment read."""

    async def confirm(request: Request) -> JSONResponse:
        decline = (await request.json()).get("decline", False)
        if decline:
            return JSONResponse({"error": {"code": "card_declined"}}, status_code=402)
        return JSONResponse({"status": "succeeded"})

    async def read() -> JSONResponse:
        return JSONResponse({"data": []})

    app.add_api_route(CONFIRM, confirm, methods=["POST"])
    app.add_api_route(REST_CONFIRM, confirm, methods=["POST"])
    app.add_api_route("/v1/payments", read, methods=["GET"])
    stand_ins = app.router.routes[-3:]
    del app.router.routes[-3:]
    app.router.routes[:0] = stand_ins


LIMITS = {
    "rate_limit_per_user": 3,
    "rate_limit_per_ip": 5,
    "rate_limit_window_seconds": 60,
    "card_testing_max_declines": 3,
    "card_testing_window_seconds": 600,
    "card_testing_block_seconds": 900,
}


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
async def limit_backend(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, object]]:
    if request.param == "memory":
        yield {}
        return
    if not _redis_up():
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    # A fresh key space per test: counters live under the prefix plus unique users/IPs.
    yield {"redis_url": SecretStr("redis://127.0.0.1:6379/15")}


def _ip() -> tuple[str, int]:
    """A caller address unique to the test, so shared Redis counters never collide."""
    return (f"2001:db8::{uuid4().hex[:4]}:{uuid4().hex[:4]}", 1234)


async def test_per_user_limit_answers_429_with_retry_after(
    app_client: AppClient, limit_backend: dict[str, object]
) -> None:
    user = bearer(uuid4())
    limits = {**LIMITS, "rate_limit_per_ip": 10}
    async with app_client(
        setup=payment_stand_ins, client_addr=_ip(), **limits, **limit_backend
    ) as (_, client):
        statuses = [(await client.get("/v1/payments", headers=user)).status_code for _ in range(4)]
        refused = await client.get("/v1/payments", headers=user)
        other_user = await client.get("/v1/payments", headers=bearer(uuid4()))
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert_security_headers(refused)
    assert other_user.status_code == 200


async def test_per_ip_limit_counts_anonymous_callers(
    app_client: AppClient, limit_backend: dict[str, object]
) -> None:
    async with app_client(
        setup=payment_stand_ins, client_addr=_ip(), **LIMITS, **limit_backend
    ) as (_, client):
        statuses = [(await client.get("/v1/payments")).status_code for _ in range(6)]
        health = await client.get("/livez")
    assert statuses == [200] * 5 + [429]
    assert health.status_code == 200  # not a payment endpoint


async def test_per_ip_limit_uses_forwarded_for_from_trusted_proxy(app_client: AppClient) -> None:
    async with app_client(
        setup=payment_stand_ins,
        client_addr=("10.1.2.3", 999),
        trusted_proxies=["10.0.0.0/8"],
        **LIMITS,
    ) as (_, client):
        one = [
            (await client.get("/v1/payments", headers={"X-Forwarded-For": "192.0.2.1"})).status_code
            for _ in range(6)
        ]
        other = await client.get("/v1/payments", headers={"X-Forwarded-For": "192.0.2.2, 10.9.9.9"})
    assert one[-1] == 429
    assert other.status_code == 200


async def test_card_testing_guard_blocks_confirms_after_declines(
    app_client: AppClient, limit_backend: dict[str, object]
) -> None:
    user = bearer(uuid4())
    limits = {**LIMITS, "rate_limit_per_user": 100, "rate_limit_per_ip": 100}
    async with app_client(
        setup=payment_stand_ins, client_addr=_ip(), **limits, **limit_backend
    ) as (_, client):
        declines = [
            (await client.post(CONFIRM, json={"decline": True}, headers=user)).status_code
            for _ in range(3)
        ]
        blocked = await client.post(CONFIRM, json={"decline": False}, headers=user)
        blocked_rest = await client.post(REST_CONFIRM, json={}, headers=user)
        reads = await client.get("/v1/payments", headers=user)
    assert declines == [402, 402, 402]
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "card_testing_blocked"
    assert 800 < int(blocked.headers["retry-after"]) <= 900
    assert blocked_rest.status_code == 429
    assert reads.status_code == 200  # only confirms are blocked


async def test_card_testing_guard_blocks_the_ip_across_users(app_client: AppClient) -> None:
    limits = {**LIMITS, "rate_limit_per_user": 100, "rate_limit_per_ip": 100}
    async with app_client(setup=payment_stand_ins, client_addr=_ip(), **limits) as (_, client):
        for _ in range(3):  # a card tester rotating accounts from one address
            response = await client.post(CONFIRM, json={"decline": True}, headers=bearer(uuid4()))
            assert response.status_code == 402
        fresh_user = await client.post(CONFIRM, json={}, headers=bearer(uuid4()))
    assert fresh_user.status_code == 429


async def test_successful_confirms_do_not_count(app_client: AppClient) -> None:
    limits = {**LIMITS, "rate_limit_per_user": 100, "rate_limit_per_ip": 100}
    user = bearer(uuid4())
    async with app_client(setup=payment_stand_ins, client_addr=_ip(), **limits) as (_, client):
        statuses = [
            (await client.post(CONFIRM, json={}, headers=user)).status_code for _ in range(6)
        ]
    assert statuses == [200] * 6


async def test_redis_outage_fails_open(app_client: AppClient) -> None:
    async with app_client(
        setup=payment_stand_ins,
        client_addr=_ip(),
        redis_url=SecretStr("redis://127.0.0.1:1/0"),
        **LIMITS,
    ) as (_, client):
        statuses = [(await client.get("/v1/payments")).status_code for _ in range(7)]
    assert statuses == [200] * 7
