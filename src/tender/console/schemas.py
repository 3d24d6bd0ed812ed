"""Response bodies of the console's JSON (what the page draws)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Criterion(BaseModel):
    key: str
    label: str
    basis: str = Field(description="What the value is computed from.")
    op: str = Field(description="'>=' or '<': how the value must compare with the target.")
    value: float | None = Field(description="None when there is no data yet.")
    target: float
    met: bool | None


class HourlyPoint(BaseModel):
    hour: str
    payments: int
    succeeded: int
    failed: int
    amount: int = Field(description="Paid amount in minor units (all currencies summed).")


class MethodCount(BaseModel):
    method_type: str
    payments: int


class Reconciliation(BaseModel):
    drift: dict[str, int]
    total: int
    last_run: str | None


class WebhookBacklog(BaseModel):
    failed: int
    oldest_pending_seconds: float | None
    last_event_seconds: float | None


class ConsoleOverview(BaseModel):
    generated_at: str
    operator: str
    criteria: list[Criterion]
    hourly: list[HourlyPoint]
    methods: list[MethodCount]
    recent: list[dict[str, Any]]
    error_codes: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    switches: list[dict[str, Any]]
    reconciliation: Reconciliation
    webhooks: WebhookBacklog
    health: dict[str, Any]
