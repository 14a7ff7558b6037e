"""How a p-value is written for people, in the change messages and in the report."""

from __future__ import annotations

from typing import Any

import pandas as pd


def fmt_p(p: Any) -> str:
    """A p-value as people read it: '< 0.001', else three decimals ('–' when missing)."""
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"
