"""`GET /api/health/payment`: the seed's health check, answered within 2 s whatever hangs.

Each check (database, stripe, cache, webhooks) runs concurrently under its own timeout
(HEALTH_CHECK_TIMEOUT_SECONDS) and reports {healthy, latency_ms, detail}; any unhealthy
check makes the answer 503. Maintenance mode is reported, not treated as unhealthy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from tender.controls.switches import MAINTENANCE
from tender.db.rls import DbContext
from tender.kit.times import now_iso
from tender.monitoring import repository
from tender.monitoring.dberrors import is_database_unreachable
from tender.monitoring.schemas import HealthOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(tags=["health"])


def _error(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:.1f}s"
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _timed(check: Awaitable[str], limit: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, limit)
        healthy = True
    except Exception as exc:
        detail, healthy = _error(exc, limit), False
    return {
        "healthy": healthy,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "detail": detail,
    }


async def _database(runtime: Runtime) -> str:
    try:
        await runtime.db.ping()
    except Exception as exc:
        if is_database_unreachable(exc):
            runtime.recorder.db_connection_error()
        raise
    pool = runtime.db.engine.pool
    status = getattr(pool, "status", None)
    return f"ok; pool {status()}" if callable(status) else "ok"


async def _stripe(runtime: Runtime) -> str:
    await runtime.gateway.ping()
    return "ok; balance readable"


async def _cache(runtime: Runtime) -> str:
    await runtime.cache.ping()
    return f"ok; {runtime.cache.kind}"


async def _webhooks(runtime: Runtime) -> str:
    s = runtime.settings
    async with runtime.db.transaction(DbContext.service("monitoring")) as conn:
        inbox = await repository.webhook_inbox(conn)
    age, failed, pending = (
        inbox["last_event_age"],
        int(inbox["failed"]),
        inbox["oldest_pending_age"],
    )
    last = "no events yet" if age is None else f"last event {float(age):.0f}s ago"
    detail = f"{last}; {failed} failed"
    if failed > s.health_webhook_failed_max:
        raise RuntimeError(f"{detail} (more than {s.health_webhook_failed_max})")
    if pending is not None and float(pending) > s.health_webhook_pending_max_seconds:
        raise RuntimeError(f"{detail}; an event is pending for {float(pending):.0f}s")
    return detail


async def payment_health(runtime: Runtime) -> dict[str, Any]:
    """The seed's HealthCheckResult: {healthy, timestamp, checks, maintenance}."""
    timeout = runtime.settings.health_check_timeout_seconds
    names = ("database", "stripe", "cache", "webhooks")
    probes = (_database(runtime), _stripe(runtime), _cache(runtime), _webhooks(runtime))
    results = await asyncio.gather(*(_timed(p, timeout) for p in probes))
    checks = dict(zip(names, results, strict=True))
    maintenance: bool | None
    try:
        values = await asyncio.wait_for(runtime.switches.values(), timeout=0.2)
        maintenance = bool(values.get(MAINTENANCE, False))
    except Exception:
        maintenance = None  # unknown: the database check already says why
    return {
        "healthy": all(c["healthy"] for c in checks.values()),
        "timestamp": now_iso(),
        "maintenance": maintenance,
        "checks": checks,
    }


def public_view(body: dict[str, Any]) -> dict[str, Any]:
    """The answer for anonymous callers: health and timings, no internals (pool, errors)."""
    checks = {
        name: {**check, "detail": "ok" if check["healthy"] else "failing"}
        for name, check in body["checks"].items()
    }
    return {**body, "checks": checks}


async def _is_service_caller(request: Request, runtime: Runtime) -> bool:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        return (await runtime.verifier.verify(token.strip())).is_service
    except Exception:
        return False  # a bad token still gets the public answer, as no token does


@router.get(
    "/api/health/payment",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A check is unhealthy (same body)."}},
)
async def health_payment(
    request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> JSONResponse:
    """200 when every check is healthy, else 503; details only for the service role."""
    body = await payment_health(runtime)
    if not await _is_service_caller(request, runtime):
        body = public_view(body)
    return JSONResponse(body, status_code=200 if body["healthy"] else 503)
