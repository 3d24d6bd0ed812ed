"""The payment state machine in Python (the database trigger enforces the same rules)."""

from __future__ import annotations

METHOD_TYPES = ("card", "cash_on_pickup", "bank_transfer")
OFFLINE_TYPES = ("cash_on_pickup", "bank_transfer")
STRIPE_STATUSES = frozenset(
    {
        "requires_payment_method", "requires_confirmation", "requires_action", "processing",
        "requires_capture", "succeeded", "canceled",
    }
)  # fmt: skip
TERMINAL = frozenset({"succeeded", "canceled", "expired", "refunded", "partially_refunded"})
PAID = frozenset({"succeeded", "refunded", "partially_refunded"})


def can_move(old: str, new: str) -> bool:
    """True if the trigger allows `old -> new` (same status counts as allowed)."""
    if old == new:
        return True
    if old in ("canceled", "expired", "refunded"):
        return False
    if old == "succeeded":
        return new in ("refunded", "partially_refunded")
    if old == "partially_refunded":
        return new == "refunded"
    return True


def from_intent(stripe_status: str) -> str:
    """Tender's status for a PaymentIntent status (they share names)."""
    if stripe_status not in STRIPE_STATUSES:
        raise ValueError(f"unknown PaymentIntent status {stripe_status!r}")
    return stripe_status
