"""Stripe's test cards and ready-made ``pm_card_*`` payment methods."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

ThreeDS = Literal["none", "required", "on_session", "optional"]


@dataclass(frozen=True, slots=True)
class Decline:
    code: str
    decline_code: str | None
    message: str
    param: str | None = None


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
LOST = Decline("card_declined", "lost_card", "Your card was declined.")
STOLEN = Decline("card_declined", "stolen_card", "Your card was declined.")
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "exp_month")
INCORRECT_CVC = Decline(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"
)
PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
VELOCITY = Decline(
    "card_declined",
    "card_velocity_exceeded",
    "Your card was declined for making repeated attempts too frequently or exceeding its "
    "amount limit.",
)
FRAUDULENT = Decline("card_declined", "fraudulent", "Your card was declined.")
INCORRECT_NUMBER = Decline("incorrect_number", None, "Your card number is incorrect.", "number")
AUTH_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)


@dataclass(frozen=True, slots=True)
class TestCard:
    number: str
    brand: str
    decline: Decline | None = None
    three_ds: ThreeDS = "none"
    decline_after_auth: Decline | None = None
    country: str = "US"
    funding: str = "credit"

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]


_TABLE = [
    TestCard("4242424242424242", "visa"),
    TestCard("4000056655665556", "visa", funding="debit"),
    TestCard("5555555555554444", "mastercard"),
    TestCard("378282246310005", "amex"),
    TestCard("4000000000000002", "visa", GENERIC),
    TestCard("4000000000009995", "visa", INSUFFICIENT),
    TestCard("4000000000009987", "visa", LOST),
    TestCard("4000000000009979", "visa", STOLEN),
    TestCard("4000000000000069", "visa", EXPIRED),
    TestCard("4000000000000127", "visa", INCORRECT_CVC),
    TestCard("4000000000000119", "visa", PROCESSING),
    TestCard("4000000000006975", "visa", VELOCITY),
    TestCard("4000000000000341", "visa", GENERIC),
    TestCard("4100000000000019", "visa", FRAUDULENT),
    TestCard("4000002760003184", "visa", three_ds="required", country="DE"),
    TestCard("4000002500003155", "visa", three_ds="on_session"),
    TestCard("4000000000003220", "visa", three_ds="required"),
    TestCard("4000008400001629", "visa", three_ds="required", decline_after_auth=GENERIC),
    TestCard("4000000000003055", "visa", three_ds="optional"),
]
CARDS: dict[str, TestCard] = {c.number: c for c in _TABLE}

# Ready-made PaymentMethod ids accepted anywhere a payment_method id is.
PM_ALIASES: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_authenticationRequiredChargeDeclined": "4000008400001629",
    "pm_card_threeDSecureOptional": "4000000000003055",
}


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_for(number: str) -> str:
    if number.startswith(("34", "37")):
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:1] == "2":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "visa"


def lookup(number: str) -> TestCard | None:
    """The card for ``number``: a table entry, a generic succeeding card, or None (bad number)."""
    card = CARDS.get(number)
    if card is not None:
        return card
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_ok(number):
        return None
    return TestCard(number, brand_for(number))
