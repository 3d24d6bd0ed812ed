"""Checkout sessions: a short-lived, single-use link that acts for one user on one order.

The link's token is the only credential the page has. Tender stores its SHA-256, finds the
session with it (as the service role: there is no user yet), then acts as the session's user
under row-level security, so the page can reach nothing but that user's order and payment.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tender.auth.principal import Principal
from tender.checkout import repository
from tender.checkout.repository import SessionRow
from tender.db.rls import DbContext
from tender.errors import Conflict, NotFound, TenderError
from tender.orders import service as orders
from tender.runtime import Runtime

TOKEN_PREFIX = "cs_"
TOKEN_PATTERN = r"^cs_[A-Za-z0-9_-]{32,64}$"
READ_GRACE = timedelta(hours=24)


class SessionGone(TenderError):
    """410: the link expired or was already used; the page says so and offers nothing."""

    status_code = 410
    code = "checkout_session_expired"
    message = "This checkout link has expired. Please start the payment again from the app."


USED = SessionGone(
    "This checkout link has already been used. Each link pays for one order once.",
    code="checkout_session_used",
)


def valid_token(token: str) -> bool:
    return re.fullmatch(TOKEN_PATTERN, token) is not None


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def acting_principal(session: SessionRow) -> Principal:
    """The session's user, as the page acts for them (their RLS rows only)."""
    claims = {
        "sub": str(session.user_id),
        "role": "authenticated",
        "checkout_session": str(session.id),
    }
    return Principal(role="authenticated", user_id=session.user_id, claims=claims)


async def create_session(
    runtime: Runtime, principal: Principal, order_id: UUID, base_url: str
) -> dict[str, Any]:
    """A new checkout link for one of the caller's payable orders."""
    assert principal.user_id is not None
    async with runtime.db.transaction(principal.db_context()) as conn:
        order = await orders.get_order(conn, order_id)  # RLS: someone else's order is 404
    if order["status"] not in orders.PAYABLE:
        raise Conflict(
            f"This order is {order['status']} and cannot be paid.",
            code="order_not_payable",
            extra={"order_status": order["status"]},
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(minutes=runtime.settings.checkout_session_minutes)
    async with runtime.db.transaction(DbContext.service(principal.actor)) as conn:
        row = await repository.insert_session(
            conn,
            token_sha256=token_hash(token),
            user_id=principal.user_id,
            order_id=order_id,
            expires_at=expires,
        )
    base = (runtime.settings.public_base_url or base_url).rstrip("/")
    return {
        "id": str(row.id),
        "url": f"{base}/checkout/{token}",
        "order_id": str(order_id),
        "status": row.status,
        "expires_at": row.expires_at.isoformat(),
    }


async def find_session(runtime: Runtime, token: str, *, reading: bool = False) -> SessionRow:
    """The session behind a link: 404 unknown, 410 expired or used. `reading` (the payment's
    state only) also accepts a used link, and an expired one for READ_GRACE more, so a page
    that lost an answer can still learn what happened to the money."""
    async with runtime.db.transaction(DbContext.service("checkout")) as conn:
        row = await repository.by_token(conn, token_hash(token))
    if row is None:
        raise NotFound("No such checkout link.", code="checkout_session_not_found")
    if row.status == "complete" and not reading:
        raise USED
    if row.expires_at + (READ_GRACE if reading else timedelta(0)) <= datetime.now(UTC):
        raise SessionGone()
    return row


async def complete(runtime: Runtime, session: SessionRow, payment_id: UUID) -> None:
    """Mark the session used once its payment succeeded or an offline method was chosen."""
    async with runtime.db.transaction(DbContext.service("checkout")) as conn:
        await repository.complete(conn, session.id, payment_id)


async def remember_payment(runtime: Runtime, session: SessionRow, payment_id: UUID) -> None:
    async with runtime.db.transaction(DbContext.service("checkout")) as conn:
        await repository.attach_payment(conn, session.id, payment_id)
