"""Friction drivers: which segments and attributes are over-represented among the journeys a
friction finding affected ("platform = app/Android: 3.1x more likely (41% vs 13%, p < 0.001)").

`find_drivers` builds `marts.friction_drivers` for the findings of `marts.friction` (all of
them by default, so every finding the report shows has its drivers; or the top `n_findings`).
A drop-off is the finding with signal 'abandonment' at the touchpoint where abandoned journeys
ended. For each finding and journey attribute (every attribute the journeys have but `channels`,
custom ones included, or those named in `attributes`):

* the *population* is the journeys that reached its touchpoint (channel, activity), from each
  journey's touchpoints in `marts.journeys`, whose value of the attribute is known: a journey
  without a value, or with one meaning "unknown" (`unknown_values`: 'unknown', 'n/a', ...), is
  left out of the comparison rather than counted as "without the value" (the customers without
  a CRM record would otherwise make every CRM segment look "1.1x more likely"); the *affected*
  are those in `journeys.friction_hits` for the finding's key;
* each (attribute, value) held by at least `min_support` affected journeys gives a 2x2 table,
  (value vs another known value) x (affected vs not), counted in SQL
  (`sql/journeys/int_driver_cells_counted.sql` → `journeys.driver_cells`);
* Python tests the tables, all at once on arrays (`contrast_cells`; `measure_contrast` for one):
  lift (rate with the value / rate without it), odds ratio and the two-sided Fisher exact
  p-value (scipy's algorithm, `stats.fisher_exact_two_sided`); the p-values of all tests of the
  run are adjusted together with Benjamini-Hochberg (`adjust_benjamini_hochberg`), and a driver
  is significant when its q-value is at most `alpha` (→ `journeys.driver_tests`);
* `sql/marts/friction_drivers.sql` keeps the over-represented values (lift > 1), writes the
  sentence and ranks them per finding: significant first, then by lift.

A table without a contrast is not tested and not counted in the correction: a value held by
the whole population (nobody is without it), or a finding that affected the whole
population. A zero cell is no reason to skip: no affected journey without the value makes
lift and odds ratio infinite, and Fisher's test is exact for any counts.

scipy (a dependency of pm4py) is imported only when there is a table to test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from journeymine.config import DriverConfig
from journeymine.config.insights import NOT_DRIVERS
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError
from journeymine.insights.attributes import add_journey_attributes
from journeymine.insights.stats import fisher_exact_two_sided

INPUT_TABLES = (
    ("marts", "friction"),
    ("journeys", "friction_hits"),
    ("marts", "journeys"),
    ("journeys", "touchpoints"),
    ("journeys", "journey_attributes"),
)


@dataclass(frozen=True)
class Contrast:
    """One 2x2 table tested: how much more often journeys with the value are affected."""

    lift: float
    odds_ratio: float
    p_value: float


def find_drivers(wh: Warehouse, settings: DriverConfig = DriverConfig()) -> int:
    """Build `journeys.driver_cells` and `marts.friction_drivers` from marts.friction,
    journeys.friction_hits, marts.journeys (and journeys.touchpoints) and
    journeys.journey_attributes (adding the custom attributes `settings` names); return the
    number of drivers (rows of marts.friction_drivers)."""
    wh.require_tables(INPUT_TABLES, "the friction drivers", "build the friction findings and journey attributes first")
    if settings.attributes is not None:
        add_journey_attributes(wh, settings.attributes)
    wh.build(
        "journeys.driver_cells", "journeys/int_driver_cells_counted",
        {"n_findings": settings.n_findings, "min_support": settings.min_support,
         "attributes": None if settings.attributes is None else list(settings.attributes),
         "not_drivers": list(NOT_DRIVERS), "unknown_values": list(settings.unknown_values)},
    )
    cells = wh.df(
        "SELECT test_id, n_population, n_affected, n_population_with_value, n_affected_with_value "
        "FROM journeys.driver_cells ORDER BY test_id"
    )
    tests = contrast_cells(*(cells[column].to_numpy(dtype=np.int64) for column in cells.columns))
    wh.create_from_arrays("journeys.driver_tests", tests)
    return wh.build("marts.friction_drivers", "marts/friction_drivers", {"alpha": settings.alpha})


def evaluate_cells(cells: Sequence[Sequence[int]]) -> list[dict[str, Any]]:
    """Test each cell row (test_id, n_population, n_affected, n_population_with_value,
    n_affected_with_value); return one {test_id, lift, odds_ratio, p_value, q_value} per cell
    that could be tested, q-values adjusted over all of them."""
    columns = np.array(cells, dtype=np.int64).reshape(-1, 5).T
    tests = contrast_cells(*columns)
    return [dict(zip(tests, (v.item() for v in values), strict=True)) for values in zip(*tests.values(), strict=True)]


def contrast_cells(test_id: np.ndarray, n_population: np.ndarray, n_affected: np.ndarray, n_with: np.ndarray,
               n_affected_with: np.ndarray) -> dict[str, np.ndarray]:
    """The 2x2 tables of the cells, all at once: {test_id, lift, odds_ratio, p_value, q_value}
    for the cells with a contrast to test (see `measure_contrast`), q-values adjusted over them."""
    a = n_affected_with
    b = n_with - n_affected_with
    c = n_affected - n_affected_with
    d = (n_population - n_with) - c
    if len(a) and min(a.min(), b.min(), c.min(), d.min()) < 0:
        raise JourneymineError("a 2x2 table cannot hold negative counts")
    kept = (a + b > 0) & (c + d > 0) & (a + c > 0) & (b + d > 0)
    a, b, c, d = a[kept], b[kept], c[kept], d[kept]
    p_values = fisher_exact_two_sided(a, b, c, d) if len(a) else np.array([], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(c * (a + b) > 0, a * (c + d) / (c * (a + b)).clip(min=1), np.inf)
        odds_ratio = np.where(b * c > 0, a * d / (b * c).clip(min=1), np.inf)
    # a zero numerator over a zero denominator cannot happen: a + c > 0 and b + d > 0
    lift = np.where((a == 0) & (c > 0), 0.0, lift)
    odds_ratio = np.where(((a == 0) | (d == 0)) & (b * c > 0), 0.0, odds_ratio)
    return {"test_id": test_id[kept], "lift": lift.astype(float), "odds_ratio": odds_ratio.astype(float),
            "p_value": p_values, "q_value": np.array(adjust_benjamini_hochberg(list(p_values)), dtype=float)}


def measure_contrast(affected_with: int, unaffected_with: int, affected_without: int,
                     unaffected_without: int) -> Contrast | None:
    """Lift, odds ratio and two-sided Fisher exact p-value of the 2x2 table
    (with the value, without it) x (affected, not affected).

    None when the table has no contrast to test: nobody with the value, nobody without it,
    nobody affected or nobody unaffected (an empty row or column). A zero cell otherwise makes
    lift or odds ratio infinite (or 0), never undefined.
    """
    counts = (affected_with, unaffected_with, affected_without, unaffected_without)
    if min(counts) < 0:
        raise JourneymineError(f"a 2x2 table cannot hold negative counts: {counts}")
    n_with = affected_with + unaffected_with
    n_without = affected_without + unaffected_without
    if not n_with or not n_without or not affected_with + affected_without or not unaffected_with + unaffected_without:
        return None
    p_value = fisher_exact_two_sided([affected_with], [unaffected_with], [affected_without], [unaffected_without])[0]
    return Contrast(
        lift=_ratio(affected_with * n_without, affected_without * n_with),
        odds_ratio=_ratio(affected_with * unaffected_without, unaffected_with * affected_without),
        p_value=float(p_value),
    )


def adjust_benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values, in the order given: the smallest false discovery rate at
    which each test would be called significant. q_(k) = min over j >= k of p_(j) * m / j for
    the p-values sorted ascending (ranks j from 1, m tests), at most 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q_values = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q_values[i] = running
    return q_values


def _ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, infinite for a positive numerator over 0 (callers never pass 0/0)."""
    return numerator / denominator if denominator else float("inf")
