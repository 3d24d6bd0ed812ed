"""The webhook inbox: verify -> store (unique on event id) + enqueue its job -> apply -> retry.

Applying never trusts an event's copy of a PaymentIntent or PaymentMethod for ordering: it
reads the object's current state from Stripe (outside any transaction) and applies that with
the time it was read, so duplicates, late and out-of-order deliveries all converge on
Stripe's latest state, and the state machine stops anything from moving backwards. The one
shortcut: a PaymentIntent event for a payment already paid is finished on receipt (no job,
no read), since Stripe's `succeeded` is final and nothing it says later can change Tender.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender import jobqueue as jobs
from tender.db.rls import DbContext
from tender.gateway.errors import StripeFailure
from tender.methods import service as methods
from tender.payments import service as payments
from tender.runtime import Runtime
from tender.webhooks import repository
from tender.webhooks.parsing import RejectedEvent, parse
from tender.webhooks.signature import InvalidSignature, verify

TOLERANCE_SECONDS = 300
MAX_BACKOFF = timedelta(hours=1)
CONTEXT = DbContext.service("stripe-webhook")
# Besides every payment_intent.* type, the types `_dispatch` applies (the rest: no re-read).
APPLIED_TYPES = frozenset({"payment_method.attached", "payment_method.detached", "charge.refunded"})


def webhook_secrets(runtime: Runtime) -> list[str]:
    """STRIPE_WEBHOOK_SECRET as a list: several comma-separated secrets during rotation."""
    raw = runtime.settings.stripe_webhook_secret
    value = raw.get_secret_value() if raw is not None else ""
    return [s.strip() for s in value.split(",") if s.strip()]


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 5 s, 10 s, 20 s ... capped at an hour."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def receive(runtime: Runtime, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify the raw bytes, store the delivery once, then apply it if it is new.

    Raises only before storing: a bad signature or a timestamp outside the tolerance (either
    way) is 400 `invalid_signature`. A signed body that can never be applied is stored as
    `rejected` with its reason and answered 200 (see tender.webhooks.parsing for why)."""
    try:
        verify(payload, signature, webhook_secrets(runtime), TOLERANCE_SECONDS)
    except InvalidSignature:
        runtime.recorder.webhook_event("unknown", "bad_signature")
        raise
    parsed = parse(payload)
    if isinstance(parsed, RejectedEvent):
        async with runtime.db.transaction(CONTEXT) as conn:
            await repository.insert_rejected(
                conn, event_id=parsed.id, event_type=parsed.type, reason=parsed.reason,
                payload=parsed.payload,
            )  # fmt: skip
        runtime.recorder.webhook_event(parsed.type, "rejected")
        return {"received": True, "status": "rejected", "reason": parsed.reason}
    async with runtime.db.transaction(CONTEXT) as conn:
        new = await repository.insert_event(
            conn,
            event_id=parsed.id,
            event_type=parsed.type,
            api_version=parsed.api_version,
            livemode=parsed.livemode,
            object_id=parsed.object_id,
            created_at=parsed.created_at,
            payload=parsed.payload,
        )
        settled = new and await _already_applied(conn, parsed.type, parsed.object_id)
        if settled:  # nothing to apply: done now, no job
            await repository.finish_event(conn, parsed.id, "processed")
        elif new:  # the job commits with the event, or neither does
            await jobs.defer(conn, jobs.APPLY_WEBHOOK_EVENT, {"event_id": parsed.id})
    if not new:
        runtime.recorder.webhook_event(parsed.type, "duplicate")
        return {"received": True, "duplicate": True}
    if settled:
        runtime.recorder.webhook_event(parsed.type, "processed")
        return {"received": True, "status": "processed"}
    if not runtime.settings.webhook_apply_inline:
        return {"received": True, "status": "queued"}  # a worker re-reads and applies it
    stored = {
        "id": parsed.id,
        "type": parsed.type,
        "payload": parsed.payload,
        "status": "pending",
        "attempts": 0,
    }
    status = await apply_event(runtime, parsed.id, stored=stored)
    return {"received": True, "status": status}


def _applies(kind: str) -> bool:
    """True for the types `_dispatch` acts on; the rest are ignored without asking Stripe."""
    return kind.startswith("payment_intent.") or kind in APPLIED_TYPES


async def _already_applied(conn: AsyncConnection, kind: str, object_id: str | None) -> bool:
    """True when nothing Stripe could say about the event's object would change Tender: a
    PaymentIntent event for a payment already paid (`succeeded` is final in Stripe). Saves
    the job, the re-read and the write; every other event is still re-read and applied."""
    if not kind.startswith("payment_intent.") or object_id is None:
        return False
    return await payments.settled_intent(conn, object_id)


