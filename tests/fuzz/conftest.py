"""Tender and the Stripe test mode served on loopback from their own thread and event loop.

Schemathesis calls the API synchronously (requests), so the servers cannot live on the test
session's event loop, which only runs while an async test does.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
import schemathesis
import uvicorn
from pydantic import SecretStr

from tender.app import create_app
from tender.config import Environment, Settings
from tender.runtime import Runtime

# The test mode through the root conftest's imports (its package moves between branches).
from tests.conftest import (
    JWT_SECRET,
    WEBHOOK_SECRET,
    EmulatorConfig,
    bearer,
    fresh_database,
    running_emulator,
)


@dataclass
class ServedTender:
    """A Tender (and its offline Stripe) running in a background thread."""

    database_url: str
    data_dir: Path
    url: str = ""
    ready: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the fixture, which fails the tests
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        config = EmulatorConfig(port=0, webhook_secret=WEBHOOK_SECRET)
        async with running_emulator(config) as stripe_url:
            settings = Settings(
                environment=Environment.test,
                supabase_jwt_secret=SecretStr(JWT_SECRET),
                stripe_secret_key=SecretStr("sk_test_tender_offline"),
                stripe_publishable_key=SecretStr("pk_test_tender_offline"),
                stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
                stripe_api_base=stripe_url,
                stripe_max_network_retries=0,
                stripe_timeout_seconds=5.0,
                data_dir=self.data_dir,
                rate_limit_per_user=100_000,
                rate_limit_per_ip=100_000,
            )
            runtime = Runtime.build(settings, self.database_url)
            app = create_app(runtime)
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
            )
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                sock.listen(128)
                task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
                while not server.started:
                    if task.done():
                        task.result()
                    await asyncio.sleep(0.005)
                self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
                self.ready.set()
                await self._stop.wait()
                server.should_exit = True
                await task
            await runtime.close()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)


@pytest.fixture(scope="session")
async def fuzz_database(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """A database of its own: kill switches other tests leave set must not read as 5xx."""
    async with fresh_database(pg_server_url, "tender_fuzz") as urls:
        yield urls


@pytest.fixture(scope="session")
def served(
    fuzz_database: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedTender]:
    tender = ServedTender(fuzz_database[1], tmp_path_factory.mktemp("fuzz-data"))
    thread = threading.Thread(target=tender.run, name="fuzz-tender", daemon=True)
    thread.start()
    assert tender.ready.wait(60), "tender did not start"
    if tender.error is not None:
        raise tender.error
    try:
        yield tender
    finally:
        tender.stop()
        thread.join(30)


@pytest.fixture(scope="session")
def api_schema(served: ServedTender) -> schemathesis.BaseSchema:
    """Tender's own /openapi.json, as a schemathesis schema."""
    document = httpx.get(f"{served.url}/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="session")
def fuzz_user() -> UUID:
    return uuid4()


@pytest.fixture(scope="session")
def user_headers(fuzz_user: UUID) -> dict[str, str]:
    return bearer(fuzz_user)


@pytest.fixture(scope="session")
def service_headers() -> dict[str, str]:
    return bearer(None, role="service_role")
