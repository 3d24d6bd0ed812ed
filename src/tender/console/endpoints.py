"""HTTP: the console page (/console), its sign-in, its JSON and the switch toggles."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tender.console import auth, service
from tender.console.schemas import (
    OVERVIEW,
    SIGN_IN,
    TOGGLE,
    ConsoleOverview,
    ConsoleSession,
    ConsoleSignedOut,
    SwitchChange,
)
from tender.errors import NotFound
from tender.ops.schemas import SwitchOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(prefix="/console", tags=["console"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ASSETS = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "chart.umd.min.js": "text/javascript; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}


@cache
def _asset(name: str) -> bytes:
    folder = resources.files("tender.console").joinpath("static")
    if name == "chart.umd.min.js":
        folder = folder.joinpath("vendor")
    return folder.joinpath(name).read_bytes()


def _cookie(response: Response, request: Request, runtime: Runtime, actor: str) -> None:
    response.set_cookie(
        auth.COOKIE,
        auth.session_cookie(runtime.settings, actor),
        max_age=auth.SESSION_SECONDS,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or runtime.settings.enforce_https,
    )


@router.get("", include_in_schema=False)
async def console_page() -> HTMLResponse:
    """The page; it signs in (or asks for a service-role token) and then polls /console/api."""
    return HTMLResponse(_asset("console.html"), headers=PAGE_HEADERS)


@router.get("/assets/{name}", include_in_schema=False)
async def console_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound("No such asset.")
    return Response(
        _asset(name), media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/login", include_in_schema=False)
async def login_link(
    request: Request, runtime: RuntimeDep, code: Annotated[str, Query(max_length=2000)]
) -> Response:
    """A one-time link from `tender console`: a console session, then the page."""
    actor = await auth.redeem_link(runtime, code)
    response = RedirectResponse("/console", status_code=303)
    _cookie(response, request, runtime, actor)
    return response


@router.post("/api/session", response_model=ConsoleSession, responses=SIGN_IN)
async def sign_in(
    request: Request, response: Response, runtime: RuntimeDep, actor: auth.Operator
) -> ConsoleSession:
    """Exchange a service-role bearer token for a console session cookie (HttpOnly)."""
    _cookie(response, request, runtime, actor)
    return ConsoleSession(operator=actor, expires_in=auth.SESSION_SECONDS)


@router.delete("/api/session", response_model=ConsoleSignedOut)
async def sign_out(response: Response) -> ConsoleSignedOut:
    """End the console session: its cookie is cleared."""
    response.delete_cookie(auth.COOKIE, path="/console")
    return ConsoleSignedOut(signed_in=False)


@router.get("/api/overview", response_model=ConsoleOverview, responses=OVERVIEW)
async def overview(request: Request, runtime: RuntimeDep, actor: auth.Operator) -> ConsoleOverview:
    """Every dashboard of the console in one document (service role)."""
    board = await service.overview(runtime, getattr(request.app.state, "alerts", None))
    return ConsoleOverview.model_validate({**board, "operator": actor})


@router.put("/api/switches/{name}", response_model=SwitchOut, responses=TOGGLE)
async def toggle(
    name: str, body: SwitchChange, runtime: RuntimeDep, actor: auth.Operator
) -> SwitchOut:
    """Flip a kill switch for every instance; the reason and the operator are audited."""
    state = await runtime.switches.set(name, body.enabled, actor=actor, reason=body.reason)
    return SwitchOut.of(state)
