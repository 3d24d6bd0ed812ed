"""The remaining branches of the code that moves money, each reached through the API:
refusals that must not cancel, refusals that must, intents found by metadata, confirms that
cannot start, offline payments received twice or too late."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import text

from tender.config import Settings
from tender.db.engine import Database
from tests.conftest import bearer
from tests.e2e.conftest import card
from tests.e2e.faulty import CONFIRM, CREATE, count, fault, payment_row, tender_with

SERVICE = bearer(None, role="service_role", extra={"sub": "ops-desk"})
BODY = {"amount": 2500, "currency": "usd"}


async def test_missing_amount_is_400(client: httpx.AsyncClient, user_id: UUID) -> None:
    resp = await client.post(CREATE, json={"currency": "usd"}, headers=bearer(user_id))
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "missing_amount"


async def test_a_refusal_that_cannot_be_retried_cancels_the_payment_and_frees_the_order(
    test_settings: Settings, database_urls: tuple[str, str], owner_db: Database, user_id: UUID
) -> None:
    """Stripe refuses the amount (below its minimum): retrying cannot help, so the payment
    is canceled (retryable false) and the order can be paid another way."""
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], min_amount=1) as (_, api):
        order = (
            await api.post("/v1/orders", json={"amount": 10, "currency": "usd"}, headers=auth)
        ).json()
        resp = await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)
        assert resp.status_code == 400, resp.text
        assert resp.json()["error"]["code"] == "amount_out_of_range"
        assert resp.json()["error"]["retryable"] is False
        offline = await api.post(
            f"/v1/orders/{order['id']}/offline-payment",
            json={"method": "cash_on_pickup"},
            headers=auth,
        )
    assert offline.status_code == 201, offline.text
    sql = "SELECT count(*) FROM payments WHERE order_id = :o AND status = 'canceled'"
    assert await count(owner_db, sql, o=order["id"]) == 1


async def test_an_intent_made_with_other_parameters_is_found_by_its_metadata(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_admin: Any,
    user_id: UUID,
) -> None:
    """Stripe refuses the create key because an earlier request used it with other
    parameters (`idempotency_error`): Tender links the intent that request made."""
    headers = {**bearer(user_id), "Idempotency-Key": "create-other-params"}
    async with tender_with(test_settings, database_urls[1]) as (_, api):
        await fault(control, "/v1/payment_intents", methods=["POST"], fail_next=2, fail_mode="429")
        assert (await api.post(CREATE, json=BODY, headers=headers)).status_code == 503
        (open_payment,) = (await api.get("/v1/payments", headers=headers)).json()["data"]
        pid = open_payment["payment_id"]
        made = await stripe_admin.v1.payment_intents.create_async(
            {"amount": 2500, "currency": "usd", "metadata": {"tender_payment_id": pid}},
            {"idempotency_key": f"tender:payment:{pid}:create"},
        )
        again = await api.post(CREATE, json=BODY, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["payment_id"] == pid
    assert again.json()["payment_intent_id"] == made.id


async def test_confirms_that_cannot_start(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1]) as (_, api):
        pay = (await api.post(CREATE, json=BODY, headers=auth)).json()
        no_card = await api.post(CONFIRM, json={"payment_id": pay["payment_id"]}, headers=auth)
        assert no_card.status_code == 400
        assert no_card.json()["error"]["code"] == "payment_method_required"

        await fault(control, "/v1/payment_intents", methods=["POST"], fail_next=2, fail_mode="429")
        other = {**auth, "Idempotency-Key": "not-ready"}
        assert (await api.post(CREATE, json=BODY, headers=other)).status_code == 503
        unready = [
            p
            for p in (await api.get("/v1/payments", headers=auth)).json()["data"]
            if not p["payment_intent_id"]
        ]
        pm = await card(stripe_js, "4242424242424242")
        not_ready = await api.post(
            CONFIRM,
            json={"payment_id": unready[0]["payment_id"], "payment_method": pm},
            headers=auth,
        )
        assert not_ready.status_code == 409
        assert not_ready.json()["error"]["code"] == "payment_not_ready"

        order = (await api.post("/v1/orders", json=BODY, headers=auth)).json()
        cash = (
            await api.post(
                f"/v1/orders/{order['id']}/offline-payment",
                json={"method": "cash_on_pickup"},
                headers=auth,
            )
        ).json()
        not_card = await api.post(
            CONFIRM, json={"payment_id": cash["payment_id"], "payment_method": pm}, headers=auth
        )
        assert not_card.status_code == 400
        assert not_card.json()["error"]["code"] == "not_a_card_payment"

        missing = await api.post(
            CONFIRM, json={"payment_intent_id": "pi_nothere", "payment_method": pm}, headers=auth
        )
        assert missing.status_code == 404

        by_intent = await api.post(
            CONFIRM,
            json={"payment_intent_id": pay["payment_intent_id"], "payment_method": pm},
            headers=auth,
        )
    assert by_intent.status_code == 200, by_intent.text
    assert by_intent.json()["status"] == "succeeded"


async def test_an_unknown_payment_method_is_400_and_the_payment_stays_open(
    client: httpx.AsyncClient, owner_db: Database, user_id: UUID
) -> None:
    auth = bearer(user_id)
    pay = (await client.post(CREATE, json=BODY, headers=auth)).json()
    resp = await client.post(
        CONFIRM,
        json={"payment_id": pay["payment_id"], "payment_method": "pm_nothere"},
        headers=auth,
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "payment_method_not_found"
    assert (await payment_row(owner_db, pay["payment_id"]))["status"] == "requires_payment_method"


async def test_processing_order_payment_and_stripe_busy_while_settling(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    """An order's payment goes `processing` (order awaiting payment); a confirm sent while
    Stripe is busy keeps answering 202 (nothing is known yet), then the answer is final."""
    auth = bearer(user_id)
    fast = {"stripe_timeout_seconds": 0.4, "stripe_max_network_retries": 2}
    async with tender_with(test_settings, database_urls[1], **fast) as (_, api):
        order = (await api.post("/v1/orders", json=BODY, headers=auth)).json()
        pay = (await api.post(CREATE, json={"order_id": order["id"]}, headers=auth)).json()
        pid, pi = pay["payment_id"], pay["payment_intent_id"]
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=3, fail_mode="500")
        pm = await card(stripe_js, "4242424242424242")
        first = await api.post(
            CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth
        )
        assert first.status_code == 202, first.text
        assert (await api.get(f"/v1/orders/{order['id']}", headers=auth)).json()[
            "status"
        ] == "awaiting_payment"
        await fault(control, f"/v1/payment_intents/{pi}/confirm", fail_next=3, fail_mode="429")
        busy = await api.post(CONFIRM, json={"payment_id": pid, "payment_method": pm}, headers=auth)
        assert busy.status_code == 202, busy.text
        await control.delete("/_test/faults")
        final = await api.post(CONFIRM, json={"payment_id": pid}, headers=auth)
        assert final.status_code == 200, final.text
        assert final.json()["status"] == "succeeded"
        assert (await api.get(f"/v1/orders/{order['id']}", headers=auth)).json()["status"] == "paid"


async def test_refresh_of_a_payment_waiting_for_3ds_while_stripe_is_down_is_503(
    test_settings: Settings,
    database_urls: tuple[str, str],
    control: httpx.AsyncClient,
    stripe_js: Any,
    user_id: UUID,
) -> None:
    auth = bearer(user_id)
    async with tender_with(test_settings, database_urls[1], stripe_max_network_retries=1) as (
        _,
        api,
    ):
        pay = (await api.post(CREATE, json=BODY, headers=auth)).json()
        pm = await card(stripe_js, "4000002760003184")  # 3-D Secure required
        started = await api.post(
            CONFIRM, json={"payment_id": pay["payment_id"], "payment_method": pm}, headers=auth
        )
        assert started.json()["status"] == "requires_action"
        await fault(
            control, f"/v1/payment_intents/{pay['payment_intent_id']}", fail_next=5, fail_mode="429"
        )
        resp = await api.post(CONFIRM, json={"payment_id": pay["payment_id"]}, headers=auth)
    assert resp.status_code == 503, resp.text
    assert resp.json()["error"]["code"] == "provider_unavailable"


async def test_offline_payment_replay_conflict_and_receipt_rules(
    client: httpx.AsyncClient, owner_db: Database, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = (await client.post("/v1/orders", json=BODY, headers=auth)).json()
    path = f"/v1/orders/{order['id']}/offline-payment"
    keyed = {**auth, "Idempotency-Key": f"cash-{uuid4()}"}
    first = await client.post(path, json={"method": "cash_on_pickup"}, headers=keyed)
    assert first.status_code == 201, first.text
    replay = await client.post(path, json={"method": "cash_on_pickup"}, headers=keyed)
    assert replay.json() == first.json()
    other = await client.post(path, json={"method": "bank_transfer"}, headers=auth)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "payment_in_progress"

    pid = first.json()["payment_id"]
    received = f"/v1/payments/{pid}/mark-received"
    assert (await client.post(received, headers=SERVICE)).json()["status"] == "succeeded"
    twice = await client.post(received, headers=SERVICE)  # received twice: same answer
    assert twice.status_code == 200
    assert twice.json()["status"] == "succeeded"
    assert (
        await client.post(f"/v1/payments/{uuid4()}/mark-received", headers=SERVICE)
    ).status_code == 404

    card_pay = (await client.post(CREATE, json=BODY, headers=auth)).json()
    not_offline = await client.post(
        f"/v1/payments/{card_pay['payment_id']}/mark-received", headers=SERVICE
    )
    assert not_offline.status_code == 400
    assert not_offline.json()["error"]["code"] == "not_offline"

    late_order = (await client.post("/v1/orders", json=BODY, headers=auth)).json()
    late = (
        await client.post(
            f"/v1/orders/{late_order['id']}/offline-payment",
            json={"method": "bank_transfer"},
            headers=auth,
        )
    ).json()
    async with owner_db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE payments SET expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": late["payment_id"]},
        )
    assert (await client.post("/v1/payments/expire-offline", headers=SERVICE)).json()[
        "expired"
    ] >= 1
    too_late = await client.post(
        f"/v1/payments/{late['payment_id']}/mark-received", headers=SERVICE
    )
    assert too_late.status_code == 409
    assert too_late.json()["error"]["code"] == "payment_not_pending"


async def test_an_offline_payment_is_not_refunded_here(
    client: httpx.AsyncClient, user_id: UUID
) -> None:
    auth = bearer(user_id)
    order = (await client.post("/v1/orders", json=BODY, headers=auth)).json()
    cash = (
        await client.post(
            f"/v1/orders/{order['id']}/offline-payment",
            json={"method": "cash_on_pickup"},
            headers=auth,
        )
    ).json()
    await client.post(f"/v1/payments/{cash['payment_id']}/mark-received", headers=SERVICE)
    resp = await client.post(
        "/v1/refunds",
        json={"payment_id": cash["payment_id"]},
        headers={**SERVICE, "Idempotency-Key": f"r-{uuid4()}"},
    )
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "payment_not_refundable"
