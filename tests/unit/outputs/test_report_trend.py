"""The report's week-by-week section and the drivers' coverage of the findings shown
(src/journeymine/outputs/report/findings.py, charts/trend.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from journeymine.outputs.report.charts import period_bars_svg
from journeymine.outputs.report.findings import drivers_section, trend_section

WEEKS = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]


def friction_trend(flagged: set[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "friction_rank": 4, "touchpoint": "Checkout Shipping (app) → Cart (app)", "signal": "loop", "period": "week",
        "period_start": WEEKS, "rate": [0.01, 0.01, 0.4, 0.45, 0.01, 0.02], "usual_rate": 0.0125,
        "is_flagged": [i in flagged for i in range(6)], "direction": ["rise" if i in flagged else None for i in range(6)],
    })


def funnel_trend(fall: set[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "stage_number": 2, "stage": "checkout", "period": "week", "period_start": WEEKS,
        "conversion_rate": [0.9, 0.91, 0.3, 0.9, 0.89, 0.9], "usual_conversion": 0.9,
        "is_flagged": [i in fall for i in range(6)], "direction": ["fall" if i in fall else None for i in range(6)],
        "journeys_lost": [120.0 if i in fall else 0.0 for i in range(6)],
    })


def test_flagged_weeks_are_shown_with_their_finding_and_stage() -> None:
    html = trend_section(friction_trend({2, 3}), funnel_trend({2}))
    assert '<section id="trend"><h2>Week by week</h2>' in html
    assert html.count("<svg") == 2
    assert "Checkout Shipping (app) → Cart (app)" in html and "rose in the week of 19 Jan 2026, 26 Jan 2026" in html
    assert "conversion after stage <strong>checkout</strong>" in html and "about 120 conversions missed" in html


def test_nothing_flagged_says_so_and_no_trend_says_why() -> None:
    quiet = trend_section(friction_trend(set()), funnel_trend(set()))
    assert "No week stood out beyond noise" in quiet and "<svg" not in quiet
    assert "Nothing to follow week by week" in trend_section(pd.DataFrame(), pd.DataFrame())


def test_period_bars_colour_the_flagged_periods_and_escape_labels() -> None:
    svg = period_bars_svg(["<w1>", "w2", "w3"], [0.1, None, 0.5], [None, None, "bad"], usual=0.1)
    assert svg.count("<rect") == 2 and "&lt;w1&gt;" in svg and "<w1>" not in svg
    assert 'stroke-dasharray="4 3"' in svg and "50%" in svg


def test_drivers_name_every_finding_shown_without_a_significant_segment() -> None:
    """Findings of the friction table with no significant driver are named, tested or not; without
    the friction table, those with drivers rows."""
    drivers = pd.DataFrame({
        "friction_rank": [1, 2], "touchpoint": ["A (web)", "B (web)"], "signal": ["loop", "abandonment"],
        "statement": ["platform = app/iOS: 5.0x more likely (50% vs 10%, p < 0.001)", "segment = new: 1.2x"],
        "lift": [5.0, 1.2], "p_value": [1e-5, 0.3], "q_value": [1e-4, 0.4], "is_significant": [True, False],
    })
    friction = pd.DataFrame({"friction_rank": [1, 2, 3], "touchpoint": ["A (web)", "B (web)", "C (web)"]})
    html = drivers_section(drivers, friction)
    assert "platform = app/iOS" in html and "findings #2, #3." in html
    assert "findings #2." not in drivers_section(drivers) and "finding #2." in drivers_section(drivers)
