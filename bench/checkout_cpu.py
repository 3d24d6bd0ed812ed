"""Tender's CPU per checkout, one checkout at a time, with an optional pyinstrument profile.

Tender runs in this process (uvicorn on loopback, in its own thread and event loop, with the
in-process job worker), the test mode in a subprocess, the client in the main thread. A
checkout is: list methods, create, confirm (pm_card_visa), get, then the webhooks it causes
are delivered and applied. The CPU figure is the Tender thread's own CPU time (the client,
the test mode and PostgreSQL are not in it) divided by the checkouts.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.checkout_cpu --checkouts 300
    ... --profile 300   # pyinstrument over the Tender thread (needs `pip install pyinstrument`)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from bench.overhead import EVENTS
from bench.stack import JWT_SECRET, SECRET_KEY, WEBHOOK_SECRET, free_port, wait_http
from tender.app import create_app
from tender.auth.tokens import mint_token
from tender.config import Environment, Settings
from tender.db import migrate, provision
from tender.db.urls import with_database, with_user
from tender.monitoring.logging import configure_logging
from tender.runtime import Runtime

OPS = ("list-payment-methods", "create-payment-intent", "confirm-payment", "get-payment")


def thread_cpu(ident: int) -> float:
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


@contextmanager
def emulator() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "STRIPE_TESTMODE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    cmd = [sys.executable, "-m", "tender_testmode", "--port", str(port)]
    cmd += ["--webhook-retry-base-seconds", "0.5", "--max-objects", "500000"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/v1/balance")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


class TenderThread:
    """Tender served by uvicorn on loopback from its own thread and event loop."""

    def __init__(self, settings: Settings, app_url: str) -> None:
        self.settings, self.app_url = settings, app_url
        self.sock = socket.socket()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.loop = asyncio.new_event_loop()
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ident = 0

    def _run(self) -> None:
        self.ident = threading.get_ident()
        asyncio.set_event_loop(self.loop)
        configure_logging(self.settings)  # as tender.asgi does
        app = create_app(Runtime.build(self.settings, self.app_url))
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))

    def start(self) -> None:
        self.thread.start()
        wait_http(self.url + "/livez")

    def call(self, fn: Any) -> Any:
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result()

    def stop(self) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(30)


async def checkout(
    api: httpx.AsyncClient, control: httpx.AsyncClient, times: dict[str, list[float]]
) -> None:
    auth = {"Authorization": "Bearer " + mint_token(JWT_SECRET, user_id=uuid.uuid4())}

    async def timed(name: str, method: str, path: str, **kw: Any) -> httpx.Response:
        started = time.perf_counter()
        resp = await api.request(method, path, headers=auth, **kw)
        times[name].append((time.perf_counter() - started) * 1000)
        if resp.status_code >= 400:
            raise SystemExit(f"{name} answered {resp.status_code}: {resp.text[:200]}")
        return resp

    await timed("list-payment-methods", "GET", "/v1/payment-methods")
    body = {"amount": 2500, "currency": "usd"}
    created = await timed(
        "create-payment-intent", "POST", "/functions/v1/create-payment-intent", json=body
    )
    payment_id = created.json()["payment_id"]
    body = {"payment_id": payment_id, "payment_method": "pm_card_visa"}
    await timed("confirm-payment", "POST", "/functions/v1/confirm-payment", json=body)
    await timed("get-payment", "GET", f"/v1/payments/{payment_id}")
    await control.post("/_test/webhooks/flush", json={"timeout": 10})


async def settle(tender: TenderThread, owner: str) -> None:
    """Wait until the job queue is empty, so every webhook's work is in the CPU figure."""
    import asyncpg

    conn = await asyncpg.connect(owner)
    try:
        for _ in range(500):
            left = await conn.fetchval(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            )
            if not left:
                return
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def drive(
    tender: TenderThread, stripe_url: str, owner: str, n: int, gets: int
) -> dict[str, Any]:
    times: dict[str, list[float]] = {op: [] for op in OPS}
    async with (
        httpx.AsyncClient(base_url=tender.url, timeout=30) as api,
        httpx.AsyncClient(base_url=stripe_url, timeout=30) as control,
    ):
        admin = {"Authorization": f"Bearer {SECRET_KEY}"}
        await control.post(
            "/v1/webhook_endpoints",
            headers=admin,
            data={"url": tender.url + "/functions/v1/stripe-webhook", "enabled_events[]": EVENTS},
        )
        for _ in range(max(5, n // 10)):  # warm up
            await checkout(api, control, times)
        await settle(tender, owner)
        times = {op: [] for op in OPS}
        cpu0, wall0 = thread_cpu(tender.ident), time.perf_counter()
        for _ in range(n):
            await checkout(api, control, times)
        await settle(tender, owner)
        cpu = thread_cpu(tender.ident) - cpu0
        wall = time.perf_counter() - wall0
        auth = {"Authorization": "Bearer " + mint_token(JWT_SECRET, user_id=uuid.uuid4())}
        pid = (
            await api.post(
                "/functions/v1/create-payment-intent",
                headers=auth,
                json={"amount": 900, "currency": "usd"},
            )
        ).json()["payment_id"]
        get_times = []
        for _ in range(gets):
            started = time.perf_counter()
            await api.get(f"/v1/payments/{pid}", headers=auth)
            get_times.append((time.perf_counter() - started) * 1000)
    return {
        "checkouts": n,
        "tender_cpu_ms_per_checkout": cpu * 1000 / n,
        "wall_ms_per_checkout": wall * 1000 / n,
        "p50_ms": {op: statistics.median(v) for op, v in times.items()},
        "get_payment_alone_p50_ms": statistics.median(get_times),
    }


def settings(stripe_url: str, data_dir: Path) -> Settings:
    return Settings(
        environment=Environment.test,
        supabase_jwt_secret=SecretStr(JWT_SECRET),
        stripe_secret_key=SecretStr(SECRET_KEY),
        stripe_publishable_key=SecretStr("pk_test_tender_bench"),
        stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
        stripe_api_base=stripe_url,
        data_dir=data_dir,
        log_level="warning",
        rate_limit_per_ip=1_000_000_000,
        rate_limit_per_user=1_000_000_000,
        card_testing_max_declines=1_000_000_000,
    )


async def database(server: str) -> tuple[str, str, str]:
    name = f"tender_profile_{os.getpid()}"
    admin = with_database(server, "postgres")
    await provision.ensure_database(admin, name)
    owner = with_database(server, name)
    await migrate.upgrade(owner)
    await provision.ensure_app_role(owner)
    return admin, name, owner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=200)
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="pyinstrument the Tender thread")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    server = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    admin, name, owner = asyncio.run(database(server))
    try:
        with emulator() as stripe_url:
            import tempfile

            tender = TenderThread(
                settings(stripe_url, Path(tempfile.mkdtemp())), with_user(owner, provision.APP_ROLE)
            )
            tender.start()
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005, async_mode="disabled")
            try:
                if profiler:
                    tender.call(profiler.start)
                result = asyncio.run(drive(tender, stripe_url, owner, args.checkouts, args.gets))
                if profiler:
                    tender.call(profiler.stop)
            finally:
                tender.stop()
            for key, value in result.items():
                print(f"{key}: {value}")
            if profiler:
                top(profiler, args.top)
    finally:
        asyncio.run(provision.drop_database(admin, name))


def top(profiler: Any, count: int) -> None:
    """The functions with the most own time in the Tender thread (self time, like `py-spy top`)."""
    session = profiler.last_session
    own: dict[str, float] = {}
    total: dict[str, float] = {}
    for frames, seconds in session.frame_records:
        seen = set()
        for i, frame in enumerate(frames):
            func, path = [*frame.split("\x00"), ""][:2]
            key = f"{func} {path.split('site-packages/')[-1].split('/src/')[-1]}"
            if key not in seen:
                total[key] = total.get(key, 0.0) + seconds
                seen.add(key)
            if i == len(frames) - 1:
                own[key] = own.get(key, 0.0) + seconds
    duration = session.duration or 1.0
    print(f"\nprofile: {duration:.2f}s sampled; top by own time")
    for key, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:count]:
        print(f"  {seconds * 1000:9.1f} ms  {seconds / duration:6.1%}  {key}")
    print("top by total time (tender's own functions)")
    mine = [kv for kv in total.items() if "tender/" in kv[0]]
    for key, seconds in sorted(mine, key=lambda kv: -kv[1])[:count]:
        print(f"  {seconds * 1000:9.1f} ms  {seconds / duration:6.1%}  {key}")


if __name__ == "__main__":
    main()
