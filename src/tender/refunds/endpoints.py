"""Service-role refunds API: `POST /v1/refunds` (Idempotency-Key required)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tender.auth.dependencies import ServiceCaller
from tender.errors import ValidationFailed
from tender.kit.guards import refuse_card_numbers
from tender.refunds import service
from tender.runtime import Runtime, get_runtime

router = APIRouter(
    prefix="/v1/refunds", dependencies=[Depends(refuse_card_numbers)], tags=["refunds"]
)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class RefundIn(BaseModel):
    payment_id: UUID
    amount: int | None = Field(default=None, ge=1, le=99_999_999, description="Minor units.")
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None


class RefundOut(BaseModel):
    id: UUID
    payment_id: UUID
    amount: int
    currency: str
    status: str
    reason: str | None
    stripe_refund_id: str | None
    created_at: datetime


@router.post("", status_code=201)
async def create_refund(
    body: RefundIn,
    caller: ServiceCaller,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Refund all or part of a captured card payment; a retry with the same key replays."""
    if not idempotency_key:
        raise ValidationFailed(
            "An Idempotency-Key header is required.", code="idempotency_key_missing"
        )
    result = await service.refund_payment(
        runtime,
        caller,
        payment_id=body.payment_id,
        amount=body.amount,
        reason=body.reason,
        idempotency_key=idempotency_key,
    )
    content = {
        "refund": RefundOut.model_validate(result.refund).model_dump(mode="json"),
        "payment": result.payment,
    }
    headers = {} if result.created else {"Idempotent-Replayed": "true"}
    return JSONResponse(content, status_code=201 if result.created else 200, headers=headers)


@router.get("")
async def list_refunds(
    payment_id: UUID, caller: ServiceCaller, runtime: RuntimeDep
) -> dict[str, Any]:
    """A payment's refunds, oldest first."""
    rows = await service.list_refunds(runtime, caller, payment_id)
    return {"data": [RefundOut.model_validate(r).model_dump(mode="json") for r in rows]}
