"""Refunds: full, partial, bounds; charges listed by PaymentIntent."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def _paid(client: Any, amount: int = 5000, **extra: Any) -> Any:
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         **extra}
    )  # fmt: skip


def test_full_refund_by_payment_intent(client: Any) -> None:
    pi = _paid(client)
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert refund.id.startswith("re_")
    assert refund.amount == 5000
    assert refund.status == "succeeded"
    assert refund.charge == pi.latest_charge
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded is True
    assert charge.amount_refunded == 5000
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1})
    assert err.value.code == "charge_already_refunded"
    event = client.v1.events.list({"type": "charge.refunded"}).data[0]
    assert event.data.previous_attributes.amount_refunded == 0
    assert client.v1.events.list({"type": "refund.created"}).data[0].data.object.id == refund.id


def test_partial_refunds_never_exceed_captured(client: Any) -> None:
    pi = _paid(client)
    first = client.v1.refunds.create({"charge": pi.latest_charge, "amount": 2000})
    assert first.amount == 2000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.amount_refunded == 2000
    assert charge.refunded is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 3001})
    assert err.value.code == "amount_too_large"
    assert err.value.param == "amount"
    second = client.v1.refunds.create({"payment_intent": pi.id})
    assert second.amount == 3000
    assert client.v1.charges.retrieve(pi.latest_charge).refunded is True
    listed = client.v1.refunds.list({"payment_intent": pi.id})
    assert [r.id for r in listed.data] == [second.id, first.id]
    assert client.v1.refunds.retrieve(first.id).amount == 2000


def test_refund_after_partial_capture_is_bounded_by_captured(client: Any) -> None:
    pi = _paid(client, capture_method="manual")
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 1000})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1001})
    assert client.v1.refunds.create({"payment_intent": pi.id}).amount == 1000


def test_refund_needs_successful_captured_charge(client: Any) -> None:
    pending = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create({"payment_intent": pending.id})
    assert err.value.code == "charge_not_refundable"
    held = _paid(client, capture_method="manual")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create({"payment_intent": held.id})
    assert err.value.code == "charge_not_refundable"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.refunds.create({"charge": "ch_nope"})
    assert err.value.http_status == 404


def test_charges_listed_by_payment_intent(client: Any) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa_chargeDeclined"})
    ok = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    charges = client.v1.charges.list({"payment_intent": pi.id})
    assert [c.status for c in charges.data] == ["succeeded", "failed"]
    assert charges.data[0].id == ok.latest_charge
    assert client.v1.charges.list({"payment_intent": "pi_other"}).data == []
    assert len(client.v1.charges.list().data) == 2
