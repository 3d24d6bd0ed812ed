"""Response body of the Stripe webhook receiver."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAck(BaseModel):
    """Stripe only needs the 2xx; the body says what happened to the event."""

    received: bool
    duplicate: bool | None = Field(default=None, description="Already stored: not re-applied.")
    status: str | None = Field(
        default=None,
        examples=["processed"],
        description="`processed`, `queued` (a worker applies it), `failed` or `rejected`.",
    )
    reason: str | None = Field(
        default=None,
        examples=["not_utf8"],
        description="Why a validly signed event was stored as `rejected` (never retried).",
    )
