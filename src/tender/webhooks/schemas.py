"""Response body of the Stripe webhook receiver."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookAck(BaseModel):
    """Stripe only needs the 2xx; the body says what happened to the event."""

    received: bool
    duplicate: bool | None = Field(default=None, description="Already stored: not re-applied.")
    status: str | None = Field(default=None, examples=["processed"])
