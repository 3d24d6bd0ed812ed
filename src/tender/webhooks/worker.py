"""The in-process background loop: retries failed webhook events, expires offline payments."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tender.payments import offline
from tender.runtime import Runtime
from tender.webhooks import service

log = logging.getLogger(__name__)


class WebhookWorker:
    """Runs `apply_due` and offline expiry every `interval` seconds until stopped."""

    def __init__(self, runtime: Runtime, *, interval: float = 5.0) -> None:
        self.runtime = runtime
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> WebhookWorker:
        """Start the loop on the running event loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="webhooks")
        return self

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> None:
        """One pass: re-apply due events, expire overdue offline payments."""
        await service.apply_due(self.runtime)
        await offline.expire_offline_payments(self.runtime.db)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("webhook worker pass failed; retrying next interval")
            await asyncio.sleep(self.interval)
