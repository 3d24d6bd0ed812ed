"""Clients over apps built with settings a test chooses (production, limits, proxies...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tender.app import create_app
from tender.config import Settings
from tender.runtime import Runtime

AppClient = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def app_client(test_settings: Settings, database_urls: tuple[str, str]) -> AppClient:
    @asynccontextmanager
    async def make(
        *,
        client_addr: tuple[str, int] = ("203.0.113.7", 50000),
        base_url: str = "http://tender.test",
        setup: Callable[[FastAPI], None] | None = None,
        **overrides: Any,
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        settings = test_settings.model_copy(update=overrides)
        runtime = Runtime.build(settings, database_urls[1])
        app = create_app(runtime)
        if setup is not None:
            setup(app)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=client_addr)
        try:
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
                yield app, client
        finally:
            await runtime.close()

    return make
