"""A one-line progress bar for `collector usage import`, drawn only on a terminal."""

from __future__ import annotations

import sys
from pathlib import PurePath
from typing import TextIO

_WIDTH = 24


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self._stream = stream or sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._drawn = False

    def update(self, name: str, done: int, total: int | None, lines: int, seconds: float) -> None:
        """`done` of `total` bytes of the file read (None: not known, e.g. stdin)."""
        if not self.enabled:
            return
        rate = f"{lines / seconds:,.0f} lines/s" if seconds > 0 else ""
        if total:
            share = min(done / total, 1.0)
            filled = round(share * _WIDTH)
            bar = f"[{'#' * filled}{'-' * (_WIDTH - filled)}] {share:4.0%}"
        else:
            bar = f"{done / 1e6:,.1f} MB"
        label = PurePath(name).name or name
        self._stream.write(f"\r{label}  {bar}  {lines:,} lines  {rate}\033[K")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False
