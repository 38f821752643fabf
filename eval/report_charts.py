"""Inline SVG charts and heat-map colours for the evaluation report (no plotting library, no external resources).

Every text that reaches the SVG is escaped here; callers pass plain strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise

PALETTE = ("#2f6fd6", "#e08a1e", "#1f9d74", "#8a5cd1", "#d1497b", "#2aa2b8", "#7a8699")

WIDTH = 520
MIN_LABEL_WIDTH, MAX_LABEL_WIDTH = 120, 250
VALUE_WIDTH = 58
LEGEND_HEIGHT = 30
GROUP_GAP = 14


def series_colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One metric: a bar per series, drawn against `full_scale` (1 for ratios, 100 for scores, the largest value
    for counts and milliseconds)."""

    label: str
    values: tuple[float | None, ...]
    shown: tuple[str, ...]  # each value formatted for display ("—" when absent)
    full_scale: float


def bar_chart(title: str, series: Sequence[str], rows: Sequence[ChartRow]) -> str:
    """A horizontal grouped bar chart: one group of bars per row, one colour per series."""
    bar_height = 16 if len(series) == 1 else 13
    group_height = len(series) * (bar_height + 3) + GROUP_GAP
    height = LEGEND_HEIGHT + len(rows) * group_height + 6
    label_width = max(MIN_LABEL_WIDTH, min(MAX_LABEL_WIDTH, max(_text_width(row.label) for row in rows) + 16))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        _legend(series, label_width),
    ]
    for index, row in enumerate(rows):
        parts.append(_group(row, LEGEND_HEIGHT + index * group_height, bar_height, label_width))
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[str], left: int) -> str:
    needed = sum(30 + _text_width(name) for name in series)
    parts, x = [], left if left + needed <= WIDTH else max(0, WIDTH - needed)
    for index, name in enumerate(series):
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{series_colour(index)}"/>'
            f'<text x="{x + 17}" y="18" class="legend">{escape(name)}</text>'
        )
        x += 30 + _text_width(name)
    return "".join(parts)


def _text_width(text: str) -> int:
    """Roughly how wide `text` is at the charts' 12.5 px: CJK characters are square, Latin ones about half."""
    return sum(7 if ord(char) < 128 else 13 for char in text)


def _group(row: ChartRow, top: float, bar_height: int, left: int) -> str:
    bars_width = WIDTH - left - VALUE_WIDTH
    span = len(row.values) * (bar_height + 3) - 3
    parts = [
        f'<text x="{left - 12}" y="{top + span / 2 + 4:.1f}" text-anchor="end" class="axis">{escape(row.label)}</text>'
    ]
    for index, (value, shown) in enumerate(zip(row.values, row.shown, strict=True)):
        y = top + index * (bar_height + 3)
        parts.append(f'<rect x="{left}" y="{y}" width="{bars_width}" height="{bar_height}" rx="2" class="track"/>')
        length = 0.0
        if value is not None and row.full_scale > 0:
            length = max(0.0, min(1.0, value / row.full_scale)) * bars_width
            parts.append(
                f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_height}" rx="2" '
                f'fill="{series_colour(index)}"><title>{escape(shown)}</title></rect>'
            )
        parts.append(f'<text x="{left + bars_width + 8}" y="{y + bar_height - 3}" class="value">{escape(shown)}</text>')
    return "".join(parts)


def heat_colour(goodness: float) -> str:
    """Background for a cell whose value is `goodness` of the way from worst (0) to best (1): red, amber, green."""
    stops = ((0.0, (248, 215, 211)), (0.5, (252, 239, 199)), (1.0, (205, 236, 214)))
    goodness = max(0.0, min(1.0, goodness))
    for (start, low), (end, high) in pairwise(stops):
        if goodness <= end:
            share = (goodness - start) / (end - start)
            red, green, blue = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
            return f"#{red:02x}{green:02x}{blue:02x}"
    return "#cdecd6"
