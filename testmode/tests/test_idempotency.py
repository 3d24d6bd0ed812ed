"""Idempotency keys: replay, mismatch, in-flight conflict, and the SDK's own retries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import stripe

from conftest import SECRET_KEY, make_client

PARAMS = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}


def _post(url: str, key: str, body: dict[str, str], api_key: str = SECRET_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": key}
    return httpx.post(f"{url}/v1/payment_intents", data=body, headers=headers)


def test_success_is_replayed_with_header(emulator_url: str, client: Any) -> None:
    body = {"amount": "1000", "currency": "usd"}
    first = _post(emulator_url, "k-1", body)
    second = _post(emulator_url, "k-1", body)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.headers["request-id"] != first.headers["request-id"]
    assert len(client.v1.payment_intents.list().data) == 1
    other_account = _post(emulator_url, "k-1", body, api_key="sk_test_other")
    assert other_account.json()["id"] != first.json()["id"]


def test_sdk_replay_returns_same_object(client: Any) -> None:
    a = client.v1.payment_intents.create(PARAMS, options={"idempotency_key": "sdk-1"})
    b = client.v1.payment_intents.create(PARAMS, options={"idempotency_key": "sdk-1"})
    assert a.id == b.id
    assert b.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.charges.list().data) == 1


def test_card_error_is_replayed_too(client: Any) -> None:
    params = {**PARAMS, "payment_method": "pm_card_visa_chargeDeclined"}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params, options={"idempotency_key": "decline-1"})
    with pytest.raises(stripe.CardError) as second:
        client.v1.payment_intents.create(params, options={"idempotency_key": "decline-1"})
    assert second.value.json_body == first.value.json_body
    assert second.value.headers["idempotent-replayed"] == "true"
    assert len(client.v1.payment_intents.list().data) == 1


def test_same_key_other_parameters_is_idempotency_error(client: Any) -> None:
    client.v1.payment_intents.create(PARAMS, options={"idempotency_key": "mismatch-1"})
    with pytest.raises(stripe.IdempotencyError) as err:
        client.v1.payment_intents.create(
            {**PARAMS, "amount": 2000}, options={"idempotency_key": "mismatch-1"}
        )
    assert err.value.http_status == 400
    assert err.value.error.type == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({}, options={"idempotency_key": "mismatch-1"})


def test_validation_errors_are_not_saved(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(
            {**PARAMS, "bogus": "1"}, options={"idempotency_key": "val-1"}
        )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(
            {**PARAMS, "bogus": "1"}, options={"idempotency_key": "val-1"}
        )
    assert "idempotent-replayed" not in err.value.headers


async def test_in_flight_conflict_is_409(emulator_url: str, control: httpx.Client) -> None:
    control.post(
        "/_test/faults", json={"path_prefix": "/v1/payment_intents", "latency_ms": 300}
    ).raise_for_status()
    client = make_client(emulator_url)
    first = asyncio.ensure_future(
        client.v1.payment_intents.create_async(PARAMS, options={"idempotency_key": "flight-1"})
    )
    await asyncio.sleep(0.1)
    with pytest.raises(stripe.APIError) as err:
        await client.v1.payment_intents.create_async(
            PARAMS, options={"idempotency_key": "flight-1"}
        )
    assert err.value.http_status == 409
    assert err.value.error.code == "idempotency_key_in_use"
    assert err.value.error.type == "invalid_request_error"
    pi = await first
    assert pi.status == "succeeded"
    again = await client.v1.payment_intents.create_async(
        PARAMS, options={"idempotency_key": "flight-1"}
    )
    assert again.id == pi.id


async def test_sdk_retry_on_409_gets_replay(emulator_url: str, control: httpx.Client) -> None:
    control.post(
        "/_test/faults", json={"path_prefix": "/v1/payment_intents", "latency_ms": 200}
    ).raise_for_status()
    client = make_client(emulator_url, retries=2)
    first = asyncio.ensure_future(
        client.v1.payment_intents.create_async(PARAMS, options={"idempotency_key": "retry-409"})
    )
    await asyncio.sleep(0.05)
    second = await client.v1.payment_intents.create_async(
        PARAMS, options={"idempotency_key": "retry-409"}
    )
    assert second.id == (await first).id


def test_sdk_auto_key_survives_500_retry(emulator_url: str, control: httpx.Client) -> None:
    control.post(
        "/_test/faults",
        json={"path_prefix": "/v1/payment_intents", "fail_next": 1, "fail_mode": "500"},
    ).raise_for_status()
    client = make_client(emulator_url, retries=2)
    pi = client.v1.payment_intents.create(PARAMS)
    assert pi.status == "succeeded"
    assert len(client.v1.payment_intents.list().data) == 1
