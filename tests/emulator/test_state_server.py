"""Bounded state, reset, the in-loop server and the CLI entry point."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
import stripe

from tender.emulator.config import EmulatorConfig
from tender.emulator.server import running_emulator

from .conftest import SECRET_KEY, make_client


async def test_eviction_cap_keeps_state_bounded() -> None:
    config = EmulatorConfig(port=0, max_objects=5, max_idempotency_entries=3)
    async with running_emulator(config) as url:
        client = make_client(url)
        ids = [
            (await client.v1.customers.create_async({}, options={"idempotency_key": f"cap-{i}"})).id
            for i in range(12)
        ]
        listed = await client.v1.customers.list_async({"limit": 100})
        assert [c.id for c in listed.data] == ids[::-1][:5]
        with pytest.raises(stripe.InvalidRequestError):
            await client.v1.customers.retrieve_async(ids[0])
        async with httpx.AsyncClient(base_url=url) as ctl:
            stats = (await ctl.get("/_test/stats")).json()
        assert stats["objects"]["customer"] == 5
        assert stats["objects"]["event"] == 5
        assert stats["evicted"]["customer"] == 7
        assert stats["idempotency_entries"] == 3


def test_reset_clears_everything(client: Any, control: httpx.Client) -> None:
    client.v1.customers.create({})
    control.post("/_test/faults", json={"latency_ms": 1}).raise_for_status()
    assert control.get("/_test/stats").json()["objects"]["customer"] == 1
    control.post("/_test/reset").raise_for_status()
    stats = control.get("/_test/stats").json()
    assert set(stats["objects"].values()) == {0}
    assert control.get("/_test/faults").json() == {"rules": []}


async def test_running_emulator_picks_free_port_and_stops() -> None:
    async with running_emulator(EmulatorConfig(port=0)) as url:
        assert url.startswith("http://127.0.0.1:")
        balance = await make_client(url).v1.balance.retrieve_async()
        assert balance.object == "balance"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/balance")


def test_cli_serves_on_requested_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "from tender.emulator.cli import app; app()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--webhook-secret", "whsec_cli"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                resp = httpx.get(
                    f"http://127.0.0.1:{port}/v1/balance",
                    headers={"Authorization": f"Bearer {SECRET_KEY}"},
                )
                break
            except httpx.ConnectError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert resp.status_code == 200
        we = make_client(f"http://127.0.0.1:{port}").v1.webhook_endpoints.create(
            {"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}
        )
        assert we.secret == "whsec_cli"
    finally:
        proc.terminate()
        proc.wait(10)
