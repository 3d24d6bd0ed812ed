"""A real crash: Tender's process is SIGKILLed while Stripe is creating the PaymentIntent.

The first transaction has committed the pending payment, Stripe creates the intent, and
nobody is left to store its id. After the restart, the client's retry with the same
Idempotency-Key must find the same payment and the same intent: one payment, one charge.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import stripe
from sqlalchemy import text

from tender.db.engine import Database
from tender.db.rls import DbContext
from tests.conftest import JWT_SECRET, WEBHOOK_SECRET, bearer

CREATE = "/functions/v1/create-payment-intent"
STRIPE_DELAY_MS = 1500


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _until(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def _payment_row(owner_db: Database, user: UUID) -> dict[str, Any] | None:
    async with owner_db.transaction(DbContext.service("test")) as conn:
        row = (
            await conn.execute(
                text("SELECT id, stripe_payment_intent_id FROM payments WHERE user_id = :u"),
                {"u": user},
            )
        ).first()
    return dict(row._mapping) if row else None


async def test_sigkill_between_stripe_call_and_second_transaction(
    database_urls: tuple[str, str],
    stripe_emulator: str,
    stripe_admin: stripe.StripeClient,
    client: httpx.AsyncClient,
    owner_db: Database,
    user_id: UUID,
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_urls[1],
        "DATABASE_MIGRATION_URL": database_urls[0],
        "STRIPE_SECRET_KEY": "sk_test_tender_offline",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_tender_offline",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_emulator,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "warning",
    }
    tender = subprocess.Popen(  # a separate process, so it can really be killed
        [sys.executable, "-m", "tender", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    admin = stripe_admin
    headers = {**bearer(user_id), "Idempotency-Key": "checkout-1"}
    body = {"amount": 2500, "currency": "usd"}
    async with httpx.AsyncClient(base_url=stripe_emulator, timeout=10) as control:
        try:
            base = f"http://127.0.0.1:{port}"

            async def up() -> bool:
                try:
                    return (await httpx.AsyncClient().get(base + "/livez")).status_code == 200
                except httpx.HTTPError:
                    return False

            await _until(up)
            await control.post(
                "/_test/faults",
                json={"path_prefix": "/v1/payment_intents", "methods": ["POST"],
                      "latency_ms": STRIPE_DELAY_MS},
            )  # fmt: skip
            async with httpx.AsyncClient(base_url=base, timeout=30) as api:
                request = asyncio.create_task(api.post(CREATE, json=body, headers=headers))
                pending = await _until(lambda: _payment_row(owner_db, user_id))
                await asyncio.sleep(0.3)  # Tender is now waiting on Stripe's answer
                tender.send_signal(signal.SIGKILL)
                tender.wait(10)
                (outcome,) = await asyncio.gather(request, return_exceptions=True)
                assert isinstance(outcome, httpx.HTTPError)  # the client saw the crash
        finally:
            if tender.poll() is None:
                tender.kill()
            await control.delete("/_test/faults")

    assert pending["stripe_payment_intent_id"] is None  # the crash window: intent not stored

    async def created_at_stripe() -> list[Any]:
        listed = await admin.v1.payment_intents.list_async({"limit": 100})
        mine = str(pending["id"])
        return [i for i in listed.data if i.metadata.to_dict().get("tender_payment_id") == mine]

    intents = await _until(created_at_stripe)
    assert len(intents) == 1  # Stripe finished creating it after Tender died

    # Restarted Tender (the in-process app on the same database): the client retries.
    retried = await client.post(CREATE, json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json()["payment_id"] == str(pending["id"])
    assert retried.json()["payment_intent_id"] == intents[0].id
    confirmed = await client.post(
        "/functions/v1/confirm-payment",
        json={"payment_id": str(pending["id"]), "payment_method": "pm_card_visa"},
        headers=bearer(user_id),
    )
    assert confirmed.json()["status"] == "succeeded", confirmed.text
    assert len(await created_at_stripe()) == 1
    charges = await admin.v1.charges.list_async({"payment_intent": intents[0].id})
    assert [c.status for c in charges.data] == ["succeeded"]
    row = await _payment_row(owner_db, user_id)
    assert row == {"id": pending["id"], "stripe_payment_intent_id": intents[0].id}
