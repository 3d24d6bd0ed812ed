"""PaymentIntent lifecycle, validation, listing and expansion (sync and async SDK)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from conftest import make_client


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        (49, "usd", "amount_too_small"),
        (29, "gbp", "amount_too_small"),
        (100_000_000, "usd", "amount_too_large"),
        (0, "usd", "parameter_invalid_integer"),
        (-5, "usd", "parameter_invalid_integer"),
    ],
)
def test_amount_validation(client: Any, amount: int, currency: str, code: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create({"amount": amount, "currency": currency})
    assert err.value.code == code
    assert err.value.param == "amount"


def test_unknown_currency_rejected(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create({"amount": 1000, "currency": "xyz"})
    assert err.value.param == "currency"
    assert "Invalid currency" in str(err.value.user_message)


def test_zero_decimal_currency_takes_amount_as_is(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 500, "currency": "JPY", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert pi.currency == "jpy"
    assert pi.amount_received == 500
    assert client.v1.payment_intents.create({"amount": 99_999_999, "currency": "krw"}).amount


def test_create_fields_and_statuses(client: Any) -> None:
    customer = client.v1.customers.create({"email": "a@example.com"})
    pi = client.v1.payment_intents.create(
        {"amount": 1234, "currency": "usd", "customer": customer.id,
         "metadata": {"order_id": "o-1"}, "description": "Order o-1",
         "payment_method_types": ["card"]})  # fmt: skip
    assert pi.id.startswith("pi_")
    assert pi.client_secret.startswith(f"{pi.id}_secret_")
    assert pi.status == "requires_payment_method"
    assert pi.livemode is False
    assert abs(pi.created - time.time()) < 5
    assert pi.metadata.to_dict() == {"order_id": "o-1"}
    updated = client.v1.payment_intents.update(pi.id, {"payment_method": "pm_card_visa"})
    assert updated.status == "requires_confirmation"
    confirmed = client.v1.payment_intents.confirm(pi.id)
    assert confirmed.status == "succeeded"
    assert client.v1.events.list({"type": "payment_intent.created"}).data[0].data.object.id == pi.id


def test_confirm_without_payment_method_is_400(client: Any) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.confirm(pi.id)
    assert err.value.param == "payment_method"


def test_automatic_payment_methods_need_return_url_unless_no_redirects(client: Any) -> None:
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
              "confirm": True, "automatic_payment_methods": {"enabled": True}}  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(params)
    assert err.value.param == "return_url"
    params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
    assert client.v1.payment_intents.create(params).status == "succeeded"
    params["return_url"] = "https://shop.example/done"
    params["automatic_payment_methods"] = {"enabled": True}
    assert client.v1.payment_intents.create(params).status == "succeeded"


def test_manual_capture_full_and_partial(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         "capture_method": "manual"})  # fmt: skip
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 5000
    assert client.v1.charges.retrieve(pi.latest_charge).captured is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 6000})
    assert err.value.param == "amount_to_capture"
    captured = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 3000})
    assert captured.status == "succeeded"
    assert captured.amount_received == 3000
    charge = client.v1.charges.retrieve(captured.latest_charge)
    assert charge.amount_captured == 3000
    assert charge.captured is True
    types = [e.type for e in client.v1.events.list({"limit": 100}).data]
    assert "payment_intent.amount_capturable_updated" in types
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.capture(pi.id)
    assert err.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize("setup", ["requires_payment_method", "requires_confirmation",
                                   "requires_action", "requires_capture"])  # fmt: skip
def test_cancel_from_every_non_terminal_state(client: Any, setup: str) -> None:
    params: dict[str, Any] = {"amount": 1000, "currency": "usd"}
    if setup == "requires_confirmation":
        params["payment_method"] = "pm_card_visa"
    elif setup == "requires_action":
        params.update(payment_method="pm_card_authenticationRequired", confirm=True)
    elif setup == "requires_capture":
        params.update(payment_method="pm_card_visa", confirm=True, capture_method="manual")
    pi = client.v1.payment_intents.create(params)
    assert pi.status == setup
    canceled = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at is not None
    event = client.v1.events.list({"type": "payment_intent.canceled"}).data[0]
    assert event.data.object.status == "canceled"


def test_cannot_cancel_terminal_or_with_bad_reason(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.cancel(pi.id)
    assert err.value.code == "payment_intent_unexpected_state"
    other = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.cancel(other.id, {"cancellation_reason": "bored"})
    assert err.value.param == "cancellation_reason"


def test_cannot_confirm_succeeded_intent(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.confirm(pi.id)
    assert err.value.code == "payment_intent_unexpected_state"


def test_list_paging_and_filters(client: Any) -> None:
    customer = client.v1.customers.create({})
    ids = [
        client.v1.payment_intents.create(
            {"amount": 1000 + i, "currency": "usd", **({"customer": customer.id} if i % 2 else {})}
        ).id
        for i in range(7)
    ]
    newest_first = list(reversed(ids))
    page1 = client.v1.payment_intents.list({"limit": 3})
    assert [p.id for p in page1.data] == newest_first[:3]
    assert page1.has_more is True
    page2 = client.v1.payment_intents.list({"limit": 3, "starting_after": page1.data[-1].id})
    assert [p.id for p in page2.data] == newest_first[3:6]
    page3 = client.v1.payment_intents.list({"limit": 3, "starting_after": page2.data[-1].id})
    assert [p.id for p in page3.data] == newest_first[6:]
    assert page3.has_more is False
    back = client.v1.payment_intents.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [p.id for p in back.data] == newest_first[1:3]
    assert back.has_more is True
    mine = client.v1.payment_intents.list({"customer": customer.id})
    assert [p.id for p in mine.data] == [i for n, i in enumerate(ids) if n % 2][::-1]
    now = int(time.time())
    assert (
        len(client.v1.payment_intents.list({"created": {"gte": now - 60}, "limit": 100}).data) == 7
    )
    assert client.v1.payment_intents.list({"created": {"gt": now + 60}}).data == []
    assert (
        len(client.v1.payment_intents.list({"created": {"lte": now + 1}, "limit": 100}).data) == 7
    )
    assert client.v1.payment_intents.list({"created": {"lt": now - 60}}).data == []
    every = list(client.v1.payment_intents.list({"limit": 2}).auto_paging_iter())
    assert [p.id for p in every] == newest_first


def test_expand_latest_charge_payment_method_customer(client: Any) -> None:
    customer = client.v1.customers.create({"name": "Jenny"})
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "customer": customer.id,
         "payment_method": "pm_card_visa", "confirm": True,
         "expand": ["latest_charge", "payment_method", "customer"]})  # fmt: skip
    assert pi.latest_charge.object == "charge"
    assert pi.payment_method.object == "payment_method"
    assert pi.customer.name == "Jenny"
    listed = client.v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.object == "charge"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.retrieve(pi.id, {"expand": ["amount"]})
    assert err.value.param == "expand"


def test_update_amount_and_metadata(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "metadata": {"a": "1", "b": "2"}}
    )
    updated = client.v1.payment_intents.update(
        pi.id, {"amount": 2500, "metadata": {"a": "", "c": "3"}}
    )
    assert updated.amount == 2500
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}


async def test_async_client_full_flow(emulator_url: str) -> None:
    client = make_client(emulator_url)
    pi = await client.v1.payment_intents.create_async(
        {"amount": 1000, "currency": "usd"}, options={"idempotency_key": "async-flow-1"}
    )
    done = await client.v1.payment_intents.confirm_async(pi.id, {"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    with pytest.raises(stripe.CardError):
        await client.v1.payment_intents.create_async(
            {"amount": 1000, "currency": "usd", "confirm": True,
             "payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})  # fmt: skip
    listed = await client.v1.payment_intents.list_async({"limit": 5})
    assert len(listed.data) == 2
