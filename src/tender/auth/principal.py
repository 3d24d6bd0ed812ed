"""Who is calling: a user (role authenticated) or an operator/service (role service_role)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tender.db.rls import DbContext


@dataclass(frozen=True)
class Principal:
    role: str
    user_id: UUID | None
    claims: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_service(self) -> bool:
        return self.role == "service_role"

    @property
    def actor(self) -> str:
        """A name for audit rows: the user id, or the service role's subject."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"service:{self.claims.get('sub') or self.claims.get('iss') or 'service_role'}"

    def db_context(self) -> DbContext:
        if self.is_service:
            return DbContext.service(self.actor)
        assert self.user_id is not None
        return DbContext.user(self.user_id, self.claims)
