"""Time inside one run: is a period (a week or a day) different from the others beyond noise?

A finding's rate or a stage's conversion is counted per period in SQL (one row per series and
period: k of n); `compare_periods` tests every period of a series against the rest of that
series, all at once on the arrays:

* a two-sided two-proportion z-test (pooled), k of n in the period against the series' other
  periods (K - k of N - n), leaving out the other periods already flagged (so the weeks of a
  three-week incident are each compared with the normal weeks, not with each other, and the
  normal weeks do not look low against a spike); a period whose series has nothing elsewhere, or
  no variation (all 0 or all 1), is not tested. The flags are found again with the flagged
  periods left out until they no longer change (a few rounds);
* Benjamini-Hochberg over every period tested in the call (q_value), since a run tests many
  series and periods: a period is flagged when q <= alpha, it moved in one of `directions`
  ('rise', 'fall'), the difference is large enough (relative for findings: at least
  (1 + min_relative_change) times the rate elsewhere, or at most 1 / (1 + min_relative_change)
  times; absolute for conversions: min_points) and the period is big enough (min_count: the
  affected journeys of a rise, or those expected of a fall; min_n: its journeys);
* the usual rate of a series is its rate over the periods not flagged, and a flagged rise has
  k - n x usual journeys above it (excess_journeys): the journeys a spike added.

Periods share journeys that span them (a journey in two weeks counts in both), so the test is an
approximation; its threshold is deliberately strict (friction.trend.alpha, funnel.trend.alpha).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from journeymine.insights.drivers import adjust_benjamini_hochberg

MAX_ROUNDS = 5  # rounds of flagging with the flagged periods left out of "elsewhere"


def compare_periods(
    series: np.ndarray, k: np.ndarray, n: np.ndarray, *, alpha: float, min_relative_change: float | None = None,
    min_points: float | None = None, min_count: float = 0, min_n: float = 0,
    directions: Sequence[str] = ("rise", "fall"),
) -> dict[str, np.ndarray]:
    """For rows (series id, k of n in one period): rate, rate_elsewhere (the series' other
    periods, flagged ones left out), p_value, q_value (NaN: not tested), is_flagged, direction
    ('rise' / 'fall'; None when equal or untested), usual_rate (the series' rate over its
    unflagged periods) and excess_journeys (k - n x usual_rate for a flagged rise, else 0).
    min_relative_change or min_points sets how large a difference must be."""
    series = np.asarray(series, dtype=np.int64)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    _, group = np.unique(series, return_inverse=True)
    is_flagged = np.zeros(len(series), dtype=bool)
    for _ in range(MAX_ROUNDS):
        tested = _test(group, k, n, is_flagged)
        flagged = _flag(tested, k, n, alpha=alpha, min_relative_change=min_relative_change, min_points=min_points,
                        min_count=min_count, min_n=min_n, directions=directions)
        if np.array_equal(flagged, is_flagged):
            break
        is_flagged = flagged
    tested = _test(group, k, n, is_flagged)
    is_flagged = _flag(tested, k, n, alpha=alpha, min_relative_change=min_relative_change, min_points=min_points,
                       min_count=min_count, min_n=min_n, directions=directions)
    rate, rate_else = tested["rate"], tested["rate_elsewhere"]
    direction = np.where(tested["is_tested"] & (rate > rate_else), "rise",
                         np.where(tested["is_tested"] & (rate < rate_else), "fall", None)).astype(object)

    total_k, total_n = np.bincount(group, k)[group], np.bincount(group, n)[group]
    flagged_k = np.bincount(group, np.where(is_flagged, k, 0))[group]
    flagged_n = np.bincount(group, np.where(is_flagged, n, 0))[group]
    with np.errstate(divide="ignore", invalid="ignore"):
        usual = np.where(total_n - flagged_n > 0, (total_k - flagged_k) / (total_n - flagged_n), total_k / total_n)
    excess = np.where(is_flagged & (direction == "rise"), np.maximum(k - n * usual, 0.0), 0.0)
    return {"rate": rate, "rate_elsewhere": rate_else, "p_value": tested["p_value"], "q_value": tested["q_value"],
            "is_flagged": is_flagged, "direction": direction, "usual_rate": usual, "excess_journeys": excess}


def _test(group: np.ndarray, k: np.ndarray, n: np.ndarray, left_out: np.ndarray) -> dict[str, np.ndarray]:
    """Each period against its series' other periods, those in `left_out` excluded: rates, the
    pooled z-test's p-values and their Benjamini-Hochberg q-values over all tested periods."""
    kept_k, kept_n = np.where(left_out, 0.0, k), np.where(left_out, 0.0, n)
    k_else = np.bincount(group, kept_k, minlength=group.max() + 1 if len(group) else 0)[group] - kept_k
    n_else = np.bincount(group, kept_n, minlength=group.max() + 1 if len(group) else 0)[group] - kept_n
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
        rate_else = np.where(n_else > 0, k_else / n_else, np.nan)
        pooled = (k + k_else) / (n + n_else)
        variance = pooled * (1 - pooled) * (1 / n + 1 / n_else)
        is_tested = (n > 0) & (n_else > 0) & (variance > 0)
        z = np.where(is_tested, (rate - rate_else) / np.sqrt(np.where(is_tested, variance, 1.0)), 0.0)
    p_value = np.full(len(group), np.nan)
    p_value[is_tested] = [math.erfc(abs(value) / math.sqrt(2)) for value in z[is_tested]]
    q_value = np.full(len(group), np.nan)
    q_value[is_tested] = adjust_benjamini_hochberg(list(p_value[is_tested]))
    return {"rate": rate, "rate_elsewhere": rate_else, "p_value": p_value, "q_value": q_value, "is_tested": is_tested}


def _flag(tested: dict[str, np.ndarray], k: np.ndarray, n: np.ndarray, *, alpha: float,
          min_relative_change: float | None, min_points: float | None, min_count: float, min_n: float,
          directions: Sequence[str]) -> np.ndarray:
    rate, rate_else = tested["rate"], tested["rate_elsewhere"]
    rises, falls = rate > rate_else, rate < rate_else
    if min_relative_change is not None:
        factor = 1 + min_relative_change
        large = np.where(rises, rate >= rate_else * factor, rate * factor <= rate_else)
    else:
        large = np.abs(rate - rate_else) >= (min_points or 0)
    moved = (rises & ("rise" in directions)) | (falls & ("fall" in directions))
    big_enough = (np.maximum(k, n * np.nan_to_num(rate_else)) >= min_count) & (n >= min_n)
    with np.errstate(invalid="ignore"):
        return tested["is_tested"] & (tested["q_value"] <= alpha) & moved & large & big_enough


def stats_columns(cell_ids: np.ndarray, stats: dict[str, np.ndarray]) -> dict[str, object]:
    """`compare_periods`' result as the columns of a table keyed by cell_id (Warehouse.create_from_arrays):
    NaN (no rate, not tested) as NULL, direction typed as text even when there is no row."""
    columns: dict[str, object] = {"cell_id": cell_ids}
    for name, values in stats.items():
        if name == "direction":
            columns[name] = pa.array(list(values), type=pa.string())
        elif values.dtype.kind == "f":
            columns[name] = pa.array(values, type=pa.float64(), from_pandas=True)
        else:
            columns[name] = values
    return columns
