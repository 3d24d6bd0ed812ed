"""Request bodies for the payment endpoints (responses are built by views.py)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class CreatePaymentIntent(BaseModel):
    """Seed body `{"amount": 2500, "currency": "usd"}`, or `{"order_id": ...}`."""

    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(default=None, strict=True)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    order_id: UUID | None = None


class ConfirmPayment(BaseModel):
    """Which payment (Tender id or PaymentIntent id) and which method to confirm with."""

    model_config = ConfigDict(extra="forbid")

    payment_id: UUID | None = None
    payment_intent_id: str | None = Field(default=None, pattern=r"^pi_[A-Za-z0-9_]+$")
    payment_method: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")
    payment_method_id: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")
    saved_method_id: UUID | None = None
    return_url: str | None = Field(default=None, max_length=2000)


class OfflinePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str = Field(pattern=r"^(cash_on_pickup|bank_transfer)$")
