"""create_app(): the FastAPI application, its middleware, routers and error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tender.auth import endpoints as auth_endpoints
from tender.checkout import endpoints as checkout_endpoints
from tender.console import endpoints as console_endpoints
from tender.http_errors import install_error_handlers
from tender.jobs.runner import InProcessWorker
from tender.methods import endpoints as methods_endpoints
from tender.monitoring import probes
from tender.monitoring.install import install_monitoring, monitoring_lifespan
from tender.openapi import install_openapi
from tender.ops import endpoints as ops_endpoints
from tender.orders import endpoints as orders_endpoints
from tender.payments import endpoints as payments_endpoints
from tender.refunds import endpoints as refunds_endpoints
from tender.runtime import Runtime
from tender.security.abuse import verified_user
from tender.security.install import install_security
from tender.webhooks import endpoints as webhooks_endpoints


def create_app(runtime: Runtime) -> FastAPI:
    """The API over an already-built Runtime; the app closes the runtime on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Background work is on the job queue; RUN_WORKER_IN_PROCESS runs one worker here.
        worker = InProcessWorker(runtime).start()
        try:
            async with monitoring_lifespan(app, runtime):
                yield
        finally:
            await worker.stop()
            await runtime.close()

    app = FastAPI(
        title="Tender",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if not runtime.settings.is_production else None,
        redoc_url="/redoc" if not runtime.settings.is_production else None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    install_openapi(app)
    app.include_router(probes.router)
    app.include_router(auth_endpoints.router)
    app.include_router(ops_endpoints.router)
    app.include_router(refunds_endpoints.router)
    for domain in (payments_endpoints, orders_endpoints, methods_endpoints, webhooks_endpoints):
        app.include_router(domain.router)
    app.include_router(checkout_endpoints.router)  # the hosted checkout page (issue 16)
    app.include_router(console_endpoints.router)  # the operations console (issue 16)
    install_security(
        app, runtime.settings, store=runtime.limits, identify=verified_user(runtime.verifier)
    )
    install_monitoring(app, runtime)  # last: its middleware is outermost, timing everything
    return app
