"""One table: every Stripe error and decline code Tender expects -> Tender's answer.

Each entry gives Tender's code, a user-safe message, the HTTP status and `retryable`.

`retryable` answers one question for the client: can this payment still succeed if the
customer tries again? True means the payment stays open and another attempt can work,
whether with the same card (later, or after fixing the CVC or number) or with another
card or method, as the message says. A decline is retryable: the customer may pay the
same payment with another card. False means trying again as is cannot help (the amount
is out of range, the payment can no longer change this way). An unknown outcome is never
in this table: it is `processing` (202), not an error.

Lookup tries the decline code first, then the error code, then DEFAULT.
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
    "generic_decline": MappedError("card_declined", _DECLINED, 402, True),
    "insufficient_funds": MappedError(
        "insufficient_funds", "Your card has insufficient funds. " + _TRY_OTHER, 402, True
    ),
    "lost_card": MappedError("card_declined", _DECLINED, 402, True),
    "stolen_card": MappedError("card_declined", _DECLINED, 402, True),
    "fraudulent": MappedError("card_declined", _DECLINED, 402, True),
    "card_velocity_exceeded": MappedError(
        "card_velocity_exceeded",
        "Your card was declined for too many attempts. Please try again later or use another card.",
        402,
        True,
    ),
    "do_not_honor": MappedError("card_declined", _DECLINED, 402, True),
    # error codes
    "card_declined": MappedError("card_declined", _DECLINED, 402, True),
    "expired_card": MappedError("expired_card", "Your card has expired. " + _TRY_OTHER, 402, True),
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
        "payment_method_not_found",
        "That payment method was not found. Please add your card again.",
        400,
        True,
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
    """Stripe did not take the request (unreachable, 429, refused key) within the budget.

    Nothing happened at Stripe: the operation may be retried as is. 503 `provider_unavailable`.
    """

    status_code = 503
    code = PROVIDER_UNAVAILABLE.code
    message = PROVIDER_UNAVAILABLE.message


class OutcomeUnknown(ProviderUnavailable):
    """Stripe may have done it: a try was sent and no answer came back (timeout, connection
    lost after sending, 5xx, `idempotency_key_in_use`) before the budget ran out.

    A subclass of ProviderUnavailable so a caller that cannot tell the difference still
    answers 503; payment confirms catch it first and answer 202 `processing`. Retrying with
    the same idempotency key (or re-reading the object) settles it.
    """
