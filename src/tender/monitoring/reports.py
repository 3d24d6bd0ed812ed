"""Reports: the seed's monitoring queries plus payments by method, revenue and refunds.

One builder (`build_report`) feeds both the service-role API (`GET /v1/reports...`) and
`tender report`; rows are JSON-safe (numbers as numbers, times as ISO 8601 to the second).
Amounts are shown in major units (`"42.00"`) beside their `currency`. The seed's queries
stay available verbatim: `payment-status`, `error-codes` and `seed-method-usage` (the seed's
method usage joins saved methods only, so it misses card payments made with a fresh card;
`method-usage` counts every payment).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator
from sqlalchemy.ext.asyncio import AsyncConnection

from tender import openapi
from tender.auth.dependencies import ServiceCaller
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.errors import NotFound
from tender.kit.money import to_major
from tender.kit.times import iso, now_iso
from tender.monitoring import repository
from tender.monitoring.schemas import ReportOut, ReportSection
from tender.runtime import Runtime, get_runtime

Query_ = Callable[[AsyncConnection, datetime | None], Awaitable[list[dict[str, Any]]]]

# name -> (query, default window as text, one-line title, amount columns in minor units)
SECTIONS: dict[str, tuple[Query_, str, str, tuple[str, ...]]] = {
    "payment-status": (
        repository.payment_status, "24 hours", "Payment success rate by status", ()
    ),
    "method-usage": (
        repository.payments_by_method, "7 days", "Payments by method",
        ("avg_amount", "total_amount"),
    ),
    "error-codes": (repository.error_codes, "24 hours", "Errors by code per hour", ()),
    "revenue": (
        repository.revenue, "24 hours", "Revenue (succeeded payments)",
        ("gross", "refunded", "net"),
    ),
    "refunds": (repository.refunds, "24 hours", "Refunds", ("amount",)),
    "seed-method-usage": (
        repository.method_usage, "7 days", "Payment method usage (seed query, saved methods)", ()
    ),
}  # fmt: skip
DEFAULT_SECTIONS = tuple(name for name in SECTIONS if name != "seed-method-usage")


def json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


def in_major_units(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The row with its amount columns as major-unit strings of the row's currency."""
    currency = row.get("currency")
    if not columns or not isinstance(currency, str):
        return row
    converted = {c: to_major(int(row[c]), currency) for c in columns if row.get(c) is not None}
    return {**row, **converted}


async def build_section(db: Database, name: str, since: datetime | None) -> dict[str, Any]:
    """One report section: {name, title, window, rows}."""
    if name not in SECTIONS:
        known = ", ".join(SECTIONS)
        raise NotFound(f"No report named '{name}'; known: {known}.", code="report_not_found")
    query, window, title, amounts = SECTIONS[name]
    async with db.transaction(DbContext.service("monitoring")) as conn:
        rows = await query(conn, since)
    return {
        "name": name,
        "title": title,
        "window": f"since {iso(since)}" if since else f"last {window}",
        "rows": [in_major_units(json_safe(r), amounts) for r in rows],
    }


async def build_report(
    db: Database, since: datetime | None = None, names: tuple[str, ...] = DEFAULT_SECTIONS
) -> dict[str, Any]:
    """The named sections (by default all but the seed's verbatim method usage)."""
    sections = [await build_section(db, name, since) for name in names]
    return {"generated_at": now_iso(), "sections": sections}


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


@router.get("", response_model=ReportOut, responses=openapi.errors(openapi.SERVICE, openapi.INPUT))
async def all_reports(
    _caller: ServiceCaller, runtime: RuntimeDep, since: SinceQuery = None
) -> dict[str, Any]:
    """All monitoring reports (service role)."""
    return await build_report(runtime.db, since)


@router.get(
    "/{name}",
    response_model=ReportSection,
    responses=openapi.errors(openapi.SERVICE, openapi.INPUT, {404: ("report_not_found",)}),
)
async def one_report(
    name: str, _caller: ServiceCaller, runtime: RuntimeDep, since: SinceQuery = None
) -> dict[str, Any]:
    """One report: payment-status, method-usage, error-codes, revenue, refunds or
    seed-method-usage (the seed's query verbatim)."""
    return await build_section(runtime.db, name, since)
