"""PostgreSQL's own client tools (pg_dump, pg_restore): found, and run without secrets in argv.

The embedded server's wheel (`pgserver`) ships the tools under `pginstall/bin`; a standalone
server's are on PATH. A tool is used only when its major version is at least the server's
(pg_dump refuses a newer server). Passwords never reach a command line: the URL handed to
the tool has none, and the password travels in a private (0600) PGPASSFILE.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tender.db.urls import to_libpq
from tender.errors import TenderError

TAIL_LINES = 20


class BackupError(TenderError):
    """A backup, restore or drill step that cannot go on; the message says what to do."""

    status_code = 500
    code = "backup_failed"


@dataclass(frozen=True)
class Invocation:
    """What a tool is started with: the URL without its password, and its environment."""

    dbname: str
    env: dict[str, str]


def embedded_bin_dir() -> Path | None:
    """`pginstall/bin` of the installed pgserver wheel (found without importing it)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "pginstall" / "bin"
    return path if path.is_dir() else None


def tool_candidates(name: str) -> list[Path]:
    """The embedded server's tool first, then the one on PATH."""
    found: list[Path] = []
    embedded = embedded_bin_dir()
    if embedded is not None and (embedded / name).is_file():
        found.append(embedded / name)
    on_path = shutil.which(name)
    if on_path is not None and Path(on_path) not in found:
        found.append(Path(on_path))
    return found


async def tool_major(path: Path) -> int | None:
    """The major version `path --version` reports (`pg_dump (PostgreSQL) 16.2` -> 16)."""
    proc = await asyncio.create_subprocess_exec(
        str(path), "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await proc.communicate()
    match = re.search(r"(\d+)(?:\.\d+)?", out.decode(errors="replace"))
    return int(match.group(1)) if proc.returncode == 0 and match else None


async def find_tool(name: str, server_major: int) -> Path:
    """A `name` binary able to talk to a server of `server_major`, or a clear error."""
    seen: list[str] = []
    for path in tool_candidates(name):
        major = await tool_major(path)
        seen.append(f"{path} ({major or 'unknown'})")
        if major is not None and major >= server_major:
            return path
    where = "; ".join(seen) or "none found (install the PostgreSQL client or pgserver)"
    raise BackupError(f"{name} for PostgreSQL {server_major} or newer is needed; found: {where}")


def _pgpass_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@asynccontextmanager
async def invocation(url: str) -> AsyncIterator[Invocation]:
    """The tool's --dbname (no password) and an environment carrying the password privately."""
    parsed = make_url(url)
    env = dict(os.environ)
    password = parsed.password
    dbname = to_libpq(parsed._replace(password=None))  # .set(password=None) keeps it
    if not password:
        yield Invocation(dbname, env)
        return
    with tempfile.TemporaryDirectory(prefix="tender-pg-") as folder:
        passfile = Path(folder) / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"*:*:*:*:{_pgpass_escape(str(password))}\n")
        env.pop("PGPASSWORD", None)  # it would win over the file
        env["PGPASSFILE"] = str(passfile)
        yield Invocation(dbname, env)


async def run_tool(
    argv: list[str], env: dict[str, str], on_line: Callable[[str], None] | None = None
) -> None:
    """Run a tool; each stderr line goes to `on_line`; a non-zero exit raises with its tail."""
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    tail: list[str] = []
    async for raw in proc.stderr:
        line = raw.decode(errors="replace").rstrip()
        tail = [*tail[-(TAIL_LINES - 1) :], line]
        if on_line is not None:
            on_line(line)
    if await proc.wait() != 0:
        errors = [t for t in tail if "error" in t.lower() or "fatal" in t.lower()] or tail[-3:]
        name = Path(argv[0]).name
        raise BackupError(f"{name} failed (exit {proc.returncode}): {' | '.join(errors[-3:])}")
