"""Liveness and readiness probes for orchestrators (`/livez`, `/readyz`)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from tender.monitoring.schemas import ProbeOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(tags=["health"])
READY_TIMEOUT_SECONDS = 2.0


@router.get("/livez", response_model=ProbeOut)
async def livez() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ProbeOut,
    responses={503: {"model": ProbeOut, "description": "The database does not answer."}},
)
async def readyz(runtime: Annotated[Runtime, Depends(get_runtime)]) -> JSONResponse:
    """Ready for traffic: the database answers within the timeout."""
    try:
        await asyncio.wait_for(runtime.db.ping(), READY_TIMEOUT_SECONDS)
    except Exception:
        return JSONResponse({"status": "unavailable", "failing": ["database"]}, status_code=503)
    return JSONResponse({"status": "ok"})
