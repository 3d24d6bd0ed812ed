"""DATA_DIR/stack.json and finding the project: the one address every command uses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tender import stackfile
from tender.config import find_project


def _stack(pid: int) -> stackfile.Stack:
    return stackfile.Stack(
        pid=pid,
        api_url="http://127.0.0.1:8000",
        database_url="postgresql://tender_app:@/tender?host=/x",
        database_owner_url="postgresql://postgres:@/tender?host=/x",
        stripe_api_base="http://127.0.0.1:12111",
        pids={"testmode": 1},
    )


@pytest.fixture
def serving() -> Iterator[int]:
    """A live process that looks like `tender serve` (its command line names tender)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "tender"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_a_running_stack_is_read_back_and_kept_private(tmp_path: Path, serving: int) -> None:
    stackfile.write(tmp_path, _stack(serving))
    assert stackfile.read(tmp_path) == _stack(serving)
    assert oct((tmp_path / "stack.json").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir()] == ["stack.json"]  # no temporary left


def test_a_stack_whose_process_is_gone_is_ignored_and_removed(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stackfile.write(tmp_path, _stack(gone.pid))
    assert stackfile.read(tmp_path) is None
    assert not (tmp_path / "stack.json").exists()


def test_another_program_under_the_pid_is_not_a_stack(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stackfile.write(tmp_path, _stack(other.pid))  # the pid was reused by something else
        assert stackfile.read(tmp_path) is None
    finally:
        other.kill()
        other.wait()


def test_only_the_writer_removes_the_record(tmp_path: Path, serving: int) -> None:
    stackfile.write(tmp_path, _stack(serving))
    stackfile.remove(tmp_path, serving + 1)
    assert (tmp_path / "stack.json").exists()
    stackfile.remove(tmp_path, serving)
    assert not (tmp_path / "stack.json").exists()


def test_the_project_is_found_from_any_folder_inside_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tender"\n')
    inner = tmp_path / "testmode" / "src"
    inner.mkdir(parents=True)
    (tmp_path / "testmode" / "pyproject.toml").write_text('[project]\nname = "tender-testmode"\n')
    assert find_project(inner) == tmp_path
    elsewhere = tmp_path.parent / f"{tmp_path.name}-other"
    (elsewhere / "a" / ".tender").mkdir(parents=True)
    assert find_project(elsewhere / "a") == elsewhere / "a"
