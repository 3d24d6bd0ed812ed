"""What `tender serve` does: database, migrations, offline Stripe, then the API."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

import uvicorn
from rich.console import Console

from tender.asgi import APP_DATABASE_URL
from tender.auth.tokens import mint_token
from tender.config import Settings
from tender.db.runtime import DatabaseTarget, locate, prepare
from tender.devdefaults import uses_offline_stripe, with_development_defaults
from tender.webhooks.registration import register_endpoint

DEMO_USER = UUID("00000000-0000-4000-8000-000000000001")


@dataclass
class Launch:
    settings: Settings
    database: DatabaseTarget
    stripe_base: str | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the offline Stripe test mode did not start on port {port}")


@contextmanager
def offline_stripe(settings: Settings) -> Iterator[str]:
    """Run the test mode in its own process, so it never competes with the API's loop."""
    port = free_port()
    secret = settings.stripe_webhook_secret
    cmd = [sys.executable, "-m", "tender", "emulator", "--port", str(port)]
    if secret is not None:
        cmd += ["--webhook-secret", secret.get_secret_value()]
    proc = subprocess.Popen(cmd)  # noqa: S603 - our own interpreter and module
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def banner(console: Console, launch: Launch, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    secret = launch.settings.supabase_jwt_secret
    console.print(f"[bold green]Tender is running[/] at [link={base}]{base}[/link]")
    console.print(f"  database: {'embedded' if launch.database.embedded else 'DATABASE_URL'}")
    console.print(f"  stripe:   {launch.stripe_base or 'api.stripe.com'}")
    if secret is not None and not launch.settings.is_production:
        token = mint_token(secret.get_secret_value(), user_id=DEMO_USER)
        console.print(f"  a token for demo user {DEMO_USER}, valid 1 h, and a first payment:")
        console.print(f"export TOKEN={token}", soft_wrap=True, highlight=False, markup=False)
        console.print(
            f"curl -X POST {base}/functions/v1/create-payment-intent "
            '-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" '
            '-d \'{"amount": 2500, "currency": "usd"}\'',
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
    console.print("  Ctrl-C stops everything Tender started.")


def serve(host: str, port: int, workers: int) -> None:
    console = Console()
    settings = with_development_defaults(Settings(host=host, port=port))
    settings.check_production()
    target = locate(settings)
    try:
        revision = asyncio.run(prepare(target))
        console.print(f"  migrations at {revision}")
        with _stripe(settings) as base:
            if base is not None:
                settings = settings.model_copy(update={"stripe_api_base": base})
                os.environ["STRIPE_API_BASE"] = base
                asyncio.run(register_endpoint(settings, host, port))  # webhooks for `make run`
            launch = Launch(settings, target, base)
            os.environ[APP_DATABASE_URL] = target.app_url
            banner(console, launch, host, port)
            uvicorn.run(
                "tender.asgi:create",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                access_log=False,
            )
    finally:
        target.stop()


@contextmanager
def _stripe(settings: Settings) -> Iterator[str | None]:
    if uses_offline_stripe(settings):
        with offline_stripe(settings) as base:
            yield base
    else:
        yield None
