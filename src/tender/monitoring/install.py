"""Wire monitoring into the app: middleware, routes and the alert schedule.

Logging and Sentry are process-wide, so the process entry point (tender.asgi) sets them up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from tender.monitoring import endpoints, health, reports
from tender.monitoring.alerts import AlertService
from tender.monitoring.middleware import MonitoringMiddleware
from tender.runtime import Runtime


def install_monitoring(app: FastAPI, runtime: Runtime) -> None:
    """Called once from create_app()."""
    settings = runtime.settings
    app.add_middleware(
        MonitoringMiddleware,
        recorder=runtime.recorder,
        access_log=settings.monitor_enable_logging,
    )
    app.include_router(health.router)
    app.include_router(reports.router)
    app.include_router(endpoints.alerts_router)
    if settings.monitor_enable_metrics:
        app.include_router(endpoints.metrics_router)


@contextlib.asynccontextmanager
async def monitoring_lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    """Push metrics (METRICS_ENDPOINT) while the app serves. Alerts are evaluated by the job
    queue's periodic `tender.evaluate_alerts`, once per period for the whole deployment."""
    settings = runtime.settings
    task: asyncio.Task[None] | None = None
    if settings.metrics_endpoint:
        service = AlertService(runtime, channels=[])
        task = asyncio.create_task(_push_loop(service, settings.metrics_push_interval_seconds))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _push_loop(service: AlertService, interval: float) -> None:
    while True:
        await service.push()
        await asyncio.sleep(interval)
