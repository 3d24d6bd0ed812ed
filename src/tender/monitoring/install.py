"""Wire monitoring into the app: middleware, routes and the alert schedule.

Logging and Sentry are process-wide, so the process entry point (tender.asgi) sets them up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from tender.monitoring import endpoints, health, reports
from tender.monitoring.alerts import AlertService, shared
from tender.monitoring.middleware import MonitoringMiddleware
from tender.runtime import Runtime

log = structlog.get_logger("tender.monitoring")


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
    """While the app serves: publish this process's monitoring window for the alert job (the
    job queue's periodic `tender.evaluate_alerts`, once per period for the whole deployment)
    and push metrics (METRICS_ENDPOINT)."""
    settings = runtime.settings
    tasks: list[asyncio.Task[None]] = []
    if settings.metrics_endpoint:
        service = AlertService(runtime, channels=[])
        tasks.append(
            asyncio.create_task(_push_loop(service, settings.metrics_push_interval_seconds))
        )
    if settings.monitor_enable_alerts and settings.alert_interval_seconds > 0:
        tasks.append(asyncio.create_task(_publish_loop(runtime, settings.alert_interval_seconds)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _push_loop(service: AlertService, interval: float) -> None:
    while True:
        await service.push()
        await asyncio.sleep(interval)


async def _publish_loop(runtime: Runtime, interval: float) -> None:
    while True:
        try:
            await shared.publish(runtime)
        except Exception as exc:  # the database is down: the health check says so
            log.warning("monitor_window_publish_failed", error=type(exc).__name__)
        await asyncio.sleep(interval)
