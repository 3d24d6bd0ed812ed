"""Row-level security context: who a transaction runs as, set locally inside it.

The same contract as PostgREST and Supabase: the role is switched with `set_config('role')`
and the JWT claims are put in `request.jwt.claims`, both local to the transaction, so a
pooled connection never carries one user's identity into the next transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import text

DbRole = Literal["anon", "authenticated", "service_role"]

SET_CONTEXT = text(
    "SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true)"
)


@dataclass(frozen=True)
class DbContext:
    """The identity a transaction runs under."""

    role: DbRole
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def user(cls, user_id: UUID, claims: dict[str, Any] | None = None) -> DbContext:
        merged = {**(claims or {}), "sub": str(user_id), "role": "authenticated"}
        return cls("authenticated", merged)

    @classmethod
    def service(cls, actor: str) -> DbContext:
        return cls("service_role", {"role": "service_role", "actor": actor})

    @classmethod
    def anonymous(cls) -> DbContext:
        return cls("anon", {"role": "anon"})

    def parameters(self) -> dict[str, str]:
        return {"role": self.role, "claims": json.dumps(self.claims, separators=(",", ":"))}
