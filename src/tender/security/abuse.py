"""Rate limits per user and per IP on payment endpoints, and the card-testing guard.

Middleware, so the payment code needs no change: a confirm answered 402 counts as a decline
for the caller's user and IP; too many in a window block further confirms for a while.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from tender.auth.principal import Principal
from tender.security.asgi import ASGIApp, Message, Receive, Scope, Send, header, send_json_error
from tender.security.limits import LimitStore, retry_after
from tender.security.proxies import TrustedProxies

log = logging.getLogger(__name__)

PAYMENT_PATHS = re.compile(
    r"^/(functions/v1/|v1/(payments|orders|payment-methods|checkout-sessions)(/|$)"
    r"|checkout/[^/]+/(session|card|confirm|payment|offline)/?$)"
)
CONFIRM_PATHS = re.compile(
    r"^/(functions/v1/confirm-payment|v1/payments/[^/]+/confirm|checkout/[^/]+/confirm)/?$"
)
DECLINE_STATUS = 402
TOKEN_CACHE_SIZE = 10_000
TOKEN_CACHE_SECONDS = 60.0

Identify = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class AbuseLimits:
    window_seconds: int
    per_user: int
    per_ip: int
    max_declines: int
    decline_window_seconds: int
    block_seconds: int


class TokenIdentities:
    """Bearer token -> user key, verified once and cached briefly (bounded)."""

    def __init__(self, verify: Identify) -> None:
        self._verify = verify
        self._cache: dict[str, tuple[str | None, float]] = {}

    async def user(self, scope: Scope) -> str | None:
        raw = header(scope, b"authorization")
        if not raw:
            return None
        scheme, _, token = raw.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        now = time.monotonic()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            user = await self._verify(token)
        except Exception:  # an invalid token is the endpoint's 401 to give, not ours
            user = None
        if len(self._cache) >= TOKEN_CACHE_SIZE:
            self._cache.clear()
        self._cache[token] = (user, now + TOKEN_CACHE_SECONDS)
        return user


class AbuseLimitMiddleware:
    """429 with Retry-After when a caller passes a limit; fails open if the store is down."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: LimitStore,
        proxies: TrustedProxies,
        identities: TokenIdentities,
        limits: AbuseLimits,
    ) -> None:
        self.app = app
        self._store = store
        self._proxies = proxies
        self._identities = identities
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not PAYMENT_PATHS.match(path):
            await self.app(scope, receive, send)
            return
        ip = self._proxies.client_ip(scope)
        user = await self._identities.user(scope)
        callers = [f"ip:{ip}"] + ([f"user:{user}"] if user else [])
        confirm = scope.get("method") == "POST" and bool(CONFIRM_PATHS.match(path))
        try:
            refusal = await self._check(callers, user, ip, confirm)
        except Exception:
            log.warning("abuse limit store unavailable; letting the request through", exc_info=True)
            refusal = None
        if refusal is not None:
            status, code, message, wait = refusal
            await send_json_error(send, status, code, message, headers=[("Retry-After", wait)])
            return
        if not confirm:
            await self.app(scope, receive, send)
            return
        status_seen = 0

        async def watch(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status_seen == DECLINE_STATUS:
            try:
                await self._record_decline(callers)
            except Exception:
                log.warning("could not record a decline", exc_info=True)

    async def _check(
        self, callers: list[str], user: str | None, ip: str, confirm: bool
    ) -> tuple[int, str, str, str] | None:
        limits = self._limits
        if confirm:
            blocked = await self._store.blocked_for([f"declines:{c}" for c in callers])
            if blocked > 0:
                return (
                    429,
                    "card_testing_blocked",
                    "Too many declined payments. Please try again later.",
                    retry_after(blocked),
                )
        checks = [(f"rate:ip:{ip}", limits.per_ip)]
        if user:
            checks.append((f"rate:user:{user}", limits.per_user))
        for key, limit in checks:
            count, reset = await self._store.hit(key, limits.window_seconds)
            if count > limit:
                return 429, "rate_limited", "Too many requests. Slow down.", retry_after(reset)
        return None

    async def _record_decline(self, callers: list[str]) -> None:
        limits = self._limits
        for caller in callers:
            count, _ = await self._store.hit(f"declines:{caller}", limits.decline_window_seconds)
            if count >= limits.max_declines:
                await self._store.block(f"declines:{caller}", limits.block_seconds)
                log.warning("card-testing guard blocked %s", caller.split(":", 1)[0])


class _Verifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


def verified_user(verifier: _Verifier) -> Identify:
    """Identify callers by the `sub` of a token the runtime's verifier accepts."""

    async def identify(token: str) -> str | None:
        principal = await verifier.verify(token)
        return str(principal.user_id) if principal.user_id is not None else None

    return identify
