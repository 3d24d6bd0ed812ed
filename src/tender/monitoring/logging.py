"""Structured JSON logs (structlog) and Sentry, both through the same scrubber.

Secrets, tokens and card-like numbers never leave the process: keys that name a secret
lose their value, and strings lose anything that looks like a card number, a bearer or
JWT token, a Stripe key, a webhook secret or a PaymentIntent client secret.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO, cast

import structlog

from tender.config import Settings

SCRUBBED = "[scrubbed]"
SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|authori[sz]ation|api[_-]?key|cookie|card[_-]?number|"
    r"^number$|cvc|cvv|routing[_-]?key|dsn|signature",
    re.IGNORECASE,
)
SECRET_TEXT = re.compile(
    # card-like numbers: 13-19 digits, or grouped 4-4-4-4(-3) / 4-6-5 with spaces or dashes
    r"(?<![0-9A-Za-z-])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2}[ -][0-9]{1,7}"
    r"|[0-9]{4}[ -][0-9]{6}[ -][0-9]{5})(?![0-9A-Za-z-])"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # JWTs
    r"|\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+"
    r"|\bwhsec_[A-Za-z0-9_]+"
    r"|\bcs_[A-Za-z0-9_-]{32,}"  # checkout links: the token is the page's credential
    r"|\b(?:pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"
)


def scrub(value: Any, depth: int = 0) -> Any:
    """`value` with secrets replaced, recursively (dicts, lists, tuples, strings)."""
    if depth > 12:
        return value
    if isinstance(value, str):
        return SECRET_TEXT.sub(SCRUBBED, value)
    if isinstance(value, Mapping):
        return {
            k: SCRUBBED
            if isinstance(k, str) and SECRET_KEYS.search(k) and v not in (None, "")
            else scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, depth + 1) for v in value)
    return value


def scrub_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    scrubbed: MutableMapping[str, Any] = scrub(dict(event_dict))
    return scrubbed


class _Stderr:
    """Whatever sys.stderr is at write time (test runners and daemons swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _level(name: str) -> int:
    return logging.getLevelNamesMapping().get(name.upper(), logging.INFO)


def configure_logging(settings: Settings, stream: Any = None) -> None:
    """JSON lines on stderr for structlog and stdlib loggers alike, at LOG_LEVEL."""
    level = _level(settings.log_level)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    out: TextIO = stream or cast(TextIO, _Stderr())
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            scrub_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                scrub_processor,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_tender", False)]
    handler._tender = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def scrub_sentry_event(event: Any, _hint: Any) -> Any:
    """Sentry `before_send`: the same scrubbing as the logs."""
    return scrub(event)


def init_sentry(settings: Settings) -> bool:
    """Start Sentry when SENTRY_DSN is set; returns whether it did."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.environment.value,
        send_default_pii=False,
        traces_sample_rate=0.0,
        before_send=scrub_sentry_event,
        before_send_transaction=scrub_sentry_event,
    )
    return True


if not structlog.is_configured():
    # Until a process entry point calls configure_logging, structlog would print to stdout,
    # where a CLI's --json answer goes. Logs belong on stderr from the first line.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _Stderr())))

# The stripe SDK logs two info lines per call (request, response): warnings only, always.
logging.getLogger("stripe").setLevel(logging.WARNING)
