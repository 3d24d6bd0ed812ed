"""Run a job worker: `tender worker`, or one inside `tender serve` (RUN_WORKER_IN_PROCESS)."""

from __future__ import annotations

import asyncio
import logging

import procrastinate

from tender.jobs.app import RUNTIME_KEY, build_app
from tender.runtime import Runtime

log = logging.getLogger(__name__)


async def run_worker(
    runtime: Runtime,
    *,
    app: procrastinate.App | None = None,
    wait: bool = True,
    signals: bool = False,
    name: str | None = None,
) -> None:
    """Work the queue with `runtime` until stopped (or, `wait=False`, until it is empty)."""
    app = app or build_app(runtime.settings, runtime.db.url)
    if runtime.settings.log_level.lower() != "debug":  # a line per job start/end otherwise
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    async with app.open_async():
        await app.run_worker_async(
            additional_context={RUNTIME_KEY: runtime},
            wait=wait,
            install_signal_handlers=signals,
            name=name or "tender",
        )


class InProcessWorker:
    """The worker `tender serve` runs beside the API, stopped with it."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._task: asyncio.Task[None] | None = None

    def start(self) -> InProcessWorker:
        if self._runtime.settings.run_worker_in_process:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="tender-jobs-worker"
            )
        return self

    async def _run(self) -> None:
        try:
            await run_worker(self._runtime, name="tender-serve")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the in-process job worker stopped")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
