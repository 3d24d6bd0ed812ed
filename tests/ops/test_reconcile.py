"""Reconciliation finds drift planted through the test mode and `--fix` heals it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
import stripe
from prometheus_client import REGISTRY
from sqlalchemy import text
from typer.testing import CliRunner

from tender.cli import app as cli
from tender.db.engine import Database
from tender.ops.reconcile import reconcile
from tender.runtime import Runtime
from tests.conftest import bearer

DAY = timedelta(hours=24)


@pytest.fixture
async def lost_webhooks(stripe_emulator: str) -> AsyncIterator[None]:
    """Every webhook the test mode sends meanwhile is dropped (a lost delivery)."""
    async with httpx.AsyncClient(base_url=stripe_emulator) as control:
        await control.post("/_test/webhooks", json={"drop": True})
        yield
        await control.delete("/_test/webhooks")


async def _status(owner_db: Database, payment_id: str) -> tuple[str, str | None]:
    async with owner_db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT status, stripe_payment_intent_id FROM payments WHERE id = :id"),
                {"id": payment_id},
            )
        ).one()
    return row[0], row[1]


@pytest.mark.usefixtures("lost_webhooks")
async def test_intent_canceled_behind_tenders_back_is_found_and_fixed(
    client: httpx.AsyncClient,
    runtime: Runtime,
    stripe_admin: stripe.StripeClient,
    owner_db: Database,
) -> None:
    created = await client.post(
        "/functions/v1/create-payment-intent",
        json={"amount": 1200, "currency": "usd"},
        headers=bearer(uuid4()),
    )
    pay = created.json()
    await stripe_admin.v1.payment_intents.cancel_async(pay["payment_intent_id"])
    report = await reconcile(runtime, since=DAY)
    mine = [d for d in report.drifts if d.payment_id == pay["payment_id"]]
    assert [(d.kind, d.tender, d.stripe, d.fixed) for d in mine] == [
        ("status_differs", "requires_payment_method", "canceled", False)
    ]
    assert REGISTRY.get_sample_value("tender_reconciliation_drift", {"kind": "status_differs"})
    fixed = await reconcile(runtime, since=DAY, fix=True)
    assert [d.fixed for d in fixed.drifts if d.payment_id == pay["payment_id"]] == [True]
    assert (await _status(owner_db, pay["payment_id"]))[0] == "canceled"
    again = await reconcile(runtime, since=DAY)
    assert not [d for d in again.drifts if d.payment_id == pay["payment_id"]]
    async with owner_db.engine.connect() as conn:
        audited = await conn.scalar(
            text("SELECT count(*) FROM audit_log WHERE action = 'reconcile.fix' AND subject = :s"),
            {"s": f"payment:{pay['payment_id']}"},
        )
    assert audited == 1


async def test_stuck_pending_is_linked_to_its_intent_or_reported(
    runtime: Runtime, stripe_admin: stripe.StripeClient, owner_db: Database
) -> None:
    """A crash after Stripe created the intent, before Tender stored its id; and a payment
    that never reached Stripe at all."""
    crashed, never = uuid4(), uuid4()
    async with owner_db.engine.begin() as conn:
        for pid in (crashed, never):
            await conn.execute(
                text(
                    "INSERT INTO payments (id, user_id, amount, currency, created_at)"
                    " VALUES (:id, :user, 700, 'usd', now() - interval '2 hours')"
                ),
                {"id": pid, "user": uuid4()},
            )
    intent = await stripe_admin.v1.payment_intents.create_async(
        {"amount": 700, "currency": "usd", "metadata": {"tender_payment_id": str(crashed)}}
    )
    report = await reconcile(runtime, since=DAY, fix=True)
    by_payment = {d.payment_id: d for d in report.drifts if d.kind == "stuck_pending"}
    assert by_payment[str(crashed)].fixed is True
    assert by_payment[str(never)].fixed is False
    assert await _status(owner_db, str(crashed)) == ("requires_payment_method", intent.id)


async def test_intent_unknown_to_tender_is_missing_here(
    runtime: Runtime, stripe_admin: stripe.StripeClient
) -> None:
    stray = await stripe_admin.v1.payment_intents.create_async({"amount": 999, "currency": "usd"})
    report = await reconcile(runtime, since=DAY)
    assert ("missing_here", stray.id) in {(d.kind, d.intent_id) for d in report.drifts}


async def test_cli_reports_and_exits_non_zero_on_drift(
    cli_env: dict[str, str], stripe_admin: stripe.StripeClient
) -> None:
    await stripe_admin.v1.payment_intents.create_async({"amount": 555, "currency": "usd"})
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["reconcile", "--since", "1h", "--json"], env=cli_env
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["unfixed"] >= 1
    assert any(d["kind"] == "missing_here" for d in report["drifts"])
    bad = await asyncio.to_thread(
        CliRunner().invoke, cli, ["reconcile", "--since", "yesterday"], env=cli_env
    )
    assert bad.exit_code == 2


async def test_scheduled_pass_runs_in_one_process_at_a_time(runtime: Runtime) -> None:
    """Every worker has a scheduler; while one holds the lease the others skip their pass."""
    from tender.ops import reconcile_repository
    from tender.ops.reconcile import ReconcileScheduler

    scheduler = ReconcileScheduler(runtime)
    async with reconcile_repository.schedule_lease(runtime.db) as held:  # another worker's pass
        assert held
        assert await scheduler.run_once(timedelta(minutes=60)) is None
    report = await scheduler.run_once(timedelta(minutes=60))
    assert report is not None
    assert report.since > datetime.now(UTC) - timedelta(minutes=61)
