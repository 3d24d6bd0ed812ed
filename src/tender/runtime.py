"""The long-lived parts of a running Tender, shared by requests: pool, verifier, clients."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from fastapi import Request

from tender.auth.jwks import JwksCache
from tender.auth.tokens import TokenVerifier
from tender.cache import Cache
from tender.config import Settings
from tender.controls.switches import KillSwitches
from tender.db.engine import Database
from tender.gateway.stripe import StripeGateway
from tender.security.install import limit_store
from tender.security.limits import LimitStore, MemoryLimitStore
from tender.telemetry.monitor import ValidationMonitor
from tender.telemetry.recorder import Recorder


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier
    http: httpx.AsyncClient
    gateway: StripeGateway
    recorder: Recorder
    switches: KillSwitches
    cache: Cache
    monitor: ValidationMonitor = field(default_factory=ValidationMonitor)
    limits: LimitStore = field(default_factory=MemoryLimitStore)  # abuse-limit counters

    @classmethod
    def build(cls, settings: Settings, database_url: str) -> Runtime:
        http = httpx.AsyncClient(timeout=10.0)
        jwks = None
        if settings.supabase_url:
            jwks = JwksCache(
                settings.supabase_url.rstrip("/") + "/auth/v1/.well-known/jwks.json",
                ttl_seconds=settings.jwks_cache_seconds,
                client=http,
            )
        secret = settings.supabase_jwt_secret
        verifier = TokenVerifier(
            secret=secret.get_secret_value() if secret else None,
            jwks=jwks,
            audience=settings.jwt_audience,
        )
        db = Database(
            database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pgbouncer=settings.database_pgbouncer,
        )
        monitor = ValidationMonitor.from_settings(settings)
        recorder = Recorder(monitor)
        return cls(
            settings=settings,
            db=db,
            verifier=verifier,
            http=http,
            gateway=StripeGateway(settings, recorder),
            recorder=recorder,
            switches=KillSwitches.from_settings(db, settings),
            cache=Cache.from_settings(settings, recorder),
            monitor=monitor,
            limits=limit_store(settings),
        )

    async def close(self) -> None:
        await self.db.dispose()
        await self.http.aclose()
        await self.gateway.close()
        await self.cache.close()
        await self.limits.close()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
