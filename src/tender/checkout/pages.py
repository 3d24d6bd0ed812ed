"""The checkout page's HTML and its Content-Security-Policy (only what the page loads)."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, Response

from tender.config import Settings

ASSETS = {
    "checkout.js": "text/javascript; charset=utf-8",
    "checkout.css": "text/css; charset=utf-8",
}


@cache
def asset(name: str) -> bytes:
    return resources.files("tender.checkout").joinpath("static", name).read_bytes()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp(settings: Settings) -> str:
    """Scripts from Tender and Stripe.js's origin; calls to Tender and Stripe's API only."""
    if settings.stripe_api_base:  # the offline test mode serves both Stripe.js and the API
        js = api = frames = _origin(settings.stripe_js_url)
    else:  # Stripe's documented sources for Stripe.js, its frames and its API calls
        js = "https://js.stripe.com https://*.js.stripe.com"
        frames = f"{js} https://hooks.stripe.com"
        api = "https://api.stripe.com"
    return (
        f"default-src 'none'; script-src 'self' {js}; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {api}; frame-src {frames}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def _headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp(settings),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the link is a credential: never leak it onwards
    }


def checkout_page(settings: Settings) -> HTMLResponse:
    return HTMLResponse(asset("checkout.html"), headers=_headers(settings))


def message_page(settings: Settings, status: int, title: str, text: str) -> HTMLResponse:
    """A plain page for a link that cannot be used (expired, used, unknown) or maintenance."""
    body = (
        asset("message.html")
        .decode()
        .replace("{{title}}", html.escape(title))
        .replace("{{text}}", html.escape(text))
    )
    return HTMLResponse(body, status_code=status, headers=_headers(settings))


def asset_response(name: str) -> Response:
    return Response(
        asset(name),
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=300"},
    )
