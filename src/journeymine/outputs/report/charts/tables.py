"""Small bars inside table cells (class `spark`): a share of the largest value, a lift."""

from __future__ import annotations

from journeymine.outputs.report.charts.svg import svg_open
from journeymine.outputs.report.format import ACCENT, BAD, GRID, INK, NEUTRAL, fmt_num, is_missing, number


def inline_bar_svg(value: float, max_value: float, *, width: int = 96, height: int = 10,
                   color: str = ACCENT) -> str:
    """A small horizontal bar (value / max_value of the width) for a table cell."""
    share = 0.0 if is_missing(value) or not max_value else max(0.0, min(1.0, float(value) / max_value))
    return (f'{svg_open(width, height, f"{share:.0%} of the largest", "spark")}'
            f'<rect width="{width}" height="{height}" rx="2" fill="{GRID}"/>'
            f'<rect width="{width * share:.1f}" height="{height}" rx="2" fill="{color}"/></svg>')


def lift_bar_svg(lift: float, max_lift: float, *, width: int = 120, height: int = 12) -> str:
    """A bar from 0 to `lift` on a 0…max_lift scale, with a tick at 1 (no over-representation)."""
    top = max(number(max_lift, 1.0), 1.0)
    x = width * max(0.0, min(number(lift), top)) / top  # an infinite lift fills the bar
    one = width / top
    color = BAD if lift > 1 else NEUTRAL
    return (f'{svg_open(width, height, f"lift {fmt_num(lift, 1)}", "spark")}'
            f'<rect width="{width}" height="{height}" rx="2" fill="{GRID}"/>'
            f'<rect width="{x:.1f}" height="{height}" rx="2" fill="{color}" fill-opacity="0.8"/>'
            f'<line x1="{one:.1f}" x2="{one:.1f}" y1="0" y2="{height}" stroke="{INK}" stroke-width="1.5"/></svg>')
