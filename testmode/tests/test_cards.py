"""Every test card from STRIPE_TEST_MODE.md gives Stripe's outcome, through the SDK."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from conftest import card_pm

SUCCEEDING = [("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
              ("378282246310005", "amex"), ("4000000000003055", "visa")]  # fmt: skip
DECLINING = [
    ("4000000000000002", "card_declined", "generic_decline"),
    ("4000000000009995", "card_declined", "insufficient_funds"),
    ("4000000000009987", "card_declined", "lost_card"),
    ("4000000000009979", "card_declined", "stolen_card"),
    ("4000000000000069", "expired_card", "expired_card"),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
    ("4000000000000119", "processing_error", "processing_error"),
    ("4000000000006975", "card_declined", "card_velocity_exceeded"),
    ("4000000000000341", "card_declined", "generic_decline"),
    ("4100000000000019", "card_declined", "fraudulent"),
]
THREE_DS = ["4000002760003184", "4000002500003155", "4000000000003220", "4000008400001629"]


def _events(client: Any, type_: str) -> list[Any]:
    return list(client.v1.events.list({"type": type_}).data)


@pytest.mark.parametrize(("number", "brand"), SUCCEEDING)
def test_succeeding_cards(client: Any, number: str, brand: str) -> None:
    pm = card_pm(client, number)
    assert pm.card.brand == brand
    assert pm.card.last4 == number[-4:]
    assert set(pm.card.to_dict()) >= {"brand", "last4", "exp_month", "exp_year", "fingerprint",
                                   "funding", "country"}  # fmt: skip
    assert "number" not in pm.card.to_dict()
    assert "cvc" not in pm.card.to_dict()
    pi = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "payment_method": pm.id, "confirm": True}
    )
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid
    assert charge.captured
    assert charge.status == "succeeded"
    assert charge.payment_method_details.card.last4 == number[-4:]
    assert [e.data.object.id for e in _events(client, "payment_intent.succeeded")] == [pi.id]
    assert [e.data.object.id for e in _events(client, "charge.succeeded")] == [charge.id]


@pytest.mark.parametrize(("number", "code", "decline_code"), DECLINING)
def test_declining_cards(client: Any, number: str, code: str, decline_code: str) -> None:
    pm = card_pm(client, number)
    pi = client.v1.payment_intents.create({"amount": 2000, "currency": "usd"})
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": pm.id})
    exc = err.value
    assert exc.http_status == 402
    assert exc.code == code
    assert exc.error.decline_code == decline_code
    assert exc.error.type == "card_error"
    assert exc.error.payment_intent.id == pi.id
    assert exc.error.payment_intent.status == "requires_payment_method"
    assert exc.json_body["error"]["doc_url"].endswith(code)
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == code
    assert after.last_payment_error.decline_code == decline_code
    assert after.last_payment_error.payment_method.id == pm.id
    failed = client.v1.charges.retrieve(after.latest_charge)
    assert failed.status == "failed"
    assert failed.failure_code == code
    assert [e.data.object.id for e in _events(client, "payment_intent.payment_failed")] == [pi.id]


def test_incorrect_number_fails_at_payment_method_creation(client: Any) -> None:
    with pytest.raises(stripe.CardError) as err:
        card_pm(client, "4242424242424241")
    assert err.value.code == "incorrect_number"
    assert err.value.param == "number"
    assert err.value.http_status == 402


def test_bad_expiry_and_cvc_are_card_errors(client: Any) -> None:
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 13,
                                      "exp_year": 2034}})  # fmt: skip
    assert err.value.code == "invalid_expiry_month"
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                      "exp_year": 2001}})  # fmt: skip
    assert err.value.code == "invalid_expiry_year"


def test_0341_attaches_then_fails_when_charged(client: Any) -> None:
    customer = client.v1.customers.create({"email": "x@example.com"})
    pm = card_pm(client, "4000000000000341")
    attached = client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    assert attached.customer == customer.id
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.create(
            {"amount": 1500, "currency": "usd", "customer": customer.id,
             "payment_method": pm.id, "confirm": True})  # fmt: skip
    assert err.value.code == "card_declined"


def test_declining_card_cannot_be_attached(client: Any) -> None:
    customer = client.v1.customers.create({})
    pm = card_pm(client, "4000000000000002")
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    assert err.value.error.decline_code == "generic_decline"


@pytest.mark.parametrize(
    ("alias", "outcome"),
    [
        ("pm_card_visa", "succeeded"),
        ("pm_card_mastercard", "succeeded"),
        ("pm_card_visa_chargeDeclined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ("pm_card_authenticationRequired", "requires_action"),
        ("pm_card_threeDSecure2Required", "requires_action"),
    ],
)
def test_ready_made_payment_methods(client: Any, alias: str, outcome: str) -> None:
    params = {"amount": 1000, "currency": "usd", "payment_method": alias, "confirm": True}
    if outcome in ("succeeded", "requires_action"):
        pi = client.v1.payment_intents.create(params)
        assert pi.status == outcome
        assert pi.payment_method.startswith("pm_")
        assert pi.payment_method != alias
    else:
        with pytest.raises(stripe.CardError) as err:
            client.v1.payment_intents.create(params)
        assert err.value.error.decline_code == outcome
    assert client.v1.payment_methods.retrieve(alias).type == "card"


@pytest.mark.parametrize("number", THREE_DS)
def test_three_d_secure_stops_at_requires_action(client: Any, number: str) -> None:
    pm = card_pm(client, number)
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "eur", "payment_method": pm.id, "confirm": True}
    )
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.latest_charge is None
    assert [e.data.object.id for e in _events(client, "payment_intent.requires_action")] == [pi.id]


def test_three_d_secure_with_return_url_redirects(client: Any) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
         "confirm": True, "return_url": "https://shop.example/return"})  # fmt: skip
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/return"
    assert pi.next_action.redirect_to_url.url.startswith("https://")


def _authenticate(control: httpx.Client, pi_id: str, outcome: str) -> dict[str, Any]:
    resp = control.post(f"/_test/payment_intents/{pi_id}/authenticate", data={"outcome": outcome})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


@pytest.mark.parametrize("number", ["4000002760003184", "4000002500003155", "4000000000003220"])
def test_three_d_secure_success(client: Any, control: httpx.Client, number: str) -> None:
    pm = card_pm(client, number)
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "payment_method": pm.id, "confirm": True}
    )
    assert _authenticate(control, pi.id, "succeed")["status"] == "succeeded"
    done = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert done.status == "succeeded"
    assert done.next_action is None
    assert done.latest_charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_three_d_secure_failure(client: Any, control: httpx.Client) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
         "confirm": True})  # fmt: skip
    body = _authenticate(control, pi.id, "fail")
    assert body["status"] == "requires_payment_method"
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.last_payment_error.code == "payment_intent_authentication_failure"
    assert after.payment_method is None
    assert after.next_action is None
    assert _events(client, "payment_intent.payment_failed")[0].data.object.id == pi.id
    retry = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert retry.status == "succeeded"


def test_1629_declines_after_successful_authentication(client: Any, control: httpx.Client) -> None:
    pm = card_pm(client, "4000008400001629")
    pi = client.v1.payment_intents.create(
        {"amount": 3000, "currency": "usd", "payment_method": pm.id, "confirm": True}
    )
    assert pi.status == "requires_action"
    assert _authenticate(control, pi.id, "succeed")["status"] == "requires_payment_method"
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.last_payment_error.code == "card_declined"
    assert after.last_payment_error.type == "card_error"


def test_authenticate_outside_requires_action_is_400(client: Any, control: httpx.Client) -> None:
    pi = client.v1.payment_intents.create({"amount": 3000, "currency": "usd"})
    resp = control.post(f"/_test/payment_intents/{pi.id}/authenticate", data={"outcome": "succeed"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "payment_intent_unexpected_state"


def test_on_session_card_needs_no_authentication_off_session_after_setup(client: Any) -> None:
    customer = client.v1.customers.create({})
    pm = card_pm(client, "4000002500003155")
    si = client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": pm.id, "confirm": True, "usage": "off_session"}
    )
    assert si.status == "requires_action"
    pm2 = card_pm(client, "4000002500003155")
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method": pm2.id, "confirm": True,
             "off_session": True})  # fmt: skip
    assert err.value.code == "authentication_required"


def test_always_authenticate_card_fails_off_session(client: Any) -> None:
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
             "confirm": True, "off_session": True})  # fmt: skip
    assert err.value.code == "authentication_required"
    assert err.value.error.payment_intent.status == "requires_payment_method"
