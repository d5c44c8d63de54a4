"""The SQL of the privacy endpoints, from `sql/privacy/*.sql` (names from code, never a request)."""

from __future__ import annotations

from collector.storage.db import sql_dir


def query(name: str) -> str:
    return (sql_dir() / "privacy" / f"{name}.sql").read_text()
