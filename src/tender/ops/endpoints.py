"""Service-role operations API: read and flip kill switches at run time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tender.auth.dependencies import ServiceCaller
from tender.kit.guards import refuse_card_numbers
from tender.ops.switches import SwitchState
from tender.runtime import Runtime, get_runtime

router = APIRouter(
    prefix="/v1/ops", dependencies=[Depends(refuse_card_numbers)], tags=["operations"]
)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class SwitchOut(BaseModel):
    name: str
    enabled: bool
    source: str
    reason: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, state: SwitchState) -> SwitchOut:
        return cls(**state.__dict__)


class SwitchIn(BaseModel):
    enabled: bool
    reason: str | None = Field(default=None, max_length=500)


@router.get("/switches")
async def list_switches(_: ServiceCaller, runtime: RuntimeDep) -> dict[str, Any]:
    """Every kill switch with its effective value on this instance and where it comes from."""
    states = await runtime.switches.states()
    return {"data": [SwitchOut.of(s).model_dump(mode="json") for s in states]}


@router.put("/switches/{name}")
async def set_switch(
    name: str, body: SwitchIn, caller: ServiceCaller, runtime: RuntimeDep
) -> SwitchOut:
    """Flip a switch for every instance (obeyed within seconds); audited with the caller."""
    state = await runtime.switches.set(name, body.enabled, actor=caller.actor, reason=body.reason)
    return SwitchOut.of(state)
