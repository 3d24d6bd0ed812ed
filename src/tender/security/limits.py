"""Counters for abuse limits: fixed windows and blocks, in memory or in Redis (shared)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Protocol

from redis.asyncio import Redis

KEY_PREFIX = "tender:limits:"


class LimitStore(Protocol):
    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        """Count one event in the key's current window: (count so far, seconds to reset)."""

    async def block(self, key: str, seconds: int) -> None:
        """Mark the key blocked for `seconds`."""

    async def blocked_for(self, keys: Sequence[str]) -> float:
        """The longest remaining block among the keys, 0 when none is blocked."""

    async def close(self) -> None: ...


class MemoryLimitStore:
    """One process's counters; fine for a single instance and for tests."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._blocks: dict[str, float] = {}

    def _prune(self, now: float) -> None:
        if len(self._windows) > self.MAX_KEYS:
            self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        if len(self._blocks) > self.MAX_KEYS:
            self._blocks = {k: v for k, v in self._blocks.items() if v > now}

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = time.monotonic()
        count, reset_at = self._windows.get(key, (0, 0.0))
        if reset_at <= now:
            self._prune(now)
            count, reset_at = 0, now + window_seconds
        count += 1
        self._windows[key] = (count, reset_at)
        return count, reset_at - now

    async def block(self, key: str, seconds: int) -> None:
        self._blocks[key] = time.monotonic() + seconds

    async def blocked_for(self, keys: Sequence[str]) -> float:
        now = time.monotonic()
        return max((self._blocks.get(k, 0.0) - now for k in keys), default=0.0) if keys else 0.0

    async def close(self) -> None:
        self._windows.clear()
        self._blocks.clear()


class RedisLimitStore:
    """Counters every instance shares, so a limit holds across a scaled-out fleet."""

    def __init__(self, client: Redis) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisLimitStore:
        return cls(Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))

    async def hit(self, key: str, window_seconds: int) -> tuple[int, float]:
        name = KEY_PREFIX + "w:" + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_seconds, nx=True)
            pipe.incr(name)
            pipe.pttl(name)
            _, count, pttl = await pipe.execute()
        return int(count), max(int(pttl), 0) / 1000.0

    async def block(self, key: str, seconds: int) -> None:
        await self._redis.set(KEY_PREFIX + "b:" + key, 1, ex=seconds)

    async def blocked_for(self, keys: Sequence[str]) -> float:
        if not keys:
            return 0.0
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.pttl(KEY_PREFIX + "b:" + key)
            ttls = await pipe.execute()
        return max(max(int(t), 0) for t in ttls) / 1000.0

    async def close(self) -> None:
        await self._redis.aclose()


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
