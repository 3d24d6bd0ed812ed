"""Request and response bodies for checkout sessions and the page's own endpoints."""

from __future__ import annotations

from typing import Any, Literal
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


class OrderLine(BaseModel):
    name: str
    quantity: int
    amount: int | None = Field(description="Unit price in minor units, when the app gave one.")


class OrderSummary(BaseModel):
    id: str
    status: str
    description: str | None
    amount: int = Field(description="What is charged, in the currency's minor unit.")
    currency: str
    items: list[OrderLine]


class SessionInfo(BaseModel):
    id: str
    expires_at: str


class CheckoutView(BaseModel):
    """What the page shows: the order, the methods on offer now, any payment in progress."""

    session: SessionInfo
    order: OrderSummary
    enabled_methods: list[str]
    maintenance: bool
    bank_transfer_account: str | None
    payment: dict[str, Any] | None = Field(description="The order's live payment, if any.")
