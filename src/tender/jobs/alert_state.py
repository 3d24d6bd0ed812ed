"""One alert evaluation for the whole deployment, its firing state kept in `alert_state`.

The periodic job runs on whichever worker takes it, so the tracker that decides "fire once,
repeat every ALERT_REPEAT_SECONDS, resolve once" is loaded from and saved to the database
around each check. The job's lock keeps two checks from overlapping. Delivery happens before
the state is saved: a worker killed in between re-sends on the next tick (at least once;
PagerDuty folds the repeat into the same incident by its dedup key).
"""

from __future__ import annotations

from sqlalchemy import text

from tender.db.rls import DbContext
from tender.monitoring.alerts import AlertService, shared
from tender.runtime import Runtime

CONTEXT = DbContext.service("alerts")


async def load(runtime: Runtime) -> dict[str, tuple[float, float]]:
    async with runtime.db.transaction(CONTEXT) as conn:
        rows = await conn.execute(text("SELECT name, started_at, last_sent_at FROM alert_state"))
        return {str(r.name): (float(r.started_at), float(r.last_sent_at)) for r in rows}


async def save(runtime: Runtime, state: dict[str, tuple[float, float]]) -> None:
    async with runtime.db.transaction(CONTEXT) as conn:
        await conn.execute(text("DELETE FROM alert_state"))
        for name, (started, sent) in state.items():
            await conn.execute(
                text(
                    "INSERT INTO alert_state (name, started_at, last_sent_at) VALUES (:n, :s, :l)"
                ),
                {"n": name, "s": started, "l": sent},
            )


async def check_alerts_once(runtime: Runtime, service: AlertService | None = None) -> int:
    """Evaluate, notify what changed since the last check anywhere; returns how many sent."""
    service = service or AlertService(runtime)
    service.tracker.restore(await load(runtime))
    # Every instance's window, fresh if published within the last two evaluation periods.
    fresh = max(2 * runtime.settings.alert_interval_seconds, 10.0)
    snap = await shared.deployment_window(runtime, fresh)
    _, notifications = await service.check(snap=snap)
    await save(runtime, service.tracker.export())
    return len(notifications)
