"""Request and response bodies of the payment endpoints (views.py presents the rows)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tender import openapi
from tender.domain.statuses import MethodType, PaymentStatus
from tender.kit.times import IsoTime


class CreatePaymentIntent(BaseModel):
    """Seed body `{"amount": 2500, "currency": "usd"}`, or `{"order_id": ...}` (preferred:
    the order's amount is charged)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"order_id": "0d9f3a36-1b7c-4a3e-8f26-5d6b9c1e2a47"},
                {"amount": 2500, "currency": "usd"},
            ]
        },
    )

    amount: int | None = Field(
        default=None, strict=True, description="Minor units (MIN_AMOUNT..MAX_AMOUNT)."
    )
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="Lowercase ISO 4217, e.g. usd."
    )
    order_id: UUID | None = None


class ConfirmPayment(BaseModel):
    """Which payment (Tender id or PaymentIntent id) and which method to confirm with."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "payment_id": "5b0c7a52-6f1e-4a55-9a3f-2f4f1c3b9d10",
                    "payment_method": "pm_card_visa",
                },
                {
                    "payment_id": "5b0c7a52-6f1e-4a55-9a3f-2f4f1c3b9d10",
                    "saved_method_id": "8e0f4c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
                },
            ]
        },
    )

    payment_id: UUID | None = None
    payment_intent_id: str | None = Field(default=None, pattern=r"^pi_[A-Za-z0-9_]+$")
    payment_method: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")
    payment_method_id: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")
    saved_method_id: UUID | None = None
    return_url: str | None = Field(default=None, max_length=2000)


class OfflinePayment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"method": "bank_transfer"}]}
    )

    method: str = Field(pattern=r"^(cash_on_pickup|bank_transfer)$")


# Responses (the presenter, views.py, builds the dicts these models check and document).

OfflineMethod = Literal[MethodType.CASH_ON_PICKUP, MethodType.BANK_TRANSFER]


class PaymentOut(BaseModel):
    """A payment as its owner sees it (seed names: payment_id, payment_intent_id, ...)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "payment_id": "5b0c7a52-6f1e-4a55-9a3f-2f4f1c3b9d10",
                "id": "5b0c7a52-6f1e-4a55-9a3f-2f4f1c3b9d10",
                "order_id": "0d9f3a36-1b7c-4a3e-8f26-5d6b9c1e2a47",
                "method_type": "card",
                "amount": 4200,
                "amount_refunded": 0,
                "currency": "eur",
                "status": "requires_payment_method",
                "payment_intent_id": "pi_3PqXyZ",
                "client_secret": "pi_3PqXyZ_secret_abc",
                "last_error_code": None,
                "bank_reference": None,
                "expires_at": None,
                "received_at": None,
                "created_at": "2026-11-26T13:41:55+00:00",
                "updated_at": "2026-11-26T13:41:55+00:00",
            }
        }
    )

    payment_id: UUID
    id: UUID
    order_id: UUID | None
    method_type: MethodType
    amount: int = Field(description="Minor units of `currency`.")
    amount_refunded: int
    currency: str
    status: PaymentStatus
    payment_intent_id: str | None
    client_secret: str | None = Field(description="For Stripe.js / the mobile SDK only.")
    last_error_code: str | None
    bank_reference: str | None
    expires_at: IsoTime | None
    received_at: IsoTime | None
    created_at: IsoTime
    updated_at: IsoTime


class NextAction(BaseModel):
    """Stripe's `next_action` (3-D Secure): hand the client_secret to Stripe.js."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["use_stripe_sdk"])


class ConfirmedPayment(PaymentOut):
    """A payment after confirm-payment: `requires_action` carries what 3-D Secure needs."""

    requires_action: bool
    next_action: NextAction | None


class PaymentList(BaseModel):
    data: list[PaymentOut]
    limit: int
    offset: int
    has_more: bool = Field(description="More rows after this page (ask with offset+limit).")


class BankAccount(BaseModel):
    """Where a bank transfer goes (from the BANK_TRANSFER_* settings)."""

    account_holder: str
    iban: str | None
    bic: str | None
    account_number: str | None
    routing_number: str | None
    bank_name: str | None


class Instructions(BaseModel):
    """What the customer must do to complete an offline payment."""

    type: OfflineMethod
    amount: int
    currency: str
    amount_display: str = Field(examples=["42.00 EUR"])
    pay_before: IsoTime | None
    reference: str | None = None
    bank_account: BankAccount | None = None
    text: str


class OfflinePaymentOut(PaymentOut):
    instructions: Instructions


class ExpiredOut(BaseModel):
    expired: int = Field(description="How many offline payments were expired now.")


# Documented answers of the payment operations (codes per status; see tender.openapi).
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
_NEW_CARD_PAYMENT = openapi.merge(
    openapi.USER,
    openapi.BODY,
    openapi.IDEMPOTENT,
    {
        400: (
            "missing_amount",
            "invalid_amount",
            "amount_out_of_range",
            "unsupported_currency",
            "amount_mismatch",
            "payment_failed",
        ),
        404: ("order_not_found",),
        409: ("order_not_payable", "payment_in_progress", "provider_conflict"),
    },
    openapi.RATE_LIMITED,
    openapi.NEW_PAYMENT,
    {503: ("provider_unavailable", "provider_busy")},
)
CREATE_RESPONSES = {
    200: {"model": PaymentOut, "description": "Replayed: the same Idempotency-Key's answer."},
    **openapi.errors(
        _NEW_CARD_PAYMENT,
        notes={503: "`provider_unavailable` carries `fallback_methods` and `Retry-After`."},
    ),
}
CREATE_RESPONSES[503]["headers"] = _RETRY_AFTER
CONFIRM_RESPONSES = {
    202: {
        "model": ConfirmedPayment,
        "description": "Outcome not known yet (`status: processing`): poll "
        "`GET /v1/payments/{id}` after `Retry-After` seconds, or wait for the webhook.",
        "headers": _RETRY_AFTER,
    },
    **openapi.errors(
        openapi.USER,
        openapi.BODY,
        {
            400: (
                "missing_payment",
                "payment_method_required",
                "not_a_card_payment",
                "saved_method_not_card",
                "payment_method_not_found",
                "incorrect_number",
            ),
            404: ("payment_not_found", "payment_method_not_found"),
            409: ("payment_not_ready", "payment_state_conflict", "provider_conflict"),
            429: ("rate_limited", "card_testing_blocked"),
        },
        openapi.DECLINES,
        openapi.MAINTENANCE,
        {503: ("provider_unavailable", "provider_busy")},
        notes={
            402: "Declines carry `retryable`, `payment_id` and `payment_status`.",
            503: "`provider_unavailable` carries `fallback_methods` and `Retry-After`.",
        },
    ),
}
OFFLINE_RESPONSES = openapi.errors(
    openapi.USER,
    openapi.BODY,
    openapi.IDEMPOTENT,
    {
        400: ("bad_method",),
        404: ("order_not_found",),
        409: ("order_not_payable", "payment_in_progress", "reference_collision"),
    },
    openapi.RATE_LIMITED,
    openapi.NEW_PAYMENT,
)
