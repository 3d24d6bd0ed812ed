"""Every alert rule in the seed, with thresholds from settings.

Rate rules read this process's ValidationMonitor window; the rest read the database
(payments, payment_errors) through monitoring.repository. A rule without enough data
(fewer than ALERT_MIN_SAMPLES events) is "not firing", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tender.config import Settings
from tender.kit.money import to_major
from tender.telemetry.monitor import MonitorSnapshot


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    action: str  # the seed's `action:` (who is told)
    description: str


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "payment_failure_rate_high",
            Severity.critical,
            "page_on_call_engineer",
            "Payment failure rate above threshold",
        ),
        Rule(
            "payment_db_connection_failed",
            Severity.critical,
            "page_database_team",
            "Database connection errors",
        ),
        Rule(
            "stripe_api_error_rate_high",
            Severity.critical,
            "page_on_call_engineer",
            "Stripe API error rate above threshold",
        ),
        Rule(
            "payment_response_time_slow",
            Severity.warning,
            "notify_engineering_team",
            "Average payment response time above threshold",
        ),
        Rule(
            "payment_error_pattern_unusual",
            Severity.warning,
            "notify_product_team",
            "New error code or error spike",
        ),
        Rule(
            "payment_cache_hit_rate_low",
            Severity.warning,
            "notify_performance_team",
            "Cache hit rate below threshold",
        ),
        Rule(
            "new_payment_method_low_adoption",
            Severity.info,
            "notify_product_team",
            "Payment method usage down week over week",
        ),
        Rule(
            "payment_failure_revenue_impact",
            Severity.warning,
            "notify_business_team",
            "Failed payment amount per hour above threshold",
        ),
    )
}


@dataclass(frozen=True)
class AlertResult:
    rule: Rule
    firing: bool
    summary: str
    value: float | None = None
    threshold: float | None = None
    evaluated: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.rule.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "severity": self.rule.severity.value,
            "action": self.rule.action,
            "firing": self.firing,
            "evaluated": self.evaluated,
            "summary": self.summary,
            "value": self.value,
            "threshold": self.threshold,
            "details": self.details,
        }


def not_evaluated(name: str, why: str) -> AlertResult:
    return AlertResult(RULES[name], False, f"not evaluated: {why}", evaluated=False)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def failure_rate(row: dict[str, Any], s: Settings) -> AlertResult:
    total, failed = int(row["total"]), int(row["failed"])
    rate = failed / total if total else 0.0
    firing = total >= s.alert_min_samples and rate > s.alert_payment_failure_rate
    return AlertResult(
        RULES["payment_failure_rate_high"],
        firing,
        f"{failed}/{total} payments failed ({_pct(rate)}) in the window",
        rate,
        s.alert_payment_failure_rate,
        details={"failed": failed, "total": total},
    )


def db_connection(snap: MonitorSnapshot, failed_now: bool) -> AlertResult:
    errors = snap.db_connection_errors
    return AlertResult(
        RULES["payment_db_connection_failed"],
        errors > 0 or failed_now,
        f"{errors} database connection error(s) in the window",
        errors,
        0,
    )


def stripe_errors(snap: MonitorSnapshot, s: Settings) -> AlertResult:
    rate = snap.stripe_error_rate or 0.0
    firing = snap.stripe_calls >= s.alert_min_samples and rate > s.monitor_alert_error_rate
    return AlertResult(
        RULES["stripe_api_error_rate_high"],
        firing,
        f"{snap.stripe_errors}/{snap.stripe_calls} Stripe calls failed ({_pct(rate)})",
        rate,
        s.monitor_alert_error_rate,
    )


def response_time(snap: MonitorSnapshot, s: Settings) -> AlertResult:
    avg = snap.payment_latency_ms_avg or 0.0
    limit = s.monitor_alert_response_time_ms
    firing = snap.payment_requests >= s.alert_min_samples and avg > limit
    return AlertResult(
        RULES["payment_response_time_slow"],
        firing,
        f"average payment response {avg:.0f} ms over {snap.payment_requests} requests",
        avg,
        limit,
    )


def cache_hit_rate(snap: MonitorSnapshot, s: Settings) -> AlertResult:
    lookups = snap.cache_hits + snap.cache_misses
    rate = snap.cache_hit_rate
    firing = lookups >= s.alert_min_samples and rate is not None and rate < s.alert_cache_hit_rate
    summary = f"cache hit rate {_pct(rate or 0.0)} over {lookups} lookups"
    return AlertResult(
        RULES["payment_cache_hit_rate_low"], firing, summary, rate, s.alert_cache_hit_rate
    )


def error_pattern(rows: list[dict[str, Any]], s: Settings) -> AlertResult:
    new_codes = sorted(r["error_code"] for r in rows if r["recent"] > 0 and r["baseline"] == 0)
    recent = sum(int(r["recent"]) for r in rows)
    baseline = sum(int(r["baseline"]) for r in rows)
    baseline_seconds = max(s.alert_error_baseline_hours * 3600 - s.alert_window_seconds, 1.0)
    expected = baseline * s.alert_window_seconds / baseline_seconds
    spike = recent >= s.alert_min_samples and recent > s.alert_error_spike_factor * expected
    parts = [f"new error codes: {', '.join(new_codes)}"] if new_codes else []
    if spike:
        parts.append(f"{recent} errors in the window vs {expected:.1f} expected")
    return AlertResult(
        RULES["payment_error_pattern_unusual"],
        bool(new_codes) or spike,
        "; ".join(parts) or f"{recent} errors in the window, no new codes",
        float(recent),
        round(s.alert_error_spike_factor * expected, 3),
        details={"new_codes": new_codes, "spike": spike},
    )


def method_adoption(rows: list[dict[str, Any]], s: Settings) -> AlertResult:
    down: dict[str, float] = {}
    for r in rows:
        last, this = int(r["last_week"]), int(r["this_week"])
        if last >= s.alert_min_samples and this < last * (1 - s.alert_method_usage_drop):
            down[r["method_type"]] = round((this - last) / last, 4)
    summary = ", ".join(f"{m} {_pct(c)}" for m, c in sorted(down.items()))
    return AlertResult(
        RULES["new_payment_method_low_adoption"],
        bool(down),
        f"usage down week over week: {summary}" if down else "usage steady",
        min(down.values(), default=None),
        -s.alert_method_usage_drop,
        details={"change": down},
    )


def revenue_impact(rows: list[dict[str, Any]], s: Settings) -> AlertResult:
    over: dict[str, float] = {}
    for r in rows:
        currency = str(r["currency"])
        major = float(to_major(int(r["amount"]), currency))
        if major > s.alert_failed_amount_per_hour:
            over[currency] = major
    summary = ", ".join(f"{v:,.2f} {c.upper()}" for c, v in sorted(over.items()))
    return AlertResult(
        RULES["payment_failure_revenue_impact"],
        bool(over),
        f"failed in the last hour: {summary}" if over else "failed amount normal",
        max(over.values(), default=None),
        s.alert_failed_amount_per_hour,
        details={"failed_amount": over},
    )
