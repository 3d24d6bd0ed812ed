"""`tender alerts check` and `tender report`: monitoring from the command line.

Four alert rules count what the running service sees in its own process (Stripe calls,
payment response times, cache lookups, database connection errors). `alerts check` asks the
running service for every rule (`GET /v1/alerts` with a service-role token); when it does
not answer, the database rules are evaluated here and those four say that they need the
service, never a silent `0/0`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from tender.config import Settings
from tender.db.runtime import locate
from tender.devdefaults import with_development_defaults
from tender.kit.since import HELP as SINCE_HELP
from tender.kit.since import since_or_exit
from tender.monitoring import logging as _logging  # noqa: F401 - stderr logs; stripe quiet
from tender.monitoring.alerts import AlertService
from tender.monitoring.alerts import rules as alert_rules
from tender.monitoring.reports import DEFAULT_SECTIONS, SECTIONS, build_report
from tender.runtime import Runtime

alerts_app = typer.Typer(no_args_is_help=True, help="Alert rules.")
report_app = typer.Typer(help="Monitoring reports (the seed's queries, revenue, refunds).")
console = Console()
T = TypeVar("T")
# Rules fed by the service's in-process ValidationMonitor window.
SERVICE_RULES = (
    "stripe_api_error_rate_high",
    "payment_response_time_slow",
    "payment_cache_hit_rate_low",
    "payment_db_connection_failed",
)
SERVICE_TIMEOUT_SECONDS = 3.0


def _with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    target = locate(settings)

    async def run() -> T:
        runtime = Runtime.build(settings, target.app_url)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(run())
    finally:
        target.stop()


def service_url(explicit: str | None) -> str:
    """--url, else TENDER_URL, else where `tender serve` listens (HOST/PORT)."""
    if explicit:
        return explicit.rstrip("/")
    if os.environ.get("TENDER_URL"):
        return os.environ["TENDER_URL"].rstrip("/")
    return f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"


def _service_token(settings: Settings) -> str | None:
    from tender.auth.tokens import mint_token

    if settings.supabase_service_role_key is not None:
        return settings.supabase_service_role_key.get_secret_value()
    if settings.supabase_jwt_secret is not None:
        secret = settings.supabase_jwt_secret.get_secret_value()
        return mint_token(secret, user_id=None, role="service_role", ttl_seconds=60)
    return None


def from_service(url: str, settings: Settings) -> tuple[list[dict[str, Any]] | None, str]:
    """The running service's alerts, or None and why it could not be asked."""
    token = _service_token(settings)
    if token is None:
        return None, "no service-role credentials (SUPABASE_SERVICE_ROLE_KEY)"
    try:
        response = httpx.get(
            f"{url}/v1/alerts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=SERVICE_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        return None, f"no answer from {url} ({type(exc).__name__})"
    if response.status_code != 200:
        return None, f"{url}/v1/alerts answered HTTP {response.status_code}"
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts, f"the running service at {url}"


def from_database(settings: Settings, notify: bool, why: str) -> list[dict[str, Any]]:
    """Every rule evaluated here; the service's in-process rules say they need it."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        results, _ = await AlertService(runtime).check(notify=notify)
        return [r.as_dict() for r in results]

    results = _with_runtime(settings, work)
    database_down = any(not r["evaluated"] for r in results if r["alert"] not in SERVICE_RULES)
    out = []
    for r in results:
        keep = r["alert"] == "payment_db_connection_failed" and database_down
        if r["alert"] in SERVICE_RULES and not keep:
            r = alert_rules.not_evaluated(r["alert"], "needs the running service").as_dict()
            r["details"] = {"why": why}
        out.append(r)
    return out


@alerts_app.command("check", short_help="Every rule once; exit code 1 while any fires.")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="Send firing alerts to the channels.")
    ] = False,
    url: Annotated[
        str | None, typer.Option(help="The running service (default TENDER_URL or HOST:PORT).")
    ] = None,
) -> None:
    """Evaluate every alert rule once; exit code 1 when any fires, 0 when none does."""
    settings = with_development_defaults(Settings())
    base = service_url(url)
    results, source = (None, "") if notify else from_service(base, settings)
    if results is None:
        why = source or "--notify evaluates here"
        results = from_database(settings, notify, why)
        source = f"the database ({why}; {len(SERVICE_RULES)} rules need the service)"
    if as_json:
        typer.echo(json.dumps({"source": source, "alerts": results}, indent=2, default=str))
    else:
        console.print(f"Tender alerts from {source}", highlight=False)
        table = Table("alert", "severity", "state", "summary", box=box.SIMPLE_HEAD)
        table.columns[0].no_wrap = True  # names are what people grep for: never cut
        table.columns[3].overflow = "fold"
        for r in results:
            state = "[red]FIRING[/]" if r["firing"] else "[green]ok[/]"
            if not r["evaluated"]:
                state = "[yellow]n/a[/]"
            table.add_row(r["alert"], r["severity"], state, r["summary"])
        console.print(table)
    raise typer.Exit(1 if any(r["firing"] for r in results) else 0)


@report_app.callback(invoke_without_command=True)
def report(
    since: Annotated[
        str | None, typer.Option(help=f"Window start: {SINCE_HELP}; default per report.")
    ] = None,
    section: Annotated[
        list[str] | None,
        typer.Option(help=f"Only these sections (repeat): {', '.join(SECTIONS)}."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Payment status, payments by method, error codes, revenue and refunds; amounts in
    major units beside their currency. `--section seed-method-usage` is the seed's query."""
    start = since_or_exit(since)
    names = tuple(section) if section else DEFAULT_SECTIONS
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        typer.echo(f"error: no section {unknown[0]!r}; known: {', '.join(SECTIONS)}", err=True)
        raise typer.Exit(2)
    settings = with_development_defaults(Settings())

    async def work(runtime: Runtime) -> dict[str, Any]:
        return await build_report(runtime.db, start, names)

    data = _with_runtime(settings, work)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    for part in data["sections"]:
        title = f"{part['title']} ({part['window']})"
        table = Table(title=title, box=box.SIMPLE_HEAD, min_width=min(len(title), console.width))
        rows = part["rows"]
        columns = list(rows[0]) if rows else ["(no rows)"]
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(str(row[c]) for c in columns))
        console.print(table)
