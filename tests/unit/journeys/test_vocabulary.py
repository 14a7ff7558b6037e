"""check_configured_activities: goals, journey-map activities and funnel stages that match no
activity of the events stop the run with the closest activities named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journeymine.config import Config, parse_config
from journeymine.db import Warehouse
from journeymine.errors import ConfigError
from journeymine.journeys.vocabulary import check_configured_activities

ACTIVITIES = [
    ("web", "Product Detail", "Product Detail"),
    ("web", "https://shop.example/thank-you?order=7", "/thank-you"),
    ("store", "store: sale", "store: sale"),
    ("call_center", "call: payment_issue", "call: payment_issue"),
]


def config(**top: Any) -> Config:
    data = {"output_dir": "out", "database": "jm.duckdb",
            "sources": {"web": {"path": "web/*.jsonl", "preset": "segment", "channel": "web"}}, **top}
    return parse_config(data, base_dir=Path("/cfg"))


@pytest.fixture
def activities(warehouse: Warehouse) -> Warehouse:
    warehouse.execute("CREATE TABLE journeys.activity_touchpoints (channel VARCHAR, activity VARCHAR, label VARCHAR)")
    warehouse.execute("INSERT INTO journeys.activity_touchpoints SELECT * FROM (SELECT unnest($rows, recursive := true))",
                      {"rows": [{"c": c, "a": a, "l": l} for c, a, l in ACTIVITIES]})
    return warehouse


def test_names_that_the_events_carry_pass(activities: Warehouse) -> None:
    """An activity as the events carry it, or as label hygiene names it, matches."""
    check_configured_activities(activities, config(
        journeys={"goal_activities": ["store: sale", "/thank-you?order=1"]},
        journey_map={"stages": [{"name": "browse", "activities": ["Product Detail"]}]},
        funnel={"stages": ["Product Detail", "store: sale"]},
    ))


def test_a_goal_in_another_case_is_an_error_naming_the_activity(activities: Warehouse) -> None:
    """'store: SALE' matched nothing (presets lower-case store kinds): every purchase would have
    been a drop-off. The error names the key, the value and the activity meant."""
    with pytest.raises(ConfigError) as error:
        check_configured_activities(activities, config(journeys={"goal_activities": ["store: SALE"]}))
    message = str(error.value)
    assert message.startswith("journeys.goal_activities: 'store: SALE' matches no activity of the events")
    assert "closest in the data: 'store: sale'" in message
    assert message.endswith("(activity names match exactly, case included)")


def test_every_unmatched_stage_and_map_activity_is_listed(activities: Warehouse) -> None:
    with pytest.raises(ConfigError) as error:
        check_configured_activities(activities, config(
            journey_map={"stages": [{"name": "browse", "activities": ["Product Detial", "Product Detail"]}]},
            funnel={"stages": ["Product Detail", "Basket Page"]},
        ))
    message = str(error.value)
    assert "journey_map.stages[0] (browse).activities: 'Product Detial' matches no activity" in message
    assert "closest in the data: 'Product Detail'" in message
    assert "funnel.stages: 'Basket Page' matches no activity of the events; no similar activity in the data" in message
    assert "'Product Detail' matches" not in message


def test_a_config_without_activity_names_checks_nothing(warehouse: Warehouse) -> None:
    """No goals, no map, no funnel stages: nothing to check (the table need not exist)."""
    check_configured_activities(warehouse, config())
