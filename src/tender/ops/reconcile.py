"""Reconciliation: compare Tender's payments with Stripe's PaymentIntents over a window.

Differences: missing_here (an intent Tender has no payment for), missing_there (a payment
whose intent Stripe does not know), status or amount differs, stuck pending (no intent
after the grace period), offline payments past expiry. `fix` applies Stripe's truth through
the payments engineer's state machine (`apply_payment_intent`), audited.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Gauge

from tender.controls import repository as audit
from tender.db.rls import DbContext
from tender.gateway.errors import StripeFailure
from tender.ops import reconcile_repository as repo
from tender.payments import states
from tender.payments.apply import apply_payment_intent
from tender.payments.offline import expire_offline_payments
from tender.runtime import Runtime

log = logging.getLogger(__name__)
ACTOR = "reconcile"
STUCK_AFTER = timedelta(minutes=30)
KINDS = ("missing_here", "missing_there", "status_differs", "amount_differs", "stuck_pending",
         "offline_expired")  # fmt: skip
DRIFT = Gauge("tender_reconciliation_drift", "Differences found by the last run.", ["kind"])
Intent = dict[str, Any]  # a PaymentIntent as the gateway returns it
LAST_RUN = Gauge("tender_reconciliation_last_run_timestamp", "When reconciliation last ran.")


@dataclass(frozen=True)
class Drift:
    kind: str
    payment_id: str | None
    intent_id: str | None
    tender: str | None = None
    stripe: str | None = None
    fixed: bool = False


@dataclass
class Report:
    since: datetime
    drifts: list[Drift] = field(default_factory=list)
    checked: int = 0

    def count(self, kind: str) -> int:
        return sum(d.kind == kind and not d.fixed for d in self.drifts)


Progress = Callable[[int], None]


def _summary(intent: Intent) -> Intent:
    """The fields the comparison needs: a window of intents stays small in memory (a whole
    PaymentIntent is kilobytes; the soak saw a pass over 19k of them cost a worker 72 MB)."""
    metadata = intent.get("metadata") or {}
    return {
        "id": intent["id"],
        "status": intent["status"],
        "amount": intent["amount"],
        "metadata": {"tender_payment_id": metadata.get("tender_payment_id")},
    }


async def _intents(runtime: Runtime, since: datetime, progress: Progress) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    async for intent in runtime.gateway.list_payment_intents(created_gte=int(since.timestamp())):
        intents[intent["id"]] = _summary(intent)
        if len(intents) % 100 == 0:
            progress(100)
    progress(len(intents) % 100)
    return intents


def _tender_id(intent: Intent) -> str | None:
    value = (intent.get("metadata") or {}).get("tender_payment_id")
    return str(value) if value else None


def _tender_status(payment_status: str, intent_status: str) -> bool:
    """True when Tender's status agrees with the intent's."""
    if intent_status == "succeeded":
        return payment_status in states.PAID
    return payment_status == states.from_intent(intent_status)


async def reconcile(
    runtime: Runtime,
    *,
    since: timedelta,
    fix: bool = False,
    progress: Progress = lambda _: None,
) -> Report:
    now = datetime.now(UTC)
    report = Report(since=now - since)
    intents = await _intents(runtime, report.since, progress)
    async with runtime.db.transaction(DbContext.service(ACTOR)) as conn:
        payments = await repo.card_payments_since(conn, report.since)
        known = await repo.payments_by_intent(conn, list(intents))
        offline = await repo.expired_offline(conn, now)
    report.checked = len(payments) + len(intents)
    to_apply: list[tuple[Drift, Intent | None]] = []
    by_tender_id = {tid: i for i in intents.values() if (tid := _tender_id(i))}
    for payment in payments:
        pid, intent_id = str(payment["id"]), payment["stripe_payment_intent_id"]
        if intent_id is None:
            match = by_tender_id.get(pid)
            if match is not None or now - payment["created_at"] > STUCK_AFTER:
                seen_id, status = (match["id"], match["status"]) if match else (None, None)
                drift = Drift("stuck_pending", pid, seen_id, payment["status"], status)
                to_apply.append((drift, match))
            continue
        intent = intents.get(intent_id)
        if intent is None:
            try:
                intent = await runtime.gateway.retrieve_payment_intent(intent_id)
            except StripeFailure as failure:
                if failure.stripe_code != "resource_missing":
                    raise
                report.drifts.append(Drift("missing_there", pid, intent_id, payment["status"]))
                continue
        if intent["amount"] != payment["amount"]:
            report.drifts.append(
                Drift(
                    "amount_differs", pid, intent_id, str(payment["amount"]), str(intent["amount"])
                )
            )
        if not _tender_status(payment["status"], intent["status"]):
            drift = Drift("status_differs", pid, intent_id, payment["status"], intent["status"])
            to_apply.append((drift, intent))
    for intent_id, intent in intents.items():
        tender_id = _tender_id(intent)
        if intent_id not in known and not tender_id:
            report.drifts.append(Drift("missing_here", None, intent_id, None, intent["status"]))
    for row in offline:
        report.drifts.append(Drift("offline_expired", str(row["id"]), None, "pending", "expired"))
    for drift, intent in to_apply:
        report.drifts.append(await _fix(runtime, drift, intent) if fix else drift)
    if fix and offline:
        expired = await expire_offline_payments(runtime.db, now)
        report.drifts = [
            Drift(**{**d.__dict__, "fixed": True}) if d.kind == "offline_expired" and expired else d
            for d in report.drifts
        ]
    for kind in KINDS:
        DRIFT.labels(kind=kind).set(report.count(kind))
    LAST_RUN.set(now.timestamp())
    return report


async def _fix(runtime: Runtime, drift: Drift, seen: Intent | None) -> Drift:
    if seen is None:
        return drift
    read_at = datetime.now(UTC)
    intent = await runtime.gateway.retrieve_payment_intent(seen["id"])  # whole and current
    applied = await apply_payment_intent(
        runtime.db, intent, source=ACTOR, observed_at=read_at, recorder=runtime.recorder
    )
    if not applied.changed or applied.payment is None:
        return drift
    async with runtime.db.transaction(DbContext.service(ACTOR)) as conn:
        await audit.insert_audit(
            conn,
            actor=ACTOR,
            action="reconcile.fix",
            subject=f"payment:{drift.payment_id}",
            old_value={"status": drift.tender, "kind": drift.kind},
            new_value={"status": applied.payment["status"], "intent": intent["id"]},
        )
    return Drift(**{**drift.__dict__, "fixed": True})


class ReconcileScheduler:
    """A pass guarded by a session advisory lock, for callers outside the job queue. The
    scheduled pass is the job queue's periodic `tender.reconcile` (tender.jobs.scheduled),
    run every RECONCILE_INTERVAL_SECONDS once across all workers, guarded by the job lock."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def run_once(self, window: timedelta) -> Report | None:
        """One scheduled pass, unless another process is running it (None then).

        Every worker of every instance has a scheduler; an advisory lock lets one of them work
        while the others skip, instead of each reading all of Stripe's recent intents.
        """
        async with repo.schedule_lease(self._runtime.db) as held:
            if not held:
                return None
            report = await reconcile(self._runtime, since=window)
        drift = sum(report.count(k) for k in KINDS)
        if drift:
            log.warning("reconciliation found %d differences", drift)
        return report
