"""Schemathesis against Tender's /openapi.json: no generated request ever gets a 5xx.

The real `schemathesis run` (its coverage phase sends the boundary values: limits + 1,
numbers beyond bigint, wrong types, missing and extra fields; then random valid and invalid
requests) for three callers: a signed-in user, the service role and anonymous. A fixed seed
and a bounded number of examples per operation keep a run repeatable and short. The token
travels in a config file, never on a command line. Each boundary case it found is a plain
test in test_boundaries.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fuzz.conftest import ServedTender

SEED = 20261126
MAX_EXAMPLES = int(os.environ.get("TENDER_FUZZ_EXAMPLES", "5"))


def _command(url: str, config: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", f"{url}/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--request-timeout", "15",
        "--continue-on-failure",
        # Flipping kill switches is what that endpoint is for: a fuzzed maintenance switch
        # would turn every payment call into a (correct) 503 (ops API and console alike).
        "--exclude-path-regex", "/switches/",
    ]  # fmt: skip


def test_no_generated_request_gets_a_5xx(
    served: ServedTender,
    user_headers: dict[str, str],
    service_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    """The three callers run side by side (each run is mostly schemathesis' own CPU)."""
    callers = {"user": user_headers, "service_role": service_headers, "anonymous": {}}
    runs: dict[str, subprocess.Popen[str]] = {}
    for caller, headers in callers.items():
        folder = tmp_path / caller
        folder.mkdir()
        pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in headers.items())
        (folder / "schemathesis.toml").write_text(f"headers = {{ {pairs} }}\n")
        runs[caller] = subprocess.Popen(
            _command(served.url, folder / "schemathesis.toml"),
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    failed = {}
    for caller, run in runs.items():
        output, _ = run.communicate(timeout=300)
        if run.returncode != 0:
            failed[caller] = output[-6000:]
    assert not failed, "\n\n".join(f"== {c}\n{o}" for c, o in failed.items())