async def _fresh(runtime: Runtime, event: dict[str, Any]) -> dict[str, Any] | None:
    """Stripe's current copy of the event's object (None when Stripe no longer has it, or
    for a type Tender does not apply). Never the event's own copy: a replayed or stale
    event must not move money state Stripe does not show."""
    kind = event["type"]
    if not _applies(kind):
        return None
    object_id = str(event["payload"]["data"]["object"]["id"])
    try:
        if kind.startswith("payment_intent."):
            return await runtime.gateway.retrieve_payment_intent(object_id)
        if kind.startswith("payment_method."):
            return await runtime.gateway.retrieve_payment_method(object_id)
        if kind.startswith("charge."):
            return await runtime.gateway.retrieve_charge(object_id)
    except StripeFailure as failure:
        if failure.stripe_code == "resource_missing":
            return None
        raise
    return None  # pragma: no cover - every applied prefix is handled above


async def apply_event(
    runtime: Runtime, event_id: str, *, force: bool = False, stored: dict[str, Any] | None = None
) -> str:
    """Apply one stored event; returns its status. Failures are stored and retried later.

    `stored` is the row just inserted by `receive` (saves reading it back)."""
    async with runtime.db.transaction(CONTEXT) as conn:
        event = stored if stored is not None else await repository.get_event(conn, event_id)
        if event is None:
            return "missing"
        done = event["status"] in ("processed", "ignored") and not force
        if event["status"] == "rejected" or done:
            return str(event["status"])  # a rejected event is never applied, not even by replay
        object_id = event["payload"]["data"]["object"].get("id")
        if await _already_applied(conn, event["type"], str(object_id) if object_id else None):
            locked = await repository.lock_event(conn, event_id)
            if locked is None:
                return "busy"
            await repository.finish_event(conn, event_id, "processed")
            runtime.recorder.webhook_event(event["type"], "processed")
            return "processed"
    touched: UUID | None = None
    try:
        observed_at = datetime.now(UTC)
        fresh = await _fresh(runtime, event)
        async with runtime.db.transaction(CONTEXT) as conn:
            locked = await repository.lock_event(conn, event_id)
            if locked is None:
                return "busy"  # another worker is applying it right now
            if locked["status"] in ("processed", "ignored") and not force:
                return str(locked["status"])
            status, touched = await _dispatch(runtime, conn, event, fresh, observed_at)
            await repository.finish_event(conn, event_id, status)
    except Exception as exc:
        retry_at = datetime.now(UTC) + backoff(event["attempts"] + 1)
        async with runtime.db.transaction(CONTEXT) as conn:
            await repository.fail_event(conn, event_id, f"{type(exc).__name__}: {exc}", retry_at)
        runtime.recorder.webhook_event(event["type"], "failed")
        return "failed"
    if touched is not None:
        await methods.invalidate(runtime, touched)
    runtime.recorder.webhook_event(event["type"], status)
    return status


async def _dispatch(
    runtime: Runtime,
    conn: Any,
    event: dict[str, Any],
    fresh: dict[str, Any] | None,
    observed_at: datetime,
) -> tuple[str, UUID | None]:
    kind = event["type"]
    if fresh is None:
        return "ignored", None
    if kind.startswith("payment_intent."):
        applied = await payments.apply_payment_intent_in(
            conn, fresh, source="webhook", observed_at=observed_at, recorder=runtime.recorder
        )
        if applied.payment is None:
            return "ignored", None
        error = fresh.get("last_payment_error")  # Stripe's copy, not the event's
        if kind == "payment_intent.payment_failed" and isinstance(error, dict):
            request = event["payload"].get("request")
            request_id = request.get("id") if isinstance(request, dict) else None
            await payments.record_error(
                conn,
                applied.payment,
                code=str(error.get("code") or "payment_failed"),
                decline_code=error.get("decline_code"),
                message=str(error.get("message") or ""),
                request_id=request_id if isinstance(request_id, str) else None,
            )
        return "processed", None
    if kind in ("payment_method.attached", "payment_method.detached"):
        user = await methods.apply_payment_method(conn, fresh)
        return ("processed" if user is not None else "ignored"), user
    if kind == "charge.refunded":
        applied = await payments.apply_charge_refund(conn, fresh)
        return ("processed" if applied.payment is not None else "ignored"), None
    return "ignored", None


async def apply_due(runtime: Runtime, *, limit: int = 50) -> int:
    """Re-apply pending and failed events whose retry time has come; returns how many."""
    async with runtime.db.transaction(CONTEXT) as conn:
        due = await repository.due_events(conn, datetime.now(UTC), limit)
    for event_id in due:
        await apply_event(runtime, event_id)
    return len(due)


async def replay(runtime: Runtime, *, failed_only: bool, since: datetime | None) -> dict[str, int]:
    """Re-apply stored events (all, or only failed/pending), counting the outcomes."""
    async with runtime.db.transaction(CONTEXT) as conn:
        ids = await repository.events_for_replay(conn, failed_only=failed_only, since=since)
    counts: dict[str, int] = {}
    for event_id in ids:
        status = await apply_event(runtime, event_id, force=not failed_only)
        counts[status] = counts.get(status, 0) + 1
    return counts
