"""Idempotency keys: store the first result per (api key, key), replay it for 24 hours."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tender_testmode.errors import StripeError, invalid_request


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


def _namespace(api_key: str) -> str:
    """Keys are per API key; the key itself is never kept (the state is written to disk)."""
    return hashlib.blake2b(api_key.encode(), digest_size=12).hexdigest()


class IdempotencyStore:
    def __init__(self, cap: int, ttl_seconds: float) -> None:
        self.cap = cap
        self.ttl = ttl_seconds
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self.on_finish: Callable[[dict[str, Any]], None] | None = None

    def dump(self) -> Iterator[dict[str, Any]]:
        """Every finished, unexpired entry as JSON-ready data (for the journal)."""
        cutoff = time.time() - self.ttl
        for (ns, key), entry in self._entries.items():
            if entry.response is not None and entry.created >= cutoff:
                yield _entry_json(ns, key, entry)

    def load(self, raw: dict[str, Any]) -> None:
        if raw["created"] < time.time() - self.ttl:
            return
        response = StoredResponse(raw["status"], raw["body"].encode(), raw["headers"])
        self._entries[(raw["ns"], raw["key"])] = Entry(raw["fp"], raw["created"], response)
        while len(self._entries) > self.cap:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def begin(self, api_key: str, key: str, fp: str) -> StoredResponse | None:
        """Reserve ``key``; return a stored response to replay, or None to run the request.

        Raises 400 idempotency_error for reuse with other parameters and 409 while the
        first request with this key is still running.
        """
        k = (_namespace(api_key), key)
        entry = self._entries.get(k)
        now = time.time()
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
        ns = _namespace(api_key)
        entry = self._entries.get((ns, key))
        if entry is not None:
            entry.response = response
            if self.on_finish is not None:
                self.on_finish(_entry_json(ns, key, entry))

    def abandon(self, api_key: str, key: str) -> None:
        """Forget a reservation whose result must not be saved (validation errors, faults)."""
        k = (_namespace(api_key), key)
        entry = self._entries.get(k)
        if entry is not None and entry.response is None:
            del self._entries[k]


def _entry_json(ns: str, key: str, entry: Entry) -> dict[str, Any]:
    response = entry.response
    assert response is not None
    return {
        "ns": ns,
        "key": key,
        "fp": entry.fingerprint,
        "created": entry.created,
        "status": response.status,
        "body": response.body.decode(),
        "headers": response.headers,
    }
