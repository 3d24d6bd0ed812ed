"""The background re-check: settles payments whose outcome Tender does not know.

Those are payments left `processing` by an unknown outcome, and payments with a confirm
attempt whose answer was never recorded (the database was lost after Stripe answered).

`recheck_processing(runtime)` is one plain pass; the job queue runs it every
`PAYMENT_RECHECK_INTERVAL_SECONDS`, once across all workers (`tender.jobs.scheduled`). The
webhook settles the same payments too; whichever comes first wins, the other is a no-op.
"""

from __future__ import annotations

import logging

from tender.db.rls import DbContext
from tender.errors import TenderError
from tender.gateway.deadline import time_budget
from tender.payments import repository
from tender.payments.confirm import settle
from tender.runtime import Runtime

log = logging.getLogger(__name__)
CONTEXT = DbContext.service("recheck")
# A payment is left alone this long after its last change, so a confirm still inside its
# own time budget is never raced.
QUIET_SECONDS = 1.0


async def recheck_processing(runtime: Runtime) -> int:
    """One pass over unsettled payments; returns how many settled (refunds: refunds.service)."""
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
    return settled
