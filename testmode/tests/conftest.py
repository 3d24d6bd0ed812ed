"""Fixtures: one emulator and one webhook receiver, each on its own thread and event loop.

Both run in background threads so tests can use the sync and the async stripe clients alike.
Every test starts from a reset emulator (state, faults and webhook knobs cleared).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stripe
import uvicorn

from tender_testmode.config import EmulatorConfig
from tender_testmode.server import emulator_in_thread

SECRET_KEY = "sk_test_emulator"
PUBLISHABLE_KEY = "pk_test_emulator"

TEST_CONFIG = EmulatorConfig(
    port=0,
    webhook_retry_base_seconds=0.02,
    webhook_retry_max_seconds=0.1,
    webhook_max_attempts=4,
    webhook_timeout_seconds=1.0,
    fault_hang_seconds=5.0,
    retry_after_seconds=0,
    fault_seed=1234,
)


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with emulator_in_thread(TEST_CONFIG) as url:
        yield url


@pytest.fixture(scope="session")
def control(emulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_url, timeout=10) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset(control: httpx.Client) -> None:
    control.post("/_test/reset").raise_for_status()


def make_client(url: str, retries: int = 0, timeout: float = 10.0, key: str = SECRET_KEY) -> Any:
    return stripe.StripeClient(
        key,
        base_addresses={"api": url},
        http_client=stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True),
        max_network_retries=retries,
    )


@pytest.fixture
def client(emulator_url: str) -> Any:
    return make_client(emulator_url)


@pytest.fixture
def pk_client(emulator_url: str) -> Any:
    return make_client(emulator_url, key=PUBLISHABLE_KEY)


@dataclass
class Receiver:
    """A tiny webhook receiver; ``fail_next`` answers that many requests with 500."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        with self.lock:
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.requests.append({"body": body, "headers": headers, "failed": failing})
        status = 500 if failing else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.fail_next = 0

    def ok_events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if not r["failed"]]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = self.ok_events()
            if len(events) >= count:
                return events
            time.sleep(0.01)
        return self.ok_events()


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    receiver = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(receiver, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    receiver.url = f"http://127.0.0.1:{port}/webhooks"
    yield receiver
    server.should_exit = True
    thread.join(5)
    with contextlib.suppress(OSError):
        sock.close()


@pytest.fixture
def receiver(_receiver_server: Receiver) -> Receiver:
    _receiver_server.clear()
    return _receiver_server


def flush(control: httpx.Client, timeout: float = 5.0) -> dict[str, Any]:
    resp = control.post("/_test/webhooks/flush", json={"timeout": timeout})
    resp.raise_for_status()
    body: dict[str, Any] = resp.json()
    return body


def pytest_configure(config: pytest.Config) -> None:
    # stripe's HTTPXClient passes raw bytes as data=; the warning is theirs, not ours.
    config.addinivalue_line(
        "filterwarnings", "ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning"
    )


def card_pm(client: Any, number: str, **extra: Any) -> Any:
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return client.v1.payment_methods.create({"type": "card", "card": card, **extra})
