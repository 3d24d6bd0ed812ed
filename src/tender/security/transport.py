"""Transport rules: HTTPS only in production, and a request body size limit (413)."""

from __future__ import annotations

from starlette.exceptions import HTTPException

from tender.security.asgi import ASGIApp, Message, Receive, Scope, Send, header, send_json_error
from tender.security.proxies import TrustedProxies

# Probes and the metrics scrape come from inside the cluster, straight to the process.
PLAIN_HTTP_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


class HttpsOnlyMiddleware:
    """Plain HTTP: safe methods are redirected (308) to https, anything else is refused (403)."""

    def __init__(self, app: ASGIApp, *, proxies: TrustedProxies) -> None:
        self.app = app
        self._proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("path") in PLAIN_HTTP_PATHS
            or self._proxies.scheme(scope) == "https"
        ):
            await self.app(scope, receive, send)
            return
        host = (header(scope, b"host") or b"").decode("latin-1")
        if scope.get("method") in SAFE_METHODS and host:
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope.get("raw_path", b"").decode("latin-1") or scope["path"]
            location = f"https://{host}{path}"
            if query:
                location += f"?{query}"
            await send_json_error(
                send,
                308,
                "https_required",
                "Use HTTPS.",
                headers=[("Location", location)],
            )
            return
        await send_json_error(
            send, 403, "https_required", "Payment endpoints are served over HTTPS only."
        )


class BodyTooLarge(HTTPException):
    """Raised while the app reads a body past the limit; rendered as a 413 error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class BodySizeLimitMiddleware:
    """413 for a declared Content-Length over the limit, or a streamed body that passes it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self._max
            except ValueError:
                await send_json_error(send, 400, "bad_request", "Content-Length is not a number.")
                return
            if too_large:
                await self._refuse(send)
                return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    raise BodyTooLarge(self._max)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_json_error(
            send,
            413,
            "request_too_large",
            f"The request body is larger than {self._max} bytes.",
            max_bytes=self._max,
        )
