"""`tender backup [--to DIR]`, `tender backup drill`, `tender restore FILE --into URL`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tender.config import Settings
from tender.ops.backup import create_backup
from tender.ops.backup_drill import run_drill
from tender.ops.backup_restore import refuse_password_in_url, restore_backup
from tender.ops.backup_tools import BackupError
from tender.ops.operator import operator_target

app = typer.Typer(help="Backups of Tender's database: dump, and a restore drill.")
console = Console(stderr=True)


def backup_folder(settings: Settings, to: Path | None) -> Path:
    """--to, else BACKUP_DIR, else DATA_DIR/backups."""
    return to or settings.backup_dir or settings.data_dir / "backups"


class BarProgress:
    """pg_dump's tables as a rich progress bar (on stderr, so stdout stays for results)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("dumping", total=None)

    def start(self, tables: int) -> None:
        self.progress.update(self.task, total=tables)

    def table(self, name: str) -> None:
        self.progress.update(self.task, advance=1, description=name)


def _fail(exc: BackupError) -> typer.Exit:
    console.print(f"[red]error:[/] {exc.message}", highlight=False)
    return typer.Exit(1)


@app.callback(invoke_without_command=True)
def backup(
    ctx: typer.Context,
    to: Annotated[Path | None, typer.Option(help="Folder (default BACKUP_DIR).")] = None,
) -> None:
    """Dump the database (pg_dump, custom format) with a SHA-256 and a manifest."""
    if ctx.invoked_subcommand is not None:
        return
    with operator_target() as target:
        folder = backup_folder(target.settings, to)
        columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())  # fmt: skip
        try:
            with Progress(*columns, console=console, transient=True) as bar:
                made = asyncio.run(
                    create_backup(target.database.migration_url, folder, BarProgress(bar))
                )
        except BackupError as exc:
            raise _fail(exc) from None
    m = made.manifest
    console.print(
        f"[green]backup[/] {made.dump} ({m.size_bytes} bytes, {sum(m.row_counts.values())} rows"
        f" in {len(m.row_counts)} tables, revision {m.alembic_revision or 'base'})",
        highlight=False,
    )
    typer.echo(made.dump)


@app.command("drill", short_help="Restore the latest backup into a scratch database; verify.")
def drill(
    source: Annotated[
        Path | None, typer.Option("--from", help="Backup folder (default BACKUP_DIR).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Restore the latest backup into a scratch database, verify it, drop it; exit 1 on fail."""
    with operator_target() as target:
        folder = backup_folder(target.settings, source)
        report = asyncio.run(run_drill(folder, target.database.migration_url))
    if as_json:
        checks = [c.__dict__ for c in report.checks]
        typer.echo(json.dumps({"ok": report.ok, "backup": report.backup, "checks": checks}))
    else:
        for c in report.checks:
            mark = "[green]PASS[/]" if c.ok else "[red]FAIL[/]"
            console.print(f"{mark} {c.name}: {c.detail}", highlight=False, soft_wrap=True)
        console.print("[bold green]drill passed[/]" if report.ok else "[bold red]drill failed[/]")
    if not report.ok:
        raise typer.Exit(1)


def restore(
    file: Annotated[Path, typer.Argument(help="A .dump made by `tender backup`.")],
    into: Annotated[str, typer.Option(help="postgresql://... of an empty database.")],
    force: Annotated[
        bool, typer.Option("--force", help="Restore into a non-empty database.")
    ] = False,
) -> None:
    """Restore a backup into an empty database (a non-empty one only with --force)."""
    try:
        refuse_password_in_url(into)
        result = asyncio.run(restore_backup(file, into, force=force))
    except BackupError as exc:
        raise _fail(exc) from None
    verified = "checksum verified" if result.backup else "no manifest: checksum not verified"
    console.print(f"[green]restored[/] {file.name} into {result.database} ({verified})")


def install(cli: typer.Typer) -> None:
    """Add `backup` (with `drill`) and `restore` to the `tender` command."""
    cli.add_typer(app, name="backup")
    cli.command("restore", short_help="Restore a backup into an empty database.")(restore)
