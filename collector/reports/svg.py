"""The visits-over-time chart as inline SVG, drawn on the server (promise P5: no scripts).

A bar per day (or hour), scaled to the largest value, with the largest value and the first
and last label written on the axes. Each bar carries a <title>, which browsers show as a
tooltip and screen readers read, so the numbers stay reachable without JavaScript. Colours
come from the page's stylesheet (classes), not from style attributes, which a strict
Content-Security-Policy would block.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 200
_LEFT, _BOTTOM, _TOP = 36, 22, 8  # room for the y label, the x labels, the top value


def bar_chart(points: Sequence[tuple[str, int]], unit: str = "visits") -> str:
    """SVG markup for (label, value) points, in order."""
    top = max((v for _, v in points), default=0)
    plot_w, plot_h = WIDTH - _LEFT, HEIGHT - _BOTTOM - _TOP
    step = plot_w / max(len(points), 1)
    gap = min(step * 0.2, 4)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(unit)} per period: {len(points)} bars, highest {top}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line class="axis" x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH}" '
        f'y2="{HEIGHT - _BOTTOM}"/>',
        f'<text class="label" x="{_LEFT - 4}" y="{_TOP + 10}" text-anchor="end">{top}</text>',
        f'<text class="label" x="{_LEFT - 4}" y="{HEIGHT - _BOTTOM}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top if top else 0
        x = _LEFT + i * step + gap / 2
        y = HEIGHT - _BOTTOM - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step - gap:.1f}" '
            f'height="{h:.1f}" data-value="{value}"><title>{escape(label)}: {value} '
            f"{escape(unit)}</title></rect>"
        )
    if points:
        baseline = HEIGHT - 6
        parts.append(
            f'<text class="label" x="{_LEFT}" y="{baseline}">{escape(points[0][0])}</text>'
        )
        if len(points) > 1:
            parts.append(
                f'<text class="label" x="{WIDTH}" y="{baseline}" text-anchor="end">'
                f"{escape(points[-1][0])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
