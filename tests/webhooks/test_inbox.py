"""The webhook inbox: signatures, rotation, duplicates, order, unknown types, retry, replay."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from tender.app import create_app
from tender.config import Settings
from tender.db.engine import Database
from tender.runtime import Runtime
from tender.webhooks import service
from tests.conftest import WEBHOOK_SECRET

PATH = "/functions/v1/stripe-webhook"


def signed(
    payload: dict[str, Any], secret: str = WEBHOOK_SECRET, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    ts = int(time.time()) if at is None else at
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}


def event(kind: str = "customer.created", obj: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "api_version": "2026-10-28",
        "livemode": False,
        "data": {"object": obj or {"id": f"cus_{uuid4().hex[:12]}", "object": "customer"}},
        "request": {"id": None, "idempotency_key": None},
    }


async def stored(owner_db: Database, event_id: str) -> list[Any]:
    async with owner_db.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    text("SELECT status, attempts FROM stripe_events WHERE id = :id"),
                    {"id": event_id},
                )
            ).all()
        )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": "t=1,v1=deadbeef"},
        {"Stripe-Signature": "garbage"},
    ],
)
async def test_bad_or_missing_signature_is_400_and_stores_nothing(
    client: httpx.AsyncClient, owner_db: Database, headers: dict[str, str]
) -> None:
    evt = event()
    resp = await client.post(PATH, content=json.dumps(evt), headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_signature"
    assert await stored(owner_db, evt["id"]) == []


async def test_stale_timestamp_is_rejected(client: httpx.AsyncClient, owner_db: Database) -> None:
    evt = event()
    body, headers = signed(evt, at=int(time.time()) - 301)
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 400
    assert await stored(owner_db, evt["id"]) == []


async def test_unknown_type_is_acknowledged_and_ignored(
    client: httpx.AsyncClient, owner_db: Database
) -> None:
    evt = event("customer.created")
    body, headers = signed(evt)
    resp = await client.post(PATH, content=body, headers=headers)
    assert resp.status_code == 200
    assert [r.status for r in await stored(owner_db, evt["id"])] == ["ignored"]


async def test_rotation_accepts_every_configured_secret(
    test_settings: Settings, database_urls: tuple[str, str], owner_db: Database
) -> None:
    settings = test_settings.model_copy(
        update={"stripe_webhook_secret": SecretStr(f"whsec_new_one, {WEBHOOK_SECRET}")}
    )
    runtime = Runtime.build(settings, database_urls[1])
    try:
        app = create_app(runtime)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            for secret in ("whsec_new_one", WEBHOOK_SECRET):
                evt = event()
                body, headers = signed(evt, secret=secret)
                assert (await c.post(PATH, content=body, headers=headers)).status_code == 200
            evt = event()
            body, headers = signed(evt, secret="whsec_retired")
            assert (await c.post(PATH, content=body, headers=headers)).status_code == 400
    finally:
        await runtime.close()


async def test_same_event_five_times_in_parallel_is_stored_once(
    client: httpx.AsyncClient, owner_db: Database
) -> None:
    evt = event()
    body, headers = signed(evt)
    answers = await asyncio.gather(
        *(client.post(PATH, content=body, headers=headers) for _ in range(5))
    )
    assert [a.status_code for a in answers] == [200] * 5
    assert sum(1 for a in answers if a.json().get("duplicate")) == 4
    rows = await stored(owner_db, evt["id"])
    assert len(rows) == 1
    assert rows[0].attempts == 1


async def test_failed_event_is_retried_by_the_worker_and_replay(
    client: httpx.AsyncClient, runtime: Runtime, owner_db: Database, user_id: UUID
) -> None:
    """An event for an intent Stripe cannot serve fails, is kept, and is retried later."""
    intent = {"id": "pi_doesnotexist", "object": "payment_intent", "status": "succeeded"}
    evt = event("payment_intent.succeeded", intent)
    body, headers = signed(evt)
    assert (await client.post(PATH, content=body, headers=headers)).status_code == 200
    # resource_missing at Stripe: the event is acknowledged and ignored, not failed forever.
    assert [r.status for r in await stored(owner_db, evt["id"])] == ["ignored"]

    evt2 = event("payment_intent.succeeded", {**intent, "id": "pi_alsomissing"})
    async with owner_db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO stripe_events (id, type, object_id, stripe_created_at, payload, "
                "status, next_attempt_at) VALUES (:id, :t, :o, now(), CAST(:p AS jsonb), "
                "'failed', now() - interval '1 second')"
            ),
            {"id": evt2["id"], "t": evt2["type"], "o": "pi_alsomissing", "p": json.dumps(evt2)},
        )
    assert await service.apply_due(runtime) >= 1
    assert [r.status for r in await stored(owner_db, evt2["id"])] == ["ignored"]
    counts = await service.replay(runtime, failed_only=True, since=None)
    assert counts.get("failed", 0) == 0
