"""Drop-offs with the paths around them (sql/marts/dropoff_paths.sql, via
journeymine.insights.funnel.build_dropoff_paths): journeys in → rows out."""

from __future__ import annotations

from typing import Any

import pytest

from journeymine.db import Warehouse
from journeymine.errors import ConfigError
from journeymine.insights.funnel import build_dropoff_paths

from .conftest import J


def dropoff_paths(wh: Warehouse) -> list[dict[str, Any]]:
    """marts.dropoff_paths in its order, each row a dict."""
    result = wh.con.execute("SELECT * FROM marts.dropoff_paths ORDER BY rowid")
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def web(*activities: str) -> list[str]:
    return [f"web:{activity}" for activity in activities]


# Journey k starts k days after T0 (conftest), so the customers' later journeys come later.
STORY = [
    # three abandon at Create Account (web); two come back with a call about payment
    J("a1", "abandoned", web("Home", "Product Detail", "Cart", "Checkout Started", "Create Account"),
      customer_id="c1"),
    J("a2", "abandoned", web("Cart", "Checkout Started", "Create Account"), customer_id="c2"),
    J("a3", "abandoned", web("Cart", "Create Account"), customer_id="c3"),
    # one abandons at Product Listing (web) and comes back on the web
    J("p1", "abandoned", web("Home", "Product Listing"), customer_id="c4"),
    J("ok", "converted", web("Cart", "Create Account", "Order Completed")),
    J("a1_back", "converted", ["call_center:call: payment_issue", "web:Order Completed"], customer_id="c1"),
    J("a2_back", "open", ["call_center:call: payment_issue"], customer_id="c2"),
    J("p1_back", "open", web("Search Results"), customer_id="c4"),
    # c1's journey after the one they came back with is not what they came back with
    J("a1_later", "converted", ["store:store: purchase"], customer_id="c1"),
]


def test_the_paths_that_led_to_a_drop_off(warehouse: Warehouse, given_journeys) -> None:
    """Per drop-off point (most abandoned first), the last path_length steps of the journeys
    abandoned there, drop-off last, most common first, with their share of the point's drop-offs."""
    given_journeys(STORY)
    build_dropoff_paths(warehouse, path_length=3)
    led = [(r["drop_off_rank"], r["drop_off_activity"], r["n_dropped"], r["path"], r["n_journeys"], r["share"],
            r["example_journey_ids"], r["median_hours_to_return"], r["n_converted_after"])
           for r in dropoff_paths(warehouse) if r["kind"] == "led_there"]
    assert led == [
        (1, "Create Account", 3, ["Cart (web)", "Checkout Started (web)", "Create Account (web)"], 2,
         pytest.approx(2 / 3), ["a1", "a2"], None, None),
        (1, "Create Account", 3, ["Cart (web)", "Create Account (web)"], 1, pytest.approx(1 / 3), ["a3"], None, None),
        (2, "Product Listing", 1, ["Home (web)", "Product Listing (web)"], 1, 1.0, ["p1"], None, None),
    ]


def test_what_customers_came_back_with_and_who_did_not_return(warehouse: Warehouse, given_journeys) -> None:
    """For each abandoned journey, the first touchpoint of the customer's next journey: two of
    the three who dropped at Create Account came back with a payment call (one then bought),
    about 4 and 5 days later; the third did not come back."""
    given_journeys(STORY)
    build_dropoff_paths(warehouse)
    back = [(r["drop_off_rank"], r["kind"], r["path"], r["n_journeys"], r["share"], r["median_hours_to_return"],
             r["n_converted_after"], r["example_journey_ids"])
            for r in dropoff_paths(warehouse) if r["kind"] != "led_there"]
    # a1 ended at minute 4 of day 0, a1_back started on day 5; a2 ended at minute 2 of day 1, a2_back day 6
    hours_a1, hours_a2 = 5 * 24 - 4 / 60, 5 * 24 - 2 / 60
    assert back == [
        (1, "came_back_with", ["call: payment_issue (call_center)"], 2, pytest.approx(2 / 3),
         pytest.approx((hours_a1 + hours_a2) / 2), 1, ["a1", "a2"]),
        (1, "did_not_return", [], 1, pytest.approx(1 / 3), None, None, ["a3"]),
        (2, "came_back_with", ["Search Results (web)"], 1, 1.0, pytest.approx(4 * 24 - 1 / 60), 0, ["p1"]),
    ]


def test_only_the_top_points_and_paths_are_kept(warehouse: Warehouse, given_journeys) -> None:
    """n_points drop-off points, n_paths paths per point and kind, path_length steps per path;
    the row of those who did not return is always there."""
    given_journeys(STORY)
    build_dropoff_paths(warehouse, n_points=1, n_paths=1, path_length=1, n_examples=1)
    got = [(r["drop_off_rank"], r["kind"], r["path"], r["n_journeys"], r["example_journey_ids"])
           for r in dropoff_paths(warehouse)]
    assert got == [
        (1, "led_there", ["Create Account (web)"], 3, ["a1"]),
        (1, "came_back_with", ["call: payment_issue (call_center)"], 2, ["a1"]),
        (1, "did_not_return", [], 1, ["a3"]),
    ]


def test_without_abandoned_journeys_there_are_no_rows(warehouse: Warehouse, given_journeys) -> None:
    given_journeys([
        J("ok", "converted", web("Cart", "Order Completed")),
        J("still_going", "open", web("Cart")),
    ])
    assert build_dropoff_paths(warehouse) == 0


def test_settings_must_be_positive(warehouse: Warehouse) -> None:
    with pytest.raises(ConfigError, match="path_length: expected a whole number >= 1, found 0"):
        build_dropoff_paths(warehouse, path_length=0)
