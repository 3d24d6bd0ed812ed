"""Request and response bodies of the service-role refunds API."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tender.domain.statuses import PaymentStatus, RefundStatus
from tender.kit.times import IsoTime


class RefundIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "5b0c7a52-6f1e-4a55-9a3f-2f4f1c3b9d10",
                    "amount": 1000,
                    "reason": "requested_by_customer",
                }
            ]
        }
    )

    payment_id: UUID
    amount: int | None = Field(
        default=None, ge=1, le=99_999_999, description="Minor units; omitted: all that is left."
    )
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None


class RefundOut(BaseModel):
    id: UUID
    payment_id: UUID
    amount: int
    currency: str
    status: RefundStatus = Field(examples=["succeeded"])
    reason: str | None
    stripe_refund_id: str | None
    created_at: IsoTime


class RefundedPayment(BaseModel):
    """The refunded payment's totals after this refund."""

    id: UUID
    status: PaymentStatus
    amount: int
    amount_refunded: int
    currency: str


class RefundCreated(BaseModel):
    refund: RefundOut
    payment: RefundedPayment


class RefundList(BaseModel):
    data: list[RefundOut]
    has_more: bool = Field(default=False, description="Always false: every refund is listed.")
