"""The emotion curve (src/journeymine/insights/emotion.py with sql/marts/emotion_curve.sql): events with
sentiment and CSAT in → points of the stage, touchpoint and week curves out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from journeymine.config import FrictionConfig, JourneyStage, LabelConfig
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError
from journeymine.insights.emotion import build_emotion_curve
from journeymine.insights.friction import place_friction_events
from journeymine.journeys.labels import build_steps

from .conftest import J

STAGES = (
    JourneyStage("browse", ("Home", "Product Detail")),
    JourneyStage("basket", ("Cart",)),
    JourneyStage("checkout", ("Checkout Payment", "call: payment_issue")),
    JourneyStage("service", ("call: delivery_delay",)),
)
DAY = 24 * 60  # minutes


def build_curve(wh: Warehouse, stages: tuple[JourneyStage, ...], **settings: Any) -> int:
    """Place the rated events on their steps (journeys.friction_events, as a run's friction step
    does), then build the emotion curve; return its number of points."""
    place_friction_events(wh, FrictionConfig())
    return build_emotion_curve(wh, stages, **settings)


def curve(wh: Warehouse, name: str) -> list[dict[str, Any]]:
    """The points of one curve, in order, NULLs as None."""
    frame = wh.df("SELECT * FROM marts.emotion_curve WHERE curve = $curve ORDER BY position", {"curve": name})
    return [{k: (None if v is None or v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]


@pytest.fixture
def rated_journeys(given_journeys) -> None:
    """Survey CSAT 5 on a Home page; payment-issue calls at -0.5 with CSAT 2 and at +0.3 without CSAT;
    a delivery-delay call at -0.8 with CSAT 1. Nobody rates the basket. An out-of-range CSAT (9) is no
    rating. Journeys start 2026-03-02 (a Monday), 03-03, 03-04."""
    given_journeys([
        J("j1", "converted", ["web:Home", "web:Cart", "call_center:call: payment_issue", "web:Order Completed"],
          sentiments=[None, None, -0.5, None], attributes=[{"csat": 5}, None, {"csat": 2}, None]),
        J("j2", "abandoned", ["web:Home", "call_center:call: delivery_delay"],
          sentiments=[None, -0.8], attributes=[{"csat": 9}, {"csat": "1"}]),
        J("j3", "open", ["web:Cart", "call_center:call: payment_issue"], sentiments=[None, 0.3]),
    ])


def test_stage_curve_means_in_intended_order(warehouse: Warehouse, rated_journeys) -> None:
    """One point per stage, position = the stage's place in the map. checkout: sentiments -0.5 and 0.3
    (mean -0.1), one CSAT (2); one of its two rated events is negative. Emotion score: browse (5-3)/2 = 1;
    checkout the mean of (-0.5 + (2-3)/2) / 2 = -0.5 and 0.3 = -0.1; service (-0.8 + (1-3)/2) / 2 = -0.9."""
    assert build_curve(warehouse, STAGES, min_events=1) == 4 + 3 + 1  # stages, rated touchpoints, weeks
    got = {p["label"]: p for p in curve(warehouse, "stage")}
    assert [p["label"] for p in curve(warehouse, "stage")] == ["browse", "basket", "checkout", "service"]
    assert [got[s]["position"] for s in ("browse", "basket", "checkout", "service")] == [1, 2, 3, 4]
    checkout = got["checkout"]
    assert (checkout["n_events"], checkout["mean_sentiment"]) == (2, pytest.approx(-0.1))
    assert (checkout["n_rated"], checkout["mean_csat"], checkout["n_scored"]) == (1, 2.0, 2)
    assert checkout["share_negative"] == 0.5
    browse = got["browse"]
    assert (browse["n_events"], browse["mean_sentiment"], browse["n_rated"], browse["mean_csat"]) == (0, None, 1, 5.0)
    assert got["service"]["mean_csat"] == 1.0  # the CSAT '1' written as text counts
    assert [got[s]["emotion_score"] for s in ("browse", "checkout", "service")] == [
        pytest.approx(1.0), pytest.approx(-0.1), pytest.approx(-0.9)]


def test_a_stage_without_ratings_is_a_gap_not_a_zero(warehouse: Warehouse, rated_journeys) -> None:
    """basket (Cart) was visited but never rated: its point exists with counts 0 and NULL means."""
    build_curve(warehouse, STAGES, min_events=1)
    basket = next(p for p in curve(warehouse, "stage") if p["label"] == "basket")
    assert (basket["n_events"], basket["n_rated"], basket["n_scored"]) == (0, 0, 0)
    assert (basket["mean_sentiment"], basket["mean_csat"], basket["share_negative"], basket["emotion_score"]) == (
        None, None, None, None)
    assert not basket["is_valley"] and not basket["is_peak"]


def test_valley_and_peak_lie_one_standard_deviation_from_the_curve_mean(warehouse: Warehouse, rated_journeys) -> None:
    """Scores 1, -0.1, -0.9 (basket has none): mean 0, population sd sqrt((1 + 0.01 + 0.81) / 3) = 0.779.
    service (-0.9) is the valley, browse (1) the peak, checkout neither."""
    build_curve(warehouse, STAGES, min_events=1)
    flags = {p["label"]: (p["is_valley"], p["is_peak"]) for p in curve(warehouse, "stage")}
    assert flags == {
        "browse": (False, True), "basket": (False, False), "checkout": (False, False), "service": (True, False),
    }


def test_points_with_too_few_ratings_are_never_flagged(warehouse: Warehouse, rated_journeys) -> None:
    """With min_events 2 only checkout (2 scored events) counts: one point has no spread, so no valley;
    the touchpoint curve keeps only call: payment_issue."""
    build_curve(warehouse, STAGES, min_events=2)
    assert not any(p["is_valley"] or p["is_peak"] for p in curve(warehouse, "stage"))
    assert [p["label"] for p in curve(warehouse, "touchpoint")] == ["call: payment_issue (call_center)"]


def test_a_curve_of_two_points_has_no_valley(warehouse: Warehouse, rated_journeys) -> None:
    """Two points always lie exactly one standard deviation from their mean: neither is flagged, however
    far apart (browse 1, service -0.9)."""
    build_curve(warehouse, (STAGES[0], STAGES[3]), min_events=1)
    assert [(p["label"], p["is_valley"], p["is_peak"]) for p in curve(warehouse, "stage")] == [
        ("browse", False, False), ("service", False, False)]


def test_touchpoint_curve_follows_the_mean_position_in_journeys(warehouse: Warehouse, rated_journeys) -> None:
    """Relative positions (step - 1) / (steps - 1): Home in j1 at 0; payment_issue at 2/3 (j1) and 1 (j3),
    mean 5/6; delivery_delay at 1 (j2). A touchpoint keeps its stage."""
    build_curve(warehouse, STAGES, min_events=1)
    got = [(p["label"], p["stage"], p["mean_relative_position"]) for p in curve(warehouse, "touchpoint")]
    assert got == [
        ("Home (web)", "browse", 0.0),
        ("call: payment_issue (call_center)", "checkout", pytest.approx(5 / 6)),
        ("call: delivery_delay (call_center)", "service", 1.0),
    ]


def test_week_curve_has_a_point_per_iso_week_with_gaps(warehouse: Warehouse, given_journeys) -> None:
    """Weeks start on Monday. j1 rates on Monday 2026-03-02 (sentiment -0.4) and Sunday 03-08 (0.2): one
    week, mean -0.1. It has an unrated event in the week of 03-09 and a rated one (CSAT 4) in the week of
    03-16: the week of 03-09 is a point with NULL means."""
    given_journeys([
        J("j1", "open", ["call_center:call: a", "call_center:call: b", "web:Home", "call_center:call: c"],
          minutes=[0, 6 * DAY + 600, 8 * DAY, 15 * DAY], sentiments=[-0.4, 0.2, None, None],
          attributes=[None, None, None, {"csat": 4}]),
    ])
    build_curve(warehouse, (), min_events=1)
    got = [(p["position"], p["label"], p["week_start"].date(), p["n_events"], p["mean_sentiment"], p["mean_csat"])
           for p in curve(warehouse, "week")]
    assert got == [
        (1, "2026-03-02", date(2026, 3, 2), 2, pytest.approx(-0.1), None),
        (2, "2026-03-09", date(2026, 3, 9), 0, None, None),
        (3, "2026-03-16", date(2026, 3, 16), 0, None, 4.0),
    ]
    assert curve(warehouse, "stage") == []  # no journey map, no stage curve


def test_events_collapsed_into_one_step_take_its_stage(warehouse: Warehouse, given_journeys) -> None:
    """With label hygiene, /product/1 and /product/2 are one step '/product/{id}' (one repeat); the call
    after them is the next step. Both product CSATs (5, 4) belong to browse, the call's sentiment to
    service."""
    given_journeys([
        J("j1", "open", ["web:/product/1", "web:/product/2", "call_center:call: returns"],
          sentiments=[None, None, -0.6], attributes=[{"csat": 5}, {"csat": 4}, None]),
    ])
    build_steps(warehouse, LabelConfig(template_urls=True, collapse_repeats=True))
    stages = (JourneyStage("browse", ("/product/{id}",)), JourneyStage("service", ("call: returns",)))
    build_curve(warehouse, stages, min_events=1)
    got = {p["label"]: (p["n_rated"], p["mean_csat"], p["n_events"], p["mean_sentiment"]) for p in curve(warehouse, "stage")}
    assert got == {"browse": (2, 4.5, 0, None), "service": (0, None, 1, pytest.approx(-0.6))}


def test_min_events_must_be_positive(warehouse: Warehouse) -> None:
    with pytest.raises(JourneymineError, match="min_events"):
        build_emotion_curve(warehouse, STAGES, min_events=0)
