"""Start what a load test needs, each in its own process: PostgreSQL, the Stripe test mode,
and Tender; stop all of it afterwards."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.revisions import emulator_command
from tender.db import migrate, provision
from tender.db.embedded import EmbeddedPostgres
from tender.db.urls import with_database, with_user

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "bench-jwt-secret-" + "b" * 32
WEBHOOK_SECRET = "whsec_bench_webhooks"
SECRET_KEY = "sk_test_tender_bench"
BENCH_DATABASE = "tender_bench"
# The checkout whose code runs (`--compare` points it at a baseline worktree); its layout
# decides how the test mode starts.
SOURCE = Path(os.environ.get("TENDER_BENCH_SOURCE", ROOT))


@dataclass
class Stack:
    tender_url: str
    emulator_url: str
    owner_url: str
    app_url: str
    pids: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # Tender's environment, for its CLI


def postmaster_pid(data_dir: Path) -> int | None:
    """The embedded server's postmaster, so the sampler counts only the bench's PostgreSQL."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def _process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def _database(server_url: str | None, data_dir: Path) -> Iterator[tuple[str, str]]:
    """A freshly migrated bench database: (owner URL, app URL)."""
    embedded = None
    if server_url is None:
        embedded = EmbeddedPostgres(data_dir / "bench-pgdata")
        server_url = embedded.start()
    admin = with_database(server_url, "postgres")
    owner = with_database(server_url, BENCH_DATABASE)

    async def fresh() -> None:
        await provision.drop_database(admin, BENCH_DATABASE)
        await provision.ensure_database(admin, BENCH_DATABASE)
        await migrate.upgrade(owner)
        await provision.ensure_app_role(owner)

    try:
        asyncio.run(fresh())
        yield owner, with_user(owner, provision.APP_ROLE)
    finally:
        if embedded is not None:
            embedded.stop()


@contextmanager
def running_stack(
    *,
    workers: int,
    latency_ms: float,
    jitter_ms: float,
    logs: Path,
    server_url: str | None = None,
) -> Iterator[Stack]:
    logs.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    with ExitStack() as stack:
        owner, app = stack.enter_context(_database(server_url, ROOT / ".tender"))
        emulator_port, tender_port = free_port(), free_port()
        emulator_args, emulator_extra = emulator_command(SOURCE, emulator_port, WEBHOOK_SECRET)
        emulator_cmd = [
            python,
            *emulator_args,
            "--webhook-retry-base-seconds",
            "0.5",
            "--max-objects",
            "500000",
        ]
        if latency_ms or jitter_ms:
            emulator_cmd += ["--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms)]
        env = {**os.environ}
        emulator_env = {**env, **emulator_extra}  # the secret stays out of argv where it can
        emulator = stack.enter_context(_process(emulator_cmd, emulator_env, logs / "emulator.log"))
        emulator_url = f"http://127.0.0.1:{emulator_port}"
        wait_http(emulator_url + "/v1/balance")
        tender_env = {
            **env,
            "ENVIRONMENT": "staging",
            "DATABASE_URL": app,
            "DATABASE_MIGRATION_URL": owner,
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": emulator_url,
            "SUPABASE_JWT_SECRET": JWT_SECRET,
            "LOG_LEVEL": "warning",
            # 100 users from one address at full speed is a load test, not abuse: lift the
            # per-IP/per-user limits and the card-testing guard (their own tests cover them).
            "RATE_LIMIT_PER_IP": "1000000000",
            "RATE_LIMIT_PER_USER": "1000000000",
            "CARD_TESTING_MAX_DECLINES": "1000000000",
        }
        tender_cmd = [
            python,
            "-m",
            "tender",
            "serve",
            "--port",
            str(tender_port),
            "--workers",
            str(workers),
        ]
        tender = stack.enter_context(_process(tender_cmd, tender_env, logs / "tender.log"))
        tender_url = f"http://127.0.0.1:{tender_port}"
        wait_http(tender_url + "/livez", timeout=60)
        pids = {"tender": tender.pid, "emulator": emulator.pid}
        postgres = postmaster_pid(ROOT / ".tender" / "bench-pgdata") if server_url is None else None
        if postgres is not None:
            pids["postgres"] = postgres
        yield Stack(tender_url, emulator_url, owner, app, pids, tender_env)
