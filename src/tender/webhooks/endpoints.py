"""HTTP: the seed's `POST /functions/v1/stripe-webhook`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from tender import openapi
from tender.runtime import Runtime, get_runtime
from tender.webhooks import service
from tender.webhooks.schemas import WebhookAck

router = APIRouter(tags=["webhooks"])


@router.post(
    "/functions/v1/stripe-webhook",
    response_model=WebhookAck,
    response_model_exclude_none=True,
    responses=openapi.errors(
        {400: ("invalid_signature", "invalid_event"), 413: ("request_too_large",)}
    ),
)
async def stripe_webhook(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> dict[str, Any]:
    """Verify, store (deduplicated by event id), answer 200, apply; bad signature is 400."""
    return await service.receive(runtime, await request.body(), stripe_signature)
