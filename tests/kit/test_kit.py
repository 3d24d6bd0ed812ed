"""Money rules, card-number detection and bank references."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tender.config import Settings
from tender.errors import ValidationFailed
from tender.kit.cards import CardDataNotAllowed, looks_like_pan, luhn_valid, refuse_card_data
from tender.kit.ids import bank_reference
from tender.kit.money import check_amount, normalize_currency, to_major


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_every_luhn_valid_number_is_detected_with_any_grouping(prefix: str) -> None:
    number = luhn_complete(prefix)
    assert looks_like_pan(number)
    assert looks_like_pan(" ".join(number[i : i + 4] for i in range(0, len(number), 4)))
    assert looks_like_pan("-".join(number[i : i + 4] for i in range(0, len(number), 4)))


@pytest.mark.parametrize("value", ["4242424242424241", "123456789012", "2026-11-26", "ord_42", ""])
def test_non_cards_pass(value: str) -> None:
    assert not looks_like_pan(value)


def test_uuids_are_never_taken_for_cards() -> None:
    """Found under load: a random payment id whose last groups were all digits and Luhn-valid."""
    assert luhn_valid("4111111111111111")
    assert not looks_like_pan("0f8fad5b-d9cb-469f-4111-111111111111")
    assert not looks_like_pan('{"payment_id": "0f8fad5b-d9cb-469f-4111-111111111111"}')
    assert looks_like_pan("card 4111-1111-1111-1111 in a note")


@given(st.uuids())
def test_no_uuid_looks_like_a_card(value: uuid.UUID) -> None:
    assert not looks_like_pan(str(value))


def test_refuse_walks_nested_bodies() -> None:
    refuse_card_data({"a": [{"b": "ok"}], "amount": 2500})
    with pytest.raises(CardDataNotAllowed):
        refuse_card_data({"a": [{"b": "x 4242 4242 4242 4242 y"}]})
    with pytest.raises(CardDataNotAllowed):
        refuse_card_data({"n": 4242424242424242})


def test_money_rules() -> None:
    settings = Settings(supported_currencies=["usd", "jpy", "kwd"])
    assert normalize_currency(" USD ", settings) == "usd"
    with pytest.raises(ValidationFailed):
        normalize_currency("eur", settings)
    assert check_amount(50, "usd", settings) == 50
    with pytest.raises(ValidationFailed):
        check_amount(49, "usd", settings)
    with pytest.raises(ValidationFailed):
        check_amount(True, "usd", settings)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        check_amount(1005, "kwd", settings)
    assert to_major(2500, "usd") == "25.00"
    assert to_major(500, "jpy") == "500"
    assert to_major(1230, "kwd") == "1.230"


def test_bank_references_are_distinct_and_typable() -> None:
    refs = {bank_reference() for _ in range(1000)}
    assert len(refs) == 1000
    assert all(r.startswith("TND-") and len(r) == 13 for r in refs)
    assert not any(c in r for r in refs for c in "01ILO")


def test_with_user_never_carries_the_other_logins_password() -> None:
    from tender.db.urls import with_user

    url = with_user("postgresql://owner:s3cret@db.internal:5433/tender?sslmode=require", "app")
    assert url == "postgresql://app@db.internal:5433/tender?sslmode=require"
