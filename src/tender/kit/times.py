"""Times in API and CLI output: ISO 8601 in UTC, to the second (no microseconds)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def iso(value: datetime | None) -> str | None:
    """`2026-11-26T13:41:55+00:00`, or None; naive values are taken as UTC."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    """The current time as `iso` renders it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# A datetime field of a response model: serialized by `iso`, documented as date-time.
IsoTime = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "example": "2026-11-26T13:41:55+00:00"}
    ),
]


def json_default(value: object) -> str:
    """`json.dumps(..., default=json_default)`: times as `iso`, anything else as text."""
    if isinstance(value, datetime):
        return iso(value) or ""
    return str(value)
