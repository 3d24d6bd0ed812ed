"""Fault injection as the SDK sees it: exception classes and recovery via SDK retries."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from conftest import SECRET_KEY, make_client

PI = {"amount": 1000, "currency": "usd"}


def _fault(control: httpx.Client, **rule: Any) -> None:
    control.post(
        "/_test/faults", json={"path_prefix": "/v1/payment_intents", **rule}
    ).raise_for_status()


@pytest.mark.parametrize(
    ("mode", "exc", "status"),
    [
        ("500", stripe.APIError, 500),
        ("429", stripe.RateLimitError, 429),
        ("reset", stripe.APIConnectionError, None),
    ],
)
def test_each_fault_raises_the_sdk_exception(
    emulator_url: str, control: httpx.Client, mode: str, exc: type[Exception], status: int | None
) -> None:
    _fault(control, fail_next=1, fail_mode=mode)
    client = make_client(emulator_url, retries=0)
    with pytest.raises(exc) as err:
        client.v1.payment_intents.create(PI)
    assert getattr(err.value, "http_status", None) == status
    assert client.v1.payment_intents.create(PI).status == "requires_payment_method"


def test_429_carries_retry_after(emulator_url: str, control: httpx.Client) -> None:
    _fault(control, fail_next=1, fail_mode="429")
    resp = httpx.post(
        f"{emulator_url}/v1/payment_intents",
        data={"amount": "1000", "currency": "usd"},
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "0"
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert resp.json()["error"]["code"] == "rate_limit"


def test_timeout_fault_hangs_past_client_timeout(emulator_url: str, control: httpx.Client) -> None:
    _fault(control, fail_next=1, fail_mode="timeout")
    client = make_client(emulator_url, retries=0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.payment_intents.create(PI)
    assert 0.3 <= time.monotonic() - started < 2.0


@pytest.mark.parametrize("mode", ["500", "429", "reset"])
def test_sdk_retries_recover_from_a_single_fault(
    emulator_url: str, control: httpx.Client, mode: str
) -> None:
    _fault(control, fail_next=1, fail_mode=mode)
    client = make_client(emulator_url, retries=1)
    pi = client.v1.payment_intents.create({**PI, "payment_method": "pm_card_visa", "confirm": True})
    assert pi.status == "succeeded"
    assert len(client.v1.payment_intents.list().data) == 1


def test_latency_and_path_prefix(emulator_url: str, control: httpx.Client) -> None:
    _fault(control, latency_ms=120)
    client = make_client(emulator_url)
    started = time.monotonic()
    client.v1.payment_intents.create(PI)
    assert time.monotonic() - started >= 0.12
    started = time.monotonic()
    client.v1.customers.create({})
    assert time.monotonic() - started < 0.1


def test_error_rate_is_deterministic_with_seed(emulator_url: str, control: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}

    def pattern() -> list[int]:
        control.post(
            "/_test/faults",
            json={"path_prefix": "/v1/balance", "error_rate": 0.5, "seed": 7, "replace": True},
        ).raise_for_status()
        with httpx.Client(base_url=emulator_url, headers=headers) as http:
            return [http.get("/v1/balance").status_code for _ in range(20)]

    first = pattern()
    assert set(first) == {200, 500}
    assert pattern() == first
    control.delete("/_test/faults").raise_for_status()
    with httpx.Client(base_url=emulator_url, headers=headers) as http:
        assert {http.get("/v1/balance").status_code for _ in range(10)} == {200}


def test_fault_rules_are_validated(control: httpx.Client) -> None:
    resp = control.post("/_test/faults", json={"error_rate": 2})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "error_rate"
    assert control.get("/_test/faults").json() == {"rules": []}


def test_unknown_control_path_is_404(control: httpx.Client) -> None:
    assert control.post("/_test/nothing").status_code == 404
