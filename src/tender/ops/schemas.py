"""Request and response bodies of the operations API (kill switches)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tender.controls.switches import SwitchState
from tender.kit.times import IsoTime


class SwitchOut(BaseModel):
    name: str = Field(examples=["payment_maintenance"])
    enabled: bool
    source: str = Field(examples=["database"])
    reason: str | None = None
    updated_by: str | None = None
    updated_at: IsoTime | None = None

    @classmethod
    def of(cls, state: SwitchState) -> SwitchOut:
        return cls(**state.__dict__)


class SwitchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"enabled": True, "reason": "INC-123: double charges"}]}
    )

    enabled: bool
    reason: str | None = Field(default=None, max_length=500)


class SwitchList(BaseModel):
    data: list[SwitchOut]
    has_more: bool = Field(default=False, description="Always false: every switch is listed.")
