"""Service-role operations API: read and flip kill switches at run time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from tender import openapi
from tender.auth.dependencies import ServiceCaller
from tender.kit.guards import refuse_card_numbers
from tender.ops.schemas import SwitchIn, SwitchList, SwitchOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(
    prefix="/v1/ops", dependencies=[Depends(refuse_card_numbers)], tags=["operations"]
)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.get("/switches", response_model=SwitchList, responses=openapi.errors(openapi.SERVICE))
async def list_switches(_: ServiceCaller, runtime: RuntimeDep) -> SwitchList:
    """Every kill switch with its effective value on this instance and where it comes from."""
    states = await runtime.switches.states()
    return SwitchList(data=[SwitchOut.of(s) for s in states])


@router.put(
    "/switches/{name}",
    response_model=SwitchOut,
    responses=openapi.errors(openapi.SERVICE, openapi.INPUT, {400: ("unknown_switch",)}),
)
async def set_switch(
    name: str, body: SwitchIn, caller: ServiceCaller, runtime: RuntimeDep
) -> SwitchOut:
    """Flip a switch for every instance (obeyed within seconds); audited with the caller."""
    state = await runtime.switches.set(name, body.enabled, actor=caller.actor, reason=body.reason)
    return SwitchOut.of(state)
