"""`tender alerts check` and `tender report`: monitoring from the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tender.config import Settings
from tender.db.runtime import locate
from tender.devdefaults import with_development_defaults
from tender.monitoring.alerts import AlertService
from tender.monitoring.reports import build_report
from tender.runtime import Runtime

alerts_app = typer.Typer(no_args_is_help=True, help="Alert rules.")
report_app = typer.Typer(help="Monitoring reports (the seed's queries, revenue, refunds).")
console = Console()
T = TypeVar("T")


def _with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    settings = with_development_defaults(Settings())
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


@alerts_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    notify: Annotated[bool, typer.Option(help="Send firing alerts to the channels.")] = False,
) -> None:
    """Evaluate every alert rule once; exit code 1 when any fires, 0 when none does."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        results, _ = await AlertService(runtime).check(notify=notify)
        return [r.as_dict() for r in results]

    results = _with_runtime(work)
    if as_json:
        typer.echo(json.dumps({"alerts": results}, indent=2, default=str))
    else:
        table = Table("alert", "severity", "state", "summary", title="Tender alerts")
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
        datetime | None, typer.Option(help="Window start (ISO 8601); default per report.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Payment status, method usage, error codes, revenue and refunds."""

    async def work(runtime: Runtime) -> dict[str, Any]:
        return await build_report(runtime.db, since)

    data = _with_runtime(work)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    for section in data["sections"]:
        table = Table(title=f"{section['title']} ({section['window']})")
        rows = section["rows"]
        columns = list(rows[0]) if rows else ["(no rows)"]
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(row[c]) for c in columns))
        console.print(table)
