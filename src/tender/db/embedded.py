"""An embedded PostgreSQL from the `pgserver` wheel, for running with no configuration."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from tender.errors import ConfigurationError

log = logging.getLogger(__name__)

NO_PGSERVER = (
    "The embedded PostgreSQL needs the 'pgserver' wheel, which is not installed for this Python "
    "(it exists for CPython 3.11 and 3.12). Set DATABASE_URL to a PostgreSQL server instead, "
    "e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tender"
)


class EmbeddedPostgres:
    """A PostgreSQL server living in `data_dir`, reused across runs, stopped by `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return its superuser libpq URL."""
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import pgserver
        except ImportError as exc:  # pragma: no cover - depends on the interpreter
            raise ConfigurationError(NO_PGSERVER) from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        get_server: Any = pgserver.get_server  # type: ignore[attr-defined]
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        url: str = self._server.get_uri()
        log.info("embedded postgresql ready in %s", self.data_dir)
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
