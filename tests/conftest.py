"""Shared fixtures: a real PostgreSQL (TEST_DATABASE_URL or the embedded server), a fresh
database per test session, migrated, and the app wired to it."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
import stripe
import uvicorn
from pydantic import SecretStr

from tender.app import create_app
from tender.auth.tokens import mint_token
from tender.config import Environment, Settings
from tender.db import migrate, provision
from tender.db.engine import Database
from tender.db.urls import with_database, with_user
from tender.runtime import Runtime
from tender_testmode.config import EmulatorConfig
from tender_testmode.server import running_emulator

REPO = Path(__file__).resolve().parents[1]
JWT_SECRET = "test-jwt-secret-" + "x" * 32
WEBHOOK_SECRET = "whsec_test_tender_webhooks"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A superuser URL on a real server: TEST_DATABASE_URL, else the embedded pgserver."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    from tender.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(REPO / ".tender" / "test-pgdata")
    try:
        yield server.start()
    finally:
        server.stop()


@asynccontextmanager
async def fresh_database(pg_server_url: str, prefix: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, app URL) of a new, migrated database, dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin = with_database(pg_server_url, "postgres")
    await provision.ensure_database(admin, name)
    owner_url = with_database(pg_server_url, name)
    try:
        await migrate.upgrade(owner_url)
        await provision.ensure_app_role(owner_url)
        yield owner_url, with_user(owner_url, provision.APP_ROLE)
    finally:
        await provision.drop_database(admin, name)


@pytest.fixture(scope="session")
async def database_urls(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """(owner URL, app URL) of a fresh, migrated database dropped after the session."""
    async with fresh_database(pg_server_url, "tender_test") as urls:
        yield urls


@pytest.fixture(scope="session")
async def stripe_emulator() -> AsyncIterator[str]:
    """The offline Stripe test mode on a free loopback port, webhooks retried fast."""
    config = EmulatorConfig(
        port=0,
        webhook_secret=WEBHOOK_SECRET,
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.5,
        webhook_max_attempts=5,
        webhook_timeout_seconds=5.0,
    )
    async with running_emulator(config) as url:
        yield url


@pytest.fixture
def stripe_js(stripe_emulator: str) -> stripe.StripeClient:
    """A publishable-key client: creates PaymentMethods from card numbers, as Stripe.js does."""
    return stripe.StripeClient(
        "pk_test_tender_offline",
        base_addresses={"api": stripe_emulator},
        http_client=stripe.HTTPXClient(timeout=10),
    )


@pytest.fixture
def stripe_admin(stripe_emulator: str) -> stripe.StripeClient:
    """A secret-key client for arranging and inspecting the test mode behind Tender's back."""
    return stripe.StripeClient(
        "sk_test_tender_offline",
        base_addresses={"api": stripe_emulator},
        http_client=stripe.HTTPXClient(timeout=10),
    )


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory, stripe_emulator: str) -> Settings:
    return Settings(
        environment=Environment.test,
        supabase_jwt_secret=SecretStr(JWT_SECRET),
        stripe_secret_key=SecretStr("sk_test_tender_offline"),
        stripe_publishable_key=SecretStr("pk_test_tender_offline"),
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
        stripe_api_base=stripe_emulator,
        stripe_max_network_retries=1,
        stripe_timeout_seconds=5.0,
        data_dir=tmp_path_factory.mktemp("tender-data"),
        webhook_apply_inline=True,  # no job worker runs in these tests; tests/jobs runs one
    )


@pytest.fixture(scope="session")
async def owner_db(database_urls: tuple[str, str]) -> AsyncIterator[Database]:
    """The migration owner's pool: for arranging data and inspecting the catalog."""
    db = Database(database_urls[0], pool_size=2, max_overflow=2)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
async def app_db(database_urls: tuple[str, str]) -> AsyncIterator[Database]:
    """The pool the service itself uses (login role tender_app)."""
    db = Database(database_urls[1], pool_size=4, max_overflow=4)
    yield db
    await db.dispose()


@pytest.fixture
async def runtime(
    test_settings: Settings, database_urls: tuple[str, str]
) -> AsyncIterator[Runtime]:
    rt = Runtime.build(test_settings, database_urls[1])
    yield rt
    await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tender.test") as c:
        yield c


@pytest.fixture
async def live_tender(runtime: Runtime) -> AsyncIterator[str]:
    """Tender served on a real loopback port (so the test mode can deliver webhooks to it)."""
    app = create_app(runtime)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            assert not task.done(), "tender failed to start"
            await asyncio.sleep(0.005)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            await task


@pytest.fixture
def user_id() -> UUID:
    return uuid4()


def bearer(user: UUID | None, role: str = "authenticated", **kwargs: object) -> dict[str, str]:
    token = mint_token(JWT_SECRET, user_id=user, role=role, **kwargs)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches a real database, so CI can rerun them on another server."""
    for item in items:
        if {"pg_server_url", "database_urls"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
