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

import httpx

from tests.fuzz.conftest import ServedTender

SEED = 20261126
MAX_EXAMPLES = int(os.environ.get("TENDER_FUZZ_EXAMPLES", "5"))


SERVER_ERRORS = "not_a_server_error"
CONFORMANCE = "status_code_conformance,response_schema_conformance,content_type_conformance"


def _checks(url: str) -> str:
    """No 5xx, always; and answers that match the document once it documents Tender's
    errors (a 401 anywhere; FastAPI's own 422 does not count, Tender answers 400): then an
    undocumented status, body shape or content type fails too."""
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    codes = {
        code
        for path in document["paths"].values()
        for op in path.values()
        for code in op.get("responses", {})
    }
    return f"{SERVER_ERRORS},{CONFORMANCE}" if "401" in codes else SERVER_ERRORS


def _command(url: str, config: Path, checks: str) -> list[str]:
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", f"{url}/openapi.json",
        "--checks", checks,
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
    checks = _checks(served.url)
    runs: dict[str, subprocess.Popen[str]] = {}
    for caller, headers in callers.items():
        folder = tmp_path / caller
        folder.mkdir()
        pairs = ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in headers.items())
        (folder / "schemathesis.toml").write_text(f"headers = {{ {pairs} }}\n")
        runs[caller] = subprocess.Popen(
            _command(served.url, folder / "schemathesis.toml", checks),
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
