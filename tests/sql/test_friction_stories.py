"""Stories of another shape than the sample's, on twelve weeks of small seeded journeys: what the
friction findings, their weekly trend (marts.friction_trend), the funnel's weekly trend
(marts.funnel_trend) and the drivers must find in them, and must not find when the story is not
there (src/journeymine/insights/friction.py, funnel.py, drivers.py, trend.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from journeymine.config import DriverConfig, FrictionConfig, FunnelConfig
from journeymine.db import Warehouse
from journeymine.insights.attributes import build_journey_attributes
from journeymine.insights.drivers import find_drivers
from journeymine.insights.friction import find_friction
from journeymine.insights.funnel import build_funnel, funnel_from_activities

from .conftest import J

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # week 1 starts here; twelve weeks
WEEKS = 12
STORY_WEEKS = (5, 6, 7)  # three weeks
IOS, ANDROID, DESKTOP = {"os_name": "iOS", "device_type": "mobile"}, {"os_name": "Android", "device_type": "mobile"}, {
    "os_name": "Windows", "device_type": "desktop"}


def week_start(week: int) -> str:
    return (MONDAY + timedelta(weeks=week - 1)).date().isoformat()


def days(values: Any) -> list[str]:
    """Dates as read back (date, numpy datetime64 or Timestamp) as 'YYYY-MM-DD'."""
    return [pd.Timestamp(value).date().isoformat() for value in values]


def findings(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.df("SELECT * FROM marts.friction ORDER BY friction_rank").to_dict("records")


def run_friction(wh: Warehouse, **settings: Any) -> list[dict[str, Any]]:
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    find_friction(wh, FrictionConfig(**settings))
    return findings(wh)


# --- a checkout loop for iOS users during three weeks, customers still converting -------------


def shop_journeys(*, ios_loop_weeks: tuple[int, ...], seed: int = 7) -> list[J]:
    """Six journeys a day for twelve weeks. App checkouts (iOS or Android) and web checkouts, every
    one browsing back and forth between listing and product 40% of the time (as shoppers do), 15%
    giving up at payment, a third of web newcomers giving up at Create Account, one web checkout in
    eight calling about payment within hours, delivery calls that go badly. In `ios_loop_weeks`,
    iOS checkouts are sent back from shipping to the cart and go through again (90%), then convert
    as often as anyone."""
    rng = random.Random(seed)
    journeys = []
    for day in range(WEEKS * 7):
        week = day // 7 + 1
        for slot in range(6):
            start = MONDAY + timedelta(days=day, hours=slot * 2)
            app = rng.random() < 0.5
            channel = "app" if app else "web"
            device = (IOS if rng.random() < 0.5 else ANDROID) if app else DESKTOP
            steps = [f"{channel}:Home", f"{channel}:Product Listing", f"{channel}:Product Detail"]
            if rng.random() < 0.4:  # browsing: back to the listing, another product
                steps += [f"{channel}:Product Listing", f"{channel}:Product Detail"]
            steps += [f"{channel}:Cart", f"{channel}:Checkout Shipping"]
            if device is IOS and week in ios_loop_weeks and rng.random() < 0.9:
                steps += [f"{channel}:Cart", f"{channel}:Checkout Shipping"]
            if not app and rng.random() < 0.3:
                steps += ["web:Create Account"]
                if rng.random() < 0.35:
                    journeys.append(J(f"s{day:03d}-{slot}", "abandoned", steps, start=start,
                                      attributes=[device] * len(steps)))
                    continue
            steps += [f"{channel}:Checkout Payment"]
            attributes: list[dict[str, Any] | None] = [device] * len(steps)
            minutes = list(range(len(steps)))
            sentiments: list[float | None] = [None] * len(steps)
            if not app and rng.random() < 0.125:
                steps += ["call_center:call: payment_issue"]
                minutes += [minutes[-1] + 120]
                attributes += [None]
                sentiments += [None]
            if rng.random() < 0.15:
                outcome = "abandoned"
            else:
                outcome = "converted"
                steps += [f"{channel}:Order Completed"]
                minutes += [minutes[-1] + 2]
                attributes += [device]
                sentiments += [None]
                if rng.random() < 0.1:  # a delivery that goes wrong
                    steps += ["call_center:call: delivery_delay"]
                    minutes += [minutes[-1] + 3 * 24 * 60]
                    attributes += [{"csat": 1}]
                    sentiments += [-0.7]
            journeys.append(J(f"s{day:03d}-{slot}", outcome, steps, minutes, sentiments=sentiments,
                              attributes=attributes, start=start))
    return journeys


IOS_LOOP = ("loop", "app", "Checkout Shipping", "app", "Cart")


def key_of(finding: dict[str, Any]) -> tuple:
    return (finding["signal"], finding["channel"], finding["activity"], finding["target_channel"],
            finding["target_activity"])


def test_a_checkout_loop_customers_fight_through_ranks_in_the_top_five(warehouse: Warehouse, given_journeys) -> None:
    """iOS customers sent back from shipping to the cart for three weeks convert as often as
    anyone, so the loop costs no conversion; it still ranks in the top 5, by the journeys it held
    up in the three weeks where it rose beyond noise, which the weekly trend flags (and no other
    week). The browsing loops, as common every week and costing nothing, rank below it, and the
    drivers name iOS."""
    given_journeys(shop_journeys(ios_loop_weeks=STORY_WEEKS))
    ranked = run_friction(warehouse)
    loop = next(f for f in ranked if key_of(f) == IOS_LOOP)
    assert loop["friction_rank"] <= 5, [(f["friction_rank"], f["touchpoint"], f["signal"], f["score"]) for f in ranked]
    assert abs(loop["conversion_impact"]) < 0.1  # they converted anyway
    assert days(loop["periods_risen"]) == [week_start(w) for w in STORY_WEEKS]
    assert loop["extra_steps"] == 2.0 and loop["score"] > 0.8 * loop["n_journeys_affected"]
    assert "rose in 3 periods" in loop["evidence"]
    browsing = [f for f in ranked if f["signal"] == "loop" and f["activity"] == "Product Detail"]
    assert browsing and all(f["score"] < loop["score"] for f in browsing)

    flagged = warehouse.rows(
        "SELECT period_start, direction FROM marts.friction_trend WHERE is_flagged AND signal = 'loop' "
        "AND activity = 'Checkout Shipping' ORDER BY period_start")
    assert [(day, direction) for day, (_, direction) in zip(days(d for d, _ in flagged), flagged, strict=True)] == [
        (week_start(w), "rise") for w in STORY_WEEKS]

    build_journey_attributes(warehouse)
    find_drivers(warehouse, DriverConfig(min_support=5))
    drivers = warehouse.rows(
        "SELECT attribute, value FROM marts.friction_drivers WHERE friction_rank = $rank AND is_significant",
        {"rank": loop["friction_rank"]})
    assert ("platform", "app/iOS") in drivers


def test_without_the_story_no_week_stands_out_and_browsing_is_no_friction(
    warehouse: Warehouse, given_journeys
) -> None:
    """The same shop without the iOS loop: no app checkout loop is reported, the browsing loops
    score next to nothing, and no finding rises beyond noise in any week."""
    given_journeys(shop_journeys(ios_loop_weeks=()))
    ranked = run_friction(warehouse)
    assert not [f for f in ranked if key_of(f) == IOS_LOOP]
    assert all(f["score"] < 10 for f in ranked if f["signal"] == "loop")
    assert warehouse.scalar("SELECT count(*) FROM marts.friction_trend WHERE is_flagged") == 0
    assert all(len(f["periods_risen"]) == 0 for f in ranked)


def test_a_loop_as_common_every_week_that_costs_nothing_scores_nothing(warehouse: Warehouse, given_journeys) -> None:
    """The iOS loop in all twelve weeks, converting as often: nothing rose, nothing was lost, so
    its score is (close to) 0 though it is found, with its cost in its evidence. This is the
    rule's limit: a loop with no conversion cost and no change over time reads as how customers
    use the shop."""
    given_journeys(shop_journeys(ios_loop_weeks=tuple(range(1, WEEKS + 1))))
    loop = next(f for f in run_friction(warehouse) if key_of(f) == IOS_LOOP)
    assert list(loop["periods_risen"]) == []
    assert loop["score"] < 0.1 * loop["n_journeys_affected"]
    assert "2 extra steps" in loop["evidence"]


# --- a payment incident of three weeks, diluted by 30-day journeys -----------------------------


def payment_journeys(*, incident_weeks: tuple[int, ...], seed: int = 11) -> list[J]:
    """Five web checkouts a day for twelve weeks; 10% give up at payment. In `incident_weeks`, 80%
    of payments fail ('paymentFailed', camelCase) and the customer tries again 8 to 20 days later in
    the same (30-day) journey, converting 85% of the time: journeys still mostly convert, later."""
    rng = random.Random(seed)
    journeys = []
    for day in range(WEEKS * 7):
        week = day // 7 + 1
        for slot in range(5):
            start = MONDAY + timedelta(days=day, hours=slot * 2)
            steps = ["web:Home", "web:Cart", "web:Checkout Payment"]
            minutes: list[float] = [0, 1, 2]
            if week in incident_weeks and rng.random() < 0.8:
                later = minutes[-1] + rng.uniform(8, 20) * 24 * 60
                steps += ["web:paymentFailed", "web:Home", "web:Cart", "web:Checkout Payment"]
                minutes += [minutes[-1] + 0.5, later, later + 1, later + 2]
                converted = rng.random() < 0.85
            else:
                converted = rng.random() < 0.9
            if converted:
                steps += ["web:Order Completed"]
                minutes += [minutes[-1] + 1]
            journeys.append(J(f"p{day:03d}-{slot}", "converted" if converted else "abandoned", steps, minutes,
                              start=start))
    return journeys


CHECKOUT = funnel_from_activities(["Cart", "Checkout Payment", "Order Completed"])
NO_ATTRIBUTES = {"journey_id": "VARCHAR", "attribute": "VARCHAR", "value": "VARCHAR"}


def test_a_three_week_payment_incident_is_flagged_in_the_weekly_view(
    warehouse: Warehouse, given_journeys, make_table
) -> None:
    """The journeys of the incident mostly convert, weeks later, so over the whole run it is
    diluted; per week of reaching the stage, the conversion from payment falls beyond noise in
    exactly the three weeks (the customers came back after the funnel's 7-day window), and the
    payment errors, matched by the default error words in camelCase, rise in those weeks
    against the journeys under way (every journey at the error page has the error)."""
    given_journeys(payment_journeys(incident_weeks=STORY_WEEKS))
    ranked = run_friction(warehouse)
    error = next(f for f in ranked if f["signal"] == "error_event")
    assert error["activity"] == "paymentFailed"
    assert days(error["periods_risen"]) == [week_start(w) for w in STORY_WEEKS]
    assert warehouse.scalar("SELECT DISTINCT reference FROM marts.friction_trend WHERE signal = 'error_event'") == (
        "journeys")

    make_table("journeys.journey_attributes", NO_ATTRIBUTES, [])
    build_funnel(warehouse, CHECKOUT, FunnelConfig(breakdown=()))
    converted = warehouse.scalar("SELECT avg((outcome = 'converted')::INT) FROM marts.journeys")
    assert converted > 0.8  # diluted: the journeys still convert
    flagged = warehouse.rows(
        "SELECT period_start, direction, conversion_rate, usual_conversion, journeys_lost FROM marts.funnel_trend "
        "WHERE is_flagged AND stage = 'Checkout Payment' ORDER BY period_start")
    assert list(zip(days(row[0] for row in flagged), [row[1] for row in flagged], strict=True)) == [
        (week_start(w), "fall") for w in STORY_WEEKS]
    for _, _, rate, usual, lost in flagged:
        assert rate < 0.5 < usual and lost > 0
    assert warehouse.scalar("SELECT count(*) FROM marts.funnel_trend WHERE is_flagged AND stage = 'Cart'") == 0


def test_without_an_incident_no_week_is_flagged(warehouse: Warehouse, given_journeys, make_table) -> None:
    """The same checkouts without the incident: no error finding and no stage conversion moving
    in any week, though the weeks differ by chance."""
    given_journeys(payment_journeys(incident_weeks=()))
    assert not [f for f in run_friction(warehouse) if f["signal"] == "error_event"]
    make_table("journeys.journey_attributes", NO_ATTRIBUTES, [])
    build_funnel(warehouse, CHECKOUT, FunnelConfig(breakdown=()))
    assert warehouse.scalar("SELECT count(*) FROM marts.funnel_trend") == 2 * WEEKS
    assert warehouse.scalar("SELECT count(*) FROM marts.funnel_trend WHERE is_flagged") == 0
    # every period is tested but those too recent for their journeys to have decided
    assert warehouse.scalar(
        "SELECT count(*) FROM marts.funnel_trend WHERE p_value IS NULL AND n_dropped > 0 AND is_complete") == 0
    assert warehouse.scalar("SELECT count(*) FROM marts.funnel_trend WHERE NOT is_complete AND p_value IS NULL") >= 2


@pytest.mark.parametrize("period", ["day"])
def test_the_trend_can_be_daily(warehouse: Warehouse, given_journeys, period: str) -> None:
    """friction.trend.period 'day': the same incident, day by day; the flagged days are the
    incident's."""
    from journeymine.config.friction import FrictionTrendConfig

    given_journeys(payment_journeys(incident_weeks=STORY_WEEKS))
    ranked = run_friction(warehouse, trend=FrictionTrendConfig(period=period, min_journeys=2))
    error = next(f for f in ranked if f["signal"] == "error_event")
    risen = days(error["periods_risen"])
    assert risen and all(week_start(STORY_WEEKS[0]) <= day < week_start(STORY_WEEKS[-1] + 1) for day in risen)
    assert warehouse.scalar("SELECT DISTINCT period FROM marts.friction_trend") == "day"
