"""HTTP: /v1/orders (create, get, list own, cancel while unpaid)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from tender import idempotency, openapi
from tender.auth.dependencies import CurrentUser
from tender.kit.guards import IdempotencyKey, refuse_card_numbers
from tender.orders import flows, service
from tender.orders.schemas import CanceledOrder, CreateOrder, OrderList, OrderOut
from tender.runtime import Runtime, get_runtime

router = APIRouter(
    prefix="/v1/orders", dependencies=[Depends(refuse_card_numbers)], tags=["orders"]
)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
USER = (openapi.USER, openapi.RATE_LIMITED)
NOT_FOUND = {404: ("order_not_found",)}
STATUSES = "pending|awaiting_payment|paid|canceled|expired|refunded|partially_refunded"


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    responses={
        200: {"model": OrderOut, "description": "Replayed: the same Idempotency-Key's answer."},
        **openapi.errors(
            *USER,
            openapi.BODY,
            openapi.IDEMPOTENT,
            {400: ("invalid_amount", "amount_out_of_range", "unsupported_currency")},
        ),
    },
)
async def create_order(
    body: CreateOrder, user: CurrentUser, runtime: RuntimeDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Create an order; its amount is what any payment for it charges."""
    status, result = await flows.create_order(
        runtime, user, body.model_dump(mode="json"), idempotency.check_key(key)
    )
    return JSONResponse(result, status_code=status)


@router.get("", response_model=OrderList, responses=openapi.errors(*USER, openapi.INPUT))
async def list_orders(
    user: CurrentUser,
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern=f"^({STATUSES})$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # inside bigint; was a 500
) -> dict[str, Any]:
    """The caller's orders, newest first."""
    assert user.user_id is not None
    async with runtime.db.transaction(user.db_context()) as conn:
        rows = await service.list_orders(
            conn, user.user_id, status=status, limit=limit + 1, offset=offset
        )
    return {
        "data": [service.public(r) for r in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "has_more": len(rows) > limit,
    }


@router.get(
    "/{order_id}",
    response_model=OrderOut,
    responses=openapi.errors(*USER, openapi.INPUT, NOT_FOUND),
)
async def get_order(order_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """One of the caller's orders (404 for anyone else's)."""
    async with runtime.db.transaction(user.db_context()) as conn:
        return service.public(await service.get_order(conn, order_id))


@router.post(
    "/{order_id}/cancel",
    response_model=CanceledOrder,
    responses=openapi.errors(
        *USER,
        openapi.BODY,
        NOT_FOUND,
        {409: ("order_not_cancelable",), 503: ("provider_unavailable",)},
    ),
)
async def cancel_order(order_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """Cancel an unpaid order (its live payment is canceled too)."""
    return await flows.cancel_order(runtime, user, order_id)
