"""`tender switch ...`: read and flip kill switches for every instance, audited."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from tender.controls.switches import (
    ACCEPT_NEW_PAYMENTS,
    MAINTENANCE,
    METHOD_TYPES,
    REFRESH_SECONDS,
    KillSwitches,
    SwitchState,
    env_overrides,
    method_switch,
)
from tender.db.engine import Database
from tender.kit.times import iso, json_default
from tender.ops.operator import default_actor, operator_target

app = typer.Typer(
    no_args_is_help=True,
    help=f"Kill switches: obeyed by every instance within {REFRESH_SECONDS:g} s, audited.",
)
console = Console()


class OnOff(StrEnum):
    on = "on"
    off = "off"


Reason = Annotated[str | None, typer.Option(help="Why (kept in the switch and the audit log).")]
Actor = Annotated[str | None, typer.Option(help="Who, for the audit log (default cli:user@host).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _on_off(value: object) -> str:
    """An audited switch value as a person reads it: `on`, `off (INC-1: reason)`, `unset`."""
    if not isinstance(value, dict):
        return "unset" if value is None else str(value)
    state = "on" if value.get("enabled") else "off"
    return f"{state} ({value['reason']})" if value.get("reason") else state


def _state(value: object) -> str:
    return _on_off(value).split(" (")[0]


def _run_set(
    name: str, enabled: bool, reason: str | None, actor: str | None, as_json: bool
) -> None:
    async def flip(db: Database, switches: KillSwitches) -> SwitchState:
        try:
            return await switches.set(name, enabled, actor=actor or default_actor(), reason=reason)
        finally:
            await db.dispose()

    with operator_target() as target:
        db = Database(target.database.app_url, pool_size=1, max_overflow=0)
        state = asyncio.run(flip(db, KillSwitches(db)))
        pinned = env_overrides(target.settings)
    if as_json:
        note = name in pinned and pinned[name] != enabled
        body = {**state.__dict__, "pinned_by_environment": note}
        typer.echo(json.dumps(body, default=json_default))
        return
    console.print(
        f"switch [bold]{state.name}[/] is now [bold]{'on' if state.enabled else 'off'}[/] "
        f"(by {state.updated_by}); every instance obeys within {REFRESH_SECONDS:g} s"
    )
    if name in pinned and pinned[name] != enabled:
        console.print(f"[yellow]note:[/] this shell's environment pins {name}; unset it too")


@app.command(short_help="on: payment endpoints answer 503 (maintenance).")
def maintenance(
    state: OnOff, reason: Reason = None, actor: Actor = None, as_json: AsJson = False
) -> None:
    """on: payment endpoints answer 503 with a maintenance message (emergency rollback)."""
    _run_set(MAINTENANCE, state is OnOff.on, reason, actor, as_json)


@app.command("new-payments", short_help="off: no new payments; the rest goes on.")
def new_payments(
    state: OnOff, reason: Reason = None, actor: Actor = None, as_json: AsJson = False
) -> None:
    """off: no new payments; confirms, webhooks and offline completions go on (graceful)."""
    _run_set(ACCEPT_NEW_PAYMENTS, state is OnOff.on, reason, actor, as_json)


@app.command()
def method(
    method_type: Annotated[str, typer.Argument(help=" | ".join(METHOD_TYPES))],
    state: OnOff,
    reason: Reason = None,
    actor: Actor = None,
    as_json: AsJson = False,
) -> None:
    """Enable or disable one payment method for new payments."""
    if method_type not in METHOD_TYPES:
        typer.echo(f"error: method is one of {', '.join(METHOD_TYPES)}", err=True)
        raise typer.Exit(2)
    _run_set(method_switch(method_type), state is OnOff.on, reason, actor, as_json)


@app.command(short_help="Every switch, its effective value and source.")
def status(as_json: AsJson = False) -> None:
    """Every switch as stored (and as this shell's environment would pin it)."""

    async def read(db: Database, switches: KillSwitches) -> list[SwitchState]:
        try:
            return await switches.states()
        finally:
            await db.dispose()

    with operator_target() as target:
        db = Database(target.database.app_url, pool_size=1, max_overflow=0)
        states = asyncio.run(read(db, KillSwitches.from_settings(db, target.settings)))
    if as_json:
        typer.echo(json.dumps([s.__dict__ for s in states], default=json_default))
        return
    table = Table("switch", "on", "source", "reason", "by", "at", box=box.SIMPLE_HEAD)
    for column in table.columns:
        column.overflow = "fold"  # timestamps and names wrap, never end in "…"
    for s in states:
        table.add_row(
            s.name,
            "on" if s.enabled else "off",
            s.source,
            s.reason or "",
            s.updated_by or "",
            iso(s.updated_at) or "",
        )
    console.print(table)


@app.command()
def history(
    limit: Annotated[int, typer.Option(help="Most recent changes.")] = 20,
    as_json: AsJson = False,
) -> None:
    """The audit trail of switch changes: who, when, old, new."""

    async def read(db: Database) -> None:
        try:
            rows = await KillSwitches(db).history(limit)
        finally:
            await db.dispose()
        if as_json:
            typer.echo(json.dumps([r.__dict__ for r in rows], default=json_default))
            return
        for r in rows:  # two lines per change: readable at 80 columns and when piped
            change = f"{_state(r.old_value)} -> {_state(r.new_value)}"
            console.print(f"{iso(r.at)}  {r.subject}  {change}", highlight=False)
            reason = r.new_value.get("reason") if isinstance(r.new_value, dict) else None
            console.print(f"    by {r.actor}" + (f": {reason}" if reason else ""), highlight=False)

    with operator_target() as target:
        asyncio.run(read(Database(target.database.app_url, pool_size=1, max_overflow=0)))
