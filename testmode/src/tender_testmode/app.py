"""ASGI app: auth, routing, faults, idempotency and Stripe's error envelope."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tender_testmode import control, formdata, routes, stripejs
from tender_testmode.config import EmulatorConfig
from tender_testmode.engine import Emulator, RequestContext
from tender_testmode.errors import StripeError, api_error, authentication, invalid_request
from tender_testmode.http import dumps, read_body, request_id, send_raw, wait_disconnect
from tender_testmode.idempotency import StoredResponse, fingerprint

log = logging.getLogger("tender_testmode")
TRANSPORT_EXT = "tender.transport"


class AbortConnection(Exception):
    """Raised to make the server drop the connection without a response."""


def _not_found(method: str, path: str) -> StripeError:
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
        status=404,
        save_idempotent=False,
    )


def _auth(headers: dict[bytes, bytes]) -> tuple[str, bool]:
    raw = headers.get(b"authorization")
    if raw is None:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth "
            "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    scheme, _, key = raw.decode("latin-1").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(("sk_test_", "pk_test_", "rk_test_")):
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if key else scheme
        raise authentication(f"Invalid API Key provided: {shown}")
    return key, key.startswith("pk_test_")


class EmulatorASGI:
    def __init__(self, emulator: Emulator) -> None:
        self.em = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        rid = request_id()
        out_headers: list[tuple[bytes, bytes]] = [(b"request-id", rid.encode())]
        try:
            status, body = await self._handle(scope, receive, send, rid, out_headers)
        except AbortConnection:
            await _abort(scope, receive, send)
            return
        except StripeError as exc:
            status, body = exc.status, dumps(exc.body())
            out_headers.extend((k.encode(), v.encode()) for k, v in exc.headers.items())
        elapsed_ms = (time.perf_counter() - started) * 1000
        out_headers.append((b"server-timing", f"app;dur={elapsed_ms:.3f}".encode()))
        await send_raw(send, status, body, out_headers)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rid: str,
        out_headers: list[tuple[bytes, bytes]],
    ) -> tuple[int, bytes]:
        em = self.em
        method: str = scope["method"]
        path: str = scope["path"]
        headers = dict(scope["headers"])
        query: bytes = scope["query_string"]
        body = await read_body(receive) if method in ("POST", "PUT", "PATCH") else b""
        if path.startswith("/_test/"):
            ctx = RequestContext(rid, "control")
            params = control.parse(body, headers.get(b"content-type", b""), query)
            answer = await control.handle(em, ctx, method, path, params)  # saves its changes
            if answer is None:
                raise _not_found(method, path)
            return 200, dumps(answer)
        api_key, publishable = _auth(headers)
        found = routes.match(method, path)
        if found is None:
            raise _not_found(method, path)
        route, ids = found
        if publishable and not route.publishable:
            raise authentication(
                "This API call cannot be made with a publishable API key. Please use a secret "
                "API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys."
            )
        decision = em.faults.decide(method, path)
        if decision.failure is not None:
            await self._fail(decision.failure, receive, out_headers)
        params = formdata.decode(body if method == "POST" else query)
        idem_key = (headers.get(b"idempotency-key") or b"").decode() or None
        if method != "POST":
            idem_key = None
        knobs_header = headers.get(b"emulator-webhooks")
        ctx = RequestContext(rid, api_key, publishable, idem_key)
        if knobs_header:
            ctx.webhook_knobs = control.knobs_from_header(em, knobs_header.decode())
        if idem_key is None:
            if decision.latency_s:
                await asyncio.sleep(decision.latency_s)
            return 200, self._run(route, ctx, params, ids)
        out_headers.append((b"idempotency-key", idem_key.encode()))
        stored = em.idempotency.begin(api_key, idem_key, fingerprint(method, path, body))
        if stored is not None:
            out_headers.append((b"idempotent-replayed", b"true"))
            out_headers.extend((k.encode(), v.encode()) for k, v in stored.headers.items())
            return stored.status, stored.body
        try:
            if decision.latency_s:
                await asyncio.sleep(decision.latency_s)
            result = self._run(route, ctx, params, ids)
        except StripeError as exc:
            if exc.save_idempotent:
                response = StoredResponse(
                    exc.status, dumps(exc.body()), {"original-request": rid, **exc.headers}
                )
                em.idempotency.finish(api_key, idem_key, response)
            else:
                em.idempotency.abandon(api_key, idem_key)
            raise
        except BaseException:
            em.idempotency.abandon(api_key, idem_key)
            raise
        em.idempotency.finish(
            api_key, idem_key, StoredResponse(200, result, {"original-request": rid})
        )
        return 200, result

    def _run(self, route: routes.Route, ctx: RequestContext, params: Any, ids: Any) -> bytes:
        changes = route.method != "GET"
        if changes:
            self.em.begin_change()
        try:
            return dumps(route.handler(self.em, ctx, params, *ids))
        except StripeError:
            raise
        except Exception as exc:  # a bug must still look like Stripe's 500, not a crash
            log.exception("emulator handler failed")
            raise api_error(f"Internal emulator error: {type(exc).__name__}") from exc
        finally:
            if changes:  # a decline changes state too: the intent and its failed charge
                self.em.end_change()

    async def _fail(
        self, mode: str, receive: Receive, out_headers: list[tuple[bytes, bytes]]
    ) -> None:
        cfg = self.em.config
        if mode == "reset":
            raise AbortConnection
        if mode == "timeout":
            if await wait_disconnect(receive, cfg.fault_hang_seconds):
                raise AbortConnection
            raise api_error("Injected timeout elapsed")
        if mode == "429":
            raise StripeError(
                429,
                "invalid_request_error",
                "Too many requests hit the API too quickly. We recommend an exponential backoff "
                "of your requests.",
                code="rate_limit",
                headers={
                    "retry-after": str(cfg.retry_after_seconds),
                    "stripe-should-retry": "true",
                },
                save_idempotent=False,
            )
        raise StripeError(
            500,
            "api_error",
            "An unknown error occurred (injected fault).",
            headers={"stripe-should-retry": "true"},
            save_idempotent=False,
        )


async def _abort(scope: Scope, receive: Receive, send: Send) -> None:
    transport = scope.get("extensions", {}).get(TRANSPORT_EXT)
    if transport is not None:
        transport.abort()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(receive(), 1.0)
        return
    # Without the transport: start a response and never finish it; the server drops the socket.
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
    )


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as an ASGI app; ``app.state.emulator`` is the live :class:`Emulator`."""
    emulator = Emulator(config or EmulatorConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await emulator.webhooks.aclose()
            emulator.close()

    asgi = EmulatorASGI(emulator)
    app = Starlette(routes=[Route("/{path:path}", asgi)], lifespan=lifespan)
    app.state.emulator = emulator
    stripejs.install(app)  # the offline Stripe.js at /v3/ and CORS for the browser
    return app
