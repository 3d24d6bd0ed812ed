"""The cache: both backends behave the same, hits and misses are metrics, Redis trouble is a miss."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from redis.exceptions import ConnectionError as RedisConnectionError

from tender.cache import Cache, MemoryBackend, RedisBackend
from tender.config import Settings
from tender.runtime import Runtime
from tender.telemetry.recorder import Recorder

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.3) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _lookups(name: str, result: str) -> float:
    value = REGISTRY.get_sample_value(
        "tender_cache_lookups_total", {"cache": name, "result": result}
    )
    return value or 0.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip("Redis does not answer on 127.0.0.1:6379")
        backend: MemoryBackend | RedisBackend = RedisBackend(REDIS_URL)
    else:
        backend = MemoryBackend(max_entries=100)
    c = Cache(backend, Recorder())
    yield c
    await c.close()


def _name() -> str:
    return f"test_{secrets.token_hex(4)}"


async def test_set_get_delete_round_trip_and_hit_rate_metric(cache: Cache) -> None:
    name = _name()
    assert await cache.get_json(name, "k") is None
    await cache.set_json(name, "k", {"id": "pm_1", "last4": "4242", "n": [1, 2]}, 30)
    assert await cache.get_json(name, "k") == {"id": "pm_1", "last4": "4242", "n": [1, 2]}
    assert await cache.get_json(name, "k") == {"id": "pm_1", "last4": "4242", "n": [1, 2]}
    await cache.delete(name, "k")
    assert await cache.get_json(name, "k") is None
    assert _lookups(name, "hit") == 2
    assert _lookups(name, "miss") == 2


async def test_entries_expire_after_their_ttl(cache: Cache) -> None:
    name = _name()
    await cache.set_json(name, "short", "v", 0.05)
    await cache.set_json(name, "long", "w", 30)
    await asyncio.sleep(0.12)
    assert await cache.get_json(name, "short") is None
    assert await cache.get_json(name, "long") == "w"
    await cache.delete(name, "long")


async def test_names_are_separate_namespaces(cache: Cache) -> None:
    a, b = _name(), _name()
    await cache.set_json(a, "same", 1, 30)
    assert await cache.get_json(b, "same") is None
    await cache.delete(a, "same")


async def test_memory_backend_evicts_least_recently_used() -> None:
    backend = MemoryBackend(max_entries=2)
    c = Cache(backend, Recorder())
    name = _name()
    await c.set_json(name, "a", 1, 30)
    await c.set_json(name, "b", 2, 30)
    assert await c.get_json(name, "a") == 1  # a is now the most recent
    await c.set_json(name, "c", 3, 30)  # evicts b
    assert len(backend) == 2
    assert await c.get_json(name, "b") is None
    assert await c.get_json(name, "a") == 1
    assert await c.get_json(name, "c") == 3


async def test_unreachable_redis_degrades_to_misses_never_raises() -> None:
    c = Cache(RedisBackend(f"redis://127.0.0.1:{_closed_port()}/0"), Recorder())
    name = _name()
    await c.set_json(name, "k", {"a": 1}, 30)
    assert await c.get_json(name, "k") is None
    await c.delete(name, "k")
    with pytest.raises(RedisConnectionError):  # health times ping: it must fail
        await c.ping()
    errors = REGISTRY.get_sample_value(
        "tender_cache_errors_total", {"cache": name, "operation": "get"}
    )
    assert errors == 1
    assert _lookups(name, "miss") == 1
    await c.close()


async def test_runtime_picks_the_backend_from_redis_url(
    test_settings: Settings, database_urls: tuple[str, str]
) -> None:
    rt = Runtime.build(test_settings, database_urls[1])
    try:
        assert rt.cache.kind == "memory"
    finally:
        await rt.close()
    with_redis = test_settings.model_copy(update={"redis_url": SecretStr(REDIS_URL)})
    rt = Runtime.build(with_redis, database_urls[1])
    try:
        assert rt.cache.kind == "redis"
    finally:
        await rt.close()
