"""Order rules: creation with server-side amounts, and order status following its payment."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from tender.config import Settings
from tender.domain.statuses import OrderStatus, PaymentStatus
from tender.errors import Conflict, NotFound
from tender.kit.money import check_amount, normalize_currency
from tender.kit.times import iso
from tender.orders import repository

Order = dict[str, Any]
OS, PS = OrderStatus, PaymentStatus
PAYABLE = (OS.PENDING, OS.AWAITING_PAYMENT)
# Which order status a payment status implies, and from which order statuses it may move.
_FOLLOW: dict[PaymentStatus, tuple[OrderStatus, tuple[OrderStatus, ...]]] = {
    PS.SUCCEEDED: (OS.PAID, (OS.PENDING, OS.AWAITING_PAYMENT, OS.CANCELED, OS.EXPIRED)),
    PS.PARTIALLY_REFUNDED: (OS.PARTIALLY_REFUNDED, (OS.PAID,)),
    PS.REFUNDED: (OS.REFUNDED, (OS.PAID, OS.PARTIALLY_REFUNDED)),
    PS.CANCELED: (OS.PENDING, (OS.AWAITING_PAYMENT,)),
    PS.EXPIRED: (OS.EXPIRED, (OS.AWAITING_PAYMENT,)),
}
_IN_FLIGHT = (OS.AWAITING_PAYMENT, (OS.PENDING,))


def public(order: Order) -> dict[str, Any]:
    """The API shape of an order."""
    return {
        "id": str(order["id"]),
        "status": order["status"],
        "amount": order["amount"],
        "currency": order["currency"],
        "description": order["description"],
        "payment_method_type": order["payment_method_type"],
        "metadata": order["metadata"],
        "created_at": iso(order["created_at"]),
        "updated_at": iso(order["updated_at"]),
    }


async def create_order(
    conn: AsyncConnection,
    settings: Settings,
    user_id: UUID,
    *,
    amount: int,
    currency: str,
    description: str | None,
    metadata: dict[str, Any],
) -> Order:
    """Insert a new pending order after checking amount and currency."""
    code = normalize_currency(currency, settings)
    return await repository.insert_order(
        conn,
        user_id=user_id,
        amount=check_amount(amount, code, settings),
        currency=code,
        description=description,
        metadata=metadata,
    )


async def get_order(conn: AsyncConnection, order_id: UUID, *, lock: bool = False) -> Order:
    """The order (visible under the transaction's RLS identity) or 404."""
    order = await repository.get_order(conn, order_id, lock=lock)
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


async def payable_order(conn: AsyncConnection, order_id: UUID) -> Order:
    """The order, locked, if it can still be paid; else 409 `order_not_payable`."""
    order = await get_order(conn, order_id, lock=True)
    if order["status"] not in PAYABLE:
        raise Conflict(
            f"This order is {order['status']} and cannot be paid.",
            code="order_not_payable",
            extra={"order_status": order["status"]},
        )
    return order


async def list_orders(
    conn: AsyncConnection, user_id: UUID, *, status: str | None, limit: int, offset: int
) -> list[Order]:
    """The user's orders, newest first."""
    return await repository.list_orders(conn, user_id, status=status, limit=limit, offset=offset)


async def follow_payment(
    conn: AsyncConnection, order_id: UUID, payment_status: str, method_type: str
) -> Order | None:
    """Move the order to the status its payment implies (same transaction as the payment)."""
    target, sources = _FOLLOW.get(PaymentStatus(payment_status), _IN_FLIGHT)
    return await repository.set_status(
        conn, order_id, target, from_statuses=sources, method_type=method_type
    )


async def cancel(conn: AsyncConnection, order_id: UUID) -> Order:
    """Cancel an unpaid order (the caller has already ended any live payment)."""
    moved = await repository.set_status(conn, order_id, OS.CANCELED, from_statuses=PAYABLE)
    if moved is None:
        order = await get_order(conn, order_id)
        if order["status"] == OS.CANCELED:
            return order
        raise Conflict(
            f"This order is {order['status']} and cannot be canceled.",
            code="order_not_cancelable",
            extra={"order_status": order["status"]},
        )
    return moved
