"""The arithmetic behind the bench's headline: CPU per checkout and change / baseline ratios."""

from __future__ import annotations

import pytest

from bench import figures


def test_checkouts_are_the_successful_reads_that_close_each_checkout() -> None:
    ops = {
        "create-payment-intent": {"count": 120, "failures": 0},
        "get-payment": {"count": 100, "failures": 4},
    }
    assert figures.checkouts(ops) == 96


def test_no_read_means_no_completed_checkout() -> None:
    assert figures.checkouts({"create-payment-intent": {"count": 5, "failures": 5}}) == 0


def test_cpu_ms_per_checkout_is_cpu_time_over_checkouts() -> None:
    # 125% CPU over 105 s for 5,065 checkouts: the 26 ms.
    assert figures.cpu_ms_per_checkout(1.25 * 105, 5065) == pytest.approx(25.9, abs=0.05)


def test_cpu_per_checkout_is_unknown_without_checkouts() -> None:
    assert figures.cpu_ms_per_checkout(3.0, 0) is None


def test_ratio_is_change_over_baseline() -> None:
    assert figures.ratio(10.0, 40.0) == 0.25
    assert figures.ratio(None, 40.0) is None
    assert figures.ratio(10.0, 0.0) is None


def _profile(tender_ms: float, rps: float, get_p95: float) -> dict[str, object]:
    return {
        "cpu_ms_per_checkout": {"tender": tender_ms, "postgres": 8.0, "emulator": None},
        "requests_per_s": rps,
        "p95_ms": 900.0,
        "operations": {"get-payment": {"p95": get_p95}},
        "overhead": {"get-payment": {"tender_p50": 4.0, "ratio": 50.0}},
    }


def test_compare_takes_each_sides_median_and_divides() -> None:
    baseline = [_profile(40.0, 200.0, 700.0), _profile(44.0, 180.0, 800.0), _profile(90.0, 50, 1)]
    change = [_profile(20.0, 400.0, 300.0), _profile(22.0, 420.0, 310.0)]
    rows = {row.figure: row for row in figures.compare(baseline, change)}
    tender = rows["tender CPU ms/checkout"]
    assert (tender.baseline, tender.change) == (44.0, 21.0)
    assert tender.ratio == pytest.approx(21.0 / 44.0)
    assert rows["requests/s"].ratio == pytest.approx(410.0 / 180.0)
    assert rows["p95 ms get-payment"].baseline == 700.0
    assert rows["one at a time p50 ms get-payment"].ratio == 1.0
    assert rows["test mode CPU ms/checkout"].ratio is None  # unknown on both sides


def test_a_figure_only_one_side_has_shows_without_a_ratio() -> None:
    baseline = [_profile(40.0, 200.0, 700.0)]
    change = [{**_profile(20.0, 400.0, 300.0), "operations": {"refund": {"p95": 5.0}}}]
    rows = {row.figure: row for row in figures.compare(baseline, change)}
    assert rows["p95 ms refund"].baseline is None
    assert rows["p95 ms refund"].ratio is None
    assert rows["p95 ms get-payment"].change is None
