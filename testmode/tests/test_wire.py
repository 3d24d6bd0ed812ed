"""Wire format: auth, errors, unknown paths and parameters, form decoding, headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from conftest import SECRET_KEY, make_client
from tender_testmode import formdata
from tender_testmode.errors import StripeError


def test_form_decoding_handles_brackets_lists_and_indices() -> None:
    params = formdata.decode(
        b"amount=100&metadata[order_id]=o1&expand[]=a&expand[]=b"
        b"&items[0][price]=p0&items[1][price]=p1&card[number]=4242&payment_method_types[0]=card"
    )
    assert params == {
        "amount": "100",
        "metadata": {"order_id": "o1"},
        "expand": ["a", "b"],
        "items": [{"price": "p0"}, {"price": "p1"}],
        "card": {"number": "4242"},
        "payment_method_types": ["card"],
    }


@pytest.mark.parametrize("raw", [b"a[b=1", b"a[]x]=1", b"a=1&a[b]=2", b"a[0]=1&a[b]=2"])
def test_form_decoding_rejects_malformed_keys(raw: bytes) -> None:
    with pytest.raises(StripeError) as err:
        formdata.decode(raw)
    assert err.value.status == 400


def test_every_response_has_request_id(emulator_url: str) -> None:
    ok = httpx.get(f"{emulator_url}/v1/balance", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    bad = httpx.get(f"{emulator_url}/v1/nope", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    assert ok.status_code == 200
    assert ok.json()["object"] == "balance"
    for resp in (ok, bad):
        assert resp.headers["request-id"].startswith("req_")


@pytest.mark.parametrize(
    "header",
    [None, "Bearer sk_live_abc123456789", "Bearer nonsense", "Basic sk_test_x"],
)
def test_bad_credentials_are_401_with_envelope(emulator_url: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = httpx.get(f"{emulator_url}/v1/balance", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error"
    assert resp.headers["request-id"].startswith("req_")


def test_sdk_raises_authentication_error(emulator_url: str) -> None:
    bad = make_client(emulator_url, key="sk_live_wrong")
    with pytest.raises(stripe.AuthenticationError) as err:
        bad.v1.balance.retrieve()
    assert err.value.http_status == 401


def test_unknown_path_is_404_resource_style(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.raw_request("get", "/v1/does_not_exist")
    assert err.value.http_status == 404
    assert "Unrecognized request URL" in str(err.value.user_message)


def test_unknown_method_on_known_path_is_404(emulator_url: str) -> None:
    resp = httpx.delete(
        f"{emulator_url}/v1/payment_intents", headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["type"] == "invalid_request_error"


def test_unknown_parameter_is_400_parameter_unknown(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "colour": "red"})
    assert err.value.http_status == 400
    assert err.value.code == "parameter_unknown"
    assert err.value.param == "colour"


def test_unknown_nested_parameter_names_full_path(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "bogus": "x"}}
        )
    assert err.value.param == "card[bogus]"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"currency": "usd"}, "amount"),
        ({"amount": 1000}, "currency"),
        ({"amount": "abc", "currency": "usd"}, "amount"),
        ({"amount": 1000, "currency": "usd", "confirm": "maybe"}, "confirm"),
        ({"amount": 1000, "currency": "usd", "capture_method": "later"}, "capture_method"),
    ],
)
def test_bad_input_is_400_never_500(client: Any, params: dict[str, Any], param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(params)
    assert err.value.http_status == 400
    assert err.value.param == param


def test_garbage_bodies_are_400(emulator_url: str) -> None:
    headers = {
        "Authorization": f"Bearer {SECRET_KEY}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    for body in (b"amount[=1", b"\xff\xfe=\x00", b"metadata=1&metadata[a]=2"):
        resp = httpx.post(f"{emulator_url}/v1/payment_intents", content=body, headers=headers)
        assert resp.status_code == 400, body
        assert resp.json()["error"]["type"] == "invalid_request_error"


def test_missing_object_is_404_resource_missing(client: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.retrieve("pi_missing")
    assert err.value.http_status == 404
    assert err.value.code == "resource_missing"


def test_publishable_key_only_for_stripe_js_calls(pk_client: Any, client: Any) -> None:
    pm = pk_client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}}
    )
    assert pm.id.startswith("pm_")
    with pytest.raises(stripe.AuthenticationError):
        pk_client.v1.customers.list()
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    seen = pk_client.v1.payment_intents.retrieve(pi.id, {"client_secret": pi.client_secret})
    assert seen.id == pi.id
    with pytest.raises(stripe.InvalidRequestError) as err:
        pk_client.v1.payment_intents.retrieve(pi.id, {"client_secret": "pi_x_secret_wrong"})
    assert err.value.param == "client_secret"
    with pytest.raises(stripe.InvalidRequestError):
        pk_client.v1.payment_intents.retrieve(pi.id)
    done = pk_client.v1.payment_intents.confirm(
        pi.id, {"client_secret": pi.client_secret, "payment_method": pm.id}
    )
    assert done.status == "succeeded"


def test_balance_is_static_health_probe(client: Any) -> None:
    balance = client.v1.balance.retrieve()
    assert balance.object == "balance"
    assert balance.available[0].currency == "usd"
