"""Customers, attach/detach/list of payment methods, setup intents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from conftest import card_pm


def test_customer_crud_and_list(client: Any) -> None:
    created = client.v1.customers.create(
        {"email": "jenny@example.com", "name": "Jenny", "metadata": {"tenant": "t1"}}
    )
    assert created.id.startswith("cus_")
    assert client.v1.customers.retrieve(created.id).email == "jenny@example.com"
    updated = client.v1.customers.update(created.id, {"name": "Jenny R", "phone": "+1555"})
    assert updated.name == "Jenny R"
    other = client.v1.customers.create({"email": "other@example.com"})
    assert [c.id for c in client.v1.customers.list().data] == [other.id, created.id]
    by_email = client.v1.customers.list({"email": "jenny@example.com"})
    assert [c.id for c in by_email.data] == [created.id]
    assert client.v1.events.list({"type": "customer.created"}).data[0].data.object.id == other.id
    deleted = client.v1.customers.delete(other.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(other.id)


def test_attach_detach_and_list(client: Any) -> None:
    customer = client.v1.customers.create({})
    pm = card_pm(client, "4242424242424242")
    assert pm.customer is None
    attached = client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    assert attached.customer == customer.id
    second = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    assert second.id.startswith("pm_")
    assert second.card.brand == "mastercard"
    listed = client.v1.payment_methods.list({"customer": customer.id, "type": "card"})
    assert [p.id for p in listed.data] == [second.id, pm.id]
    via_customer = client.v1.customers.payment_methods.list(customer.id, {"type": "card"})
    assert [p.id for p in via_customer.data] == [second.id, pm.id]
    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert [p.id for p in client.v1.payment_methods.list({"customer": customer.id}).data] == [
        second.id
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(pm.id)
    attach_events = client.v1.events.list({"type": "payment_method.attached"}).data
    assert {e.data.object.id for e in attach_events} == {pm.id, second.id}
    detach_event = client.v1.events.list({"type": "payment_method.detached"}).data[0]
    assert detach_event.data.object.id == pm.id
    assert detach_event.data.previous_attributes.customer == customer.id


def test_attach_to_missing_customer_and_other_customer(client: Any) -> None:
    pm = card_pm(client, "4242424242424242")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_methods.attach(pm.id, {"customer": "cus_missing"})
    assert err.value.http_status == 404
    a = client.v1.customers.create({})
    b = client.v1.customers.create({})
    client.v1.payment_methods.attach(pm.id, {"customer": a.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.attach(pm.id, {"customer": b.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "customer": b.id, "payment_method": pm.id}
        )


def test_setup_intent_saves_card(client: Any, pk_client: Any) -> None:
    customer = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": customer.id, "usage": "off_session"})
    assert si.id.startswith("seti_")
    assert si.client_secret.startswith(f"{si.id}_secret_")
    assert si.status == "requires_payment_method"
    pm = card_pm(pk_client, "4242424242424242")
    done = pk_client.v1.setup_intents.confirm(
        si.id, {"client_secret": si.client_secret, "payment_method": pm.id}
    )
    assert done.status == "succeeded"
    assert client.v1.payment_methods.retrieve(pm.id).customer == customer.id
    seen = pk_client.v1.setup_intents.retrieve(si.id, {"client_secret": si.client_secret})
    assert seen.status == "succeeded"
    assert client.v1.events.list({"type": "setup_intent.succeeded"}).data[0].data.object.id == si.id
    off = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "customer": customer.id, "payment_method": pm.id,
         "confirm": True, "off_session": True})  # fmt: skip
    assert off.status == "succeeded"


def test_setup_intent_decline_and_three_d_secure(client: Any, control: httpx.Client) -> None:
    customer = client.v1.customers.create({})
    with pytest.raises(stripe.CardError) as err:
        client.v1.setup_intents.create(
            {"customer": customer.id, "payment_method": "pm_card_visa_chargeDeclined",
             "confirm": True})  # fmt: skip
    assert err.value.error.setup_intent.status == "requires_payment_method"
    si = client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": "pm_card_authenticationRequired",
         "confirm": True})  # fmt: skip
    assert si.status == "requires_action"
    resp = control.post(f"/_test/setup_intents/{si.id}/authenticate", data={"outcome": "succeed"})
    assert resp.json()["status"] == "succeeded"
    attached = client.v1.payment_methods.list({"customer": customer.id}).data
    assert len(attached) == 1
    # 4000002760003184 needs authentication on every payment, even after being set up.
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "customer": customer.id,
             "payment_method": attached[0].id, "confirm": True, "off_session": True})  # fmt: skip
    assert err.value.code == "authentication_required"
