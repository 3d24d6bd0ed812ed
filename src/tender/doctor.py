"""`tender doctor`: the go-live checklist, one pass/fail line per check and an exit code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import asyncpg
import httpx
import typer
from rich.console import Console

from tender.db.urls import to_libpq
from tender.ops.doctor_checks import CHECKS, CheckResult, DoctorContext
from tender.ops.operator import operator_target

CHECK_TIMEOUT_SECONDS = 10.0
MARKS = {"pass": "[green]PASS[/]", "fail": "[red]FAIL[/]", "warn": "[yellow]WARN[/]",
         "skip": "[dim]SKIP[/]"}  # fmt: skip

app = typer.Typer(help="Go-live checklist.")
console = Console()


@asynccontextmanager
async def _service_client(ctx: DoctorContext) -> AsyncIterator[httpx.AsyncClient | None]:
    """The served instance at --url, else this build's app in-process (over https)."""
    if ctx.base_url:
        async with httpx.AsyncClient(base_url=ctx.base_url, timeout=5.0) as client:
            yield client
        return
    from tender.app import create_app
    from tender.runtime import Runtime

    try:
        # No access-log lines between the checks: the report is the output.
        quiet = ctx.settings.model_copy(update={"monitor_enable_logging": False})
        runtime = Runtime.build(quiet, ctx.app_url)
    except Exception:
        yield None
        return
    try:
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="https://doctor.local") as c:
            yield c
    finally:
        await runtime.close()


async def _run_check(check: object, ctx: DoctorContext) -> CheckResult:
    name = getattr(check, "__name__", "check").removeprefix("check_").replace("_", " ")
    try:
        return await asyncio.wait_for(check(ctx), CHECK_TIMEOUT_SECONDS)  # type: ignore[operator]
    except TimeoutError:
        return CheckResult(name, "fail", f"no answer within {CHECK_TIMEOUT_SECONDS:g} s")
    except Exception as exc:  # a check that breaks is a failed check, never a crash
        return CheckResult(name, "fail", f"{type(exc).__name__}: {str(exc)[:200]}")


async def run_doctor(ctx: DoctorContext) -> list[CheckResult]:
    """Every check, in the seed's order; the database connection is shared by them."""
    try:
        ctx.owner = await asyncpg.connect(to_libpq(ctx.owner_url), timeout=5.0)
    except Exception:
        ctx.owner = None
    try:
        async with _service_client(ctx) as client:
            ctx.http = client
            results: list[CheckResult] = []
            for check in CHECKS:
                if client is None and check.__name__ in {"check_health", "check_headers"}:
                    results.append(CheckResult(check.__name__[6:], "fail", "app does not build"))
                    continue
                results.append(await _run_check(check, ctx))
            return results
    finally:
        if ctx.owner is not None:
            await ctx.owner.close()


def render(results: list[CheckResult], as_json: bool) -> None:
    ok = not any(r.status == "fail" for r in results)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "checks": [r.__dict__ for r in results]}))
        return
    for r in results:
        console.print(f"{MARKS[r.status]} {r.name}: {r.detail}", highlight=False)
    failed = sum(r.status == "fail" for r in results)
    console.print("[bold green]ready to go live[/]" if ok else f"[bold red]{failed} failing[/]")


@app.callback(invoke_without_command=True)
def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines.")] = False,
    bundle: Annotated[
        Path | None, typer.Option(help="A built client bundle to scan for secret keys.")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="A served instance to probe (default: this build).")
    ] = None,
) -> None:
    """Run the go-live checklist; exit 1 if any check fails."""
    with operator_target() as target:
        ctx = DoctorContext(
            settings=target.settings,
            app_url=target.database.app_url,
            owner_url=target.database.migration_url,
            base_url=url,
            bundle=bundle,
        )
        results = asyncio.run(run_doctor(ctx))
    render(results, as_json)
    if any(r.status == "fail" for r in results):
        raise typer.Exit(1)
