"""`tender reconcile [--since 24h] [--fix]`: Tender vs Stripe, one line per difference."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from tender.ops.operator import operator_target
from tender.ops.reconcile import KINDS, Report, reconcile

app = typer.Typer(help="Compare Tender's payments with Stripe's.")
console = Console()
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_window(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhd])", value.strip())
    if not match:
        raise typer.BadParameter("use a number and m, h or d (e.g. 24h)")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


async def _run(since: timedelta, fix: bool, show_progress: bool) -> Report:
    from tender.runtime import Runtime

    with operator_target() as target:
        runtime = Runtime.build(target.settings, target.database.app_url)
        try:
            with Progress(
                SpinnerColumn(), TextColumn("{task.description}"), console=console,
                disable=not show_progress, transient=True,
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
    since: Annotated[str, typer.Option(help="Window, e.g. 30m, 24h, 7d.")] = "24h",
    fix: Annotated[bool, typer.Option(help="Apply Stripe's truth (audited).")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Report every difference; exit 1 if any is left unfixed."""
    report = asyncio.run(_run(parse_window(since), fix, show_progress=not as_json))
    left = sum(report.count(k) for k in KINDS)
    if as_json:
        typer.echo(json.dumps({"checked": report.checked, "unfixed": left,
                               "drifts": [d.__dict__ for d in report.drifts]}))  # fmt: skip
    else:
        for d in report.drifts:
            mark = "[green]fixed[/]" if d.fixed else "[red]drift[/]"
            console.print(
                f"{mark} {d.kind}: payment={d.payment_id} intent={d.intent_id} "
                f"tender={d.tender} stripe={d.stripe}", highlight=False, soft_wrap=True,
            )  # fmt: skip
        console.print(f"checked {report.checked}; {left} unfixed difference(s)")
    if left:
        raise typer.Exit(1)
