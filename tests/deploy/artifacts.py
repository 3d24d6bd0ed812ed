"""What the deploy files are checked against: the Settings class, the CLI, the app's routes."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import typer
import yaml

from tender.app import create_app
from tender.cli import app as cli_app
from tender.config import Environment, Settings
from tender.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
# Variables that belong to the images Tender runs beside (never Tender's own settings).
THIRD_PARTY_PREFIXES = ("POSTGRES_", "GF_")
THIRD_PARTY_NAMES = frozenset({"PROMETHEUS_MULTIPROC_DIR"})  # prometheus_client's own
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


@cache
def setting_names() -> frozenset[str]:
    """Every environment variable Settings reads (its alias, else its upper-cased name)."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        names.add((alias if isinstance(alias, str) else name).upper())
    return frozenset(names)


def unknown_names(names: Iterable[str], settings: frozenset[str] | None = None) -> set[str]:
    """The names that are neither a Tender setting nor a known third-party variable."""
    known = setting_names() if settings is None else settings
    return {
        n for n in names
        if n not in known and n not in THIRD_PARTY_NAMES and not n.startswith(THIRD_PARTY_PREFIXES)
    }  # fmt: skip


def readme_settings() -> set[str]:
    """Settings the README names (backticked upper-case words)."""
    text = (REPO / "README.md").read_text()
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", text))


@cache
def cli_tree() -> Any:
    """The `tender` command as Typer builds it (a group: `.commands` by name)."""
    return typer.main.get_command(cli_app)


def cli_command_exists(args: list[str]) -> bool:
    """`tender <args>` names a real command (a group's subcommand too)."""
    root = node = cli_tree()
    for arg in args:
        commands = getattr(node, "commands", None)
        if arg.startswith("-") or commands is None:
            break  # an option, or an argument of a leaf command
        if arg not in commands:
            return False
        node = commands[arg]
    return node is not root


def cli_help() -> str:
    from typer.testing import CliRunner

    result = CliRunner().invoke(cli_app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def route_statuses(paths: Iterable[str]) -> dict[str, int]:
    """GET each path on create_app (no database: /readyz answers 503, an unknown path 404)."""
    settings = Settings(
        environment=Environment.test, supabase_jwt_secret="x" * 32,
        stripe_secret_key="sk_test_routes", stripe_publishable_key="pk_test_routes",
        health_check_timeout_seconds=0.5,
    )  # fmt: skip

    async def probe() -> dict[str, int]:
        runtime = Runtime.build(settings, "postgresql://nobody@127.0.0.1:1/none")
        try:
            transport = httpx.ASGITransport(app=create_app(runtime))
            async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
                return {p: (await client.get(p)).status_code for p in paths}
        finally:
            await runtime.close()

    return asyncio.run(probe())


def unserved(paths: Iterable[str]) -> set[str]:
    """The paths create_app has no route for (404 or 405 to a GET)."""
    return {p for p, status in route_statuses(set(paths)).items() if status in (404, 405)}


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render_kustomization(folder: Path = K8S) -> list[dict[str, Any]]:
    """The base as Kustomize renders it for these checks: every listed resource, in order."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        path = folder / resource
        docs.extend(render_kustomization(path) if path.is_dir() else load_all(path))
    return docs


def kubectl_kustomize(folder: Path = K8S) -> list[dict[str, Any]] | None:
    """`kubectl kustomize` output, or None where kubectl is not installed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    out = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(.dockerignore) rules as (negated, regex), in order; the last match wins."""
    rules = []
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        rules.append((negated, re.compile(regex + "$")))
    return rules


def in_build_context(path: str) -> bool:
    """Whether Docker sends `path` (relative to the repository) to the build."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for negated, regex in dockerignore_rules():
        if any(regex.match(p) for p in prefixes):
            included = negated
    return included


def repository_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line for line in out.stdout.splitlines() if (REPO / line).is_file()]
