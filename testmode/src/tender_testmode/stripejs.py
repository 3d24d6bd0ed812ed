"""The offline Stripe.js: served at /v3/ like js.stripe.com, plus CORS for the browser.

A checkout page on another origin loads the script from here and calls the test mode with
the publishable key, so every answer carries CORS headers (as Stripe's API does for pk_
calls); preflights are answered before the API's own routing.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATHS = ("/v3", "/v3/", "/v3/stripe.js")


@cache
def script() -> bytes:
    return resources.files("tender_testmode").joinpath("static", "stripe-v3.js").read_bytes()


async def serve_script(request: Request) -> Response:
    return Response(
        script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


def install(app: Starlette) -> None:
    """Serve /v3/ ahead of the API's catch-all route and answer browsers' CORS checks."""
    for path in reversed(PATHS):
        app.router.routes.insert(0, Route(path, serve_script, methods=["GET", "HEAD"]))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Stripe-Version"],
        expose_headers=["Request-Id"],
        max_age=600,
    )
