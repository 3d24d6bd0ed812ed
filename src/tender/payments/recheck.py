"""The background re-check: settles payments whose outcome Tender does not know.

Those are payments left `processing` by an unknown outcome, and payments with a confirm
attempt whose answer was never recorded (the database was lost after Stripe answered).

`recheck_processing(runtime)` is one plain pass (a job queue can call it as is); the
`RecheckLoop` runs it every `PAYMENT_RECHECK_INTERVAL_SECONDS` in the API process. The
webhook settles the same payments too; whichever comes first wins, the other is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tender.db.rls import DbContext
from tender.errors import TenderError
from tender.gateway.deadline import time_budget
from tender.payments import repository
from tender.payments.confirm import settle
from tender.refunds.service import recheck_pending_refunds
from tender.runtime import Runtime

log = logging.getLogger(__name__)
CONTEXT = DbContext.service("recheck")
# A payment is left alone this long after its last change, so a confirm still inside its
# own time budget is never raced.
QUIET_SECONDS = 1.0


async def recheck_processing(runtime: Runtime) -> int:
    """One pass over unsettled payments and `pending` refunds; returns how many settled."""
    async with runtime.db.transaction(CONTEXT) as conn:
        payments = await repository.unsettled_payments(
            conn,
            quiet=QUIET_SECONDS,
            stale=runtime.settings.payment_time_budget_seconds + QUIET_SECONDS,
        )
    settled = 0
    for payment in payments:
        with time_budget(runtime.settings.payment_time_budget_seconds):
            try:
                answer = await settle(runtime, CONTEXT, payment)
            except TenderError as error:  # a decline settles it too (recorded by settle)
                settled += int(error.status_code == 402)
                continue
        settled += int(answer.status != 202)
    return settled + await recheck_pending_refunds(runtime)


class RecheckLoop:
    """Runs `recheck_processing` every `interval` seconds until stopped (0: never)."""

    def __init__(self, runtime: Runtime, *, interval: float | None = None) -> None:
        self.runtime = runtime
        self.interval = (
            runtime.settings.payment_recheck_interval_seconds if interval is None else interval
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> RecheckLoop:
        """Start the loop on the running event loop (idempotent; a 0 interval does nothing)."""
        if self.interval > 0 and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(), name="recheck")
        return self

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await recheck_processing(self.runtime)
            except Exception:
                log.warning("payment re-check pass failed; retrying next interval", exc_info=True)
            await asyncio.sleep(self.interval)
