"""The statistics of friction drivers (src/journeymine/insights/drivers.py): lift, odds ratio and Fisher's
exact test on hand-computed 2x2 tables, and the Benjamini-Hochberg adjustment.

Tables are written (affected with the value, unaffected with it, affected without it,
unaffected without it). Fisher's two-sided p-value is the sum of the hypergeometric
probabilities of all tables with the same margins that are no more likely than the one seen.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from journeymine.config import DriverConfig
from journeymine.errors import JourneymineError
from journeymine.insights.drivers import adjust_benjamini_hochberg, evaluate_cells, measure_contrast


def test_contrast_of_a_plain_table() -> None:
    """Fisher's tea-tasting table [[3, 1], [1, 3]]: margins 4/4 of 8, P(k) = C(4,k) C(4,4-k) / 70 =
    1, 16, 36, 16, 1 (/70); the tables as likely as or less likely than k = 3 sum to 34/70.
    Lift (3/4) / (1/4) = 3, odds ratio (3*3) / (1*1) = 9."""
    contrast = measure_contrast(3, 1, 1, 3)
    assert contrast is not None
    assert contrast.lift == pytest.approx(3.0)
    assert contrast.odds_ratio == pytest.approx(9.0)
    assert contrast.p_value == pytest.approx(34 / 70)


def test_no_affected_journey_without_the_value_makes_lift_and_odds_ratio_infinite() -> None:
    """[[3, 0], [0, 3]]: every affected journey has the value. P(k) = C(3,k) C(3,3-k) / 20 = 1, 9, 9, 1
    (/20), so p = 2/20; lift 1 / 0 and odds ratio 9 / 0 are infinite, not an error or NULL."""
    contrast = measure_contrast(3, 0, 0, 3)
    assert contrast is not None
    assert math.isinf(contrast.lift) and math.isinf(contrast.odds_ratio)
    assert contrast.p_value == pytest.approx(0.1)


def test_a_zero_cell_among_the_unaffected_leaves_lift_finite() -> None:
    """[[2, 0], [2, 4]]: everyone with the value is affected (rate 1 vs 2/6): lift 3, odds ratio infinite.
    P(k) = C(4,k) C(4,2-k) / 28 = 6, 16, 6 (/28); p = 12/28."""
    contrast = measure_contrast(2, 0, 2, 4)
    assert contrast is not None
    assert contrast.lift == pytest.approx(3.0)
    assert math.isinf(contrast.odds_ratio)
    assert contrast.p_value == pytest.approx(12 / 28)


def test_an_under_represented_value_has_lift_below_one_and_the_same_p_as_its_mirror() -> None:
    """[[3, 7], [6, 4]] mirrors [[6, 4], [3, 7]]: lift 0.3/0.6 = 0.5, odds ratio 12/42 = 2/7, and a two-sided
    test gives both the same p = 68332 / C(20, 10) = 68332 / 184756."""
    under, over = measure_contrast(3, 7, 6, 4), measure_contrast(6, 4, 3, 7)
    assert under is not None and over is not None
    assert (under.lift, under.odds_ratio) == (pytest.approx(0.5), pytest.approx(2 / 7))
    assert (over.lift, over.odds_ratio) == (pytest.approx(2.0), pytest.approx(3.5))
    assert under.p_value == pytest.approx(68332 / 184756)
    assert over.p_value == pytest.approx(under.p_value)


def test_all_unaffected_without_the_value_gives_odds_ratio_zero() -> None:
    """[[1, 3], [3, 0]]: everyone without the value is affected: odds ratio (1*0) / (3*3) = 0, lift 0.25."""
    contrast = measure_contrast(1, 3, 3, 0)
    assert contrast is not None
    assert (contrast.lift, contrast.odds_ratio) == (pytest.approx(0.25), 0.0)


@pytest.mark.parametrize(
    ("table", "why"),
    [
        ((3, 2, 0, 0), "the value is held by every journey of the population"),
        ((0, 0, 2, 3), "nobody holds the value"),
        ((3, 0, 2, 0), "every journey is affected"),
        ((0, 3, 0, 2), "no journey is affected"),
    ],
)
def test_a_table_without_contrast_is_not_tested(table: tuple[int, int, int, int], why: str) -> None:
    """An empty row or column leaves nothing to compare: no test (None), rather than p = 1."""
    assert measure_contrast(*table) is None, why


def test_negative_counts_are_refused() -> None:
    with pytest.raises(JourneymineError, match="negative"):
        measure_contrast(3, -1, 1, 3)


def test_benjamini_hochberg_by_hand() -> None:
    """p = 0.01, 0.04, 0.03, 0.005 (m = 4) sorted: 0.005, 0.01, 0.03, 0.04 → p * 4 / rank = 0.02, 0.02,
    0.04, 0.04; the running minimum from the largest keeps them; returned in the order given."""
    assert adjust_benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_benjamini_hochberg_is_monotone_and_at_most_one() -> None:
    """p = 0.8, 0.9: rank 1 gives 0.8 * 2 = 1.6, but a smaller p never gets a larger q than a larger p
    (0.9); p = 0.6, 1.0: 1.2 is capped by the running minimum starting at 1."""
    assert adjust_benjamini_hochberg([0.9, 0.8]) == pytest.approx([0.9, 0.9])
    assert adjust_benjamini_hochberg([0.6, 1.0]) == pytest.approx([1.0, 1.0])
    assert adjust_benjamini_hochberg([0.02, 0.02, 0.02]) == pytest.approx([0.02, 0.02, 0.02])
    assert adjust_benjamini_hochberg([]) == []


def test_cells_without_contrast_are_left_out_of_the_correction() -> None:
    """Cells (test_id, n_population, n_affected, n_with, n_affected_with): cell 2's value is held by the
    whole population, so only cells 1 (p = 34/70) and 3 (p = 0.1) are tested, and BH counts m = 2:
    q = 0.1 * 2 / 1 = 0.2 and 34/70 * 2 / 2."""
    tests = evaluate_cells([(1, 8, 4, 4, 3), (2, 6, 3, 6, 3), (3, 6, 3, 3, 3)])
    assert [t["test_id"] for t in tests] == [1, 3]
    by_id = {t["test_id"]: t for t in tests}
    assert by_id[1]["p_value"] == pytest.approx(34 / 70)
    assert by_id[1]["q_value"] == pytest.approx(34 / 70)
    assert by_id[3]["q_value"] == pytest.approx(0.2)
    assert (by_id[1]["lift"], by_id[1]["odds_ratio"]) == (pytest.approx(3.0), pytest.approx(9.0))


@pytest.mark.parametrize(
    "settings",
    [{"min_support": 0}, {"alpha": 0.0}, {"alpha": 1.5}, {"n_findings": -1}],
)
def test_settings_refuse_values_that_make_no_sense(settings: dict[str, float]) -> None:
    with pytest.raises(JourneymineError, match=r"drivers\.\w+: expected"):
        DriverConfig(**settings)


def test_importing_drivers_does_not_import_scipy() -> None:
    """scipy is slow to import and only needed when there is a table to test."""
    probe = "import sys, journeymine.insights.drivers; print('scipy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
