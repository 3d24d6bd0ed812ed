"""What `tender serve` does: database, migrations, offline Stripe, then the API; and the stop.

SIGINT and SIGTERM (Ctrl-C, systemd, `docker stop`, Kubernetes) both end in the same `finally`:
the API stops, then the test mode (it saves its state), then the embedded database, and
`DATA_DIR/stack.json` is removed. While it runs, that file tells every other `tender` command
where the parts are.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from uuid import UUID

import httpx
import uvicorn
from rich.console import Console

from tender import stackfile
from tender.asgi import APP_DATABASE_URL
from tender.auth.tokens import mint_token
from tender.config import Settings
from tender.db import provision
from tender.db.embedded import EmbeddedPostgres
from tender.db.runtime import EMBEDDED_DATABASE, DatabaseTarget, locate, prepare
from tender.db.urls import with_database
from tender.devdefaults import uses_offline_stripe, with_development_defaults
from tender.errors import ConfigurationError
from tender.webhooks.registration import register_endpoint

DEMO_USER = UUID("00000000-0000-4000-8000-000000000001")
TESTMODE_MODULE = "tender_testmode"  # started as a process, reached over HTTP only
TESTMODE_SECRET_ENV = "STRIPE_TESTMODE_WEBHOOK_SECRET"  # never on a command line
STOP_SECONDS = 3.0  # API and test mode each; the database has its own (db/embedded.py)


@dataclass
class Launch:
    settings: Settings
    database: DatabaseTarget
    stripe_base: str | None


class Stopping(BaseException):
    """SIGTERM, turned into an exception so every `finally` runs (as Ctrl-C does)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_testmode(base: str, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigurationError("the offline Stripe test mode exited while starting")
        try:
            httpx.get(f"{base}/_test/stats", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise ConfigurationError(f"the offline Stripe test mode did not answer at {base}")


def _end(proc: subprocess.Popen[bytes], seconds: float) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=2)


def _die_with_parent() -> None:
    """Linux: the test mode gets SIGTERM if `tender serve` itself is killed (SIGKILL, OOM)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def offline_stripe(settings: Settings, *, reset: bool = False) -> Iterator[tuple[str, int]]:
    """Run the test mode in its own process (durable state in DATA_DIR/testmode)."""
    if importlib.util.find_spec(TESTMODE_MODULE) is None:  # looked up, never imported
        raise ConfigurationError(
            "The offline Stripe test mode is not installed here (it is a development tool: "
            "`make run` installs it, or `pip install -e testmode`). Set STRIPE_SECRET_KEY and "
            "STRIPE_PUBLISHABLE_KEY to use Stripe itself."
        )
    port = free_port()
    cmd = [sys.executable, "-m", TESTMODE_MODULE, "--port", str(port)]
    cmd += ["--state-dir", str(settings.data_dir / "testmode")]
    if reset:
        cmd.append("--reset")
    env = dict(os.environ)
    secret = settings.stripe_webhook_secret
    if secret is not None:
        env[TESTMODE_SECRET_ENV] = secret.get_secret_value()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        cmd, env=env, preexec_fn=_die_with_parent
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_testmode(base, proc)
        yield base, proc.pid
    finally:
        _end(proc, STOP_SECONDS)


def banner(console: Console, launch: Launch, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    secret = launch.settings.supabase_jwt_secret
    console.print(f"[bold green]Tender is running[/] at [link={base}]{base}[/link]")
    console.print(f"  database: {'embedded' if launch.database.embedded else 'DATABASE_URL'}")
    stripe_base = launch.stripe_base or launch.settings.stripe_api_base or "api.stripe.com"
    console.print(f"  stripe:   {stripe_base}")
    console.print(f"  data:     {launch.settings.data_dir} (other tender commands find it)")
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
    console.print("  Ctrl-C (or SIGTERM) stops everything Tender started.")


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    _ignore_signals()  # the stop that follows is bounded: a second signal must not cut it short
    raise Stopping


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def serve(host: str, port: int, workers: int, *, reset: bool = False) -> None:
    console = Console()
    settings = with_development_defaults(Settings(host=host, port=port))
    settings.check_production()
    # A local stack (embedded database or offline test mode) has one owner per DATA_DIR; an
    # instance of a deployment (DATABASE_URL and a real Stripe address) owns nothing local,
    # so any number run side by side and none records itself in stack.json.
    local = settings.database_url is None or uses_offline_stripe(settings)
    running = stackfile.read(settings.data_dir) if local else None
    if running is not None:
        raise ConfigurationError(
            f"Tender already runs from {settings.data_dir} (pid {running.pid}, {running.api_url}); "
            "stop it first"
        )
    for sig in (signal.SIGINT, signal.SIGTERM):  # uvicorn re-raises them after its own stop
        signal.signal(sig, _on_stop_signal)
    target: DatabaseTarget | None = None
    try:
        target = locate(settings, attach=False)
        _run(console, settings, target, host, port, workers, reset, local=local)
    except (KeyboardInterrupt, Stopping):
        pass
    finally:
        _ignore_signals()
        stackfile.remove(settings.data_dir, os.getpid())
        if target is not None:
            target.stop(force=True)  # whoever started it, even if restarted underneath
        elif settings.database_url is None:  # stopped while the database was starting
            EmbeddedPostgres(settings.data_dir / "pgdata").shutdown()
        console.print("  Tender stopped (API, test mode, database).")


def _run(
    console: Console,
    settings: Settings,
    target: DatabaseTarget,
    host: str,
    port: int,
    workers: int,
    reset: bool,
    *,
    local: bool,
) -> None:
    if reset:
        _drop_embedded_database(target)
    revision = asyncio.run(prepare(target))
    console.print(f"  migrations at {revision}")
    with _stripe(settings, reset) as (base, testmode_pid):
        if base is not None:
            settings = settings.model_copy(update={"stripe_api_base": base})
            os.environ["STRIPE_API_BASE"] = base
            asyncio.run(register_endpoint(settings, host, port))  # webhooks for `make run`
        launch = Launch(settings, target, base)
        os.environ[APP_DATABASE_URL] = target.app_url
        banner(console, launch, host, port)
        pids = {"testmode": testmode_pid} if testmode_pid else {}
        if target.embedded is not None and (pg := target.embedded.running_pid()) is not None:
            pids["postgres"] = pg
        reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        if local:
            stackfile.write(
                settings.data_dir,
                stackfile.Stack(
                    pid=os.getpid(),
                    api_url=f"http://{reachable}:{port}",
                    database_url=target.app_url,
                    database_owner_url=target.migration_url,
                    stripe_api_base=base,
                    pids=pids,
                ),
            )
        uvicorn.run(
            "tender.asgi:create",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=int(STOP_SECONDS),
        )


def _drop_embedded_database(target: DatabaseTarget) -> None:
    if target.embedded is None:
        raise ConfigurationError("--reset only clears the embedded database; DATABASE_URL is set")
    admin = with_database(target.migration_url, "postgres")
    asyncio.run(provision.drop_database(admin, EMBEDDED_DATABASE))


@contextmanager
def _stripe(settings: Settings, reset: bool) -> Iterator[tuple[str | None, int | None]]:
    if uses_offline_stripe(settings):
        with offline_stripe(settings, reset=reset) as (base, pid):
            yield base, pid
    else:
        yield None, None
