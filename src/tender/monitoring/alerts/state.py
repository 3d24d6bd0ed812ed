"""Alert state: fire once, repeat at an interval while firing, resolve once when clear."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from tender.monitoring.alerts.rules import AlertResult

Status = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Notification:
    result: AlertResult
    status: Status
    started_at: float  # wall-clock seconds when the alert started firing
    repeat: bool = False


@dataclass
class _Active:
    started_at: float
    last_sent: float


class AlertTracker:
    """Turns each evaluation into the notifications to send, remembering what is firing."""

    def __init__(self, repeat_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.repeat_seconds = repeat_seconds
        self._clock = clock
        self._active: dict[str, _Active] = {}

    @property
    def firing(self) -> set[str]:
        return set(self._active)

    def export(self) -> dict[str, tuple[float, float]]:
        """name -> (started_at, last_sent) of every firing alert (to share between workers)."""
        return {name: (a.started_at, a.last_sent) for name, a in self._active.items()}

    def restore(self, state: dict[str, tuple[float, float]]) -> None:
        """Continue from another process's `export()`."""
        self._active = {name: _Active(start, sent) for name, (start, sent) in state.items()}

    def update(self, results: Iterable[AlertResult]) -> list[Notification]:
        now = self._clock()
        out: list[Notification] = []
        for result in results:
            if not result.evaluated:
                continue  # no data is not a resolve
            active = self._active.get(result.name)
            if result.firing and active is None:
                self._active[result.name] = _Active(now, now)
                out.append(Notification(result, "firing", now))
            elif result.firing and active is not None:
                if now - active.last_sent >= self.repeat_seconds:
                    active.last_sent = now
                    out.append(Notification(result, "firing", active.started_at, repeat=True))
            elif active is not None:
                del self._active[result.name]
                out.append(Notification(result, "resolved", active.started_at))
        return out
