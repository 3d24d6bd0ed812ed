"""Run `tender serve` and other `tender` commands as real processes on one data folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import psutil
import stripe

from tender.auth.tokens import mint_token

BIN = Path(sys.executable).parent
STOP_BUDGET_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a new user's shell: no Stripe, database or test settings."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "USER")
    env = {k: v for k, v in os.environ.items() if k in keep}
    return {**env, **extra}


def tender(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120):  # type: ignore[no-untyped-def]
    """Run one `tender` command to its end; returns the CompletedProcess."""
    return subprocess.run(
        [str(BIN / "tender"), *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    stack: dict[str, object] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stripe_base(self) -> str:
        return str(self.stack["stripe_api_base"])

    def pids(self) -> set[int]:
        """Every process of the stack: the launcher, its children, the database server's."""
        found = {self.proc.pid}
        recorded = self.stack.get("pids")
        assert isinstance(recorded, dict)
        found |= {int(p) for p in recorded.values()}
        for pid in list(found):
            with suppress(psutil.NoSuchProcess):
                found |= {c.pid for c in psutil.Process(pid).children(recursive=True)}
        return found

    def token(self, user: UUID) -> str:
        secret = (self.data_dir / "jwt-secret").read_text().strip()
        return mint_token(secret, user_id=user)

    def stop(self, sig: int = signal.SIGTERM) -> float:
        """Send `sig`; wait for every process of the stack to end; the seconds it took."""
        pids = self.pids()
        started = time.monotonic()
        self.proc.send_signal(sig)
        self.proc.wait(STOP_BUDGET_SECONDS)
        while time.monotonic() - started < STOP_BUDGET_SECONDS:
            alive = [p for p in pids if psutil.pid_exists(p) and not _zombie(p)]
            if not alive:
                return time.monotonic() - started
            time.sleep(0.1)
        left = [" ".join(psutil.Process(p).cmdline()) for p in pids if psutil.pid_exists(p)]
        raise AssertionError(f"still running after {STOP_BUDGET_SECONDS}s: {left}")


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def leave_nothing_running(project: Path) -> None:
    """After a test, whatever it left (a failed assertion skips its stops): end it all."""
    for proc in psutil.process_iter(["cmdline"]):
        with suppress(psutil.Error):
            if str(project) in " ".join(proc.info["cmdline"] or []):
                proc.kill()
    from tender.db.embedded import EmbeddedPostgres

    EmbeddedPostgres(project / ".tender" / "pgdata").shutdown()


def _why(log: Path, data_dir: Path) -> str:
    """The end of serve's output and of PostgreSQL's own log."""
    pg_log = data_dir / "pgdata" / "log"
    pg = pg_log.read_text()[-2000:] if pg_log.exists() else "(no postgres log)"
    return log.read_text()[-1500:] + "\n--- postgres log ---\n" + pg


def serve(project: Path, log: Path) -> Served:
    """`tender serve` on a free port in `project` (its data in project/.tender)."""
    port = free_port()
    data_dir = project / ".tender"
    env = clean_env(DATA_DIR=str(data_dir))
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(BIN / "tender"), "serve", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(proc, data_dir, port)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, _why(log, data_dir)
        with suppress(OSError, ValueError, httpx.TransportError):
            served.stack = json.loads((data_dir / "stack.json").read_text())
            if httpx.get(served.api + "/livez", timeout=2).status_code == 200:
                return served
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("tender serve did not start: " + log.read_text()[-3000:])


def card_client(served: Served) -> stripe.StripeClient:
    """Stripe.js's side: a publishable key at the stack's test mode."""
    return stripe.StripeClient(
        "pk_test_tender_offline",
        base_addresses={"api": served.stripe_base},
        http_client=stripe.HTTPXClient(timeout=10, allow_sync_methods=True),
    )


def new_card(served: Served, number: str = "4242424242424242") -> str:
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    pm = card_client(served).v1.payment_methods.create({"type": "card", "card": card})
    return str(pm.id)


def pay(served: Served, user: UUID, method: dict[str, str]) -> dict[str, object]:
    """Create and confirm a 25.00 USD card payment as `user`; the confirm's JSON."""
    auth = {"Authorization": f"Bearer {served.token(user)}"}
    with httpx.Client(base_url=served.api, headers=auth, timeout=30) as api:
        created = api.post(
            "/functions/v1/create-payment-intent", json={"amount": 2500, "currency": "usd"}
        )
        assert created.status_code == 201, created.text
        confirmed = api.post(
            "/functions/v1/confirm-payment",
            json={"payment_id": created.json()["payment_id"], **method},
        )
        assert confirmed.status_code == 200, confirmed.text
        body: dict[str, object] = confirmed.json()
        return body
