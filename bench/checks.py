"""Correctness after the load: no 5xx, one charge per paid payment, Tender agrees with Stripe."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import asyncpg

from bench.overhead import _client
from bench.stack import Stack

CONCURRENCY = 20


async def after_run(stack: Stack) -> dict[str, Any]:
    """Compare every card payment in Tender with its PaymentIntent and charges in the test mode."""
    await asyncio.sleep(3)  # let the last webhooks land
    conn = await asyncpg.connect(stack.owner_url)
    try:
        rows = await conn.fetch(
            "SELECT stripe_payment_intent_id AS pi, status FROM payments"
            " WHERE stripe_payment_intent_id IS NOT NULL"
        )
        by_status = dict(await conn.fetch("SELECT status, count(*) FROM payments GROUP BY 1"))
    finally:
        await conn.close()
    client = _client(stack)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    drift: list[str] = []
    charges_wrong: list[str] = []

    async def check(pi: str, status: str) -> None:
        async with semaphore:
            intent = await client.v1.payment_intents.retrieve_async(pi)
            charges = await client.v1.charges.list_async({"payment_intent": pi, "limit": 100})
        paid = [c for c in charges.data if c.status == "succeeded"]
        if intent.status != status:
            drift.append(f"{pi}: tender {status}, stripe {intent.status}")
        if len(paid) != (1 if intent.status == "succeeded" else 0):
            charges_wrong.append(f"{pi}: {len(paid)} successful charges")

    await asyncio.gather(*(check(r["pi"], r["status"]) for r in rows))
    reconciliation = await asyncio.to_thread(_reconcile, stack)
    return {
        "reconciliation (tender reconcile --since 2h)": reconciliation,
        "payments by status": {k: int(v) for k, v in by_status.items()},
        "card payments checked": len(rows),
        "status drift (tender vs stripe)": len(drift),
        "payments with other than one charge when paid (zero otherwise)": len(charges_wrong),
        "drift examples": drift[:5],
    }


def _reconcile(stack: Stack) -> str:
    """What `tender reconcile` itself reports for the run: unfixed differences, if any."""
    done = subprocess.run(
        [sys.executable, "-m", "tender", "reconcile", "--since", "2h", "--json"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return f"could not run (exit {done.returncode}): {done.stderr.strip()[-300:]}"
    return f"{answer['checked']} checked, {answer['unfixed']} unfixed"
