"""Every test card in STRIPE_TEST_MODE.md through Tender's HTTP API and the official SDK."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
import stripe
from sqlalchemy import text

from tender.db.engine import Database
from tests.conftest import bearer
from tests.e2e.conftest import card, charges

SUCCEEDS = ["4242424242424242", "5555555555554444", "378282246310005", "4000000000003055"]
# Every decline is retryable: the payment stays open for another card (issue 12).
DECLINES = [
    ("4000000000000002", "card_declined", "generic_decline", True),
    ("4000000000009995", "insufficient_funds", "insufficient_funds", True),
    ("4000000000009987", "card_declined", "lost_card", True),
    ("4000000000009979", "card_declined", "stolen_card", True),
    ("4000000000000069", "expired_card", "expired_card", True),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc", True),
    ("4000000000000119", "processing_error", "processing_error", True),
    ("4000000000006975", "card_velocity_exceeded", "card_velocity_exceeded", True),
    ("4000000000000341", "card_declined", "generic_decline", True),
    ("4100000000000019", "card_declined", "fraudulent", True),
]
THREE_DS = ["4000002760003184", "4000002500003155", "4000000000003220"]


async def _start(client: httpx.AsyncClient, auth: dict[str, str], amount: int = 2500) -> Any:
    resp = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": amount, "currency": "usd"},
        headers=auth,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def _confirm(
    client: httpx.AsyncClient, auth: dict[str, str], payment_id: str, pm: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"payment_id": payment_id}
    if pm:
        body["payment_method"] = pm
    return await client.post("/functions/v1/confirm-payment", json=body, headers=auth)


@pytest.mark.parametrize("number", SUCCEEDS)
async def test_succeeding_cards(
    client: httpx.AsyncClient, stripe_js: Any, stripe_admin: Any, user_id: UUID, number: str
) -> None:
    auth = bearer(user_id)
    pay = await _start(client, auth)
    resp = await _confirm(client, auth, pay["payment_id"], await card(stripe_js, number))
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded"
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1


@pytest.mark.parametrize(("number", "code", "decline", "retryable"), DECLINES)
async def test_declined_cards_are_mapped_and_recorded(
    client: httpx.AsyncClient,
    stripe_js: Any,
    owner_db: Database,
    user_id: UUID,
    number: str,
    code: str,
    decline: str,
    retryable: bool,
) -> None:
    auth = bearer(user_id)
    pay = await _start(client, auth)
    resp = await _confirm(client, auth, pay["payment_id"], await card(stripe_js, number))
    assert resp.status_code == 402, resp.text
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["retryable"] is retryable
    assert error["payment_status"] == "requires_payment_method"
    assert decline not in error["message"]  # user-safe text, not Stripe's internals
    async with owner_db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT error_code, decline_code FROM payment_errors WHERE payment_id = :p"),
                {"p": pay["payment_id"]},
            )
        ).all()
    assert len(rows) == 1
    assert rows[0].decline_code == decline
    got = (await client.get(f"/v1/payments/{pay['payment_id']}", headers=auth)).json()
    assert got["status"] == "requires_payment_method"


async def test_declined_then_another_card_succeeds(
    client: httpx.AsyncClient, stripe_js: Any, stripe_admin: Any, user_id: UUID
) -> None:
    auth = bearer(user_id)
    pay = await _start(client, auth)
    first = await _confirm(
        client, auth, pay["payment_id"], await card(stripe_js, "4000000000009995")
    )
    assert first.status_code == 402
    second = await _confirm(
        client, auth, pay["payment_id"], await card(stripe_js, "4242424242424242")
    )
    assert second.json()["status"] == "succeeded"
    succeeded = [c for c in await charges(stripe_admin, pay["payment_intent_id"]) if c.paid]
    assert len(succeeded) == 1


async def test_incorrect_number_fails_before_tender(stripe_js: Any) -> None:
    with pytest.raises(stripe.CardError) as err:
        await card(stripe_js, "4242424242424241")
    assert err.value.code == "incorrect_number"


@pytest.mark.parametrize("number", THREE_DS)
async def test_three_d_secure_success(
    client: httpx.AsyncClient,
    stripe_js: Any,
    stripe_admin: Any,
    control: httpx.AsyncClient,
    user_id: UUID,
    number: str,
) -> None:
    auth = bearer(user_id)
    pay = await _start(client, auth)
    resp = await _confirm(client, auth, pay["payment_id"], await card(stripe_js, number))
    body = resp.json()
    assert body["status"] == "requires_action"
    assert body["requires_action"] is True
    assert body["next_action"]["type"] == "use_stripe_sdk"
    assert body["client_secret"]
    done = await control.post(
        f"/_test/payment_intents/{pay['payment_intent_id']}/authenticate",
        json={"outcome": "succeed"},
    )
    assert done.status_code == 200
    after = await _confirm(client, auth, pay["payment_id"])
    assert after.json()["status"] == "succeeded"
    assert len(await charges(stripe_admin, pay["payment_intent_id"])) == 1


@pytest.mark.parametrize(
    ("number", "outcome"), [("4000002760003184", "fail"), ("4000008400001629", "succeed")]
)
async def test_three_d_secure_failure(
    client: httpx.AsyncClient,
    stripe_js: Any,
    control: httpx.AsyncClient,
    user_id: UUID,
    number: str,
    outcome: str,
) -> None:
    auth = bearer(user_id)
    pay = await _start(client, auth)
    resp = await _confirm(client, auth, pay["payment_id"], await card(stripe_js, number))
    assert resp.json()["status"] == "requires_action"
    await control.post(
        f"/_test/payment_intents/{pay['payment_intent_id']}/authenticate", json={"outcome": outcome}
    )
    after = await _confirm(client, auth, pay["payment_id"])
    assert after.status_code == 200
    assert after.json()["status"] == "requires_payment_method"
    assert after.json()["last_error_code"] in (
        "payment_intent_authentication_failure",
        "generic_decline",
    )
