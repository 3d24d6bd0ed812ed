"""`Cache`: named JSON entries over a backend, hit/miss recorded, failures degrade to misses."""

from __future__ import annotations

import json
from typing import Any

import structlog

from tender.cache.backends import CacheBackend, MemoryBackend, RedisBackend
from tender.config import Settings
from tender.telemetry.recorder import Recorder

log = structlog.get_logger("tender.cache")
KEY_PREFIX = "tender:cache:"


class Cache:
    """What services use: `get_json`, `set_json`, `delete`. Never raises on backend trouble.

    `name` is a small fixed word chosen in code (`payment_methods`, `stripe_customer`): it is
    a metric label, so it must never carry an id; ids go in `key`.
    """

    def __init__(self, backend: CacheBackend, recorder: Recorder) -> None:
        self.backend = backend
        self._recorder = recorder

    @classmethod
    def from_settings(cls, settings: Settings, recorder: Recorder) -> Cache:
        backend: CacheBackend
        if settings.redis_url is not None:
            backend = RedisBackend(
                settings.redis_url.get_secret_value(),
                timeout_seconds=settings.cache_timeout_seconds,
            )
        else:
            backend = MemoryBackend(settings.cache_max_entries)
        return cls(backend, recorder)

    @property
    def kind(self) -> str:
        return self.backend.kind

    @staticmethod
    def _key(name: str, key: str) -> str:
        return f"{KEY_PREFIX}{name}:{key}"

    async def get_json(self, name: str, key: str) -> Any | None:
        """The cached value, or None on a miss, an expired entry or a backend failure."""
        try:
            raw = await self.backend.get(self._key(name, key))
            value = None if raw is None else json.loads(raw)
        except Exception as exc:
            self._failed("get", name, exc)
            value = None
        self._recorder.cache(name, value is not None)
        return value

    async def set_json(self, name: str, key: str, value: Any, ttl_seconds: float) -> None:
        """Store `value` (JSON-serialisable) for `ttl_seconds`; a backend failure is logged."""
        raw = json.dumps(value, separators=(",", ":"), default=str)
        try:
            await self.backend.set(self._key(name, key), raw, ttl_seconds)
        except Exception as exc:
            self._failed("set", name, exc)

    async def delete(self, name: str, key: str) -> None:
        """Invalidate one entry (after a write or a webhook changed what it holds)."""
        try:
            await self.backend.delete(self._key(name, key))
        except Exception as exc:
            self._failed("delete", name, exc)

    async def ping(self) -> None:
        """Raise if the backend does not answer (the health check times this)."""
        await self.backend.ping()

    async def close(self) -> None:
        try:
            await self.backend.close()
        except Exception as exc:
            self._failed("close", "all", exc)

    def _failed(self, operation: str, name: str, exc: Exception) -> None:
        self._recorder.cache_error(name, operation)
        log.warning(
            "cache_backend_failed",
            backend=self.backend.kind,
            cache=name,
            operation=operation,
            error=type(exc).__name__,
        )
