"""Funnels (src/journeymine/insights/funnel.py with sql/journeys/int_funnel_stages_reached_in_order.sql,
sql/journeys/int_funnel_stages_reached_in_exact_order.sql and sql/marts/funnel.sql): journeys in
→ stage rows out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from journeymine.config import FunnelConfig, JourneyStage
from journeymine.db import Warehouse
from journeymine.errors import ConfigError, JourneymineError
from journeymine.insights.funnel import build_funnel, format_funnel, funnel_from_activities

from .conftest import J

ATTRIBUTES = {"journey_id": "VARCHAR", "attribute": "VARCHAR", "value": "VARCHAR"}
SHOP = funnel_from_activities(["Product Detail", "Cart", "Checkout Started", "Order Completed"])


@pytest.fixture
def given_attributes(make_table):
    """given_attributes({journey_id: {attribute: value}}): journeys.journey_attributes in long form."""

    def make(attributes: dict[str, dict[str, str]] | None = None) -> None:
        rows = [(journey_id, attribute, value)
                for journey_id, values in (attributes or {}).items() for attribute, value in values.items()]
        make_table("journeys.journey_attributes", ATTRIBUTES, rows)

    return make


def funnel(wh: Warehouse, dimension: str = "all", segment: str = "all") -> dict[str, list[Any]]:
    """One segment of marts.funnel as {column: [value per stage, in funnel order]}."""
    result = wh.con.execute(
        "SELECT * FROM marts.funnel WHERE dimension = $dimension AND segment = $segment ORDER BY stage_number",
        {"dimension": dimension, "segment": segment},
    )
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    return {column: [row[i] for row in rows] for i, column in enumerate(columns)}


def settings(**overrides: Any) -> FunnelConfig:
    return FunnelConfig(**{"breakdown": (), **overrides})


def web(*activities: str) -> list[str]:
    return [f"web:{activity}" for activity in activities]


# --- ordering ----------------------------------------------------------------------------

GOES_BACK_AND_SKIPS = [
    J("straight", "converted", web("Product Detail", "Cart", "Checkout Started", "Order Completed")),
    # back to the product after the cart, then on
    J("back", "converted", web("Product Detail", "Cart", "Product Detail", "Checkout Started", "Order Completed")),
    # skips the cart, then goes back to it and checks out
    J("skip", "abandoned", web("Product Detail", "Checkout Started", "Cart", "Checkout Started")),
    # steps in no stage in between
    J("detours", "abandoned", web("Home", "Product Detail", "Search Results", "Cart")),
    # the cart before the product does not count: the journey enters at the product
    J("cart_first", "abandoned", web("Cart", "Product Detail")),
    # never saw a product: does not enter the funnel
    J("no_entry", "abandoned", web("Cart", "Checkout Started")),
]


def test_loose_order_lets_other_steps_come_in_between(warehouse: Warehouse, given_journeys, given_attributes) -> None:
    """Loose ('this order'): a journey reaches stage k+1 at any later step of it; going back or
    skipping ahead and coming back does not stop it. Steps before entering do not count, and a
    journey without a stage-1 step never enters."""
    given_journeys(GOES_BACK_AND_SKIPS)
    given_attributes()
    assert build_funnel(warehouse, SHOP, settings(ordering="loose")) == 4
    got = funnel(warehouse)
    assert got["stage"] == ["Product Detail", "Cart", "Checkout Started", "Order Completed"]
    assert got["n_reached"] == [5, 4, 3, 2]
    assert got["n_continued"] == [4, 3, 2, None]
    assert got["n_dropped"] == [1, 1, 1, None]
    assert got["drop_rate"] == [0.2, 0.25, pytest.approx(1 / 3), None]
    assert got["conversion_from_start"] == [1.0, 0.8, 0.6, 0.4]
    assert warehouse.rows(
        "SELECT journey_id, max(stage_number) FROM temp.funnel_stages_reached "
        "JOIN marts.journeys USING (journey_key) GROUP BY ALL ORDER BY ALL"
    ) == [("back", 4), ("cart_first", 1), ("detours", 2), ("skip", 3), ("straight", 4)]


def test_strict_order_needs_each_stage_right_after_the_one_before(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    """Strict ('exact order'): in the stage visits (steps in no stage ignored), stage k+1 must
    directly follow stage k: going back to the product after the cart stops at the cart,
    skipping the cart stops at the product; the detours through unmapped steps do not matter."""
    given_journeys(GOES_BACK_AND_SKIPS)
    given_attributes()
    build_funnel(warehouse, SHOP, settings(ordering="strict"))
    got = funnel(warehouse)
    assert got["n_reached"] == [5, 3, 1, 1]
    assert got["n_continued"] == [3, 1, 1, None]
    assert got["n_dropped"] == [2, 2, 0, None]
    assert warehouse.rows(
        "SELECT journey_id, max(stage_number) FROM temp.funnel_stages_reached "
        "JOIN marts.journeys USING (journey_key) GROUP BY ALL ORDER BY ALL"
    ) == [("back", 2), ("cart_first", 1), ("detours", 2), ("skip", 1), ("straight", 4)]


def test_consecutive_steps_of_one_stage_are_one_visit_in_strict_order(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    """Two activities of the same stage in a row are one visit, so browsing several pages before
    the cart is still 'exact order'; the stage is reached at the visit's first step."""
    stages = (JourneyStage("browse", ("Home", "Product Detail")), JourneyStage("basket", ("Cart",)))
    given_journeys([J("j1", "converted", web("Home", "Product Detail", "Cart"), [0, 5, 12])])
    given_attributes()
    build_funnel(warehouse, stages, settings(ordering="strict"))
    got = funnel(warehouse)
    assert got["n_reached"] == [1, 1]
    assert got["median_seconds_to_next"] == [720.0, None]


