"""Request and response bodies for orders."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tender.domain.statuses import MethodType, OrderStatus
from tender.kit.times import IsoTime
from tender.payments.schemas import PaymentOut


class CreateOrder(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"amount": 4200, "currency": "eur", "description": "2 pizzas, pickup 19:30"}
            ]
        },
    )

    amount: int = Field(strict=True, description="Minor units (MIN_AMOUNT..MAX_AMOUNT).")
    currency: str = Field(min_length=3, max_length=3, description="Lowercase ISO 4217.")
    description: str | None = Field(default=None, max_length=500)
    metadata: dict[str, Any] = Field(default_factory=dict)


class OrderOut(BaseModel):
    """An order; its amount is what any payment for it charges."""

    id: UUID
    status: OrderStatus
    amount: int
    currency: str
    description: str | None
    payment_method_type: MethodType | None
    metadata: dict[str, Any]
    created_at: IsoTime
    updated_at: IsoTime


class CanceledOrder(OrderOut):
    payment: PaymentOut | None = Field(default=None, description="Its payment, if one was live.")


class OrderList(BaseModel):
    data: list[OrderOut]
    limit: int
    offset: int
    has_more: bool = Field(description="More rows after this page (ask with offset+limit).")
