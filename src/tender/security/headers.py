"""The seed's security headers on every HTTP response, errors and 404s included."""

from __future__ import annotations

from tender.security.asgi import ASGIApp, Message, RawHeaders, Receive, Scope, Send

# The seed's "Required security headers", verbatim.
SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' https://api.stripe.com",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Swagger UI and ReDoc (development only) load their scripts, styles and fonts from CDNs.
DOCS_CSP = (
    "default-src 'self'; connect-src 'self' https://api.stripe.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def _encode(headers: dict[str, str]) -> RawHeaders:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


class SecurityHeadersMiddleware:
    """Adds the headers to every response start unless the handler already set them."""

    def __init__(self, app: ASGIApp, *, docs_enabled: bool = False) -> None:
        self.app = app
        self._headers = _encode(SECURITY_HEADERS)
        self._names = frozenset(name for name, _ in self._headers)
        self._docs_headers = _encode({**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP})
        self._docs_enabled = docs_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers
        if self._docs_enabled and scope.get("path") in DOCS_PATHS:
            extra = self._docs_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: RawHeaders = list(message.get("headers", ()))
                present = {bytes(k).lower() for k, _ in raw} & self._names
                raw.extend(item for item in extra if item[0] not in present)
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
