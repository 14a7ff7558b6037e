"""How the report writes values: colours, numbers, shares, durations, escaped text."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
ACCENT, ACCENT_DARK = "#3b6fb6", "#334e68"
GOOD, BAD, NEUTRAL = "#2f9e6e", "#d0483f", "#9aa5b1"

INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
ACCENT, ACCENT_DARK = "#3b6fb6", "#334e68"
OUTCOMES = ("converted", "open", "ended", "abandoned")  # top to bottom in the Sankey


OUTCOME_LABELS = {"converted": "converted", "open": "still open", "ended": "ended", "abandoned": "abandoned"}


OUTCOME_COLORS = {"converted": GOOD, "open": NEUTRAL, "ended": "#7b8794", "abandoned": BAD}


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (lists and arrays are never missing)."""
    if value is None:
        return True
    if isinstance(value, str) or hasattr(value, "__len__"):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, default: float = 0.0) -> float:
    """A float, or `default` for a missing value (pd.NA, NaN, None)."""
    return default if is_missing(value) else float(value)


def esc(value: Any) -> str:
    """Text or attribute value, HTML-escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def fmt_int(value: Any) -> str:
    """1234.0 → '1,234'; missing → '–'."""
    return "–" if is_missing(value) else f"{round(float(value)):,}"


def fmt_pct(value: Any, digits: int | None = None) -> str:
    """A share as a percentage: 0.384 → '38%'; one decimal below 10% and above 99%, where
    rounding would hide the difference (0.0231 → '2.3%', 0.997 → '99.7%', not '100%')."""
    if is_missing(value):
        return "–"
    value = float(value)
    if digits is None:
        digits = 1 if 0 < abs(value) < 0.1 or 0.99 < abs(value) < 1 else 0
    return f"{value:.{digits}%}"


def fmt_num(value: Any, digits: int = 2) -> str:
    """A plain number with a true minus sign: -0.42 → '−0.42'; missing → '–'."""
    return "–" if is_missing(value) else f"{float(value):,.{digits}f}".replace("-", "−")


def fmt_duration(seconds: Any) -> str:
    """Seconds in the unit a person would use: '45 s', '12 min', '5.2 h', '3.1 days'."""
    if is_missing(seconds):
        return "–"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in '…' when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
