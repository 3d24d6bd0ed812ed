"""Which code a bench round runs: the working tree or a baseline git revision checked out
into a temporary worktree, and the order the rounds alternate in."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASELINE, CHANGE = "baseline", "change"


def alternation(rounds: int) -> list[tuple[str, int]]:
    """baseline, change, baseline, change...: each side sees the machine's drift equally."""
    return [(side, n) for n in range(rounds) for side in (BASELINE, CHANGE)]


def python_path(root: Path) -> list[Path]:
    """Import roots for a checkout: src/, and testmode/src/ where the test mode lives apart."""
    paths = [root / "src"]
    if (root / "testmode" / "src").is_dir():
        paths.append(root / "testmode" / "src")
    return paths


def emulator_command(
    root: Path, port: int, webhook_secret: str
) -> tuple[list[str], dict[str, str]]:
    """The test mode's command line and extra environment for a checkout of either layout.

    New layout: the package `tender_testmode` under testmode/, secret from the environment.
    Old layout: `tender emulator` (src/tender/emulator), secret as an option.
    """
    if (root / "testmode").is_dir():
        cmd = ["-m", "tender_testmode", "--port", str(port)]
        return cmd, {"STRIPE_TESTMODE_WEBHOOK_SECRET": webhook_secret}
    cmd = ["-m", "tender", "emulator", "--port", str(port), "--webhook-secret", webhook_secret]
    return cmd, {}


def side_env(root: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a round that runs `root`'s code with the current venv."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in python_path(root))
    env["TENDER_BENCH_SOURCE"] = str(root)
    return env


@contextmanager
def checkout(repo: Path, ref: str) -> Iterator[Path]:
    """`ref` checked out (detached) in a temporary worktree, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="tender-bench-"))
    target = folder / "baseline"
    subprocess.run(
        ["git", "-C", str(repo), "worktree", "add", "--detach", str(target), ref],
        check=True,
        capture_output=True,
    )
    try:
        yield target
    finally:
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(target)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(["git", "-C", str(repo), "worktree", "prune"], check=False)
