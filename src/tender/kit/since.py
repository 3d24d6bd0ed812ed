"""One `--since` grammar for every command: `30m`, `24h`, `7d` or an ISO 8601 time.

`parse_since` answers the window's start as an aware UTC datetime; `window` answers its
length. A bad value raises `SinceError` whose message is one line saying what is accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
HELP = "30m, 24h, 7d (a duration back from now) or an ISO 8601 time (2026-11-26T09:00:00Z)"


class SinceError(ValueError):
    """A `--since` value that is neither a duration nor an ISO 8601 time."""


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """The start of the window `value` names, in UTC."""
    text = value.strip()
    current = now or datetime.now(UTC)
    duration = _DURATION.fullmatch(text.lower())
    if duration:
        amount, unit = int(duration.group(1)), duration.group(2)
        if amount == 0:
            raise SinceError(f"--since {value!r} is an empty window; use {HELP}")
        return current - timedelta(**{UNITS[unit]: amount})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SinceError(f"--since {value!r} is not a time; use {HELP}") from None
    start = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if start > current:
        raise SinceError(f"--since {value!r} is in the future")
    return start.astimezone(UTC)


def window(value: str, *, now: datetime | None = None) -> timedelta:
    """How far back `value` reaches from now."""
    current = now or datetime.now(UTC)
    return current - parse_since(value, now=current)


def since_or_exit(value: str | None) -> datetime | None:
    """For commands: the parsed value, or `error: ...` on one line and exit code 2."""
    if value is None:
        return None
    try:
        return parse_since(value)
    except SinceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
