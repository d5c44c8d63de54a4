"""SQL files with named parameters (`:name`), read once and bound to asyncpg's `$n`.

Steps that share their parameters (the roll-up's, the fold's) each use some of them; naming
them keeps a file's `$3` from meaning different things in different files. Names are
lower-case identifiers after a single colon, so `::type` casts and `'HH24:MI'` are left alone.
Values are always passed as parameters, never written into the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collector.storage.db import sql_dir

_NAME = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@functools.cache
def compile_named(sql: str) -> tuple[str, tuple[str, ...]]:
    """(`sql` with `$1`, `$2`… in place of the names, the names in that order)."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match[1]
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _NAME.sub(number, sql), tuple(order)


def bind(sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """(statement, *arguments), for `conn.execute(*bind(sql, params))`; KeyError names a
    parameter not given."""
    text, names = compile_named(sql)
    return (text, *[params[name] for name in names])


@functools.cache
def steps(folder: str) -> tuple[tuple[str, str], ...]:
    """(name, sql) of each file in `sql/<folder>/`, in name order; read once."""
    path: Path = sql_dir() / folder
    return tuple((p.stem, p.read_text()) for p in sorted(path.glob("*.sql")))


def step(folder: str, name: str) -> str:
    return dict(steps(folder))[name]
