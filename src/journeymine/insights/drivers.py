"""Friction drivers: which segments and attributes are over-represented among the journeys a
friction finding affected ("platform = app/Android: 3.1x more likely (41% vs 13%, p < 0.001)").

`find_drivers` builds `marts.friction_drivers` for the top `n_findings` findings of
`marts.friction` (a drop-off is the finding with signal 'abandonment' at the touchpoint
where abandoned journeys ended). For each finding:

* the *population* is the journeys that reached its touchpoint (channel, activity), from
  each journey's touchpoints in `marts.journeys`; the *affected* are those in
  `journeys.friction_hits` for its key;
* each (attribute, value) of `journeys.journey_attributes` held by at least `min_support`
  affected journeys gives a 2x2 table, (value vs not) x (affected vs not), counted in SQL
  (`sql/journeys/int_driver_cells_counted.sql` → `journeys.driver_cells`);
* Python tests each table: lift (rate with the value / rate without it), odds ratio and the
  two-sided Fisher exact p-value (`measure_contrast`); the p-values of all tests of the run
  are adjusted together with Benjamini-Hochberg (`adjust_benjamini_hochberg`), and a driver
  is significant when its q-value is at most `alpha`;
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

from journeymine.config import DriverConfig
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError

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
    journeys.journey_attributes; return the number of drivers (rows of marts.friction_drivers)."""
    wh.require_tables(INPUT_TABLES, "the friction drivers", "build the friction findings and journey attributes first")
    wh.build(
        "journeys.driver_cells", "journeys/int_driver_cells_counted",
        {"n_findings": settings.n_findings, "min_support": settings.min_support,
         "attributes": list(settings.attributes)},
    )
    cells = wh.rows(
        "SELECT test_id, n_population, n_affected, n_population_with_value, n_affected_with_value "
        "FROM journeys.driver_cells ORDER BY test_id"
    )
    return wh.build(
        "marts.friction_drivers", "marts/friction_drivers",
        {"driver_tests": evaluate_cells(cells), "alpha": settings.alpha},
    )


def evaluate_cells(cells: Sequence[Sequence[int]]) -> list[dict[str, Any]]:
    """Test each cell row (test_id, n_population, n_affected, n_population_with_value,
    n_affected_with_value); return one {test_id, lift, odds_ratio, p_value, q_value} per cell
    that could be tested, q-values adjusted over all of them."""
    tested: list[tuple[int, Contrast]] = []
    for test_id, n_population, n_affected, n_with, n_affected_with in cells:
        contrast = measure_contrast(
            n_affected_with,
            n_with - n_affected_with,
            n_affected - n_affected_with,
            (n_population - n_with) - (n_affected - n_affected_with),
        )
        if contrast is not None:
            tested.append((int(test_id), contrast))
    q_values = adjust_benjamini_hochberg([contrast.p_value for _, contrast in tested])
    return [
        {"test_id": test_id, "lift": c.lift, "odds_ratio": c.odds_ratio, "p_value": c.p_value, "q_value": q}
        for (test_id, c), q in zip(tested, q_values, strict=True)
    ]


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
    from scipy.stats import fisher_exact  # lazily: scipy takes a while to import

    _, p_value = fisher_exact([[affected_with, unaffected_with], [affected_without, unaffected_without]])
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
