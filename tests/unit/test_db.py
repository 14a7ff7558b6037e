"""The warehouse (journeymine.db): models built as tables or views in a kept working database."""

from __future__ import annotations

from journeymine.db import Warehouse


def test_a_model_built_as_a_view_can_be_rebuilt_as_a_table_and_back() -> None:
    """A working database kept between runs may hold journeys.events_labelled as a view (label
    hygiene off) when the next run builds it as a table (hygiene on), or the reverse."""
    with Warehouse(":memory:") as wh:
        wh.execute("CREATE VIEW journeys.journey_keys AS SELECT 'j1' AS journey_id")
        assert wh.build("journeys.journey_sessions", "journeys/int_journey_sessions_one_per_case") == 1
        wh.build_view("journeys.journey_sessions", "journeys/int_journey_sessions_one_per_case")
        kinds = wh.rows("SELECT table_type FROM information_schema.tables WHERE table_name = 'journey_sessions'")
        assert kinds == [("VIEW",)]
        assert wh.build("journeys.journey_sessions", "journeys/int_journey_sessions_one_per_case") == 1
        kinds = wh.rows("SELECT table_type FROM information_schema.tables WHERE table_name = 'journey_sessions'")
        assert kinds == [("BASE TABLE",)]
