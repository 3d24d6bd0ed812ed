"""`GET /metrics` (Prometheus text) and `GET /v1/alerts` (service role: rules right now)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tender import openapi
from tender.auth.dependencies import ServiceCaller
from tender.monitoring.alerts import AlertService
from tender.monitoring.schemas import AlertsOut
from tender.runtime import Runtime, get_runtime
from tender.telemetry import metrics

metrics_router = APIRouter(tags=["monitoring"])
alerts_router = APIRouter(prefix="/v1/alerts", tags=["monitoring"])


@metrics_router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """Every worker's metrics (multiprocess-safe when PROMETHEUS_MULTIPROC_DIR is set)."""
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


@alerts_router.get("", response_model=AlertsOut, responses=openapi.errors(openapi.SERVICE))
async def current_alerts(
    request: Request, _caller: ServiceCaller, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> dict[str, Any]:
    """Every seed rule evaluated now, with what the scheduler believes is firing."""
    service: AlertService | None = getattr(request.app.state, "alerts", None)
    results = await (service or AlertService(runtime, channels=[])).evaluate()
    return {
        "firing": sorted(r.name for r in results if r.firing),
        "alerts": [r.as_dict() for r in results],
    }
