"""The HTTP half of the monitoring seam: one cheap ASGI middleware for every request.

Labels use the matched route template (`/v1/payments/{payment_id}`), never the raw path,
so scanners and ids cannot grow the series. A request id (incoming `X-Request-ID` when it
is sane, else a new one) is bound to every log line of the request and echoed back.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tender.monitoring import logging as _logging  # noqa: F401 - logs go to stderr
from tender.monitoring.dberrors import is_database_unreachable
from tender.telemetry.recorder import Recorder

log = structlog.get_logger("tender.http")
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = str(value.decode("latin-1"))
            if REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class MonitoringMiddleware:
    """Times each request and reports it to the Recorder (metrics + ValidationMonitor)."""

    def __init__(self, app: ASGIApp, recorder: Recorder, *, access_log: bool = True) -> None:
        self.app = app
        self.recorder = recorder
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        header = request_id.encode()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", header)]
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        outcome = "ok"
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            status, outcome = 500, "exception"
            if isinstance(exc, Exception) and is_database_unreachable(exc):
                self.recorder.db_connection_error()
                outcome = "database_unreachable"
            raise
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.recorder.http_request(route, method, status, seconds)
            if self.access_log:
                log.info(
                    "request",
                    route=route,
                    method=method,
                    status=status,
                    outcome=outcome if outcome != "ok" else f"{status // 100}xx",
                    latency_ms=round(seconds * 1000, 2),
                )
            structlog.contextvars.reset_contextvars(**tokens)
