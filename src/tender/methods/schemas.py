"""Request bodies for payment methods."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SaveCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_method_id: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]+$")
    setup_intent_id: str | None = Field(default=None, pattern=r"^seti_[A-Za-z0-9_]+$")
    make_default: bool = False
