"""Bounded state, reset, the in-loop server and the CLI entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from conftest import make_client
from tender_testmode.config import EmulatorConfig
from tender_testmode.server import running_emulator


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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(port: int, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tender_testmode", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_test/stats")
            return proc
        except httpx.ConnectError:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) in (0, -signal.SIGTERM)  # uvicorn re-raises it after a clean stop


def test_cli_takes_the_webhook_secret_from_the_environment_never_argv() -> None:
    port = _free_port()
    proc = _start(port, env={"STRIPE_TESTMODE_WEBHOOK_SECRET": "whsec_cli"})
    try:
        we = make_client(f"http://127.0.0.1:{port}").v1.webhook_endpoints.create(
            {"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}
        )
        assert we.secret == "whsec_cli"
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"whsec_" not in cmdline
    finally:
        _stop(proc)


def test_state_survives_a_restart_and_reset_starts_clean(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    state = ["--state-dir", str(tmp_path / "state")]
    env = {"STRIPE_TESTMODE_WEBHOOK_SECRET": "whsec_kept"}
    proc = _start(port, *state, env=env)
    try:
        client = make_client(url)
        customer = client.v1.customers.create({"email": "a@example.com"})
        pi = client.v1.payment_intents.create(
            {"amount": 1234, "currency": "usd", "customer": customer.id},
            options={"idempotency_key": "create-1"},
        )
        paid = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
        assert paid.status == "succeeded"
        we = client.v1.webhook_endpoints.create(
            {"url": "http://127.0.0.1:9/x", "enabled_events": ["charge.refunded"]}
        )
    finally:
        _stop(proc)
    assert oct((tmp_path / "state" / "snapshot.jsonl").stat().st_mode & 0o777) == "0o600"

    proc = _start(port, *state, env=env)  # restarted: Stripe still knows everything
    try:
        client = make_client(url)
        assert client.v1.customers.retrieve(customer.id).email == "a@example.com"
        again = client.v1.payment_intents.retrieve(pi.id)
        assert again.status == "succeeded"
        assert again.latest_charge == paid.latest_charge
        replay = client.v1.payment_intents.create(
            {"amount": 1234, "currency": "usd", "customer": customer.id},
            options={"idempotency_key": "create-1"},
        )
        assert replay.id == pi.id  # idempotency records survive too
        assert client.v1.webhook_endpoints.retrieve(we.id).url == "http://127.0.0.1:9/x"
        refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 234})
        assert refund.status == "succeeded"
    finally:
        proc.send_signal(signal.SIGKILL)  # no clean stop: the journal alone must be enough
        proc.wait(10)

    proc = _start(port, *state, env=env)
    try:
        assert make_client(url).v1.refunds.retrieve(refund.id).amount == 234
    finally:
        _stop(proc)

    proc = _start(port, *state, "--reset", env=env)
    try:
        with pytest.raises(stripe.InvalidRequestError):
            make_client(url).v1.customers.retrieve(customer.id)
    finally:
        _stop(proc)


async def test_durable_state_stays_bounded_and_reset_clears_it(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    config = EmulatorConfig(port=0, max_objects=5, state_dir=folder)
    async with running_emulator(config) as url:
        client = make_client(url)
        ids = [
            (await client.v1.customers.create_async({"email": f"c{i}@example.com"})).id
            for i in range(12)
        ]
    # The same folder again: the newest five are back, in order.
    async with running_emulator(config) as url, httpx.AsyncClient(base_url=url) as control:
        stats = (await control.get("/_test/stats")).json()
        assert stats["objects"]["customer"] == 5
        kept = await make_client(url).v1.customers.list_async({"limit": 10})
        assert [c.id for c in kept.data] == list(reversed(ids[-5:]))
        assert (await control.post("/_test/reset")).status_code == 200
    snapshot = (folder / "snapshot.jsonl").read_text().splitlines()
    assert len(snapshot) == 0  # reset, then a clean stop: nothing kept
    assert (folder / "journal.jsonl").read_text() == ""
    async with running_emulator(config) as url, httpx.AsyncClient(base_url=url) as control:
        assert (await control.get("/_test/stats")).json()["objects"]["customer"] == 0


async def test_one_test_mode_per_state_folder(tmp_path: Path) -> None:
    config = EmulatorConfig(port=0, state_dir=tmp_path / "state")
    async with running_emulator(config):
        with pytest.raises(RuntimeError, match="another test mode is using"):
            async with running_emulator(config):
                pass
    async with running_emulator(config):  # released by the clean stop
        pass
