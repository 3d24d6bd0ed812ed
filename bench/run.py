"""`make bench`: the seed's load test against a fresh Tender, test mode and database.

Profiles: `zero` (flat out, no injected latency: measures Tender itself), `stripe` (flat out,
300 ms +-100 ms injected in the test mode: slow Stripe calls must not block other requests),
`seed` (the seed's own offered load: 100 users, 83.3 req/s, i.e. 50,000 requests in 10
minutes) and `soak` (the seed's pace for --soak-seconds: memory must stay flat). Writes
bench/reports/latest.md and latest.json, each figure beside the seed's and the previous run's.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

import tender
from bench import compare, figures, overhead, report
from bench.checks import after_run
from bench.sampler import Sampler
from bench.stack import ROOT, running_stack

app = typer.Typer(add_completion=False)
console = Console()


@dataclass(frozen=True)
class Profile:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate: float = 0.0  # offered requests/s; 0 = as fast as the users can go
    soak: bool = False


PROFILES = {
    "zero": Profile(),
    "stripe": Profile(latency_ms=300.0, jitter_ms=100.0),
    "seed": Profile(rate=50_000 / 600),
    "soak": Profile(rate=50_000 / 600, soak=True),  # the seed's pace, for --soak-seconds
}


def _drive(host: str, users: int, requests: int, rate: float, seconds: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.load", "--host", host, "--users", str(users),
           "--requests", str(requests), "--rate", str(rate), "--seconds", str(seconds)]  # fmt: skip
    result: dict[str, Any] = {}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("requests", total=requests)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line)
            if "done" in message:
                progress.update(bar, completed=min(message["done"], requests))
            else:
                result = message["result"]
        proc.wait()
    if not result:
        raise RuntimeError("the load generator ended without results")
    return result


def run_profile(
    name: str, requests: int, users: int, workers: int, soak_seconds: float
) -> dict[str, Any]:
    profile = PROFILES[name]
    latency, jitter = profile.latency_ms, profile.jitter_ms
    logs = report.REPORTS / "logs" / name
    with running_stack(workers=workers, latency_ms=latency, jitter_ms=jitter, logs=logs) as stack:
        asyncio.run(overhead.register_webhook(stack))
        with Sampler(stack.pids) as sampler:
            connections = overhead.ConnectionCounter(stack.owner_url)
            with connections:
                seconds = soak_seconds if profile.soak else 0.0
                load = _drive(stack.tender_url, users, requests, profile.rate, seconds)
        correctness = asyncio.run(after_run(stack))  # before overhead adds stray intents
        costs = asyncio.run(overhead.measure(stack, load["operations"]))
    completed = figures.checkouts(load["operations"])
    return {
        "name": name,
        "tender_source": str(Path(tender.__file__).resolve().parents[1]),  # which code ran
        "users": users,
        "workers": workers,
        "latency_ms": latency,
        "jitter_ms": jitter,
        "offered_rate": profile.rate,
        "requests": load["requests"],
        "duration_s": load["duration_s"],
        "requests_per_s": load["requests"] / load["duration_s"],
        "avg_ms": load["avg_ms"],
        "p95_ms": load["p95_ms"],
        "p99_ms": load["p99_ms"],
        "error_rate": load["failures"] / max(1, load["requests"]),
        "server_errors": load["server_errors"],
        "errors": load["errors"],
        "operations": load["operations"],
        "checkouts": completed,
        "cpu_seconds": {n: f.cpu_seconds for n, f in sampler.figures.items()},
        "cpu_ms_per_checkout": {
            n: figures.cpu_ms_per_checkout(f.cpu_seconds, completed)
            for n, f in sampler.figures.items()
        },
        "overhead": costs,
        "processes": {
            n: {k: v for k, v in vars(f).items() if k != "samples"}
            for n, f in sampler.figures.items()
        },
        "machine_cpu_avg": sum(sampler.machine_cpu) / max(1, len(sampler.machine_cpu)),
        "db_connections_peak": connections.peak,
        "correctness": correctness,
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command()
def main(
    requests: int = typer.Option(50_000, help="Requests per profile."),
    users: int = typer.Option(100, help="Concurrent simulated users."),
    workers: int = typer.Option(2, help="Tender API processes."),
    profile: list[str] = typer.Option(["zero", "stripe"], help="zero, stripe, seed, soak."),
    soak_seconds: float = typer.Option(1200.0, help="How long the soak profile runs."),
    compare_ref: str | None = typer.Option(
        None,
        "--compare",
        help="A git revision to run as the baseline, alternating with the working tree.",
    ),
    rounds: int = typer.Option(3, help="With --compare: rounds of (baseline, change)."),
    json_out: Path | None = typer.Option(None, hidden=True, help="Write results here only."),
) -> None:
    """Run the load profiles and write the report (or, with --compare, the ratios)."""
    for name in profile:
        if name not in PROFILES:
            raise typer.BadParameter(f"unknown profile {name}; one of {', '.join(PROFILES)}")
    if compare_ref is not None:
        options = ["--requests", str(requests), "--users", str(users), "--workers", str(workers)]
        options += ["--soak-seconds", str(soak_seconds)]
        for name in profile:
            options += ["--profile", name]
        path = compare.run(compare_ref, rounds, options, console)
        console.print(Path(path).read_text())
        return
    results: dict[str, dict[str, Any]] = {}
    for name in profile:
        console.rule(f"profile {name}")
        started = time.monotonic()
        results[name] = run_profile(name, requests, users, workers, soak_seconds)
        console.print(
            f"{name}: {results[name]['requests_per_s']:.0f} req/s, p95 "
            f"{results[name]['p95_ms']:.0f} ms, p99 {results[name]['p99_ms']:.0f} ms, "
            f"Tender CPU {_ms(results[name]['cpu_ms_per_checkout']['tender'])} ms/checkout "
            f"({time.monotonic() - started:.0f} s)"
        )
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2))
        return
    path = report.write(results)
    console.print(Path(path).read_text())


if __name__ == "__main__":
    app()
