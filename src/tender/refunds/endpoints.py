"""Service-role refunds API: `POST /v1/refunds` (Idempotency-Key required)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from tender import openapi
from tender.auth.dependencies import ServiceCaller
from tender.errors import ValidationFailed
from tender.kit.guards import refuse_card_numbers
from tender.refunds import service
from tender.refunds.schemas import RefundCreated, RefundIn, RefundList, RefundOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(
    prefix="/v1/refunds", dependencies=[Depends(refuse_card_numbers)], tags=["refunds"]
)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.post(
    "",
    status_code=201,
    response_model=RefundCreated,
    responses={
        200: {
            "model": RefundCreated,
            "description": "Replayed (header `Idempotent-Replayed: true`): the same key's refund.",
        },
        **openapi.errors(
            openapi.SERVICE,
            openapi.INPUT,
            {
                400: ("idempotency_key_missing",),
                404: ("payment_not_found",),
                409: (
                    "idempotency_key_reused",
                    "payment_not_refundable",
                    "refund_exceeds_captured",
                ),
                503: ("provider_unavailable",),
            },
        ),
    },
)
async def create_refund(
    body: RefundIn,
    caller: ServiceCaller,
    runtime: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Refund all or part of a captured card payment: 201 made, 202 pending (Stripe's answer
    not known yet; the re-check completes it), 200 with `Idempotent-Replayed` on a retry."""
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
    if result.status_code == 202:  # Stripe's answer is not recorded yet: the re-check will
        headers["Retry-After"] = "2"
    return JSONResponse(content, status_code=result.status_code, headers=headers)


@router.get(
    "",
    response_model=RefundList,
    responses=openapi.errors(openapi.SERVICE, openapi.INPUT, {404: ("payment_not_found",)}),
)
async def list_refunds(
    payment_id: UUID, caller: ServiceCaller, runtime: RuntimeDep
) -> dict[str, Any]:
    """A payment's refunds, oldest first."""
    rows = await service.list_refunds(runtime, caller, payment_id)
    return {
        "data": [RefundOut.model_validate(r).model_dump(mode="json") for r in rows],
        "has_more": False,
    }
