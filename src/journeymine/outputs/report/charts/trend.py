"""Week by week: a small column chart of a rate per period, the flagged periods in colour."""

from __future__ import annotations

from collections.abc import Sequence

from journeymine.outputs.report.charts.svg import svg_open, svg_text
from journeymine.outputs.report.format import BAD, GOOD, GRID, MUTED, NEUTRAL, esc, fmt_pct, is_missing


def period_bars_svg(labels: Sequence[str], rates: Sequence[float], flags: Sequence[str | None], *,
                    usual: float | None = None, width: float = 360, height: float = 120,
                    title: str = "rate per period") -> str:
    """One column per period (its rate, 0 at the bottom; a gap for a period without one), the
    flagged ones coloured (`flags`: 'bad' red, 'good' green, None grey), a dashed line at the usual
    rate, the first and last labels under the axis and the highest rate written above its column."""
    left, right, top, bottom = 6.0, 6.0, 16.0, 18.0
    values = [None if is_missing(r) else float(r) for r in rates]
    high = max([v for v in values if v is not None] + [usual or 0.0, 1e-9])
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(values), 1)
    bar = max(step * 0.72, 1.0)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / high)

    parts = [svg_open(width, height, title),
             f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h:.1f}" y2="{top + plot_h:.1f}" stroke="{GRID}"/>']
    for i, (value, flag) in enumerate(zip(values, flags, strict=True)):
        if value is None:
            continue
        color = {"bad": BAD, "good": GOOD}.get(flag or "", NEUTRAL)
        x = left + i * step + (step - bar) / 2
        parts.append(f'<rect x="{x:.1f}" y="{py(value):.1f}" width="{bar:.1f}" height="{top + plot_h - py(value):.1f}" '
                     f'fill="{color}" fill-opacity="{0.9 if flag else 0.45}"><title>{esc(labels[i])}: {fmt_pct(value)}</title>'
                     "</rect>")
    if usual is not None and not is_missing(usual):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(usual):.1f}" y2="{py(usual):.1f}" '
                     f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    peak = max(range(len(values)), key=lambda i: -1 if values[i] is None else values[i], default=None)
    if peak is not None and values[peak] is not None:
        x = left + peak * step + step / 2
        parts.append(svg_text(min(max(x, 18), width - 18), max(py(values[peak]) - 7, 7), fmt_pct(values[peak]),
                              anchor="middle", size=10, fill=MUTED))
    if labels:
        parts.append(svg_text(left, height - 7, labels[0], size=10, fill=MUTED))
        parts.append(svg_text(width - right, height - 7, labels[-1], anchor="end", size=10, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)
