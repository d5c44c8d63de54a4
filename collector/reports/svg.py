"""The visits-over-time chart as inline SVG, drawn on the server: no script draws it.

A bar per day (or local hour), scaled to a round top value, with grid lines and axis labels
at sensible intervals: local dates ("1 Dec") or hours ("06:00"), never raw timestamps. The
SVG has no viewBox: bars are placed in percentages of its width and text keeps its CSS
pixel size, so a phone's 390 px shows the same 12 px labels as a desktop (a viewBox would
scale them down with the drawing). An earlier period to compare with is drawn faintly behind
the bars, bar for bar. Each bar carries a <title> (a tooltip, and what screen readers read).
Colours come from the page's stylesheet (classes), not from style attributes, which a strict
Content-Security-Policy would block.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

HEIGHT = 200
_BOTTOM, _TOP = 24, 16  # px: the x labels below, the top grid label above
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_LABELS = 7  # what fits a 390 px phone at 12 px
DAY_STEPS = (1, 2, 7, 14)
HOUR_STEPS = (1, 2, 3, 4, 6, 12)


def label_of(key: str) -> str:
    """A point's key as people read it: "06:00" for an hour ("2026-12-01T06:00+01:00",
    already local), "1 Dec" for a day."""
    if "T" in key:
        return key.split("T", 1)[1][:5]
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return key
    return f"{day.day} {MONTHS[day.month - 1]}"


def long_label(key: str) -> str:
    """A bar's title: the day with its year, or the day and hour."""
    if "T" in key:
        try:
            at = datetime.fromisoformat(key.replace("Z", "+00:00"))
        except ValueError:
            return key
        return f"{at.day} {MONTHS[at.month - 1]} {at.year}, {at:%H:%M}"
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return key
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def tick_indexes(keys: Sequence[str]) -> list[int]:
    """Which points get an x label: at most MAX_LABELS, at round places: hours every 3 or 6
    (on the hour the label says), days every 1, 2, 7 or 14 days, or the first of each month."""
    n = len(keys)
    if n == 0:
        return []
    if "T" in keys[0]:  # local hours: on the hour, every 1, 2, 3, 4, 6 or 12 hours
        for step in HOUR_STEPS:
            hours = [i for i, k in enumerate(keys) if int(k[11:13]) % step == 0]
            if len(hours) <= MAX_LABELS:
                return hours
        return hours[:: -(-len(hours) // MAX_LABELS)]
    for step in DAY_STEPS:
        if -(-n // step) <= MAX_LABELS:
            return list(range(0, n, step))
    firsts = [i for i, k in enumerate(keys) if k.endswith("-01")]
    every = max(1, -(-len(firsts) // MAX_LABELS))
    return firsts[::every] or [0]


def nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times 10^k at or above `value` (grid lines at its half)."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for m in (1, 2, 5):
            if m * scale >= value:
                return m * scale
        scale *= 10


def _pct(x: float) -> str:
    return f"{x:.3f}%"


def bar_chart(
    points: Sequence[tuple[str, int]],
    unit: str = "visits",
    earlier: Sequence[tuple[str, int]] | None = None,
) -> str:
    """SVG markup for (key, value) points, in order; `earlier`: the comparison period's
    points, matched by position."""
    earlier = earlier or []
    highest = max((v for _, v in [*points, *earlier]), default=0)
    top = nice_top(highest)
    plot_h = HEIGHT - _BOTTOM - _TOP
    base = HEIGHT - _BOTTOM
    step = 100 / max(len(points), 1)
    gap = min(step * 0.2, 0.6)
    most = max((v for _, v in points), default=0)
    what = f"{escape(unit)} per period: {len(points)} bars, highest {most}"
    if earlier:
        what += f"; the earlier period faint, highest {max(v for _, v in earlier)}"
    parts = [
        f'<svg class="chart" width="100%" height="{HEIGHT}" role="img" aria-label="{what}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0, 0.5, 1):
        y = base - plot_h * fraction
        parts.append(f'<line class="grid" x1="0" y1="{y:.1f}" x2="100%" y2="{y:.1f}"/>')
        if fraction and float(top * fraction).is_integer():  # no "0.5 visits"
            value = top * fraction
            text = str(int(value))
            parts.append(f'<text class="label" x="0" y="{y - 4:.1f}">{text}</text>')
    for i, (_, value) in enumerate(earlier[: len(points)]):
        h = plot_h * value / top
        parts.append(
            f'<rect class="bar earlier" x="{_pct(i * step)}" y="{base - h:.1f}" '
            f'width="{_pct(step)}" height="{h:.1f}" data-value="{value}"/>'
        )
    for i, (key, value) in enumerate(points):
        h = plot_h * value / top
        title = f"{escape(long_label(key))}: {value} {escape(unit)}"
        if i < len(earlier):
            title += f" (earlier: {earlier[i][1]} on {escape(long_label(earlier[i][0]))})"
        parts.append(
            f'<rect class="bar" x="{_pct(i * step + gap / 2)}" y="{base - h:.1f}" '
            f'width="{_pct(step - gap)}" height="{h:.1f}" data-value="{value}">'
            f"<title>{title}</title></rect>"
        )
    keys = [k for k, _ in points]
    for i in tick_indexes(keys):
        x = i * step + step / 2
        anchor = "start" if x < 4 else "end" if x > 96 else "middle"
        x = 0 if anchor == "start" else 100 if anchor == "end" else x
        parts.append(
            f'<text class="label tick" x="{_pct(x)}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{escape(label_of(keys[i]))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
