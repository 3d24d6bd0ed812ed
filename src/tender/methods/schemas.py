"""Request and response bodies of the payment-method endpoints and /v1/client-config."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from tender.domain.statuses import MethodType
from tender.kit.times import IsoTime


class SaveCard(BaseModel):
    """Save a card by PaymentMethod id (`payment_method_id`, or `payment_method` as in
    confirm-payment) or by a completed SetupIntent (`setup_intent_id`)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"examples": [{"payment_method_id": "pm_card_visa"}]},
    )

    payment_method_id: str | None = Field(
        default=None,
        pattern=r"^pm_[A-Za-z0-9_]+$",
        validation_alias=AliasChoices("payment_method_id", "payment_method"),
        description="A Stripe PaymentMethod id (pm_...); `payment_method` is accepted too.",
    )
    setup_intent_id: str | None = Field(default=None, pattern=r"^seti_[A-Za-z0-9_]+$")
    make_default: bool = False


class SavedMethod(BaseModel):
    """A saved card: display details and ids, never card data."""

    id: UUID
    type: MethodType
    stripe_payment_method_id: str | None
    brand: str | None = Field(examples=["visa"])
    last4: str | None = Field(examples=["4242"])
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    status: Literal["active", "detached"]
    created_at: IsoTime


class MethodList(BaseModel):
    data: list[SavedMethod]
    has_more: bool = Field(default=False, description="Always false: every saved card is listed.")


class SetupIntentOut(BaseModel):
    setup_intent_id: str = Field(examples=["seti_1PqXyZ"])
    client_secret: str = Field(description="Confirm it with Stripe.js, then save the card.")


class ClientConfig(BaseModel):
    """What a client app needs: the publishable key and what it may offer right now."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "publishable_key": "pk_test_tender_offline",
                "enabled_methods": ["card", "cash_on_pickup", "bank_transfer"],
                "maintenance": False,
                "stripe_js_url": "https://js.stripe.com/v3/",
            }
        }
    )

    publishable_key: str | None
    enabled_methods: list[MethodType] = Field(
        description="Empty during maintenance or while new payments are paused."
    )
    maintenance: bool = Field(description="Payments are paused for maintenance right now.")
    stripe_js_url: str = Field(
        description="Where to load Stripe.js: js.stripe.com live, the test mode's /v3/ offline."
    )
