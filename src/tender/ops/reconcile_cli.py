"""`tender reconcile [--since 24h] [--fix]`: Tender vs Stripe, one line per difference."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tender.kit.since import HELP as SINCE_HELP
from tender.kit.since import SinceError, window
from tender.ops.operator import operator_target
from tender.ops.reconcile import KINDS, Report, reconcile

app = typer.Typer(help="Compare Tender's payments with Stripe's.")
console = Console()
progress_console = Console(stderr=True)  # progress on stderr: stdout stays the result


def parse_window(value: str) -> timedelta:
    """The --since window (kit.since grammar); one line and exit 2 when it is not one."""
    try:
        return window(value)
    except SinceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


async def _run(since: timedelta, fix: bool, show_progress: bool) -> Report:
    from tender.runtime import Runtime

    with operator_target() as target:
        runtime = Runtime.build(target.settings, target.database.app_url)
        try:
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                console=progress_console, disable=not show_progress, transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("reading Stripe payment intents", total=None)
                seen = 0

                def advance(n: int) -> None:
                    nonlocal seen
                    seen += n
                    bar.update(task, description=f"read {seen} payment intents")

                return await reconcile(runtime, since=since, fix=fix, progress=advance)
        finally:
            await runtime.close()


@app.callback(invoke_without_command=True)
def reconcile_command(
    since: Annotated[str, typer.Option(help=f"Window: {SINCE_HELP}.")] = "24h",
    fix: Annotated[
        bool, typer.Option("--fix/--no-fix", help="Apply Stripe's truth (audited).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Report every difference; exit 1 if any is left unfixed."""
    span = parse_window(since)
    report = asyncio.run(_run(span, fix, show_progress=not as_json))
    left = sum(report.count(k) for k in KINDS)
    if as_json:
        typer.echo(json.dumps({"checked": report.checked, "unfixed": left,
                               "drifts": [d.__dict__ for d in report.drifts]}))  # fmt: skip
    else:
        for d in report.drifts:
            mark = "[green]fixed[/]" if d.fixed else "[red]drift[/]"
            console.print(f"{mark} {d.kind}: tender={d.tender} stripe={d.stripe}", highlight=False)
            console.print(f"      payment {d.payment_id}  intent {d.intent_id}", highlight=False)
        console.print(f"checked {report.checked}; {left} unfixed difference(s)")
    if left:
        raise typer.Exit(1)
