"""Turn a verified webhook body into an event Tender can store, or a reason it never can.

What to do with a body that carries a valid signature but cannot be parsed or stored
(not UTF-8, not JSON, NUL bytes or lone surrogates PostgreSQL text refuses, NaN/Infinity,
nesting deeper than any Stripe object, an `id`/`type`/`created` of the wrong type or out of
range, no `data.object`): it is stored once as `rejected` with its reason and answered 200.
Stripe retries every non-2xx answer for three days and then disables the endpoint; an event
that is malformed now will be malformed on every retry, so a 4xx would only buy three days
of noise and put the healthy events behind it at risk. The stored row (with the raw bytes,
base64) is what an operator looks at; `tender webhooks replay` never re-applies it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_DEPTH = 32  # Stripe objects nest a handful of levels; this is far beyond any of them
MAX_CREATED = 2**32  # unix seconds (year 2106); a timestamptz must be able to hold it
APPLIED_PREFIXES = ("payment_intent.", "payment_method.", "charge.")
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")
_EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")
_OBJECT_ID = re.compile(r"[a-z]{1,16}_[A-Za-z0-9_]{1,200}")


@dataclass(frozen=True)
class ParsedEvent:
    """A well-formed Stripe event, safe to store as jsonb."""

    id: str
    type: str
    api_version: str | None
    livemode: bool
    object_id: str | None
    created_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class RejectedEvent:
    """A signed body Tender can never apply: stored once under `id` with `reason`."""

    id: str
    type: str
    reason: str
    payload: dict[str, Any]


class _Unusable(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_constants(name: str) -> Any:
    raise _Unusable("non_finite_number")


def _check_text(value: str) -> None:
    if "\x00" in value:
        raise _Unusable("nul_in_text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Unusable("lone_surrogate") from None


def _check_tree(root: Any) -> None:
    """Everything jsonb can hold, no deeper than MAX_DEPTH (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise _Unusable("too_deep")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((value, depth + 1))
        elif isinstance(node, str):
            _check_text(node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise _Unusable("non_finite_number")


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unusable("not_utf8") from None
    try:
        event = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise _Unusable("too_deep") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise exc if isinstance(exc, _Unusable) else _Unusable("not_json") from None
    if not isinstance(event, dict):
        raise _Unusable("not_an_object")
    return event


def _fields(event: dict[str, Any]) -> ParsedEvent:
    event_id, kind, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise _Unusable("bad_id")
    if not isinstance(kind, str) or not _EVENT_TYPE.fullmatch(kind):
        raise _Unusable("bad_type")
    if not isinstance(created, int) or isinstance(created, bool):
        raise _Unusable("bad_created")
    if not 0 <= created < MAX_CREATED:
        raise _Unusable("bad_created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise _Unusable("missing_object")
    object_id = obj.get("id")
    valid_id = isinstance(object_id, str) and _OBJECT_ID.fullmatch(object_id) is not None
    if kind.startswith(APPLIED_PREFIXES) and not valid_id:
        raise _Unusable("bad_object_id")
    version = event.get("api_version")
    return ParsedEvent(
        id=event_id,
        type=kind,
        api_version=version if isinstance(version, str) and len(version) <= 64 else None,
        livemode=event.get("livemode") is True,
        object_id=object_id if valid_id else None,
        created_at=datetime.fromtimestamp(created, UTC),
        payload=event,
    )


def parse(raw: bytes) -> ParsedEvent | RejectedEvent:
    """The event in `raw` (already verified), or why it can never be applied."""
    event: dict[str, Any] | None = None
    try:
        event = _decode(raw)
        _check_tree(event)
        return _fields(event)
    except _Unusable as exc:
        return _rejected(raw, event, exc.reason)


def _rejected(raw: bytes, event: dict[str, Any] | None, reason: str) -> RejectedEvent:
    digest = hashlib.sha256(raw).hexdigest()
    event_id = event.get("id") if event is not None else None
    kind = event.get("type") if event is not None else None
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        event_id = f"evt_rejected_{digest[:48]}"
    if not isinstance(kind, str) or not _EVENT_TYPE.fullmatch(kind):
        kind = "unknown"
    payload = {
        "rejected": reason,
        "sha256": digest,
        "bytes": len(raw),
        "raw_base64": base64.b64encode(raw).decode("ascii"),
    }
    return RejectedEvent(id=event_id, type=kind, reason=reason, payload=payload)
