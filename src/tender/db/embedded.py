"""An embedded PostgreSQL from the `pgserver` wheel, for running with no configuration.

Its life is Tender's to decide, not pgserver's: pgserver stops a server only when the last of
the processes listed in its `.handle_pids.json` exits cleanly, so one process killed by SIGTERM
used to keep the server alive for good. Here the process that starts the server (or
`tender serve`, whatever it found) stops it with `pg_ctl stop -m fast`, reading the
postmaster's pid afresh, so a server restarted underneath is stopped too; a stale
`postmaster.pid` (its process gone, or another program under that pid) is removed first.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from tender.errors import ConfigurationError

log = logging.getLogger(__name__)

NO_PGSERVER = (
    "The embedded PostgreSQL needs the 'pgserver' wheel, which is not installed for this Python "
    "(it exists for CPython 3.11 and 3.12). Set DATABASE_URL to a PostgreSQL server instead, "
    "e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tender"
)
STOP_SECONDS = 4  # pg_ctl stop -m fast; then SIGQUIT, SIGKILL (1 s each)


def _pgserver() -> Any:
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise ConfigurationError(NO_PGSERVER) from exc
    return pgserver


def _is_postgres(pid: int) -> bool:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False
        return True  # no /proc (macOS): trust that the pid is alive
    return name.startswith(("postgres", "postmaster"))


def _leftovers(pgdata: Path) -> list[int]:
    """PostgreSQL processes still working in `pgdata` (every one of them chdirs there):
    backends or helpers a killed postmaster left behind, which keep the old shared memory."""
    target = str(pgdata.resolve())
    found: list[int] = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError):
            if os.readlink(entry / "cwd") == target and _is_postgres(int(entry.name)):
                found.append(int(entry.name))
    return found


def _end_leftovers(pgdata: Path) -> None:
    for pid in _leftovers(pgdata):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while _leftovers(pgdata) and time.monotonic() < deadline:
        time.sleep(0.05)


class EmbeddedPostgres:
    """A PostgreSQL server living in `data_dir`, reused across runs."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None
        self.started_here = False

    def running_pid(self) -> int | None:
        """The postmaster's pid if a server runs on this folder (from `postmaster.pid`)."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            pid = int(first)
        except (OSError, ValueError):
            return None
        return pid if _is_postgres(pid) else None

    def url(self) -> str | None:
        """The superuser URL of the running server, without starting it."""
        if self.running_pid() is None:
            return None
        info = _pgserver().utils.PostmasterInfo.read_from_pgdata(self.data_dir.resolve())
        return None if info is None else str(info.get_uri())

    def start(self) -> str:
        """Start (or attach to) the server and return its superuser libpq URL."""
        pgserver = _pgserver()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):  # once more after clearing what a failed start left
            if self.running_pid() is None:
                self._clear_stale()
                self.started_here = True
            try:
                self._server = self._get_server(pgserver)
                break
            except subprocess.CalledProcessError:
                instances: dict[Path, Any] = pgserver.postgres_server.PostgresServer._instances
                instances.pop(self.data_dir.resolve(), None)  # the failed handle is cached
                if attempt == 2:
                    raise
                log.warning("embedded postgresql did not start; clearing leftovers, retrying")
                self.shutdown()
        url: str = self._server.get_uri()
        log.info("embedded postgresql ready in %s", self.data_dir)
        return url

    def _clear_stale(self) -> None:
        """No postmaster runs: its pid file (if any) is stale, its helpers must go."""
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / "postmaster.pid").unlink()
        _end_leftovers(self.data_dir)

    def _get_server(self, pgserver: Any) -> Any:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            return pgserver.get_server(self.data_dir, cleanup_mode=None)  # we stop it ourselves

    def stop(self, *, force: bool = False) -> None:
        """Stop the server if this process started it (or `force`: `tender serve`'s stop)."""
        if self._server is None and not force:
            return
        if self.started_here or force:
            self.shutdown()
        self._forget()

    def shutdown(self) -> None:
        """Stop whatever server runs on this folder now, within STOP_SECONDS + 2 s."""
        pid = self.running_pid()
        if pid is None:
            _end_leftovers(self.data_dir)
            return
        pg_ctl = Path(_pgserver().__file__).parent / "pginstall" / "bin" / "pg_ctl"
        cmd = [str(pg_ctl), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(STOP_SECONDS)]
        # pg_ctl refuses to run as root; pgserver then runs PostgreSQL as its own user.
        user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(  # noqa: S603 - the wheel's own pg_ctl, fixed arguments
                [*cmd, "stop"],
                check=False,
                timeout=STOP_SECONDS + 1,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                user=user,
            )
        deadline = time.monotonic() + 1.0
        for sig in (signal.SIGQUIT, signal.SIGKILL):  # immediate shutdown, then the hard way
            if not _is_postgres(pid):
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            while _is_postgres(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            deadline = time.monotonic() + 1.0
        _end_leftovers(self.data_dir)

    def _forget(self) -> None:
        """Drop pgserver's cached handle, so a later start in this process checks again."""
        server, self._server = self._server, None
        if server is not None:
            atexit.unregister(server._cleanup)  # its reference count is not what stops it
            with contextlib.suppress(Exception):
                server.global_process_id_list.get_and_remove(os.getpid())
            instances: dict[Path, Any] = type(server)._instances
            instances.pop(server.pgdata, None)
