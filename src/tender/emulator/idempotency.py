"""Idempotency keys: store the first result per (api key, key), replay it for 24 hours."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from tender.emulator.errors import StripeError, invalid_request


@dataclass(slots=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Entry:
    fingerprint: str
    created: float
    response: StoredResponse | None = None  # None while the first request is in flight


def fingerprint(method: str, path: str, body: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(method.encode())
    h.update(b" ")
    h.update(path.encode())
    h.update(b"\n")
    h.update(body)
    return h.hexdigest()


class IdempotencyStore:
    def __init__(self, cap: int, ttl_seconds: float) -> None:
        self.cap = cap
        self.ttl = ttl_seconds
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def begin(self, api_key: str, key: str, fp: str) -> StoredResponse | None:
        """Reserve ``key``; return a stored response to replay, or None to run the request.

        Raises 400 idempotency_error for reuse with other parameters and 409 while the
        first request with this key is still running.
        """
        k = (api_key, key)
        entry = self._entries.get(k)
        now = time.monotonic()
        if entry is not None and now - entry.created > self.ttl:
            del self._entries[k]
            entry = None
        if entry is None:
            self._entries[k] = Entry(fp, now)
            while len(self._entries) > self.cap:
                self._entries.popitem(last=False)
            return None
        if entry.fingerprint != fp:
            raise StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                save_idempotent=False,
            )
        if entry.response is None:
            raise invalid_request(
                "There is currently another in-progress request using this Stripe token "
                "(probably the same Idempotency-Key). Please retry after a moment.",
                code="idempotency_key_in_use",
                status=409,
                save_idempotent=False,
            )
        return entry.response

    def finish(self, api_key: str, key: str, response: StoredResponse) -> None:
        entry = self._entries.get((api_key, key))
        if entry is not None:
            entry.response = response

    def abandon(self, api_key: str, key: str) -> None:
        """Forget a reservation whose result must not be saved (validation errors, faults)."""
        entry = self._entries.get((api_key, key))
        if entry is not None and entry.response is None:
            del self._entries[(api_key, key)]
