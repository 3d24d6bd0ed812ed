"""Request guards shared by the payment routers."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Header, Request

from tender.errors import ValidationFailed
from tender.kit.cards import refuse_card_data


async def refuse_card_numbers(request: Request) -> None:
    """Router dependency: 400 `card_data_not_allowed` for any body or query with a PAN, and
    400 `invalid_text` for a JSON body holding text PostgreSQL cannot store."""
    refuse_card_data(list(request.query_params.values()))
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    raw = await request.body()  # Starlette caches it for the endpoint
    if not raw:
        return
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        refuse_card_data(raw.decode("utf-8", "replace"))
        return
    refuse_unstorable_text(body)
    refuse_card_data(body)


def refuse_unstorable_text(value: object) -> None:
    """400 `invalid_text` if any key or string holds NUL or an unpaired surrogate: PostgreSQL
    text and jsonb refuse both, which surfaced as a 500 after the request was accepted."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and ("\x00" in node or not _encodable(node)):
            raise ValidationFailed(
                "Text must not contain NUL characters or unpaired surrogates.",
                code="invalid_text",
            )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
