"""Stripe-Signature verification on the raw request bytes, before anything decodes them.

The SDK's `WebhookSignature.verify_header` decodes the body as UTF-8 first (a body that is
not UTF-8 raised UnicodeDecodeError: a 500 before the signature was even checked) and only
refuses timestamps that are too old. Stripe's scheme is small and public: HMAC-SHA256 of
`"{t}." + body` with the endpoint secret, hex, in a `v1=` item; so it is checked here on
bytes, against every configured secret (rotation), with the tolerance applied both ways.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

from tender.errors import TenderError

MAX_HEADER_LENGTH = 4096
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class InvalidSignature(TenderError):
    status_code = 400
    code = "invalid_signature"
    message = "The Stripe-Signature header is missing or does not match."


def _parse(header: str) -> tuple[int, list[bytes]]:
    timestamps: list[str] = []
    signatures: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value.encode("utf-8", "replace"))
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]) or not signatures:
        raise InvalidSignature()
    return int(timestamps[0]), signatures


def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    tolerance: int,
    *,
    now: float | None = None,
) -> None:
    """Return if `header` signs `payload` with one of `secrets` within `tolerance` seconds
    of now (past or future); raise InvalidSignature (400) otherwise."""
    if not header or len(header) > MAX_HEADER_LENGTH or not secrets:
        raise InvalidSignature()
    timestamp, signatures = _parse(header)
    signed = f"{timestamp}.".encode() + payload
    expected = [
        hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode() for secret in secrets
    ]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise InvalidSignature()
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature(
            "The Stripe-Signature timestamp is outside the tolerance.", code="invalid_signature"
        )
