"""Scan a built client bundle for secrets that must never ship to a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PATTERNS = {
    "Stripe live secret key": re.compile(rb"\b[sr]k_live_[0-9A-Za-z]{8,}"),
    "Stripe test secret key": re.compile(rb"\b[sr]k_test_[0-9A-Za-z_]{8,}"),
    "Stripe webhook secret": re.compile(rb"\bwhsec_[0-9A-Za-z_]{8,}"),
}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str
    preview: str  # the match, masked: never the secret itself

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} ({self.preview})"


def _mask(value: bytes) -> str:
    text = value.decode("latin-1")
    return text[:8] + "…" if len(text) > 8 else "…"


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
            yield path


def scan_bundle(root: Path, extra_secrets: dict[str, str] | None = None) -> list[Finding]:
    """Every secret-looking string in the files under `root` (and exact known secrets)."""
    exact = {k: v.encode() for k, v in (extra_secrets or {}).items() if len(v) >= 8}
    findings: list[Finding] = []
    for path in _files(root):
        data = path.read_bytes()
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(data):
                line = data.count(b"\n", 0, match.start()) + 1
                findings.append(Finding(path, line, kind, _mask(match.group())))
        for kind, secret in exact.items():
            start = data.find(secret)
            if start >= 0:
                line = data.count(b"\n", 0, start) + 1
                findings.append(Finding(path, line, kind, _mask(secret)))
    return findings
