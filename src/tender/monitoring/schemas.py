"""Response bodies of monitoring: health, probes, alerts and reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tender.kit.times import IsoTime


class CheckOut(BaseModel):
    healthy: bool
    latency_ms: float
    detail: str = Field(description="`ok`/`failing` unless the caller has the service role.")


class HealthOut(BaseModel):
    """The seed's HealthCheckResult; 503 when any check is unhealthy, same body."""

    healthy: bool
    timestamp: IsoTime
    maintenance: bool | None = Field(description="None when the switches are unreadable.")
    checks: dict[Literal["database", "stripe", "cache", "webhooks"], CheckOut]


class ProbeOut(BaseModel):
    status: Literal["ok", "unavailable"]
    failing: list[str] | None = None


class AlertOut(BaseModel):
    alert: str = Field(examples=["payment_failure_rate_high"])
    severity: Literal["critical", "warning", "info"]
    action: str
    firing: bool
    evaluated: bool = Field(description="False when the rule's inputs are unavailable here.")
    summary: str
    value: float | None
    threshold: float | None
    details: dict[str, Any]


class AlertsOut(BaseModel):
    firing: list[str]
    alerts: list[AlertOut]


class ReportSection(BaseModel):
    name: str = Field(examples=["method-usage"])
    title: str
    window: str = Field(examples=["last 7 days"])
    rows: list[dict[str, Any]] = Field(
        description="One object per row; amounts in major units beside their `currency`."
    )


class ReportOut(BaseModel):
    generated_at: IsoTime
    sections: list[ReportSection]
