"""What the demo history looks like: the seed's business baselines as a seeded random plan.

Methods about 85% card, 10% cash on pickup, 5% bank transfer; about 95% of card attempts
succeed; amounts average about 2,500 cents; declines spread over Stripe's codes; some cards
ask for 3-D Secure (most approved); a few payments are refunded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

METHODS = (("card", 0.85), ("cash_on_pickup", 0.10), ("bank_transfer", 0.05))
GOOD_CARDS = ("pm_card_visa", "pm_card_mastercard", "pm_card_amex")
# Ready-made test PaymentMethods that decline, weighted like real decline mixes.
DECLINES = (
    ("pm_card_visa_chargeDeclined", 0.35),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", 0.25),
    ("pm_card_chargeDeclinedExpiredCard", 0.10),
    ("pm_card_chargeDeclinedProcessingError", 0.08),
    ("pm_card_chargeDeclinedIncorrectCvc", 0.07),
    ("pm_card_visa_chargeDeclinedLostCard", 0.05),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", 0.05),
    ("pm_card_radarBlock", 0.05),
)
THREE_DS = "pm_card_threeDSecure2Required"
CARD_SUCCESS = 0.95
THREE_DS_SHARE = 0.08
THREE_DS_APPROVED = 0.85
RETRY_AFTER_DECLINE = 0.5
OFFLINE_RECEIVED = 0.8
REFUND_SHARE = 0.04
MEAN_AMOUNT = 2500


@dataclass(frozen=True)
class PlannedPayment:
    at: datetime
    user: int
    method: str
    amount: int
    card: str | None = None  # the first PaymentMethod tried
    three_ds_approved: bool | None = None
    retry_card: str | None = None  # after a decline, the customer tries a good card
    received: bool = False  # offline: the money arrived
    refund: int | None = None  # cents refunded after success


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _amount(rng: random.Random, low: int, high: int) -> int:
    """A right-skewed amount with the seed's mean (gamma, shape 3), in steps of 50 cents."""
    raw = rng.gammavariate(3.0, MEAN_AMOUNT / 3.0)
    return max(low, min(high, round(raw / 50.0) * 50))


def _when(rng: random.Random, now: datetime, days: int) -> datetime:
    """A moment in the last `days`, busier by day (09-21 h) than at night."""
    while True:
        at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        if 9 <= at.hour < 21 or rng.random() < 0.3:
            return at


def plan(
    *, count: int, days: int, users: int, now: datetime, seed: int, low: int, high: int
) -> list[PlannedPayment]:
    """`count` payments spread over `days`, oldest first."""
    rng = random.Random(seed)
    out: list[PlannedPayment] = []
    for _ in range(count):
        method = _weighted(rng, METHODS)
        amount = _amount(rng, low, high)
        at = _when(rng, now, days)
        user = rng.randrange(users)
        if method != "card":
            received = rng.random() < OFFLINE_RECEIVED
            out.append(PlannedPayment(at, user, method, amount, received=received))
            continue
        if rng.random() < THREE_DS_SHARE:
            approved = rng.random() < THREE_DS_APPROVED
            card, retry = THREE_DS, None if approved else rng.choice(GOOD_CARDS)
            out.append(PlannedPayment(at, user, method, amount, card, approved, retry))
            continue
        if rng.random() < CARD_SUCCESS:
            card, retry = rng.choice(GOOD_CARDS), None
        else:
            card = _weighted(rng, DECLINES)
            retry = rng.choice(GOOD_CARDS) if rng.random() < RETRY_AFTER_DECLINE else None
        refund = None
        if rng.random() < REFUND_SHARE:
            refund = amount if rng.random() < 0.6 else max(50, amount // 2)
        out.append(PlannedPayment(at, user, method, amount, card, None, retry, refund=refund))
    return sorted(out, key=lambda p: p.at)
