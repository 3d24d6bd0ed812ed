"""Webhook delivery: Stripe-style signatures, retries with backoff, and test knobs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx

from tender_testmode.config import EmulatorConfig, WebhookKnobs
from tender_testmode.store import Obj, Store


def sign(secret: str, payload: bytes, timestamp: int) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` at ``timestamp``."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def matches(enabled_events: list[str], event_type: str) -> bool:
    return "*" in enabled_events or event_type in enabled_events


@dataclass(slots=True)
class Job:
    endpoint_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes
    copy: int


class WebhookDispatcher:
    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.secrets: dict[str, str] = {}
        self.knobs: WebhookKnobs = config.webhook_knobs.model_copy()
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=max(1000, config.max_objects))
        self._held: list[Job] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._rng = random.Random(config.fault_seed)

    def reset(self) -> None:
        self.secrets.clear()
        self.deliveries.clear()
        self._held.clear()
        self.knobs = self.config.webhook_knobs.model_copy()
        for task in self._tasks:
            task.cancel()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def matching_endpoints(self, event_type: str) -> list[Obj]:
        return [
            we
            for we in self.store["webhook_endpoint"].newest_first()
            if we["status"] == "enabled" and matches(we["enabled_events"], event_type)
        ]

    def enqueue(self, event: Obj, endpoints: list[Obj], override: WebhookKnobs | None) -> None:
        knobs = override or self.knobs
        body = json.dumps(event, separators=(",", ":")).encode()
        for we in reversed(endpoints):
            for copy in range(knobs.duplicates):
                job = Job(
                    we["id"],
                    we["url"],
                    self.secrets[we["id"]],
                    event["id"],
                    event["type"],
                    body,
                    copy,
                )
                if knobs.drop or (knobs.drop_rate and self._rng.random() < knobs.drop_rate):
                    self._log(job, 0, None, "dropped", ok=False)
                elif knobs.hold:
                    self._held.append(job)
                else:
                    self._spawn(self._deliver(job, 1, knobs.delay_ms / 1000.0))

    def release(self, order: str | None = None) -> int:
        """Send every held delivery, in ``order`` (default: the knob's release_order)."""
        jobs, self._held = self._held, []
        order = order or self.knobs.release_order
        if order == "reverse":
            jobs.reverse()
        elif order == "shuffle":
            self._rng.shuffle(jobs)
        if jobs:
            self._spawn(self._send_in_order(jobs))
        return len(jobs)

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def flush(self, seconds: float) -> bool:
        """Release held deliveries and wait until nothing is in flight; False on timeout."""
        self.release()
        deadline = time.monotonic() + seconds
        while self._tasks:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_in_order(self, jobs: list[Job]) -> None:
        for job in jobs:
            if not await self._attempt(job, 1):
                self._spawn(self._deliver(job, 2, self._backoff(1)))

    def _backoff(self, attempt: int) -> float:
        base = self.config.webhook_retry_base_seconds * (2 ** (attempt - 1))
        return float(min(base, self.config.webhook_retry_max_seconds))

    async def _deliver(self, job: Job, first_attempt: int, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        for attempt in range(first_attempt, self.config.webhook_max_attempts + 1):
            if await self._attempt(job, attempt):
                return
            if attempt < self.config.webhook_max_attempts:
                await asyncio.sleep(self._backoff(attempt))

    async def _attempt(self, job: Job, attempt: int) -> bool:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.webhook_timeout_seconds)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(job.secret, job.body, int(time.time())),
        }
        try:
            resp = await self._client.post(job.url, content=job.body, headers=headers)
        except httpx.HTTPError as exc:
            self._log(job, attempt, None, f"{type(exc).__name__}: {exc}", ok=False)
            return False
        ok = 200 <= resp.status_code < 300
        self._log(job, attempt, resp.status_code, None, ok=ok)
        return ok

    def _log(self, job: Job, attempt: int, status: int | None, error: str | None, ok: bool) -> None:
        self.deliveries.append(
            {
                "event_id": job.event_id,
                "event_type": job.event_type,
                "endpoint_id": job.endpoint_id,
                "url": job.url,
                "copy": job.copy,
                "attempt": attempt,
                "status": status,
                "error": error,
                "ok": ok,
                "at": time.time(),
            }
        )
