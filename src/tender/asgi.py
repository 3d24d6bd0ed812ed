"""The ASGI entry point uvicorn workers import: settings come from the environment."""

from __future__ import annotations

import os

from fastapi import FastAPI

from tender.app import create_app
from tender.config import Settings
from tender.devdefaults import with_development_defaults
from tender.monitoring.logging import configure_logging, init_sentry
from tender.runtime import Runtime

APP_DATABASE_URL = "TENDER_APP_DATABASE_URL"  # set by `tender serve` for its workers


def create() -> FastAPI:
    settings = with_development_defaults(Settings())
    settings.check_production()
    configure_logging(settings)
    init_sentry(settings)
    url = os.environ.get(APP_DATABASE_URL) or (
        settings.database_url.get_secret_value() if settings.database_url else None
    )
    if url is None:
        raise RuntimeError("start Tender with `tender serve`, or set DATABASE_URL")
    return create_app(Runtime.build(settings, url))
