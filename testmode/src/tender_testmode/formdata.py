"""Decode Stripe's form encoding (``a[b][c]=v``, ``l[]=v``, ``l[0][x]=v``) into nested data."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from tender_testmode.errors import invalid_request

Params = dict[str, Any]


class _Index(dict[str, Any]):
    """A dict built from indexed keys (``x[0]``, ``x[]``) that becomes a list at the end."""


def _split(key: str) -> list[str]:
    if "[" not in key:
        return [key]
    head, _, rest = key.partition("[")
    if not head or not rest.endswith("]"):
        raise invalid_request(f"Invalid parameter name: {key}", param=key, save_idempotent=False)
    parts = [head]
    pieces = rest[:-1].split("][")
    for i, piece in enumerate(pieces):
        if "[" in piece or "]" in piece or (piece == "" and i != len(pieces) - 1):
            raise invalid_request(
                f"Invalid parameter name: {key}", param=key, save_idempotent=False
            )
        parts.append(piece)
    return parts


def _finish(value: Any) -> Any:
    if isinstance(value, _Index):
        items = sorted(value.items(), key=lambda kv: int(kv[0]))
        return [_finish(v) for _, v in items]
    if isinstance(value, dict):
        return {k: _finish(v) for k, v in value.items()}
    return value


def decode_pairs(pairs: list[tuple[str, str]]) -> Params:
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split(key)
        if len(parts) == 1:
            root[key] = value
            continue
        node: dict[str, Any] = root
        for depth, part in enumerate(parts[:-1]):
            nxt = parts[depth + 1]
            is_index = nxt == "" or nxt.isdigit()
            child = node.get(part)
            if child is None:
                child = _Index() if is_index else {}
                node[part] = child
            elif not isinstance(child, dict) or isinstance(child, _Index) != is_index:
                raise invalid_request(
                    f"Invalid mix of parameter types for {key}", param=key, save_idempotent=False
                )
            if depth + 1 == len(parts) - 1:
                leaf = nxt if nxt != "" else str(len(child))
                child[leaf] = value
            node = child
    return _finish(root) if any(isinstance(v, dict) for v in root.values()) else root


def decode(raw: bytes | str) -> Params:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text:
        return {}
    return decode_pairs(parse_qsl(text, keep_blank_values=True))
