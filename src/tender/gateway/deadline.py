"""Time budgets: each API operation has one, and every Stripe try takes only what is left.

`time_budget(seconds)` opens a budget for the current task (a nested one can only be
tighter); the gateway reads `remaining()` to size each try and to stop retrying in time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("tender_deadline", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Run the block under a deadline `seconds` from now (or the enclosing, tighter one)."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining(default: float) -> float:
    """Seconds left in the current budget; `default` when no budget is open."""
    deadline = _deadline.get()
    return default if deadline is None else deadline - time.monotonic()
