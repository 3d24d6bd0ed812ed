"""The Stripe error table covers every code in STRIPE_TEST_MODE.md with a user-safe answer."""

from __future__ import annotations

import re

import pytest

from tender.gateway.errors import DEFAULT, STRIPE_ERRORS, lookup
from tests.conftest import REPO

DOC = REPO.parent / "shared" / "docs" / "STRIPE_TEST_MODE.md"  # ../shared beside the checkout
DOCUMENTED = {
    "card_declined", "generic_decline", "insufficient_funds", "lost_card", "stolen_card",
    "expired_card", "incorrect_cvc", "processing_error", "incorrect_number",
    "card_velocity_exceeded", "fraudulent", "authentication_required",
    "payment_intent_authentication_failure",
}  # fmt: skip


def test_every_documented_code_is_mapped() -> None:
    if DOC.exists():
        text = DOC.read_text()
        found = set(re.findall(r"\b([a-z]+(?:_[a-z]+)+)\b", text)) & (
            DOCUMENTED | set(STRIPE_ERRORS)
        )
        assert found <= set(STRIPE_ERRORS)
    assert set(STRIPE_ERRORS) >= DOCUMENTED


@pytest.mark.parametrize("code", sorted(STRIPE_ERRORS))
def test_entries_are_user_safe(code: str) -> None:
    entry = STRIPE_ERRORS[code]
    assert entry.status in (400, 402, 409, 503)
    for secret_word in ("stolen", "lost", "fraud"):
        assert secret_word not in entry.message.lower()


def test_lookup_prefers_decline_code_and_falls_back() -> None:
    assert lookup("card_declined", "insufficient_funds").code == "insufficient_funds"
    assert lookup("card_declined", "something_new").code == "card_declined"
    assert lookup("brand_new_code", None) is DEFAULT
