"""Pure arithmetic behind the headline figures: CPU per checkout, and change / baseline ratios."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LAST_STEP = "get-payment"  # every checkout that reaches its end reads the payment once


def checkouts(operations: Mapping[str, Mapping[str, float]]) -> int:
    """Checkouts completed in a run: the successful reads that close each checkout."""
    last = operations.get(LAST_STEP)
    if not last:
        return 0
    return max(0, int(last["count"]) - int(last.get("failures", 0)))


def cpu_ms_per_checkout(cpu_seconds: float, completed: int) -> float | None:
    """Process CPU time spent over the run divided by the checkouts it completed."""
    if completed <= 0:
        return None
    return cpu_seconds * 1000.0 / completed


def ratio(change: float | None, baseline: float | None) -> float | None:
    """change / baseline, or None when either side is missing or the baseline is zero."""
    if change is None or baseline is None or baseline == 0:
        return None
    return change / baseline


@dataclass(frozen=True)
class Row:
    figure: str
    baseline: float | None
    change: float | None

    @property
    def ratio(self) -> float | None:
        return ratio(self.change, self.baseline)


def headline(profile: Mapping[str, Any]) -> dict[str, float | None]:
    """The figures compared between revisions, flattened from one profile's result."""
    out: dict[str, float | None] = {
        "tender CPU ms/checkout": profile.get("cpu_ms_per_checkout", {}).get("tender"),
        "postgres CPU ms/checkout": profile.get("cpu_ms_per_checkout", {}).get("postgres"),
        "test mode CPU ms/checkout": profile.get("cpu_ms_per_checkout", {}).get("emulator"),
        "requests/s": profile.get("requests_per_s"),
        "p95 ms (all)": profile.get("p95_ms"),
    }
    for name, op in sorted(profile.get("operations", {}).items()):
        out[f"p95 ms {name}"] = op.get("p95")
    for name, row in profile.get("overhead", {}).items():
        out[f"one at a time p50 ms {name}"] = row.get("tender_p50")
        out[f"one at a time ratio to direct {name}"] = row.get("ratio")
    return out


def median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def compare(
    baseline_runs: Sequence[Mapping[str, Any]], change_runs: Sequence[Mapping[str, Any]]
) -> list[Row]:
    """One row per figure: the median over each side's rounds, in first-seen order."""
    base = [headline(r) for r in baseline_runs]
    chg = [headline(r) for r in change_runs]
    names = list(dict.fromkeys(name for h in [*base, *chg] for name in h))
    return [
        Row(name, median([h.get(name) for h in base]), median([h.get(name) for h in chg]))
        for name in names
    ]
