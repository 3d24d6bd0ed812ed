"""One table: every Stripe error and decline code Tender expects -> Tender's answer.

Each entry gives Tender's code, a user-safe message, the HTTP status and whether trying
again (the same card later, or after fixing input) can help. Lookup tries the decline code
first, then the error code, then DEFAULT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tender.errors import TenderError


@dataclass(frozen=True)
class MappedError:
    code: str
    message: str
    status: int
    retryable: bool


_DECLINED = "Your card was declined. Please use a different card or payment method."
_TRY_OTHER = "Please use a different card or payment method."

STRIPE_ERRORS: dict[str, MappedError] = {
    # decline codes
    "generic_decline": MappedError("card_declined", _DECLINED, 402, False),
    "insufficient_funds": MappedError(
        "insufficient_funds", "Your card has insufficient funds. " + _TRY_OTHER, 402, True
    ),
    "lost_card": MappedError("card_declined", _DECLINED, 402, False),
    "stolen_card": MappedError("card_declined", _DECLINED, 402, False),
    "fraudulent": MappedError("card_declined", _DECLINED, 402, False),
    "card_velocity_exceeded": MappedError(
        "card_velocity_exceeded",
        "Your card was declined for too many attempts. Please try again later or use another card.",
        402,
        True,
    ),
    "do_not_honor": MappedError("card_declined", _DECLINED, 402, False),
    # error codes
    "card_declined": MappedError("card_declined", _DECLINED, 402, False),
    "expired_card": MappedError("expired_card", "Your card has expired. " + _TRY_OTHER, 402, False),
    "incorrect_cvc": MappedError(
        "incorrect_cvc", "Your card's security code is incorrect. Please check it.", 402, True
    ),
    "processing_error": MappedError(
        "processing_error",
        "An error occurred while processing your card. Please try again.",
        402,
        True,
    ),
    "incorrect_number": MappedError(
        "incorrect_number", "Your card number is incorrect. Please check it.", 402, True
    ),
    "invalid_number": MappedError(
        "incorrect_number", "Your card number is incorrect. Please check it.", 402, True
    ),
    "authentication_required": MappedError(
        "authentication_required",
        "Your bank requires you to authenticate this payment. Please try again.",
        402,
        True,
    ),
    "payment_intent_authentication_failure": MappedError(
        "authentication_failed",
        "We could not authenticate your payment. Please try again or use another card.",
        402,
        True,
    ),
    "amount_too_small": MappedError(
        "amount_out_of_range", "The amount is below the minimum allowed.", 400, False
    ),
    "amount_too_large": MappedError(
        "amount_out_of_range", "The amount is above the maximum allowed.", 400, False
    ),
    "resource_missing": MappedError(
        "payment_method_not_found", "That payment method was not found.", 400, False
    ),
    "payment_intent_unexpected_state": MappedError(
        "payment_state_conflict",
        "This payment can no longer be changed this way.",
        409,
        False,
    ),
    "idempotency_error": MappedError(
        "provider_conflict", "This payment is being processed. Please retry shortly.", 409, True
    ),
    "rate_limit": MappedError(
        "provider_busy", "The payment provider is busy. Please retry shortly.", 503, True
    ),
}
DEFAULT = MappedError(
    "payment_failed", "The payment could not be completed. " + _TRY_OTHER, 402, True
)
PROVIDER_UNAVAILABLE = MappedError(
    "provider_unavailable",
    "Card payments are temporarily unavailable. Please try again or choose another method.",
    503,
    True,
)


def lookup(code: str | None, decline_code: str | None) -> MappedError:
    """The mapping for a Stripe error: decline code first, then error code, then DEFAULT."""
    for key in (decline_code, code):
        if key and key in STRIPE_ERRORS:
            return STRIPE_ERRORS[key]
    return DEFAULT


class StripeFailure(TenderError):
    """A Stripe call that failed with a mapped, user-safe answer; raw details kept aside."""

    def __init__(
        self,
        mapped: MappedError,
        *,
        stripe_code: str | None = None,
        decline_code: str | None = None,
        stripe_message: str | None = None,
        request_id: str | None = None,
        intent: dict[str, Any] | None = None,
        is_card_error: bool = False,
    ) -> None:
        super().__init__(
            mapped.message,
            code=mapped.code,
            status_code=mapped.status,
            extra={"retryable": mapped.retryable},
        )
        self.mapped = mapped
        self.stripe_code = stripe_code
        self.decline_code = decline_code
        self.stripe_message = stripe_message
        self.request_id = request_id
        self.intent = intent
        self.is_card_error = is_card_error


class ProviderUnavailable(TenderError):
    """Stripe unreachable or failing after the SDK's retries: 503 `provider_unavailable`."""

    status_code = 503
    code = PROVIDER_UNAVAILABLE.code
    message = PROVIDER_UNAVAILABLE.message