# --- conversion window -------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["loose", "strict"])
def test_a_step_later_than_the_window_after_entering_does_not_count(
    warehouse: Warehouse, given_journeys, given_attributes, ordering: str
) -> None:
    """The window runs from entering the funnel, not from the previous stage: with 72 hours, a
    checkout 74 hours after the product view is too late even though the cart came 70 hours in."""
    hours = 60
    given_journeys([
        J("late", "abandoned", web("Product Detail", "Cart", "Checkout Started"), [0, 70 * hours, 74 * hours]),
        J("in_time", "abandoned", web("Product Detail", "Cart", "Checkout Started"), [0, 1 * hours, 72 * hours]),
    ])
    given_attributes()
    stages = SHOP[:3]
    build_funnel(warehouse, stages, settings(ordering=ordering, window_hours=72))
    assert funnel(warehouse)["n_reached"] == [2, 2, 1]
    build_funnel(warehouse, stages, settings(ordering=ordering, window_hours=168))
    assert funnel(warehouse)["n_reached"] == [2, 2, 2]


def test_median_time_to_next_counts_only_the_journeys_that_continued(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    """median_seconds_to_next: from reaching a stage to reaching the next, over the journeys that
    went on (2, 4 and 10 minutes → 4 minutes); a journey that stopped adds nothing."""
    given_journeys([
        J("j1", "abandoned", web("Product Detail", "Cart"), [0, 2]),
        J("j2", "abandoned", web("Product Detail", "Home", "Cart"), [0, 1, 4]),
        J("j3", "abandoned", web("Product Detail", "Cart"), [0, 10]),
        J("j4", "abandoned", web("Product Detail"), [0]),
    ])
    given_attributes()
    build_funnel(warehouse, SHOP[:2], settings())
    got = funnel(warehouse)
    assert got["n_continued"] == [3, None]
    assert got["median_seconds_to_next"] == [240.0, None]


def test_an_open_journey_inside_the_window_is_pending_not_dropped(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    """A journey that has not reached the next stage yet is pending while it is open and entered
    less than the window before the data ends; once the window has passed it dropped. In strict
    order an open journey that already went to another stage cannot continue: dropped."""
    given_journeys([
        J("old_open", "open", web("Product Detail")),  # entered 3 days before the data ends
        J("bought", "converted", web("Product Detail", "Cart")),
        J("recent", "open", web("Product Detail")),  # entered 1 day before
        J("skipped", "open", web("Product Detail", "Checkout Started")),  # the data ends here
    ])
    given_attributes()
    stages = SHOP[:3]
    build_funnel(warehouse, stages, settings(ordering="loose", window_hours=48))
    got = funnel(warehouse)
    assert got["n_reached"] == [4, 1, 0]
    assert got["n_pending"] == [2, 0, None]
    assert got["n_dropped"] == [1, 1, None]
    assert got["drop_rate"] == [0.25, 1.0, None]
    build_funnel(warehouse, stages, settings(ordering="strict", window_hours=48))
    assert funnel(warehouse)["n_pending"] == [1, 0, None]


def test_without_any_journey_entering_the_whole_funnel_is_still_shown(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    given_journeys([J("j1", "abandoned", web("Home", "Cart"))])
    given_attributes({"j1": {"platform": "web/Windows"}})
    assert build_funnel(warehouse, SHOP[:2], settings(breakdown=("platform",), min_journeys=1)) == 2
    got = funnel(warehouse)
    assert got["n_reached"] == [0, 0]
    assert got["conversion_from_start"] == [None, None]


# --- breakdown ---------------------------------------------------------------------------


def test_breakdown_by_attribute_leaves_out_segments_under_min_journeys(
    warehouse: Warehouse, given_journeys, given_attributes
) -> None:
    """Per value of each breakdown attribute, the same funnel over its journeys; a segment with
    fewer than min_journeys entering journeys is left out; a journey without the attribute is
    only in the whole funnel; attributes not asked for are not shown."""
    given_journeys([
        J("a1", "converted", web("Product Detail", "Cart")),
        J("a2", "converted", web("Product Detail", "Cart")),
        J("a3", "abandoned", web("Product Detail")),
        J("w1", "converted", web("Product Detail", "Cart")),
        J("none", "abandoned", web("Product Detail")),
        J("no_entry", "abandoned", web("Cart")),
    ])
    given_attributes({
        "a1": {"platform": "app/Android", "entry_channel": "app"},
        "a2": {"platform": "app/Android", "entry_channel": "app"},
        "a3": {"platform": "app/Android", "entry_channel": "app"},
        "w1": {"platform": "web/Windows", "entry_channel": "web"},
        "no_entry": {"platform": "web/Windows", "entry_channel": "web"},  # did not enter: not counted
        "none": {"entry_channel": "web"},
    })
    build_funnel(warehouse, SHOP[:2], settings(breakdown=("platform",), min_journeys=2))
    assert warehouse.rows("SELECT DISTINCT dimension, segment FROM marts.funnel ORDER BY ALL") == [
        ("all", "all"), ("platform", "app/Android"),
    ]
    assert funnel(warehouse)["n_reached"] == [5, 3]
    android = funnel(warehouse, "platform", "app/Android")
    assert android["n_reached"] == [3, 2]
    assert android["n_dropped"] == [1, None]
    assert android["conversion_from_start"] == [1.0, pytest.approx(2 / 3)]

    build_funnel(warehouse, SHOP[:2], settings(breakdown=("platform", "entry_channel"), min_journeys=1))
    shown = list(dict.fromkeys(warehouse.rows("SELECT dimension, segment FROM marts.funnel ORDER BY rowid")))
    assert shown == [
        ("all", "all"), ("platform", "app/Android"), ("platform", "web/Windows"),
        ("entry_channel", "app"), ("entry_channel", "web"),
    ]
    assert funnel(warehouse, "entry_channel", "web")["n_reached"] == [2, 1]


def test_format_funnel_prints_each_stage(warehouse: Warehouse, given_journeys, given_attributes) -> None:
    given_journeys([
        J("j1", "converted", web("Product Detail", "Cart"), [0, 90]),
        J("j2", "abandoned", web("Product Detail")),
    ])
    given_attributes()
    build_funnel(warehouse, SHOP[:2], settings())
    lines = format_funnel(warehouse).splitlines()
    assert lines[0].split()[:4] == ["stage", "reached", "continued", "dropped"]
    assert lines[1].split() == ["Product", "Detail", "2", "1", "1", "0", "50.0%", "100.0%", "1.5", "h"]
    assert lines[2].split() == ["Cart", "1", "-", "-", "-", "-", "50.0%", "-"]


# --- settings and stages -----------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "message"), [
    ({"window_hours": 0}, "funnel.window_hours: expected a positive number of hours"),
    ({"window_hours": "72"}, "funnel.window_hours"),
    ({"ordering": "exact"}, "funnel.ordering: unknown value 'exact'; expected one of loose, strict"),
    ({"breakdown": "platform"}, "funnel.breakdown: expected a list of journey attribute names"),
    ({"breakdown": ("platform", "platform")}, "funnel.breakdown: an attribute is named twice"),
    ({"min_journeys": 0}, "funnel.min_journeys: expected a whole number >= 1, found 0"),
])
def test_bad_settings_say_what_was_expected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        FunnelConfig(**overrides)


@pytest.mark.parametrize(("activities", "message"), [
    (["Cart"], "expected at least 2 stages in order, found 1 ('Cart')"),
    ([], "expected at least 2 stages in order, found 0"),
    (["Cart", "Home", "Cart"], "activity 'Cart' is twice"),
])
def test_a_funnel_of_activities_needs_two_distinct_ones(activities: Sequence[str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        funnel_from_activities(activities)
    assert message in str(error.value)


def test_an_activity_in_two_stages_is_refused(warehouse: Warehouse) -> None:
    stages = (JourneyStage("browse", ("Home", "Cart")), JourneyStage("basket", ("Cart",)))
    with pytest.raises(ConfigError, match="activity 'Cart' is in stages 'browse' and 'basket'"):
        build_funnel(warehouse, stages, settings())


def test_the_funnel_needs_the_journey_attributes(warehouse: Warehouse, given_journeys) -> None:
    given_journeys([J("j1", "abandoned", web("Product Detail"))])
    with pytest.raises(JourneymineError, match="needs the table journeys.journey_attributes"):
        build_funnel(warehouse, SHOP, settings())
