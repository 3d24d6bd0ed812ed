"""Hostile deliveries: raw-byte signatures, both-way tolerance, signed garbage, forged copies.

A body that is not signed (or signed too far from now, either way) is 400 `invalid_signature`
and stores nothing. A signed body Tender can never apply is stored once as `rejected` with
its reason and answered 200, so Stripe does not retry it for three days. A signed event's own
copy of an object is never applied: a forged `charge.refunded` moves nothing Stripe does not
show.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from tender.db.engine import Database
from tender.runtime import Runtime
from tender.webhooks import service
from tests.conftest import WEBHOOK_SECRET, bearer
from tests.e2e.conftest import card
from tests.webhooks.test_inbox import PATH, event, signed

NOW = int(time.time())


def sign_raw(body: bytes, at: int | None = None, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    ts = int(time.time()) if at is None else at
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}


async def rows(owner_db: Database, event_id: str) -> list[Any]:
    async with owner_db.engine.connect() as conn:
        result = await conn.execute(
            text("SELECT status, last_error, type FROM stripe_events WHERE id = :id"),
            {"id": event_id},
        )
        return list(result.all())


async def test_a_non_utf8_body_without_a_valid_signature_is_400(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"id": "evt_\xff\xfe"}'
    resp = await client.post(PATH, content=body, headers={"Stripe-Signature": "t=1,v1=00"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"


async def test_a_signed_non_utf8_body_is_stored_as_rejected_and_answered_200(
    client: httpx.AsyncClient, owner_db: Database
) -> None:
    body = b'{"id": "evt_bytes", "note": "\xff\xfe"}'
    resp = await client.post(PATH, content=body, headers=sign_raw(body))
    assert resp.status_code == 200
    assert (resp.json()["status"], resp.json().get("reason", "not_utf8")) == (
        "rejected",
        "not_utf8",
    )
    stored_id = "evt_rejected_" + hashlib.sha256(body).hexdigest()[:48]
    assert [(r.status, r.last_error) for r in await rows(owner_db, stored_id)] == [
        ("rejected", "not_utf8")
    ]
    again = await client.post(PATH, content=body, headers=sign_raw(body))
    assert again.status_code == 200
    assert len(await rows(owner_db, stored_id)) == 1


# 10 s past the 300 s tolerance: int(time.time()) truncates and a busy machine takes a while
@pytest.mark.parametrize("skew", [-310, 310, -10_000, 10**9, 10**11])
async def test_timestamps_outside_the_tolerance_either_way_are_refused(
    client: httpx.AsyncClient, owner_db: Database, skew: int
) -> None:
    evt = event()
    body, headers = signed(evt, at=int(time.time()) + skew)
    resp = await client.post(PATH, content=body, headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"
    assert await rows(owner_db, evt["id"]) == []


@pytest.mark.parametrize("skew", [-250, 250])
async def test_timestamps_inside_the_tolerance_either_way_are_accepted(
    client: httpx.AsyncClient, skew: int
) -> None:
    body, headers = signed(event(), at=int(time.time()) + skew)
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "t=abc,v1=00",
        "t=99999999999999999999999999,v1=00",
        "t=1,t=2,v1=00",
        "t=١٢٣,v1=00",  # non-ASCII digits
        "t=1,v1=é",  # non-ASCII signature
        "v1=00",
        "t=1",
        ",,,=,==",
        "t=" + "9" * 5000,
    ],
)
async def test_malformed_signature_headers_are_400(client: httpx.AsyncClient, header: str) -> None:
    body = json.dumps(event()).encode()
    raw = header.encode()  # bytes: a proxy may pass on what httpx would refuse to send
    resp = await client.post(PATH, content=body, headers={"Stripe-Signature": raw})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"


def _with(**changes: Any) -> dict[str, Any]:
    evt = event("payment_intent.succeeded", {"id": "pi_hostile", "object": "payment_intent"})
    evt.update(changes)
    return evt


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"n": value}
    return value


SIGNED_GARBAGE: list[tuple[str, bytes, str]] = [
    ("created_huge", json.dumps(_with(created=10**30)).encode(), "bad_created"),
    ("created_negative", json.dumps(_with(created=-1)).encode(), "bad_created"),
    ("created_string", json.dumps(_with(created="1700000000")).encode(), "bad_created"),
    ("created_float", json.dumps(_with(created=1.5)).encode(), "bad_created"),
    ("created_bool", json.dumps(_with(created=True)).encode(), "bad_created"),
    ("created_missing", json.dumps(_with(created=None)).encode(), "bad_created"),
    ("id_number", json.dumps(_with(id=12345)).encode(), "bad_id"),
    ("id_object", json.dumps(_with(id={"a": 1})).encode(), "bad_id"),
    ("id_huge", json.dumps(_with(id="evt_" + "a" * 60_000)).encode(), "bad_id"),
    ("id_not_evt", json.dumps(_with(id="xyz_1")).encode(), "bad_id"),
    ("type_number", json.dumps(_with(type=7)).encode(), "bad_type"),
    ("nul_in_value", json.dumps(_with(livemode="\x00")).encode(), "nul_in_text"),
    (
        "nul_in_key",
        json.dumps(_with(data={"object": {"id": "pi_1", "\x00": 1}})).encode(),
        "nul_in_text",
    ),
    ("lone_surrogate", json.dumps(_with(api_version="\ud800")).encode(), "lone_surrogate"),
    (
        "deep_nesting",
        json.dumps(_with(data={"object": {"id": "pi_1", "m": _deep(60)}})).encode(),
        "too_deep",
    ),
    (
        "deeper_than_python",
        b'{"id": "evt_1", "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        "too_deep",
    ),
    ("nan", b'{"id": "evt_nan", "type": "x.y", "created": 1, "v": NaN}', "non_finite_number"),
    ("inf", b'{"id": "evt_inf", "type": "x.y", "created": 1, "v": 1e999}', "non_finite_number"),
    ("missing_object", json.dumps(_with(data={})).encode(), "missing_object"),
    ("object_is_a_list", json.dumps(_with(data={"object": [1]})).encode(), "missing_object"),
    ("data_is_a_string", json.dumps(_with(data="x")).encode(), "missing_object"),
    ("object_id_number", json.dumps(_with(data={"object": {"id": 5}})).encode(), "bad_object_id"),
    ("not_json", b"{'id': 'evt_1'}", "not_json"),
    ("huge_integer", b'{"id": "evt_i", "v": ' + b"9" * 5000 + b"}", "not_json"),
    ("top_level_list", b"[1, 2, 3]", "not_an_object"),
    ("empty", b"", "not_json"),
]


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b, r) for _, b, r in SIGNED_GARBAGE],
    ids=[n for n, _, _ in SIGNED_GARBAGE],
)
async def test_signed_garbage_is_stored_as_rejected_and_answered_200(
    client: httpx.AsyncClient, owner_db: Database, body: bytes, reason: str
) -> None:
    resp = await client.post(PATH, content=body, headers=sign_raw(body))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json().get("reason", reason)) == ("rejected", reason)
    again = await client.post(PATH, content=body, headers=sign_raw(body))
    assert again.status_code == 200
    async with owner_db.engine.connect() as conn:
        found = (
            await conn.execute(
                text(
                    "SELECT status, last_error FROM stripe_events WHERE payload ->> 'sha256' = :d"
                ),
                {"d": hashlib.sha256(body).hexdigest()},
            )
        ).all()
    assert [tuple(r) for r in found] == [("rejected", reason)]


async def test_a_rejected_event_is_never_applied_not_even_by_replay(
    client: httpx.AsyncClient, runtime: Runtime, owner_db: Database
) -> None:
    evt = _with(created="soon")
    body = json.dumps(evt).encode()
    assert (await client.post(PATH, content=body, headers=sign_raw(body))).status_code == 200
    assert await service.apply_event(runtime, evt["id"], force=True) == "rejected"
    await service.replay(runtime, failed_only=False, since=None)
    assert [r.status for r in await rows(owner_db, evt["id"])] == ["rejected"]


async def _paid_card_payment(
    client: httpx.AsyncClient, stripe_js: Any, auth: dict[str, str]
) -> dict[str, Any]:
    created = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": 4000, "currency": "usd"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    pm = await card(stripe_js, "4242424242424242")
    confirmed = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": created.json()["payment_id"], "payment_method": pm},
        headers=auth,
    )
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    return dict(confirmed.json())


async def test_a_forged_charge_refunded_copy_refunds_nothing_stripe_does_not_show(
    client: httpx.AsyncClient, stripe_js: Any, stripe_admin: Any, user_id: UUID
) -> None:
    """Validly signed, but its copy of the charge says refunded while Stripe says not."""
    auth = bearer(user_id)
    payment = await _paid_card_payment(client, stripe_js, auth)
    intent = await stripe_admin.v1.payment_intents.retrieve_async(payment["payment_intent_id"])
    charge = await stripe_admin.v1.charges.retrieve_async(intent.latest_charge)
    assert charge.amount_refunded == 0
    forged_charge = {
        "id": charge.id,
        "object": "charge",
        "payment_intent": intent.id,
        "amount": 4000,
        "amount_refunded": 4000,
        "refunded": True,
        "currency": "usd",
    }
    body, headers = signed(event("charge.refunded", forged_charge))
    resp = await client.post(PATH, content=body, headers=headers)
    assert resp.status_code == 200
    after = (await client.get(f"/v1/payments/{payment['payment_id']}", headers=auth)).json()
    assert (after["status"], after["amount_refunded"]) == ("succeeded", 0)

    # The same event once Stripe really shows a refund: applied from Stripe's copy.
    await stripe_admin.v1.refunds.create_async({"payment_intent": intent.id, "amount": 1000})
    replayed = dict(json.loads(body))
    replayed["id"] = replayed["id"] + "_later"
    body, headers = signed(replayed)
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    after = (await client.get(f"/v1/payments/{payment['payment_id']}", headers=auth)).json()
    assert (after["status"], after["amount_refunded"]) == ("partially_refunded", 1000)
