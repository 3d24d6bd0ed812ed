"""Write bench/reports/latest.{md,json}: each figure beside the seed's and the previous run's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.baselines import P95_BASELINE_MS, SEED_LOAD, TARGETS

REPORTS = Path(__file__).resolve().parent / "reports"


def previous(name: str = "latest") -> dict[str, Any] | None:
    path = REPORTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _cmp(now: float | None, before: float | None, unit: str = "") -> str:
    if now is None:
        return "-"
    text = f"{now:,.1f}{unit}"
    if before:
        text += f" ({(now - before) / before * 100:+.0f}% vs previous)"
    return text


def _headline(prof: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """CPU per checkout: the figure a busy machine does not move much (time, not a share)."""
    cpu = prof.get("cpu_ms_per_checkout")
    if not cpu:
        return []
    old = before.get("cpu_ms_per_checkout", {})
    labels = {"tender": "Tender", "postgres": "PostgreSQL", "emulator": "test mode"}
    lines = [
        f"**CPU per checkout** ({prof['checkouts']:,} checkouts completed; process CPU time "
        "over the run / checkouts):",
        "",
        "| process | CPU ms per checkout | CPU s over the run | previous |",
        "|---|---|---|---|",
    ]
    for key, label in labels.items():
        ms = cpu.get(key)
        lines.append(
            f"| {label} | {_cmp(ms, old.get(key), ' ms')} | "
            f"{prof['cpu_seconds'].get(key, 0.0):.1f} | {_cmp(old.get(key), None)} |"
        )
    return lines


def render(results: dict[str, Any], prior: dict[str, Any] | None) -> str:
    prof = results["profile"]
    before = (prior or {}).get("profiles", {}).get(prof["name"], {})
    rate = prof.get("offered_rate")
    offered = f"{rate:.1f} req/s" if rate else "flat out"
    lines = [
        f"# Tender load test: {prof['name']}",
        "",
        f"{prof['requests']:,} requests by {prof['users']} users in {prof['duration_s']:.1f} s, "
        f"{prof['workers']} API worker(s), injected Stripe latency {prof['latency_ms']} ms "
        f"(+{prof['jitter_ms']} ms jitter), offered load "
        f"{offered}.",
        "",
        *_headline(prof, before),
        "",
        "| figure | Tender | seed | target | previous |",
        "|---|---|---|---|---|",
        f"| requests/s | {prof['requests_per_s']:,.1f} | {SEED_LOAD['requests_per_s']:.1f} | "
        f"{TARGETS['requests_per_s']:.0f} | {before.get('requests_per_s', '-')} |",
        f"| average ms | {prof['avg_ms']:.1f} | {SEED_LOAD['avg_ms']:.0f} | - | "
        f"{before.get('avg_ms', '-')} |",
        f"| p95 ms (all) | {prof['p95_ms']:.1f} | {SEED_LOAD['p95_ms']:.0f} | "
        f"{TARGETS['p95_ms']:.0f} | "
        f"{before.get('p95_ms', '-')} |",
        f"| p99 ms (all) | {prof['p99_ms']:.1f} | {SEED_LOAD['p99_ms']:.0f} | "
        f"{TARGETS['p99_ms']:.0f} | "
        f"{before.get('p99_ms', '-')} |",
        f"| error rate | {prof['error_rate']:.4%} | {SEED_LOAD['error_rate']:.2%} | 0 | "
        f"{before.get('error_rate', '-')} |",
        f"| 5xx responses | {prof['server_errors']} | - | 0 | {before.get('server_errors', '-')} |",
        "",
        "## Per operation (ms)",
        "",
        "| operation | count | failures | p50 | p95 | p99 | max | seed p95 | previous p95 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, op in sorted(prof["operations"].items()):
        old = before.get("operations", {}).get(name, {}).get("p95")
        lines.append(
            f"| {name} | {op['count']:,} | {op['failures']} | {op['p50']:.1f} | {op['p95']:.1f} | "
            f"{op['p99']:.1f} | {op['max']:.1f} | {P95_BASELINE_MS.get(name, '-')} | "
            f"{old if old is not None else '-'} |"
        )
    overhead = prof.get("overhead", {})
    if overhead:
        lines += [
            "",
            "## Tender's own cost (same run)",
            "",
            "| operation | through Tender p50 | direct p50 | ratio |",
            "|---|---|---|---|",
        ]
        for name, row in overhead.items():
            lines.append(
                f"| {name} | {row['tender_p50']:.2f} | {row['direct_p50']:.2f} "
                f"({row['direct']}) | {row['ratio']:.1f}x |"
            )
    lines += [
        "",
        "## Processes",
        "",
        "| process | peak RSS MB | RSS first fifth | RSS last fifth | avg CPU % |",
        "|---|---|---|---|---|",
    ]
    for name, fig in prof["processes"].items():
        lines.append(
            f"| {name} | {fig['peak_rss_mb']:.0f} | {fig['rss_first_fifth_mb']:.0f} | "
            f"{fig['rss_last_fifth_mb']:.0f} | {fig['cpu_percent_avg']:.0f} |"
        )
    lines += [
        "",
        f"Machine CPU average: {prof['machine_cpu_avg']:.0f}%. "
        f"Peak database connections: {prof['db_connections_peak']}.",
    ]
    checks = prof.get("correctness", {})
    if checks:
        lines += ["", "## Correctness after the run", ""]
        lines += [f"- {name}: {value}" for name, value in checks.items()]
    return "\n".join(lines) + "\n"


def write(profiles: dict[str, dict[str, Any]]) -> Path:
    """Save every profile of this run as latest.json/md; the old latest becomes previous."""
    REPORTS.mkdir(exist_ok=True)
    prior = previous()
    if prior is not None:
        (REPORTS / "previous.json").write_text(json.dumps(prior, indent=2))
    body = {"profiles": profiles}
    (REPORTS / "latest.json").write_text(json.dumps(body, indent=2))
    text = "\n".join(render({"profile": p}, prior) for p in profiles.values())
    path = REPORTS / "latest.md"
    path.write_text(text)
    return path
