"""Wire monitoring into the app: logging, Sentry, middleware, routes and the alert schedule."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from tender.config import Environment
from tender.monitoring import endpoints, health, reports
from tender.monitoring.alerts import AlertService
from tender.monitoring.logging import configure_logging, init_sentry
from tender.monitoring.middleware import MonitoringMiddleware
from tender.runtime import Runtime


def install_monitoring(app: FastAPI, runtime: Runtime) -> None:
    """Called once from create_app()."""
    settings = runtime.settings
    if settings.environment is not Environment.test:
        # Process-wide; test runs keep pytest's own logging (JSON to stderr would end up
        # in CliRunner output of unrelated tests).
        configure_logging(settings)
    init_sentry(settings)
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
    """Run the alert schedule (and metrics push) while the app serves."""
    settings = runtime.settings
    task: asyncio.Task[None] | None = None
    if settings.monitor_enable_alerts and settings.alert_interval_seconds > 0:
        service = AlertService(runtime)
        app.state.alerts = service
        task = asyncio.create_task(service.run(settings.alert_interval_seconds))
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
