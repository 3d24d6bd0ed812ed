"""Service-role refunds: full and partial, idempotent, never more than captured."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import httpx
import stripe
from sqlalchemy import text

from tender.db.engine import Database
from tests.conftest import bearer
from tests.refunds.conftest import PaidPayment

SERVICE = bearer(None, role="service_role", extra={"sub": "support-desk"})


def _key() -> dict[str, str]:
    return {**SERVICE, "Idempotency-Key": f"refund-{uuid4()}"}


async def _payment_row(owner_db: Database, payment_id: str) -> dict[str, object]:
    async with owner_db.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT status, amount_refunded FROM payments WHERE id = :id"), {"id": payment_id}
        )
        return dict(row.mappings().one())


async def test_partial_then_full_refund(
    client: httpx.AsyncClient,
    paid_payment: PaidPayment,
    owner_db: Database,
    stripe_admin: stripe.StripeClient,
) -> None:
    pay = await paid_payment(amount=5000)
    first = await client.post(
        "/v1/refunds",
        json={"payment_id": pay["payment_id"], "amount": 1500, "reason": "requested_by_customer"},
        headers=_key(),
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["refund"]["status"] == "succeeded"
    assert body["refund"]["stripe_refund_id"].startswith("re_")
    assert body["payment"]["status"] == "partially_refunded"
    assert body["payment"]["amount_refunded"] == 1500
    rest = await client.post("/v1/refunds", json={"payment_id": pay["payment_id"]}, headers=_key())
    assert rest.status_code == 201, rest.text
    assert rest.json()["refund"]["amount"] == 3500
    assert await _payment_row(owner_db, pay["payment_id"]) == {
        "status": "refunded",
        "amount_refunded": 5000,
    }
    refunds = await stripe_admin.v1.refunds.list_async({"payment_intent": pay["payment_intent_id"]})
    assert sorted(r.amount for r in refunds.data) == [1500, 3500]
    listed = await client.get(f"/v1/refunds?payment_id={pay['payment_id']}", headers=SERVICE)
    assert [r["amount"] for r in listed.json()["data"]] == [1500, 3500]


async def test_same_key_replays_without_refunding_twice(
    client: httpx.AsyncClient, paid_payment: PaidPayment, stripe_admin: stripe.StripeClient
) -> None:
    pay = await paid_payment(amount=4000)
    headers = _key()
    body = {"payment_id": pay["payment_id"], "amount": 1000}
    first, second = await asyncio.gather(
        client.post("/v1/refunds", json=body, headers=headers),
        client.post("/v1/refunds", json=body, headers=headers),
    )
    third = await client.post("/v1/refunds", json=body, headers=headers)
    assert sorted([first.status_code, second.status_code]) in ([200, 201], [201, 201])
    assert third.status_code == 200
    assert third.headers["idempotent-replayed"] == "true"
    assert len({first.json()["refund"]["id"], third.json()["refund"]["id"]}) == 1
    refunds = await stripe_admin.v1.refunds.list_async({"payment_intent": pay["payment_intent_id"]})
    assert [r.amount for r in refunds.data] == [1000]
    reused = await client.post("/v1/refunds", json={**body, "amount": 2000}, headers=headers)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"


async def test_never_more_than_captured(
    client: httpx.AsyncClient, paid_payment: PaidPayment, owner_db: Database
) -> None:
    pay = await paid_payment(amount=3000)
    too_much = await client.post(
        "/v1/refunds", json={"payment_id": pay["payment_id"], "amount": 3001}, headers=_key()
    )
    assert too_much.status_code == 409
    error = too_much.json()["error"]
    assert error["code"] == "refund_exceeds_captured"
    assert error["refundable"] == 3000
    racing = await asyncio.gather(
        *(
            client.post(
                "/v1/refunds", json={"payment_id": pay["payment_id"], "amount": 1000},
                headers=_key(),
            )
            for _ in range(5)
        )
    )  # fmt: skip
    assert sorted(r.status_code for r in racing) == [201, 201, 201, 409, 409]
    assert await _payment_row(owner_db, pay["payment_id"]) == {
        "status": "refunded",
        "amount_refunded": 3000,
    }


async def test_refund_rules(client: httpx.AsyncClient, paid_payment: PaidPayment) -> None:
    pay = await paid_payment(amount=2000)
    user = await client.post(
        "/v1/refunds",
        json={"payment_id": pay["payment_id"]},
        headers={**bearer(uuid4()), "Idempotency-Key": "k"},
    )
    assert user.status_code == 403
    no_key = await client.post(
        "/v1/refunds", json={"payment_id": pay["payment_id"]}, headers=SERVICE
    )
    assert no_key.status_code == 400
    assert no_key.json()["error"]["code"] == "idempotency_key_missing"
    missing = await client.post("/v1/refunds", json={"payment_id": str(uuid4())}, headers=_key())
    assert missing.status_code == 404
    pending = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": 900, "currency": "usd"},
        headers=bearer(uuid4()),
    )
    unpaid = await client.post(
        "/v1/refunds", json={"payment_id": pending.json()["payment_id"]}, headers=_key()
    )
    assert unpaid.status_code == 409
    assert unpaid.json()["error"]["code"] == "payment_not_refundable"


async def test_refund_is_audited(
    client: httpx.AsyncClient, paid_payment: PaidPayment, owner_db: Database
) -> None:
    pay = await paid_payment(amount=2500)
    await client.post(
        "/v1/refunds", json={"payment_id": pay["payment_id"], "amount": 500}, headers=_key()
    )
    async with owner_db.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    text(
                        "SELECT actor, old_value, new_value FROM audit_log"
                        " WHERE action = 'refund.create' AND subject = :s"
                    ),
                    {"s": f"payment:{pay['payment_id']}"},
                )
            )
            .mappings()
            .one()
        )
    assert row["actor"] == "service:support-desk"
    assert row["old_value"] == {"status": "succeeded", "amount_refunded": 0}
    assert row["new_value"]["amount_refunded"] == 500
    assert row["new_value"]["status"] == "partially_refunded"
