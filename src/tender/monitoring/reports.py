"""Reports: the seed's three monitoring queries plus revenue and refunds.

One builder (`build_report`) feeds both the service-role API (`GET /v1/reports...`) and
`tender report`; rows are JSON-safe (numbers as numbers, times as ISO 8601).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncConnection

from tender.auth.dependencies import ServiceCaller
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.errors import NotFound
from tender.monitoring import repository
from tender.runtime import Runtime, get_runtime

Query_ = Callable[[AsyncConnection, datetime | None], Awaitable[list[dict[str, Any]]]]

# name -> (query, default window as text, one-line title)
SECTIONS: dict[str, tuple[Query_, str, str]] = {
    "payment-status": (repository.payment_status, "24 hours", "Payment success rate by status"),
    "method-usage": (repository.method_usage, "7 days", "Payment method usage"),
    "error-codes": (repository.error_codes, "24 hours", "Errors by code per hour"),
    "revenue": (repository.revenue, "24 hours", "Revenue (succeeded payments)"),
    "refunds": (repository.refunds, "24 hours", "Refunds"),
}


def json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


async def build_section(db: Database, name: str, since: datetime | None) -> dict[str, Any]:
    """One report section: {name, title, window, since, rows}."""
    if name not in SECTIONS:
        raise NotFound(f"No report named '{name}'.", code="report_not_found")
    query, window, title = SECTIONS[name]
    async with db.transaction(DbContext.service("monitoring")) as conn:
        rows = await query(conn, since)
    return {
        "name": name,
        "title": title,
        "window": f"since {since.isoformat()}" if since else f"last {window}",
        "rows": json_safe(rows),
    }


async def build_report(db: Database, since: datetime | None = None) -> dict[str, Any]:
    """Every section, plus when it was generated."""
    sections = [await build_section(db, name, since) for name in SECTIONS]
    return {"generated_at": datetime.now(UTC).isoformat(), "sections": sections}


router = APIRouter(prefix="/v1/reports", tags=["reports"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _in_range(value: datetime | None) -> datetime | None:
    """A window start PostgreSQL and Python can both hold (a date at the edge of year 1 or
    9999 with an offset overflowed into a 500); naive means UTC."""
    if value is None:
        return None
    offset = value.utcoffset()
    try:
        utc_wall = value - offset if offset else value
    except OverflowError:
        raise ValueError("since is out of range") from None
    if not 1970 <= utc_wall.year <= 9998:
        raise ValueError("since must be between 1970 and 9998")
    return value


SinceQuery = Annotated[
    datetime | None,
    AfterValidator(_in_range),
    Query(description="Window start (ISO 8601); default per report."),
]


@router.get("")
async def all_reports(
    _caller: ServiceCaller, runtime: RuntimeDep, since: SinceQuery = None
) -> dict[str, Any]:
    """All monitoring reports (service role)."""
    return await build_report(runtime.db, since)


@router.get("/{name}")
async def one_report(
    name: str, _caller: ServiceCaller, runtime: RuntimeDep, since: SinceQuery = None
) -> dict[str, Any]:
    """One report: payment-status, method-usage, error-codes, revenue or refunds."""
    return await build_section(runtime.db, name, since)
