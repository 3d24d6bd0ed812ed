"""A small deployment on loopback: PgBouncer, `tender serve` API processes, `tender worker`.

Everything is configured through explicit environment variables (DATABASE_URL, STRIPE_*),
so nothing depends on the launcher's embedded defaults.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

STANDALONE = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def pgbouncer(server_url: str, users: list[str]) -> Iterator[int]:
    """PgBouncer in transaction pooling mode in front of the server; yields its port."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    target = make_url(server_url)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="tender-pgb-"))
    folder.chmod(0o755)
    (folder / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
    (folder / "pgbouncer.ini").write_text(f"""[databases]
* = host={target.host or "127.0.0.1"} port={target.port or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "userlist.txt"}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
""")
    for child in folder.iterdir():
        child.chmod(0o644)
    cmd = [binary, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        cmd[1:1] = ["-u", "nobody"]  # it refuses to run as root
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not answers("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"pgbouncer did not start: {err[-500:]}")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Process:
    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=self.log.parent
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as when a host dies."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@dataclass
class Deployment:
    folder: Path
    env: dict[str, str]
    apis: list[str] = field(default_factory=list)
    processes: dict[str, Process] = field(default_factory=dict)

    def api(self, name: str, port: int) -> Process:
        env = {**self.env, "RUN_WORKER_IN_PROCESS": "false"}
        cmd = [sys.executable, "-m", "tender", "serve", "--port", str(port)]
        process = Process(name, cmd, env, self.folder / f"{name}.log").start()
        self.processes[name] = process
        return process

    def worker(self, name: str = "worker") -> Process:
        cmd = [sys.executable, "-m", "tender", "worker"]
        process = Process(name, cmd, self.env, self.folder / f"{name}.log").start()
        self.processes[name] = process
        return process

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"== {n} ==\n{p.tail()}" for n, p in self.processes.items())
