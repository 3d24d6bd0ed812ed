"""Put the security middleware on the app, outermost first (so errors carry the headers)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from tender.config import Settings
from tender.security.abuse import AbuseLimitMiddleware, AbuseLimits, Identify, TokenIdentities
from tender.security.headers import SecurityHeadersMiddleware
from tender.security.limits import LimitStore, MemoryLimitStore, RedisLimitStore
from tender.security.proxies import TrustedProxies
from tender.security.transport import BodySizeLimitMiddleware, HttpsOnlyMiddleware


def limit_store(settings: Settings) -> LimitStore:
    """Redis when REDIS_URL is set (limits shared by every instance), else this process."""
    if settings.redis_url is not None:
        return RedisLimitStore.from_url(settings.redis_url.get_secret_value())
    return MemoryLimitStore()


def abuse_limits(settings: Settings) -> AbuseLimits:
    return AbuseLimits(
        window_seconds=settings.rate_limit_window_seconds,
        per_user=settings.rate_limit_per_user,
        per_ip=settings.rate_limit_per_ip,
        max_declines=settings.card_testing_max_declines,
        decline_window_seconds=settings.card_testing_window_seconds,
        block_seconds=settings.card_testing_block_seconds,
    )


def install_security(
    app: FastAPI, settings: Settings, *, store: LimitStore, identify: Identify
) -> None:
    """Call last in create_app: Starlette runs the last-added middleware first."""
    proxies = TrustedProxies(settings.trusted_proxies)
    app.add_middleware(
        AbuseLimitMiddleware,
        store=store,
        proxies=proxies,
        identities=TokenIdentities(identify),
        limits=abuse_limits(settings),
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Stripe-Signature"],
            max_age=600,
        )
    if settings.enforce_https:
        app.add_middleware(HttpsOnlyMiddleware, proxies=proxies)
    _outside_error_middleware(app, docs_enabled=not settings.is_production)


def _outside_error_middleware(app: FastAPI, *, docs_enabled: bool) -> None:
    """Wrap the whole stack, Starlette's ServerErrorMiddleware included, so a 500 gets the
    headers too (user middleware always sits inside that one)."""
    build_stack = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeadersMiddleware(build_stack(), docs_enabled=docs_enabled)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
