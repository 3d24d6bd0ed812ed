"""Request and response bodies for checkout sessions and the page's own endpoints."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class CreateCheckoutSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: UUID


class CheckoutSessionOut(BaseModel):
    id: str
    url: str = Field(description="The page to open; the link is the only credential it needs.")
    order_id: str
    status: str
    expires_at: str


class ConfirmCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")


class ChooseOffline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["cash_on_pickup", "bank_transfer"]
