"""Which code each bench round runs, in which order, and how the test mode starts in either
layout of the repository."""

from __future__ import annotations

from pathlib import Path

from bench import compare, revisions


def test_rounds_alternate_baseline_then_change() -> None:
    assert revisions.alternation(2) == [
        ("baseline", 0),
        ("change", 0),
        ("baseline", 1),
        ("change", 1),
    ]
    assert revisions.alternation(0) == []


def test_old_layout_runs_the_emulator_inside_tender(tmp_path: Path) -> None:
    (tmp_path / "src" / "tender" / "emulator").mkdir(parents=True)
    cmd, env = revisions.emulator_command(tmp_path, 4242, "whsec_x")
    assert cmd == ["-m", "tender", "emulator", "--port", "4242", "--webhook-secret", "whsec_x"]
    assert env == {}
    assert revisions.python_path(tmp_path) == [tmp_path / "src"]


def test_new_layout_runs_the_testmode_package_with_the_secret_outside_argv(
    tmp_path: Path,
) -> None:
    (tmp_path / "testmode" / "src" / "tender_testmode").mkdir(parents=True)
    cmd, env = revisions.emulator_command(tmp_path, 4242, "whsec_x")
    assert cmd == ["-m", "tender_testmode", "--port", "4242"]
    assert "whsec_x" not in cmd
    assert env == {"STRIPE_TESTMODE_WEBHOOK_SECRET": "whsec_x"}
    assert revisions.python_path(tmp_path) == [tmp_path / "src", tmp_path / "testmode" / "src"]


def test_a_sides_environment_puts_its_sources_first(tmp_path: Path) -> None:
    env = revisions.side_env(tmp_path, {"PATH": "/bin", "PYTHONPATH": "/elsewhere"})
    assert env["PYTHONPATH"] == str(tmp_path / "src")
    assert env["TENDER_BENCH_SOURCE"] == str(tmp_path)
    assert env["PATH"] == "/bin"


LOCK = """\
# generated
anyio==4.11.0 \\
    --hash=sha256:aa
Stripe_Python==13.0.1 \\
    --hash=sha256:bb
    # via tender
"""


def test_lock_pins_reads_every_pin() -> None:
    assert compare.lock_pins(LOCK) == {"anyio": "4.11.0", "stripe-python": "13.0.1"}


def test_a_baseline_whose_pins_the_venv_satisfies_reuses_it() -> None:
    current = {"anyio": "4.11.0", "stripe-python": "13.0.1", "orjson": "3.11.0"}
    assert compare.pin_conflicts(compare.lock_pins(LOCK), current) == []


def test_a_baseline_pinning_another_version_needs_its_own_venv() -> None:
    current = {"anyio": "4.12.0"}
    assert compare.pin_conflicts(compare.lock_pins(LOCK), current) == [
        "anyio==4.11.0 (current: 4.12.0)",
        "stripe-python==13.0.1 (current: absent)",
    ]
