"""Webhook endpoints, signed deliveries, retries, and the delivery knobs."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from conftest import Receiver, flush, make_client
from tender_testmode.config import EmulatorConfig
from tender_testmode.server import running_emulator
from tender_testmode.webhooks import sign


def _endpoint(client: Any, receiver: Receiver, events: list[str] | None = None) -> Any:
    return client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": events or ["*"]}
    )


def _deliveries(control: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = control.get("/_test/deliveries", params=filters).json()["data"]
    return data


def test_endpoint_crud(client: Any) -> None:
    we = client.v1.webhook_endpoints.create(
        {"url": "https://example.com/hook", "enabled_events": ["payment_intent.succeeded"]}
    )
    assert we.id.startswith("we_")
    assert we.secret.startswith("whsec_")
    assert "secret" not in client.v1.webhook_endpoints.retrieve(we.id).to_dict()
    updated = client.v1.webhook_endpoints.update(
        we.id, {"enabled_events": ["*"], "description": "all"}
    )
    assert updated.enabled_events == ["*"]
    assert [w.id for w in client.v1.webhook_endpoints.list().data] == [we.id]
    assert client.v1.webhook_endpoints.delete(we.id).deleted is True
    assert client.v1.webhook_endpoints.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.create({"url": "not a url", "enabled_events": ["*"]})


def test_signed_delivery_verifies_with_sdk(
    client: Any, control: httpx.Client, receiver: Receiver
) -> None:
    we = _endpoint(client, receiver, ["payment_intent.succeeded", "charge.succeeded"])
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
        options={"idempotency_key": "hook-1"},
    )
    assert flush(control)["ok"] is True
    assert len(receiver.requests) == 2
    verified = []
    for request in receiver.requests:
        header = request["headers"]["stripe-signature"]
        assert header.startswith("t=")
        assert ",v1=" in header
        event = stripe.Webhook.construct_event(request["body"], header, we.secret)
        verified.append(event)
    by_type = {e.type: e for e in verified}
    assert set(by_type) == {"payment_intent.succeeded", "charge.succeeded"}
    succeeded = by_type["payment_intent.succeeded"]
    assert succeeded.data.object.id == pi.id
    assert succeeded.data.object.status == "succeeded"
    assert succeeded.request.idempotency_key == "hook-1"
    assert succeeded.request.id.startswith("req_")
    assert succeeded.pending_webhooks == 1
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.requests[0]["body"], receiver.requests[0]["headers"]["stripe-signature"],
            "whsec_wrong",
        )  # fmt: skip


def test_stale_signature_is_rejected_by_sdk() -> None:
    payload = b'{"id": "evt_1", "object": "event"}'
    header = sign("whsec_x", payload, int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_x")
    fresh = sign("whsec_x", payload, int(time.time()))
    assert stripe.Webhook.construct_event(payload, fresh, "whsec_x").id == "evt_1"


def test_event_snapshot_and_listing(client: Any) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    client.v1.payment_intents.cancel(pi.id)
    events = client.v1.events.list().data
    assert [e.type for e in events] == ["payment_intent.canceled", "payment_intent.created"]
    assert events[1].data.object.status == "requires_payment_method"
    assert events[0].data.object.status == "canceled"
    assert events[0].api_version
    assert client.v1.events.retrieve(events[0].id).type == "payment_intent.canceled"
    wildcard = client.v1.events.list({"type": "payment_intent.*"}).data
    assert len(wildcard) == 2
    assert client.v1.events.list({"created": {"gt": int(time.time()) + 10}}).data == []


def test_retries_after_failing_receiver(
    client: Any, control: httpx.Client, receiver: Receiver
) -> None:
    _endpoint(client, receiver, ["customer.created"])
    receiver.fail_next = 2
    customer = client.v1.customers.create({})
    assert flush(control)["ok"] is True
    attempts = _deliveries(control, event_type="customer.created")
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert [e["data"]["object"]["id"] for e in receiver.ok_events()] == [customer.id]


def test_gives_up_after_max_attempts_and_logs_connection_errors(
    client: Any, control: httpx.Client
) -> None:
    client.v1.webhook_endpoints.create(
        {"url": "http://127.0.0.1:9/unreachable", "enabled_events": ["customer.created"]}
    )
    client.v1.customers.create({})
    assert flush(control)["ok"] is True
    attempts = _deliveries(control)
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert all(a["status"] is None and a["error"] for a in attempts)


def test_duplicates_knob(client: Any, control: httpx.Client, receiver: Receiver) -> None:
    _endpoint(client, receiver, ["customer.created"])
    control.post("/_test/webhooks", json={"duplicates": 3}).raise_for_status()
    customer = client.v1.customers.create({})
    flush(control)
    events = receiver.ok_events()
    assert len(events) == 3
    assert {e["id"] for e in events} == {events[0]["id"]}
    assert events[0]["data"]["object"]["id"] == customer.id


def test_hold_and_release_in_reverse(
    client: Any, control: httpx.Client, receiver: Receiver
) -> None:
    _endpoint(client, receiver, ["customer.created"])
    control.post("/_test/webhooks", json={"hold": True}).raise_for_status()
    created = [client.v1.customers.create({}).id for _ in range(4)]
    assert control.get("/_test/stats").json()["webhooks"]["held"] == 4
    assert receiver.ok_events() == []
    assert control.post("/_test/webhooks/release", json={"order": "reverse"}).json() == {
        "released": 4
    }
    flush(control)
    assert [e["data"]["object"]["id"] for e in receiver.ok_events()] == created[::-1]


def test_drop_and_delay_knobs(client: Any, control: httpx.Client, receiver: Receiver) -> None:
    _endpoint(client, receiver, ["customer.created"])
    control.post("/_test/webhooks", json={"drop": True}).raise_for_status()
    client.v1.customers.create({})
    flush(control)
    assert receiver.ok_events() == []
    assert _deliveries(control)[0]["error"] == "dropped"
    control.post("/_test/webhooks", json={"drop": False, "delay_ms": 150}).raise_for_status()
    started = time.monotonic()
    client.v1.customers.create({})
    assert receiver.ok_events() == []
    flush(control)
    assert time.monotonic() - started >= 0.15
    assert len(receiver.ok_events()) == 1


def test_per_call_knobs_header(client: Any, control: httpx.Client, receiver: Receiver) -> None:
    _endpoint(client, receiver, ["customer.created"])
    client.v1.customers.create({}, options={"headers": {"Emulator-Webhooks": "duplicates=2"}})
    client.v1.customers.create({})
    flush(control)
    assert len(receiver.ok_events()) == 3


def test_disabled_endpoint_and_event_filter(
    client: Any, control: httpx.Client, receiver: Receiver
) -> None:
    we = _endpoint(client, receiver, ["payment_intent.canceled"])
    client.v1.customers.create({})
    client.v1.webhook_endpoints.update(we.id, {"disabled": True})
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    client.v1.payment_intents.cancel(pi.id)
    flush(control)
    assert receiver.ok_events() == []


async def test_configured_webhook_secret(receiver: Receiver) -> None:
    config = EmulatorConfig(port=0, webhook_secret="whsec_known", webhook_retry_base_seconds=0.01)
    async with running_emulator(config) as url:
        client = make_client(url)
        we = await client.v1.webhook_endpoints.create_async(
            {"url": receiver.url, "enabled_events": ["customer.created"]}
        )
        assert we.secret == "whsec_known"
        await client.v1.customers.create_async({"email": "s@example.com"})
        async with httpx.AsyncClient(base_url=url) as ctl:
            assert (await ctl.post("/_test/webhooks/flush")).json()["ok"] is True
    [request] = receiver.requests
    event = stripe.Webhook.construct_event(
        request["body"], request["headers"]["stripe-signature"], "whsec_known"
    )
    assert event.data.object.email == "s@example.com"
