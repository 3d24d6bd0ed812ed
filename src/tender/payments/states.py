"""The payment state machine in Python (the database trigger enforces the same rules)."""

from __future__ import annotations

from tender.domain.statuses import OFFLINE_METHODS, MethodType, PaymentStatus

S = PaymentStatus

METHOD_TYPES = tuple(MethodType)
OFFLINE_TYPES = OFFLINE_METHODS
STRIPE_STATUSES = frozenset(
    {
        S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION, S.PROCESSING,
        S.REQUIRES_CAPTURE, S.SUCCEEDED, S.CANCELED,
    }
)  # fmt: skip
TERMINAL = frozenset({S.SUCCEEDED, S.CANCELED, S.EXPIRED, S.REFUNDED, S.PARTIALLY_REFUNDED})
PAID = frozenset({S.SUCCEEDED, S.REFUNDED, S.PARTIALLY_REFUNDED})
# The trigger's rules: no way out of these ...
FINAL = frozenset({S.CANCELED, S.EXPIRED, S.REFUNDED})
# ... and only these moves out of a paid status.
PAID_MOVES: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.SUCCEEDED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
}


def can_move(old: str, new: str) -> bool:
    """True if the trigger allows `old -> new` (same status counts as allowed)."""
    if old == new:
        return True
    if old in FINAL:
        return False
    allowed = PAID_MOVES.get(PaymentStatus(old))
    return allowed is None or new in allowed


def from_intent(stripe_status: str) -> PaymentStatus:
    """Tender's status for a PaymentIntent status (they share names)."""
    if stripe_status not in STRIPE_STATUSES:
        raise ValueError(f"unknown PaymentIntent status {stripe_status!r}")
    return PaymentStatus(stripe_status)
