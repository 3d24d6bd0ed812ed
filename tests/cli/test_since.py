"""`--since` means the same in every command: 30m, 24h, 7d or ISO 8601, one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tender.kit.since import SinceError, parse_since, window

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("30m", NOW - timedelta(minutes=30)),
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        (" 2w ", NOW - timedelta(weeks=2)),
        ("2026-11-26T09:00:00Z", datetime(2026, 11, 26, 9, tzinfo=UTC)),
        ("2026-11-26T10:00:00+01:00", datetime(2026, 11, 26, 9, tzinfo=UTC)),
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        ("2026-11-26 09:30", datetime(2026, 11, 26, 9, 30, tzinfo=UTC)),
    ],
)
def test_durations_and_iso_times(text: str, start: datetime) -> None:
    assert parse_since(text, now=NOW) == start
    assert window(text, now=NOW) == NOW - start


@pytest.mark.parametrize("text", ["yesterday", "24", "h24", "0h", "-5m", "2026-13-01", ""])
def test_anything_else_is_one_line_naming_the_grammar(text: str) -> None:
    with pytest.raises(SinceError) as caught:
        parse_since(text, now=NOW)
    message = str(caught.value)
    assert "\n" not in message
    assert "--since" in message


def test_a_future_time_is_refused() -> None:
    with pytest.raises(SinceError, match="future"):
        parse_since("2027-01-01T00:00:00Z", now=NOW)
