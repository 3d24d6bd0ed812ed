"""Statuses and method types as `StrEnum`s.

Each enum lists exactly the values its column's CHECK constraint allows (the migrations in
`tender.db.migrations` write them out; `tests/test_domain_vocabulary.py` reads the CHECKs and
the payments state-machine trigger from a migrated database and compares). A `StrEnum` member
is a `str`, so it binds to SQL and serialises to JSON as its value.
"""

from __future__ import annotations

from enum import StrEnum


class MethodType(StrEnum):
    """How a payment is made (`payments.method_type`, `payment_methods.type`, orders)."""

    CARD = "card"
    CASH_ON_PICKUP = "cash_on_pickup"
    BANK_TRANSFER = "bank_transfer"

    @property
    def offline(self) -> bool:
        """True for the methods settled outside Stripe."""
        return self is not MethodType.CARD


OFFLINE_METHODS = (MethodType.CASH_ON_PICKUP, MethodType.BANK_TRANSFER)


class PaymentStatus(StrEnum):
    """`payments.status`; the Stripe-side ones share the PaymentIntent status names."""

    PENDING = "pending"
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class OrderStatus(StrEnum):
    """`orders.status`."""

    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class RefundStatus(StrEnum):
    """`refunds.status`."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class EventStatus(StrEnum):
    """`stripe_events.status`: where a received webhook event stands."""

    PENDING = "pending"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"
    REJECTED = "rejected"
