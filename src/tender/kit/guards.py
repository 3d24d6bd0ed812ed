"""Request guards shared by the payment routers."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Header, Request

from tender.kit.cards import refuse_card_data


async def refuse_card_numbers(request: Request) -> None:
    """Router dependency: 400 `card_data_not_allowed` for any body or query with a PAN."""
    refuse_card_data(list(request.query_params.values()))
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    raw = await request.body()  # Starlette caches it for the endpoint
    if not raw:
        return
    try:
        body = json.loads(raw)
    except ValueError:
        refuse_card_data(raw.decode("utf-8", "replace"))
        return
    refuse_card_data(body)


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
