"""Emulator configuration: server, state bounds, webhook delivery and fault injection."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

FailMode = Literal["500", "429", "reset", "timeout"]


class FaultRule(BaseModel):
    """Faults applied to API requests whose path starts with ``path_prefix``.

    Rates are probabilities in [0, 1] drawn from the emulator's seeded RNG; ``fail_next``
    deterministically fails the next N matching requests with ``fail_mode``.
    """

    path_prefix: str = "/v1"
    latency_ms: float = Field(default=0.0, ge=0)
    jitter_ms: float = Field(default=0.0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    rate_limit_rate: float = Field(default=0.0, ge=0, le=1)
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    fail_next: int = Field(default=0, ge=0)
    fail_mode: FailMode = "500"
    methods: list[str] | None = None


class WebhookKnobs(BaseModel):
    """Delivery misbehaviour for tests: duplicates, hold-and-reorder, delay and drop."""

    duplicates: int = Field(default=1, ge=1, le=20)
    delay_ms: float = Field(default=0.0, ge=0)
    drop: bool = False
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    hold: bool = False
    release_order: Literal["fifo", "reverse", "shuffle"] = "reverse"


class EmulatorConfig(BaseModel):
    host: str = "127.0.0.1"
    port: int = 12111
    log_level: str = "warning"
    api_version: str = "2026-10-28.endive"

    # Durable state: a folder for the snapshot and journal; None keeps everything in memory.
    state_dir: Path | None = None
    reset: bool = False  # start clean: forget what state_dir holds

    # State bounds: objects per resource kind and idempotency entries; oldest evicted.
    max_objects: int = Field(default=100_000, ge=1)
    max_idempotency_entries: int = Field(default=100_000, ge=1)
    idempotency_ttl_seconds: float = 24 * 3600.0

    # Webhooks. Stripe retries for up to 3 days; the default here is compressed.
    webhook_secret: str | None = None
    webhook_retry_base_seconds: float = Field(default=1.0, ge=0)
    webhook_retry_max_seconds: float = Field(default=60.0, ge=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_knobs: WebhookKnobs = Field(default_factory=WebhookKnobs)

    # Faults.
    faults: list[FaultRule] = Field(default_factory=list)
    fault_seed: int | None = None
    fault_hang_seconds: float = Field(default=120.0, ge=0)
    retry_after_seconds: int = Field(default=1, ge=0)
