"""Request and response bodies for checkout sessions and the page's own endpoints.

The page's payment answers reuse the payment API's models (`PaymentOut`, `ConfirmedPayment`,
`OfflinePaymentOut`); `ANSWERS` documents the error codes each page endpoint gives.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tender import openapi
from tender.domain.statuses import MethodType, OrderStatus
from tender.kit.times import IsoTime
from tender.payments.schemas import ConfirmedPayment, OfflineMethod, PaymentOut


class CreateCheckoutSession(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"order_id": "0d9f3a36-1b7c-4a3e-8f26-5d6b9c1e2a47"}]},
    )

    order_id: UUID


class CheckoutSessionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "3c1e7f52-9a0b-4d6e-8f21-7b5a4c3d2e10",
                "url": "https://pay.example.com/checkout/cs_Qm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0",
                "order_id": "0d9f3a36-1b7c-4a3e-8f26-5d6b9c1e2a47",
                "status": "open",
                "expires_at": "2026-11-26T14:11:55+00:00",
            }
        }
    )

    id: UUID
    url: str = Field(description="The page to open; the link is the only credential it needs.")
    order_id: UUID
    status: str
    expires_at: IsoTime


class ConfirmCard(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"payment_method": "pm_card_visa"}, {}]},
    )

    payment_method: str | None = Field(
        default=None,
        pattern=r"^pm_[A-Za-z0-9_]+$",
        description="Stripe.js's PaymentMethod id; leave out to re-check after 3-D Secure.",
    )


class ChooseOffline(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"method": "bank_transfer"}]}
    )

    method: OfflineMethod


class OrderLine(BaseModel):
    name: str
    quantity: int
    amount: int | None = Field(description="Unit price in minor units, when the app gave one.")


class OrderSummary(BaseModel):
    id: UUID
    status: OrderStatus = Field(examples=["awaiting_payment"])
    description: str | None
    amount: int = Field(description="What is charged, in the currency's minor unit.")
    currency: str = Field(examples=["eur"])
    items: list[OrderLine]


class SessionInfo(BaseModel):
    id: UUID
    expires_at: IsoTime


class CheckoutView(BaseModel):
    """What the page shows: the order, the methods on offer now, any payment in progress."""

    session: SessionInfo
    order: OrderSummary
    enabled_methods: list[MethodType] = Field(
        examples=[["card", "cash_on_pickup", "bank_transfer"]]
    )
    maintenance: bool
    bank_transfer_account: str | None = Field(description="Where a bank transfer goes, as text.")
    payment: PaymentOut | None = Field(description="The order's live payment, if any.")


# Documented answers. The page endpoints take the link's token as their credential: an
# unknown link is 404, a used or expired one 410 (the payment's state stays readable).
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_LINK: openapi.ErrorSpec = {
    400: ("validation_failed",),
    404: ("checkout_session_not_found",),
    410: ("checkout_session_used", "checkout_session_expired"),
}
_PROVIDER: openapi.ErrorSpec = {503: ("provider_unavailable", "provider_busy")}
_NOTES = {
    402: "Declines carry `retryable`, `payment_id` and `payment_status`.",
    503: "`provider_unavailable` carries `fallback_methods` and `Retry-After`.",
}

CREATE_SESSION = openapi.errors(
    openapi.USER,
    openapi.INPUT,
    {404: ("order_not_found",), 409: ("order_not_payable",), 413: ("request_too_large",)},
    openapi.RATE_LIMITED,
)
SESSION = openapi.errors(_LINK, {404: ("order_not_found",)}, openapi.RATE_LIMITED)
CARD = openapi.errors(
    _LINK,
    openapi.BODY,
    {
        400: ("amount_out_of_range", "unsupported_currency", "payment_failed"),
        404: ("order_not_found",),
        409: ("order_not_payable", "payment_in_progress", "provider_conflict"),
    },
    openapi.RATE_LIMITED,
    openapi.NEW_PAYMENT,
    _PROVIDER,
    notes=_NOTES,
)
CONFIRM = {
    202: {
        "model": ConfirmedPayment,
        "description": "Outcome not known yet (`status: processing`): poll "
        "`GET /checkout/{token}/payment` after `Retry-After` seconds.",
        "headers": _RETRY_AFTER,
    },
    **openapi.errors(
        _LINK,
        openapi.BODY,
        {
            400: ("payment_method_required", "not_a_card_payment", "incorrect_number"),
            404: ("payment_not_found",),
            409: (
                "payment_not_started",
                "payment_not_ready",
                "payment_state_conflict",
                "provider_conflict",
            ),
            429: ("rate_limited", "card_testing_blocked"),
        },
        openapi.DECLINES,
        openapi.MAINTENANCE,
        _PROVIDER,
        notes=_NOTES,
    ),
}
PAYMENT = openapi.errors(
    _LINK,
    {404: ("payment_not_found",), 409: ("payment_not_started",)},
    openapi.DECLINES,
    openapi.RATE_LIMITED,
    openapi.MAINTENANCE,
    _PROVIDER,
    notes={
        **_NOTES,
        410: "Only after the read grace: a used link, or one expired less than 24 h ago, "
        "still reads its payment.",
    },
)
OFFLINE = openapi.errors(
    _LINK,
    openapi.BODY,
    {
        400: ("bad_method",),
        404: ("order_not_found",),
        409: ("order_not_payable", "payment_in_progress", "card_attempt_open"),
    },
    openapi.RATE_LIMITED,
    openapi.NEW_PAYMENT,
)
