"""The Idempotency-Key header: same key and body replays the first answer; other body is 409.

Shared by every resource that takes the header (payments, orders, saved methods), so it sits
below them. A key is claimed in the same transaction that creates the resource. While the
work is in flight (a Stripe call between two transactions) the key points at the resource, so
a retry after a crash resumes that resource instead of creating a second one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.db.rls import execute_as_service
from tender.errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claim:
    """What a claimed key holds: nothing (new), a finished answer, or an in-flight pointer."""

    new: bool
    status: int | None = None
    body: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status is not None

    def answer(self) -> tuple[int, dict[str, Any]]:
        """The stored (status, body) of a finished request."""
        assert self.status is not None
        assert self.body is not None
        return self.status, self.body


def request_hash(operation: str, payload: Any) -> str:
    """A stable hash of what was asked: the operation and the canonical JSON body."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    """The key if it is usable, None if absent; 400 if malformed."""
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key must be 1-255 printable characters.", code="invalid_idempotency_key"
        )
    return key


async def claim(
    conn: AsyncConnection, user_id: UUID, key: str, operation: str, payload: Any
) -> Claim:
    """Claim `key` for this request, or raise 409 if it was used for a different request."""
    digest = request_hash(operation, payload)
    row = await claim_idempotency_key(conn, user_id, key, operation, digest)
    if row is None:
        return Claim(new=True)
    if row["operation"] != operation or row["request_hash"] != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_key_reused",
        )
    return Claim(new=False, status=row["response_status"], body=row["response_body"])


async def point_at(conn: AsyncConnection, user_id: UUID, key: str, body: dict[str, Any]) -> None:
    """Mark the key in flight, pointing at the resource it created."""
    await save_idempotency_response(conn, user_id, key, None, body)


async def finish(
    conn: AsyncConnection, user_id: UUID, key: str, status: int, body: dict[str, Any]
) -> None:
    """Store the answer every later request with this key replays."""
    await save_idempotency_response(conn, user_id, key, status, body)


# SQL for the idempotency_keys table


async def claim_idempotency_key(
    conn: AsyncConnection, user_id: UUID, key: str, operation: str, request_hash: str
) -> dict[str, Any] | None:
    """Insert the key; None if it was new, else the existing row (waits for a racing insert)."""
    inserted = await execute_as_service(
        conn,
        text(
            "INSERT INTO idempotency_keys (user_id, key, operation, request_hash) "
            "VALUES (:u, :k, :op, :h) ON CONFLICT DO NOTHING RETURNING key"
        ),
        {"u": user_id, "k": key, "op": operation, "h": request_hash},
    )
    if inserted.first() is not None:
        return None
    existing = await conn.execute(
        text(
            "SELECT operation, request_hash, response_status, response_body "
            "FROM idempotency_keys WHERE user_id = :u AND key = :k"
        ),
        {"u": user_id, "k": key},
    )
    return dict(existing.mappings().one())


async def save_idempotency_response(
    conn: AsyncConnection, user_id: UUID, key: str, status: int | None, body: dict[str, Any]
) -> None:
    await execute_as_service(
        conn,
        text(
            "UPDATE idempotency_keys SET response_status = :s, response_body = CAST(:b AS jsonb) "
            "WHERE user_id = :u AND key = :k"
        ),
        {"s": status, "b": json.dumps(body), "u": user_id, "k": key},
    )
