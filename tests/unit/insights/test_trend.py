"""Periods against periods (src/journeymine/insights/trend.py): a week is flagged when it differs
from the other weeks of its series beyond noise, and only then."""

from __future__ import annotations

import math

import numpy as np
import pytest

from journeymine.insights.trend import compare_periods, stats_columns


def weeks(rates: list[float], n: int = 200, series: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One series of weeks with `n` journeys each and k = rate × n affected."""
    k = np.array([round(rate * n) for rate in rates])
    return np.full(len(rates), series), k, np.full(len(rates), n)


def test_a_three_week_spike_is_flagged_week_by_week_against_the_normal_weeks() -> None:
    """Weeks 5-7 at 30% against 5% elsewhere: each is flagged (compared with the nine normal weeks,
    the other spike weeks left out), rate_elsewhere is the normal 5%, the usual rate is 5% and the
    excess is the journeys above it; the normal weeks are not flagged, nor low against the spike."""
    got = compare_periods(*weeks([0.05] * 4 + [0.3] * 3 + [0.05] * 5), alpha=0.01, min_relative_change=0.5,
                          min_count=5, directions=("rise",))
    assert list(got["is_flagged"]) == [False] * 4 + [True] * 3 + [False] * 5
    assert got["rate_elsewhere"][4] == pytest.approx(0.05)
    assert got["usual_rate"][0] == pytest.approx(0.05)
    assert list(got["excess_journeys"][4:7]) == pytest.approx([60 - 10] * 3)
    assert got["excess_journeys"][:4].sum() == 0
    assert list(got["direction"][4:7]) == ["rise"] * 3
    assert got["q_value"][4] < 1e-10


def test_noise_is_not_flagged() -> None:
    """Weeks drawn around the same 10% (binomial noise) are not flagged at q <= 0.01."""
    rng = np.random.default_rng(3)
    n = np.full(12, 300)
    k = rng.binomial(n, 0.1)
    got = compare_periods(np.ones(12), k, n, alpha=0.01, min_relative_change=0.5, min_count=5)
    assert not got["is_flagged"].any()
    assert np.isfinite(got["p_value"]).all()


def test_a_small_or_modest_change_is_not_flagged() -> None:
    """A rise of 4 journeys (under min_count 5) or of 20% relative (under min_relative_change 0.5)
    is not flagged, however small its p-value."""
    tiny = compare_periods(*weeks([0.0] * 11 + [0.02], n=200), alpha=0.01, min_relative_change=0.5, min_count=5)
    assert not tiny["is_flagged"].any()
    modest = compare_periods(*weeks([0.50] * 11 + [0.60], n=5000), alpha=0.01, min_relative_change=0.5)
    assert modest["q_value"][-1] < 0.01 and not modest["is_flagged"].any()


def test_falls_are_flagged_only_when_asked_and_points_can_set_the_size() -> None:
    """A conversion falling from 90% to 40% in one week is a flagged fall (absolute points);
    with directions ('rise',) it is not."""
    series, k, n = weeks([0.9] * 5 + [0.4] + [0.9] * 5)
    got = compare_periods(series, k, n, alpha=0.01, min_points=0.05)
    assert list(got["is_flagged"]) == [False] * 5 + [True] + [False] * 5
    assert got["direction"][5] == "fall"
    assert not compare_periods(series, k, n, alpha=0.01, min_points=0.05, directions=("rise",))["is_flagged"].any()


def test_series_are_tested_apart_and_corrected_together() -> None:
    """Two series: the spike of series 2 does not move series 1's comparison; q-values are
    Benjamini-Hochberg over the tested periods of both."""
    s1, k1, n1 = weeks([0.1] * 6, series=1)
    s2, k2, n2 = weeks([0.1] * 5 + [0.5], series=2)
    got = compare_periods(np.r_[s1, s2], np.r_[k1, k2], np.r_[n1, n2], alpha=0.01, min_relative_change=0.5)
    assert list(got["is_flagged"]) == [False] * 11 + [True]
    assert got["rate_elsewhere"][0] == pytest.approx(0.1)
    tested = np.isfinite(got["p_value"])
    assert (got["q_value"][tested] >= got["p_value"][tested] - 1e-15).all()


def test_a_period_without_journeys_or_a_series_without_variation_is_not_tested() -> None:
    """n = 0 (a period the test leaves out) and a series that is 0 everywhere have no p-value and
    are never flagged; no rows gives empty columns."""
    got = compare_periods(np.array([1, 1, 2, 2]), np.array([0, 3, 0, 0]), np.array([0, 10, 10, 10]), alpha=0.01,
                          min_relative_change=0.5)
    assert math.isnan(got["p_value"][0]) and math.isnan(got["p_value"][2])
    assert not got["is_flagged"].any() and list(got["direction"]) == [None, None, None, None]
    empty = compare_periods(np.array([]), np.array([]), np.array([]), alpha=0.01, min_points=0.05)
    assert all(len(values) == 0 for values in empty.values())
    columns = stats_columns(np.array([]), empty)
    assert str(columns["direction"].type) == "string"


def test_not_a_number_becomes_null_in_the_table_columns() -> None:
    got = compare_periods(np.array([1, 1]), np.array([0, 3]), np.array([0, 10]), alpha=0.01, min_points=0.05)
    columns = stats_columns(np.array([1, 2]), got)
    assert columns["p_value"].to_pylist()[0] is None
    assert columns["rate"].to_pylist() == [None, 0.3]
