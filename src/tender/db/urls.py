"""Translate between libpq URLs and SQLAlchemy's asyncpg URLs."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def to_asyncpg(url: str) -> URL:
    """A libpq URL (postgresql://...) as an SQLAlchemy asyncpg URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def to_libpq(url: str | URL) -> str:
    """A URL as plain libpq text (what psql and `tender db url` print)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_user(url: str, user: str) -> str:
    """The same server and database, logged in as another user (no password: trust/peer)."""
    # URL.set(password=None) keeps the old password (None means "unchanged"): rebuild it.
    parsed = make_url(url)
    return to_libpq(
        URL.create(
            parsed.drivername,
            username=user,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database,
            query=parsed.query,
        )
    )


def with_database(url: str, database: str) -> str:
    return to_libpq(make_url(url).set(database=database))
