"""Monitoring fixtures: a private database (alert rules read whole tables), a runtime over
it with small windows, and a local HTTP receiver that records what alert channels send."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
import uvicorn

from tender.config import Settings
from tender.runtime import Runtime
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
async def monitoring_db(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, app URL) of a database only this module writes to."""
    async with fresh_database(pg_server_url, "tender_mon") as urls:
        yield urls


@pytest.fixture
async def sql(monitoring_db: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to arrange rows; every table monitoring reads starts empty."""
    conn = await asyncpg.connect(monitoring_db[0])
    await conn.execute(
        "TRUNCATE payment_errors, refunds, payments, payment_methods, stripe_events CASCADE"
    )
    try:
        yield conn
    finally:
        await conn.close()


@dataclass
class Receiver:
    url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def at(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.received if p == path]

    def clear(self) -> None:
        self.received.clear()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A tiny ASGI app on 127.0.0.1 that stores every JSON POST it gets, by path."""
    box: list[tuple[str, dict[str, Any]]] = []

    async def app(
        scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        box.append((scope["path"], json.loads(body or b"{}")))
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b'{"status":"success"}'})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.005)
        try:
            yield Receiver(f"http://127.0.0.1:{sock.getsockname()[1]}", box)
        finally:
            server.should_exit = True
            await task


@pytest.fixture
def monitor_settings(test_settings: Settings, receiver: Receiver) -> Settings:
    from pydantic import SecretStr

    return test_settings.model_copy(
        update={
            "alert_window_seconds": 60.0,
            "alert_min_samples": 4,
            "alert_repeat_seconds": 0.3,
            "alert_interval_seconds": 0.0,
            "alert_webhook_url": SecretStr(receiver.url + "/slack"),
            "pagerduty_routing_key": SecretStr("R0UTINGKEY"),
            "pagerduty_events_url": receiver.url + "/pagerduty",
        }
    )


@pytest.fixture
async def mon_runtime(
    monitor_settings: Settings, monitoring_db: tuple[str, str]
) -> AsyncIterator[Runtime]:
    rt = Runtime.build(monitor_settings, monitoring_db[1])
    yield rt
    await rt.close()
