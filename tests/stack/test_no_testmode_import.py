"""Tender reaches the Stripe test mode over HTTP only, like Stripe: no module imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import tender

SRC = Path(tender.__file__).resolve().parent
FORBIDDEN = ("tender_testmode", "tender.emulator")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_module_of_tender_imports_the_test_mode() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 50  # the whole package was scanned
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for path in modules
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []


def test_the_test_mode_ships_apart_from_tender() -> None:
    assert not (SRC / "emulator").exists()
    assert (SRC.parents[1] / "testmode" / "pyproject.toml").exists()
