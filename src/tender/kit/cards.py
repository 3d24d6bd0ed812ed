"""Card-number (PAN) detection: card data must never enter Tender."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tender.errors import TenderError

# 13-19 digits, optionally grouped by single spaces or dashes, not part of a longer word.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")
# A UUID can hold a Luhn-valid run of digit groups (e.g. ...-4111-111111111111): not a card.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def luhn_valid(digits: str) -> bool:
    """True when `digits` passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def looks_like_pan(value: str) -> bool:
    """True when `value` contains a Luhn-valid 13-19 digit run (spaces/dashes allowed)."""
    for match in _CANDIDATE.finditer(_UUID.sub(" ", value)):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        yield str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class CardDataNotAllowed(TenderError):
    status_code = 400
    code = "card_data_not_allowed"
    message = (
        "Card numbers must never be sent to this API. Collect card details with Stripe's "
        "client SDK and send the PaymentMethod id instead."
    )


def refuse_card_data(body: Any) -> None:
    """Raise 400 `card_data_not_allowed` if any field in a JSON body looks like a card number."""
    if any(looks_like_pan(s) for s in _strings(body)):
        raise CardDataNotAllowed()
