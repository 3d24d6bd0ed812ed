"""``python -m tender_testmode``: run the offline Stripe test mode.

No secret is ever taken from the command line (``ps`` shows it to everyone): the webhook
signing secret comes from ``STRIPE_TESTMODE_WEBHOOK_SECRET`` or a 0600 file.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from tender_testmode.config import EmulatorConfig, FaultRule
from tender_testmode.server import serve

SECRET_ENV = "STRIPE_TESTMODE_WEBHOOK_SECRET"

app = typer.Typer(help="Offline, stateful Stripe test mode for the official stripe SDK.")


def _webhook_secret(path: Path | None) -> str | None:
    if path is not None:
        return path.read_text().strip() or None
    return os.environ.get(SECRET_ENV) or None


@app.command()
def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (keep it local)."),
    port: int = typer.Option(12111, help="Port to listen on (0 picks a free one)."),
    state_dir: Path | None = typer.Option(
        None, help="Keep Stripe's objects here across restarts (default: memory only)."
    ),
    reset: bool = typer.Option(False, "--reset", help="Start clean: forget the saved state."),
    webhook_secret_file: Path | None = typer.Option(
        None,
        help=f"File holding the signing secret of every webhook endpoint (else ${SECRET_ENV}; "
        "else a random whsec_ each).",
    ),
    webhook_retry_base_seconds: float = typer.Option(1.0, help="First webhook retry delay."),
    webhook_max_attempts: int = typer.Option(8, help="Delivery attempts per event."),
    webhook_timeout_seconds: float = typer.Option(10.0, help="Webhook request timeout."),
    max_objects: int = typer.Option(100_000, help="Objects kept per resource kind."),
    latency_ms: float = typer.Option(0.0, help="Added latency per API request."),
    jitter_ms: float = typer.Option(0.0, help="Random extra latency, up to this many ms."),
    error_rate: float = typer.Option(0.0, help="Fraction of requests answered with 500."),
    rate_limit_rate: float = typer.Option(0.0, help="Fraction answered with 429."),
    reset_rate: float = typer.Option(0.0, help="Fraction whose connection is dropped."),
    timeout_rate: float = typer.Option(0.0, help="Fraction that hang past client timeouts."),
    fault_path_prefix: str = typer.Option("/v1", help="Apply faults only under this path."),
    fault_seed: int | None = typer.Option(None, help="Seed for deterministic faults."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """Serve the test mode until SIGINT or SIGTERM (its state is saved on the way out)."""
    rule = FaultRule(
        path_prefix=fault_path_prefix,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        error_rate=error_rate,
        rate_limit_rate=rate_limit_rate,
        reset_rate=reset_rate,
        timeout_rate=timeout_rate,
    )
    has_faults = any((latency_ms, jitter_ms, error_rate, rate_limit_rate, reset_rate, timeout_rate))
    config = EmulatorConfig(
        host=host,
        port=port,
        state_dir=state_dir,
        reset=reset,
        webhook_secret=_webhook_secret(webhook_secret_file),
        webhook_retry_base_seconds=webhook_retry_base_seconds,
        webhook_max_attempts=webhook_max_attempts,
        webhook_timeout_seconds=webhook_timeout_seconds,
        max_objects=max_objects,
        faults=[rule] if has_faults else [],
        fault_seed=fault_seed,
        log_level=log_level,
    )
    serve(config)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
