"""Request and response bodies of the console's JSON (what the page draws and sends)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tender import openapi
from tender.domain.statuses import MethodType, PaymentStatus
from tender.kit.times import IsoTime
from tender.monitoring.schemas import AlertOut, HealthOut
from tender.ops.schemas import SwitchOut


class SwitchChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False, "reason": "bank outage, INC-42"}]},
    )

    enabled: bool
    reason: str = Field(min_length=3, max_length=500, description="Why: kept in the audit log.")


class ConsoleSession(BaseModel):
    """A console session was opened: its HttpOnly cookie is set on this answer."""

    operator: str = Field(examples=["service:ops-bot"])
    expires_in: int = Field(description="Seconds the session cookie lasts.", examples=[28800])


class ConsoleSignedOut(BaseModel):
    signed_in: bool = Field(description="Always false: the session cookie is cleared.")


class Criterion(BaseModel):
    key: str
    label: str
    basis: str = Field(description="What the value is computed from.")
    op: str = Field(description="'>=' or '<': how the value must compare with the target.")
    value: float | None = Field(description="None when there is no data yet.")
    target: float
    met: bool | None


class HourlyPoint(BaseModel):
    hour: IsoTime
    payments: int
    succeeded: int
    failed: int
    amount: int = Field(description="Paid amount in minor units (all currencies summed).")


class MethodCount(BaseModel):
    method_type: MethodType
    payments: int


class RecentPayment(BaseModel):
    id: UUID
    created_at: IsoTime
    method_type: MethodType
    amount: int = Field(description="Minor units of `currency`.")
    currency: str
    status: PaymentStatus
    last_error_code: str | None


class ErrorCodeCount(BaseModel):
    """The seed's error-code query: errors of one code in one hour."""

    error_code: str
    error_count: int
    hour: IsoTime


class Reconciliation(BaseModel):
    drift: dict[str, int]
    total: int
    last_run: IsoTime | None


class WebhookBacklog(BaseModel):
    failed: int
    oldest_pending_seconds: float | None
    last_event_seconds: float | None


class ConsoleOverview(BaseModel):
    generated_at: IsoTime
    operator: str
    criteria: list[Criterion]
    hourly: list[HourlyPoint]
    methods: list[MethodCount]
    recent: list[RecentPayment]
    error_codes: list[ErrorCodeCount]
    alerts: list[AlertOut]
    switches: list[SwitchOut]
    reconciliation: Reconciliation
    webhooks: WebhookBacklog
    health: HealthOut


# Documented answers: the console takes a service-role bearer token or its session cookie.
_OPERATOR = openapi.merge(
    openapi.SERVICE,
    {401: ("console_signed_out", "console_invalid", "console_expired")},
)
SIGN_IN = openapi.errors(_OPERATOR)
OVERVIEW = openapi.errors(_OPERATOR)
TOGGLE = openapi.errors(_OPERATOR, openapi.INPUT, {400: ("unknown_switch",)})
