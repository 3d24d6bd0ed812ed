"""Imports only go downward: the layer contract in pyproject.toml ([tool.importlinter]) holds.

import-linter builds the import graph of `tender` (function-level imports included) and
refuses any import from a lower layer into a higher one, directly or through a chain. No
upward import is tolerated (`ignore_imports` is empty).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layer_contract_is_kept() -> None:
    run = lint_imports(ROOT / "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Tender imports only downward KEPT" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """Swap two layers so a real import (config uses errors) points upward: the same check
    must now fail and name it."""
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = list(contract["contracts"][0]["layers"])
    assert layers[-2:] == ["tender.config", "tender.errors"]
    layers[-2:] = ["tender.errors", "tender.config"]
    config = tmp_path / "contract.toml"
    lines = [
        "[tool.importlinter]",
        f'root_package = "{contract["root_package"]}"',
        "[[tool.importlinter.contracts]]",
        'id = "layers"',
        'name = "Tender imports only downward"',
        'type = "layers"',
        f"layers = {layers!r}",
    ]
    config.write_text("\n".join(lines).replace("'", '"') + "\n")
    run = lint_imports(config)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "BROKEN" in run.stdout
    assert "tender.config is not allowed to import tender.errors" in run.stdout
    assert "- tender.config -> tender.errors" in run.stdout


def test_every_module_sits_in_a_layer() -> None:
    """A new package left out of the list would escape the contract: each module must be in
    (or under) a layer. Only the bare package markers of split packages are in none."""
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = contract["contracts"][0]["layers"]
    names = [name.strip() for layer in layers for name in re.split(r"[|:]", layer)]
    graph = grimp.build_graph("tender", cache_dir=None)
    outside = {
        module
        for module in graph.modules
        if not any(module == name or module.startswith(f"{name}.") for name in names)
    }
    assert outside == {"tender", "tender.auth", "tender.orders"}  # empty __init__ files
