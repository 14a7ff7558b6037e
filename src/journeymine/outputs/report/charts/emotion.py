"""The emotion curve: a line along the stages (valleys and peaks marked) and diverging bars
per touchpoint."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

from journeymine.outputs.report.charts.svg import svg_open, svg_text
from journeymine.outputs.report.format import ACCENT, BAD, GOOD, GRID, INK, MUTED, esc, fmt_num, is_missing, truncate


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About `count` round tick values covering low…high (1, 2, 2.5 or 5 × a power of ten)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [round(first + i * step, 10) for i in range(int(math.ceil((high - first) / step)) + 1)]


def line_chart_svg(labels: Sequence[str], values: Sequence[float], *, width: float = 540, height: float = 250,
                   color: str = ACCENT, value_format: Callable[[Any], str] = fmt_num, valleys: Iterable[int] = (),
                   peaks: Iterable[int] = (), reference: float | None = None, label_points: bool = True,
                   title: str = "line chart") -> str:
    """A line over evenly spaced points (gaps where a value is missing), y ticks, x labels
    (thinned to about 10; long ones wrapped on two lines), valleys (▼, red) and peaks (▲,
    green) marked with their value, and an optional dashed reference line (e.g. 0)."""
    left, right, top, bottom = 48.0, 16.0, 22.0, 46.0
    inset = 34.0  # keeps the first and last x labels and point labels inside the chart
    finite = [float(v) for v in values if not is_missing(v)]
    low, high = min(finite + ([reference] if reference is not None else [])), max(finite)
    if reference is not None:
        high = max(high, reference)
    pad = (high - low) * 0.15 or 0.5
    ticks = nice_ticks(low - pad, high + pad)
    lo, hi = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(i: int) -> float:
        span = plot_w - 2 * inset
        return left + inset + (span * i / (len(values) - 1) if len(values) > 1 else span / 2)

    def py(v: float) -> float:
        return top + plot_h * (hi - float(v)) / (hi - lo)

    parts = [svg_open(width, height, title)]
    for t in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="{GRID}"/>')
        parts.append(svg_text(left - 6, py(t), value_format(t), anchor="end", size=10.5, fill=MUTED))
    if reference is not None and lo <= reference <= hi:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(reference):.1f}" y2="{py(reference):.1f}" '
                     f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    parts.append(_x_labels(labels, px, height - bottom + 14, (plot_w - 2 * inset) / max(len(labels) - 1, 1)))
    parts.append(_polyline(values, px, py, color))
    parts += [svg_text(px(i), top + plot_h - 8, "no data", anchor="middle", size=10, fill=MUTED)
              for i, v in enumerate(values) if is_missing(v)]
    parts.append(_points(values, px, py, color, value_format, set(valleys), set(peaks), label_points))
    parts.append("</svg>")
    return "".join(parts)


def _x_labels(labels: Sequence[str], px: Callable[[int], float], y: float, spacing: float) -> str:
    """Labels under their points, wrapped to two lines; every k-th only when they would touch."""
    limit = max(8, min(16, int(spacing / 6.2)))
    longest = max((max(map(len, _wrap(str(label), limit))) for label in labels), default=1)
    every = max(1, math.ceil((longest * 6.2 + 8) / spacing))
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        lines = _wrap(str(label), limit)
        for j, line in enumerate(lines):
            parts.append(svg_text(px(i), y + j * 13, line, anchor="middle", size=10.5, fill=MUTED))
    return "".join(parts)


def _wrap(text: str, limit: int) -> list[str]:
    """At most two lines of about `limit` characters, split at spaces; the rest cut with '…'."""
    words, lines = text.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [truncate(line, limit + 2) for line in lines]


def _polyline(values: Sequence[float], px: Callable[[int], float], py: Callable[[float], float], color: str) -> str:
    """The line through the points with a value: solid between neighbours, dashed across
    points without one (a stage nobody rated), so the curve reads on without inventing values."""
    known = [(i, float(v)) for i, v in enumerate(values) if not is_missing(v)]
    solid, dashed = [], []
    for (i, v), (j, w) in pairwise(known):
        (solid if j == i + 1 else dashed).append(f"M{px(i):.1f},{py(v):.1f}L{px(j):.1f},{py(w):.1f}")
    style = f'fill="none" stroke="{color}" stroke-width="2.2" stroke-linecap="round"'
    return (f'<path class="line" d="{"".join(solid)}" {style}/>'
            + (f'<path class="line gap" d="{"".join(dashed)}" {style} stroke-dasharray="2 5" '
               f'stroke-opacity="0.6"/>' if dashed else ""))


def _points(values: Sequence[float], px: Callable[[int], float], py: Callable[[float], float], color: str,
            value_format: Callable[[Any], str], valleys: set[int], peaks: set[int], label_points: bool) -> str:
    parts = []
    for i, v in enumerate(values):
        if is_missing(v):
            continue
        x, y = px(i), py(v)
        mark = "valley" if i in valleys else "peak" if i in peaks else ""
        fill = BAD if mark == "valley" else GOOD if mark == "peak" else color
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if mark else 3}" fill="{fill}" '
                     f'stroke="#fff" stroke-width="1.5"><title>{esc(value_format(v))}</title></circle>')
        if mark or label_points:
            text = {"valley": "▼ ", "peak": "▲ "}.get(mark, "") + value_format(v)
            dy = 16 if mark == "valley" else -14
            parts.append(svg_text(x, y + dy, text, anchor="middle", size=11, fill=fill if mark else INK,
                                  weight=600 if mark else 400))
    return "".join(parts)


def diverging_bars_svg(labels: Sequence[str], values: Sequence[float], notes: Sequence[str] = (), *,
                       width: float = 540, value_format: Callable[[Any], str] = fmt_num,
                       title: str = "bar chart") -> str:
    """One row per label: a bar left of zero (red) or right of it (green), its value, and an
    optional muted note after it (e.g. '38% negative')."""
    label_w, note_w, row_h = 230.0, 100.0, 24.0
    bar_w = width - label_w - note_w - 50
    extent = max((abs(float(v)) for v in values if not is_missing(v)), default=1.0) or 1.0
    zero = label_w + bar_w / 2
    parts = [svg_open(width, row_h * len(labels) + 6, title)]
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = 3 + i * row_h
        parts.append(svg_text(label_w - 8, y + row_h / 2, truncate(str(label), 36), anchor="end", size=11.5))
        if not is_missing(v):
            w = bar_w / 2 * abs(float(v)) / extent
            x = zero - w if v < 0 else zero
            parts.append(f'<rect x="{x:.1f}" y="{y + 5:.1f}" width="{w:.1f}" height="{row_h - 10}" rx="2" '
                         f'fill="{BAD if v < 0 else GOOD}" fill-opacity="0.8"/>')
        parts.append(svg_text(label_w + bar_w + 8, y + row_h / 2, value_format(v), size=11.5))
        if i < len(notes):
            parts.append(svg_text(label_w + bar_w + 50, y + row_h / 2, notes[i], size=11, fill=MUTED))
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{row_h * len(labels) + 6}" stroke="{MUTED}"/>')
    parts.append("</svg>")
    return "".join(parts)
