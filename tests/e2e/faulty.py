"""Helpers for fault tests: Tender with its own settings (budget, timeouts), faults, reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text

from tender.app import create_app
from tender.config import Settings
from tender.db.engine import Database
from tender.runtime import Runtime

CREATE = "/functions/v1/create-payment-intent"
CONFIRM = "/functions/v1/confirm-payment"


@asynccontextmanager
async def tender_with(
    settings: Settings, database_url: str, **overrides: Any
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """Tender on `database_url` with `overrides` applied to the test settings."""
    runtime = Runtime.build(settings.model_copy(update=overrides), database_url)
    transport = httpx.ASGITransport(app=create_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tender.test") as c:
            yield runtime, c
    finally:
        await runtime.close()


async def fault(control: httpx.AsyncClient, path: str, **rule: Any) -> None:
    """Add a fault rule in the test mode for requests whose path starts with `path`."""
    resp = await control.post("/_test/faults", json={"path_prefix": path, **rule})
    assert resp.status_code == 200, resp.text


async def clear_faults(control: httpx.AsyncClient) -> None:
    (await control.delete("/_test/faults")).raise_for_status()


async def payment_row(owner_db: Database, payment_id: str) -> dict[str, Any]:
    async with owner_db.engine.connect() as conn:
        row = await conn.execute(text("SELECT * FROM payments WHERE id = :id"), {"id": payment_id})
        return dict(row.mappings().one())


async def count(owner_db: Database, sql: str, **params: Any) -> int:
    async with owner_db.engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def elapsed(coro: Any) -> tuple[Any, float]:
    """(result, seconds) of awaiting `coro`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await coro
    return result, loop.time() - started
