"""Tender's domain vocabulary: the one source of status and method-type names.

This package sits at the bottom of the layering (it imports nothing from Tender), so every
layer, the schemas and the tests that read the database CHECKs share the same values.
"""

from tender.domain.statuses import (
    EventStatus,
    MethodType,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
)

__all__ = ["EventStatus", "MethodType", "OrderStatus", "PaymentStatus", "RefundStatus"]
