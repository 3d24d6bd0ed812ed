"""`--compare REF`: the baseline revision and the working tree in one invocation, alternating
round by round on the same machine, so every change / baseline ratio comes from one run.

Each round is `python -m bench.run --json-out ...` in a child process whose PYTHONPATH points
at that side's src/ (and testmode/src/): the bench code is always the working tree's, the code
under test is the side's. The baseline reuses the current venv when its lock pins nothing the
current venv pins differently; otherwise it gets its own venv from its requirements.lock.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import figures, report, revisions
from bench.stack import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def lock_pins(text: str) -> dict[str, str]:
    """name -> version for every `name==version` line of a requirements lock."""
    return {m[1].lower().replace("_", "-"): m[2] for m in PIN.finditer(text)}


def pin_conflicts(baseline: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Baseline pins the current venv does not satisfy (missing or another version)."""
    return sorted(
        f"{name}=={version} (current: {current.get(name, 'absent')})"
        for name, version in baseline.items()
        if current.get(name) != version
    )


def _python_for(root: Path, console: Console) -> str:
    """The current venv's python when the baseline's pins allow, else a venv of its own."""
    lock = root / "requirements.lock"
    current = lock_pins((ROOT / "requirements.lock").read_text())
    conflicts = pin_conflicts(lock_pins(lock.read_text()), current) if lock.exists() else []
    if not conflicts:
        return sys.executable
    console.print(f"baseline pins differ ({len(conflicts)}): building its own venv")
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)
    return python


def _round(python: str, root: Path, options: Sequence[str], out: Path) -> dict[str, Any]:
    cmd = [python, "-m", "bench.run", *options, "--json-out", str(out)]
    subprocess.run(cmd, cwd=ROOT, env=revisions.side_env(root), check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    for profile in result.values():  # PYTHONPATH must have won over the editable install
        if Path(profile["tender_source"]) != (root / "src").resolve():
            raise RuntimeError(f"round ran {profile['tender_source']}, not {root / 'src'}")
    return result


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def run(ref: str, rounds: int, options: Sequence[str], console: Console) -> Path:
    """Run the alternation, write bench/reports/compare.{md,json}; return the .md path."""
    commit = _git("rev-parse", "--short", ref)
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    change_label = _git("rev-parse", "--short", "HEAD") + (" + uncommitted" if dirty else "")
    runs: dict[str, list[dict[str, Any]]] = {revisions.BASELINE: [], revisions.CHANGE: []}
    log: list[dict[str, Any]] = []
    with revisions.checkout(ROOT, ref) as base_root, tempfile.TemporaryDirectory() as tmp:
        pythons = {revisions.BASELINE: _python_for(base_root, console)}
        pythons[revisions.CHANGE] = sys.executable
        roots = {revisions.BASELINE: base_root, revisions.CHANGE: ROOT}
        for side, n in revisions.alternation(rounds):
            console.rule(f"round {n + 1}/{rounds}: {side}")
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            out = Path(tmp) / f"{side}-{n}.json"
            result = _round(pythons[side], roots[side], options, out)
            runs[side].append(result)
            log.append(
                {
                    "side": side,
                    "round": n + 1,
                    "seconds": time.monotonic() - started,
                    "load_before": load_before,
                    "load_after": os.getloadavg()[0],
                    "profiles": {
                        name: {
                            "requests_per_s": p["requests_per_s"],
                            "cpu_ms_per_checkout": p["cpu_ms_per_checkout"],
                            "machine_cpu_avg": p["machine_cpu_avg"],
                        }
                        for name, p in result.items()
                    },
                }
            )
    body = {
        "baseline": {"ref": ref, "commit": commit},
        "change": change_label,
        "rounds": rounds,
        "log": log,
        "runs": runs,
    }
    report.REPORTS.mkdir(exist_ok=True)
    (report.REPORTS / "compare.json").write_text(json.dumps(body, indent=2))
    path = report.REPORTS / "compare.md"
    path.write_text(render(body))
    return path


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render(body: Mapping[str, Any]) -> str:
    """Per profile: each figure's median for baseline and change, and change / baseline."""
    base = body["baseline"]
    lines = [
        f"# Tender bench: {body['change']} against {base['ref']} ({base['commit']})",
        "",
        f"{body['rounds']} round(s) of (baseline, change), alternating in one invocation; "
        "each figure is the median over its side's rounds. Ratio = change / baseline "
        "(below 1 is better for CPU and latency, above 1 is better for requests/s).",
    ]
    runs = body["runs"]
    names = list(dict.fromkeys(n for r in runs[revisions.BASELINE] for n in r))
    for name in names:
        rows = figures.compare(
            [r[name] for r in runs[revisions.BASELINE] if name in r],
            [r[name] for r in runs[revisions.CHANGE] if name in r],
        )
        lines += ["", f"## Profile {name}", "", "| figure | baseline | change | ratio |"]
        lines.append("|---|---|---|---|")
        for row in rows:
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            lines.append(
                f"| {row.figure} | {_num(row.baseline, 2)} | {_num(row.change, 2)} | {ratio} |"
            )
    lines += [
        "",
        "## Rounds (the machine's noise)",
        "",
        "| round | side | profile | req/s | Tender CPU ms/checkout | PostgreSQL CPU ms/checkout "
        "| machine CPU % | load avg before/after | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in body["log"]:
        for name, p in entry["profiles"].items():
            cpu = p["cpu_ms_per_checkout"]
            lines.append(
                f"| {entry['round']} | {entry['side']} | {name} | {_num(p['requests_per_s'])} "
                f"| {_num(cpu.get('tender'))} | {_num(cpu.get('postgres'))} "
                f"| {_num(p['machine_cpu_avg'], 0)} "
                f"| {entry['load_before']:.2f} / {entry['load_after']:.2f} "
                f"| {entry['seconds']:.0f} |"
            )
    return "\n".join(lines) + "\n"
