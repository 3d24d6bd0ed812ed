"""Request bodies for orders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CreateOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(strict=True)
    currency: str = Field(min_length=3, max_length=3)
    description: str | None = Field(default=None, max_length=500)
    metadata: dict[str, Any] = Field(default_factory=dict)
