"""Where the running local stack's parts are: `DATA_DIR/stack.json`, one address for every
`tender` command.

`tender serve` writes it (atomically, 0600) once the database and the offline Stripe test mode
answer, and removes it when it stops. It holds addresses only, never a secret: the embedded
database trusts local logins and the Stripe keys of the test mode are fixed test keys. A file
left by a killed process is recognised by its pid and ignored (and removed).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

STACK_FILE = "stack.json"


@dataclass(frozen=True)
class Stack:
    """The parts of a running `tender serve`."""

    pid: int
    api_url: str
    database_url: str  # the app's login (tender_app)
    database_owner_url: str  # the owner login, for migrations and operator commands
    stripe_api_base: str | None = None  # the offline test mode, when it runs
    pids: dict[str, int] = field(default_factory=dict)  # testmode, postgres


def path(data_dir: Path) -> Path:
    return data_dir / STACK_FILE


def alive(pid: int) -> bool:
    """`pid` runs and is a `tender` process (not another program that got the pid later)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return b"tender" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): the pid alone decides


def write(data_dir: Path, stack: Stack) -> None:
    """Record `stack` atomically: readers see the old file or the new one, never half."""
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{STACK_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(stack), out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path(data_dir))


def read(data_dir: Path) -> Stack | None:
    """The running stack recorded in `data_dir`; None if none runs (a stale file is removed)."""
    file = path(data_dir)
    try:
        raw = json.loads(file.read_text())
        stack = Stack(**raw)
    except (OSError, ValueError, TypeError):
        return None
    if not alive(stack.pid):
        with contextlib.suppress(OSError):
            file.unlink()
        return None
    return stack


def remove(data_dir: Path, pid: int) -> None:
    """Remove the record if it is `pid`'s (a second `tender serve` never removes the first's)."""
    file = path(data_dir)
    with contextlib.suppress(OSError, ValueError, TypeError):
        if json.loads(file.read_text()).get("pid") == pid:
            file.unlink()
