"""The funnel: one bar per stage with what continued and what dropped, and its small multiples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeymine.outputs.report.charts.svg import svg_open, svg_text
from journeymine.outputs.report.format import (
    ACCENT, GRID, MUTED, esc, fmt_duration, fmt_int, fmt_pct, is_missing, number, truncate,
)

FUNNEL_COLORS = {"continued": ACCENT, "dropped": "#e38b82", "rest": "#d9e2ec"}


def funnel_svg(stages: Sequence[dict[str, Any]], *, width: float = 1120) -> str:
    """Horizontal funnel: one bar per stage (n_reached, split into continued / dropped / the
    rest, i.e. still open or ended there), conversion from the start at the bar's end, and a
    line under each bar with the drop rate and the median time to the next stage.

    `stages`: dicts with stage, n_reached, n_continued, n_dropped, drop_rate,
    conversion_from_start, median_seconds_to_next, in stage order.
    """
    label_w, value_w, row_h, gap_h, top = 200.0, 210.0, 24.0, 26.0, 30.0
    bar_w = width - label_w - value_w
    most = max((number(s["n_reached"]) for s in stages), default=0) or 1
    height = top + len(stages) * (row_h + gap_h)
    parts = [svg_open(width, height, "funnel by stage"), _legend(label_w, 10, [
        ("continued", FUNNEL_COLORS["continued"]), ("dropped", FUNNEL_COLORS["dropped"]),
        ("still open or ended", FUNNEL_COLORS["rest"])])]
    for i, s in enumerate(stages):
        y = top + i * (row_h + gap_h)
        reached = number(s["n_reached"])
        is_last = i == len(stages) - 1
        # the last stage has no next one to continue to: its bar is all reached
        pieces = [("continued", reached)] if is_last else [
            ("continued", number(s["n_continued"])), ("dropped", number(s["n_dropped"]))]
        pieces.append(("rest", max(reached - sum(n for _, n in pieces), 0.0)))
        parts.append(svg_text(label_w - 12, y + row_h / 2, truncate(str(s["stage"]), 28), anchor="end",
                              size=13, weight=600))
        x = label_w
        for name, n in pieces:
            w = bar_w * n / most
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row_h}" '
                         f'fill="{FUNNEL_COLORS[name]}"><title>{esc(f"{name}: {fmt_int(n)}")}</title></rect>')
            x += w
        parts.append(svg_text(x + 8, y + row_h / 2, f"{fmt_int(reached)} reached · "
                              f"{fmt_pct(s.get('conversion_from_start'))} of start", size=12.5))
        if not is_last or number(s["n_dropped"]) > 0:
            parts.append(svg_text(label_w, y + row_h + 12, _drop_line(s), size=11.5, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _drop_line(stage: dict[str, Any]) -> str:
    text = f"▼ {fmt_pct(stage.get('drop_rate'))} dropped ({fmt_int(stage.get('n_dropped'))})"
    if not is_missing(stage.get("median_seconds_to_next")):
        text += f" · median {fmt_duration(stage['median_seconds_to_next'])} to the next stage"
    return text


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> str:
    parts = []
    for name, color in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="10" height="10" rx="2" fill="{color}"/>')
        parts.append(svg_text(x + 15, y, name, size=11.5, fill=MUTED))
        x += 30 + 6.5 * len(name)
    return "".join(parts)


def funnel_mini_svg(stages: Sequence[dict[str, Any]], *, width: float = 250) -> str:
    """A small funnel for one segment: bars ∝ conversion from the start, the share at the end."""
    label_w, value_w, row_h = 84.0, 42.0, 19.0
    bar_w = width - label_w - value_w
    parts = [svg_open(width, len(stages) * row_h + 4, "funnel of one segment")]
    for i, s in enumerate(stages):
        y = 2 + i * row_h
        share = 0.0 if is_missing(s.get("conversion_from_start")) else float(s["conversion_from_start"])
        parts.append(svg_text(label_w - 6, y + row_h / 2 - 1, truncate(str(s["stage"]), 13), anchor="end",
                              size=11, fill=MUTED))
        parts.append(f'<rect x="{label_w}" y="{y + 3:.1f}" width="{bar_w:.1f}" height="{row_h - 7}" fill="{GRID}"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3:.1f}" width="{bar_w * max(0.0, min(share, 1.0)):.1f}" '
                     f'height="{row_h - 7}" fill="{ACCENT}"/>')
        parts.append(svg_text(label_w + bar_w + 6, y + row_h / 2 - 1, fmt_pct(share), size=11))
    parts.append("</svg>")
    return "".join(parts)
