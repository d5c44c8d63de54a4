"""Counters and gauges, rendered as Prometheus text at GET /metrics. Owned by the app."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


class Metrics:
    def __init__(self) -> None:
        self.counters: Counter[tuple[str, str]] = Counter()
        self._gauges: dict[str, Callable[[], float]] = {}
        self._help: dict[str, str] = {}

    def count(self, name: str, label: str = "", amount: int = 1) -> None:
        """Add to counter `name`, optionally split by one `reason`-style label value."""
        self.counters[(name, label)] += amount

    def gauge(self, name: str, read: Callable[[], float], help_text: str = "") -> None:
        self._gauges[name] = read
        self._help[name] = help_text

    def value(self, name: str, label: str = "") -> int:
        return self.counters[(name, label)]

    def render(self) -> str:
        lines: list[str] = []
        names = sorted({name for name, _ in self.counters})
        for name in names:
            lines.append(f"# TYPE collector_{name} counter")
            for (n, label), v in sorted(self.counters.items()):
                if n == name:
                    tag = f'{{reason="{label}"}}' if label else ""
                    lines.append(f"collector_{name}{tag} {v}")
        for name, read in sorted(self._gauges.items()):
            if self._help[name]:
                lines.append(f"# HELP collector_{name} {self._help[name]}")
            lines.append(f"# TYPE collector_{name} gauge")
            lines.append(f"collector_{name} {read()}")
        return "\n".join(lines) + "\n"
