"""The mining marts (sql/marts/{variants,journey_graph_nodes,journey_graph_edges,dropoffs}.sql):
journeys in → rows out. Friction is tested in test_friction.py."""

from __future__ import annotations

from typing import Any

import pytest

from journeymine.db import Warehouse

from .conftest import J


def records(wh: Warehouse, sql: str) -> list[dict[str, Any]]:
    frame = wh.df(sql)
    return frame.to_dict("records")


# --- variants ----------------------------------------------------------------------------


def test_variants_group_identical_paths_with_share(warehouse: Warehouse, given_journeys) -> None:
    """One row per distinct path, most frequent first, with its share of all journeys (open ones included)."""
    given_journeys([
        J("j1", "converted", ["web:Home", "web:Cart", "web:Order Completed"], [0, 2, 10]),
        J("j2", "converted", ["web:Home", "web:Cart", "web:Order Completed"], [0, 4, 20]),
        J("j3", "converted", ["web:Home", "web:Cart", "web:Order Completed"], [0, 5, 30]),
        J("j4", "abandoned", ["web:Home", "web:Cart"]),
        J("j5", "open", ["web:Home", "web:Cart"], [0, 3]),
        J("j6", "open", ["web:Cart", "web:Home"]),
    ])
    warehouse.build("marts.variants", "marts/variants")
    got = warehouse.rows(
        "SELECT variant_rank, variant, n_journeys, share, n_converted, n_abandoned, n_open, median_duration_seconds "
        "FROM marts.variants ORDER BY variant_rank"
    )
    assert got == [
        (1, ["Home", "Cart", "Order Completed"], 3, 0.5, 3, 0, 0, 1200.0),
        (2, ["Home", "Cart"], 2, pytest.approx(1 / 3), 0, 1, 1, 120.0),
        (3, ["Cart", "Home"], 1, pytest.approx(1 / 6), 0, 0, 1, 60.0),
    ]


def test_variant_conversion_rate_leaves_open_journeys_out(warehouse: Warehouse, given_journeys) -> None:
    """conversion_rate = converted / (converted + abandoned): open journeys have not decided yet,
    and a variant with only open journeys has no rate (NULL, not 0)."""
    given_journeys([
        J("j1", "converted", ["web:Home", "web:Help"]),
        J("j2", "abandoned", ["web:Home", "web:Help"]),
        J("j3", "open", ["web:Home", "web:Help"]),
        J("j4", "open", ["web:Home", "web:Help"]),
        J("j5", "open", ["web:Search"]),
    ])
    warehouse.build("marts.variants", "marts/variants")
    got = dict(warehouse.rows("SELECT variant[-1], conversion_rate FROM marts.variants"))
    assert got == {"Help": 0.5, "Search": None}


# --- journey graph -----------------------------------------------------------------------


def test_graph_edges_count_transitions_journeys_and_times(warehouse: Warehouse, given_journeys) -> None:
    """Each consecutive pair of steps is one transition; n_journeys counts journeys, not transitions;
    median and p90 are over the seconds from one step's start to the next."""
    given_journeys([
        J("j1", "open", ["web:Cart", "web:Shipping"], [0, 1]),
        J("j2", "open", ["web:Cart", "web:Shipping"], [0, 2]),
        J("j3", "open", ["web:Cart", "web:Shipping"], [0, 10]),
        J("j4", "open", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping"], [0, 0.5, 1, 2.5]),
    ])
    warehouse.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    got = records(warehouse, "SELECT * FROM marts.journey_graph_edges")
    by_edge = {(r["source_activity"], r["target_activity"]): r for r in got}
    assert set(by_edge) == {("Cart", "Shipping"), ("Shipping", "Cart")}
    forward = by_edge[("Cart", "Shipping")]
    # seconds: 60, 120, 600, 30, 90 → sorted 30, 60, 90, 120, 600
    assert (forward["n_transitions"], forward["n_journeys"]) == (5, 4)
    assert forward["median_seconds"] == 90.0
    assert forward["p90_seconds"] == pytest.approx(120 + 0.6 * 480)
    back = by_edge[("Shipping", "Cart")]
    assert (back["n_transitions"], back["n_journeys"], back["median_seconds"]) == (1, 1, 30.0)
    assert not forward["is_channel_switch"]


def test_graph_edges_stay_inside_a_journey_and_mark_channel_switches(warehouse: Warehouse, given_journeys) -> None:
    """The last step of one journey is not followed by the first of the next; a step into another
    channel is a channel switch."""
    given_journeys([
        J("j1", "open", ["web:Help", "call_center:call: help"]),
        J("j2", "open", ["store:store: visit"]),
    ])
    warehouse.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    got = warehouse.rows(
        "SELECT source_channel, source_activity, target_channel, target_activity, n_transitions, is_channel_switch "
        "FROM marts.journey_graph_edges"
    )
    assert got == [("web", "Help", "call_center", "call: help", 1, True)]


def test_graph_nodes_count_events_journeys_starts_and_drop_offs(warehouse: Warehouse, given_journeys) -> None:
    """A touchpoint counts its events, the journeys through it, the journeys starting there and
    the abandoned journeys ending there."""
    given_journeys([
        J("j1", "abandoned", ["web:Home", "web:Cart", "web:Cart"]),
        J("j2", "converted", ["web:Cart", "web:Order Completed"]),
        J("j3", "open", ["web:Home", "web:Cart"]),
    ])
    warehouse.build("marts.journey_graph_nodes", "marts/journey_graph_nodes")
    got = {r[0]: r[1:] for r in warehouse.rows(
        "SELECT activity, n_events, n_journeys, n_starts, n_drop_offs, n_conversions, n_open_ends "
        "FROM marts.journey_graph_nodes")}
    assert got == {
        "Cart": (4, 3, 1, 1, 0, 1),
        "Home": (2, 2, 2, 0, 0, 0),
        "Order Completed": (1, 1, 0, 0, 1, 0),
    }


# --- drop-offs ---------------------------------------------------------------------------


def test_dropoffs_count_reached_dropped_and_continued(warehouse: Warehouse, given_journeys) -> None:
    """Per touchpoint: journeys that reached it, abandoned there (drop-offs), are still open there
    (pending), converted there, or went on; drop_rate = n_dropped / n_reached."""
    given_journeys([
        J("j1", "abandoned", ["web:Home", "web:Cart", "web:Shipping"]),
        J("j2", "abandoned", ["web:Home", "web:Cart"]),
        J("j3", "converted", ["web:Home", "web:Cart", "web:Order Completed"]),
        J("j4", "open", ["web:Home", "web:Cart"]),
        J("j5", "abandoned", ["web:Home", "web:Cart", "web:Shipping", "web:Cart"]),
    ])
    warehouse.build("marts.journey_graph_nodes", "marts/journey_graph_nodes")  # dropoffs reads the nodes
    warehouse.build("marts.dropoffs", "marts/dropoffs")
    got = warehouse.rows(
        "SELECT drop_off_rank, stage, n_reached, n_continued, n_dropped, n_pending, n_converted_here, drop_rate "
        "FROM marts.dropoffs ORDER BY drop_off_rank"
    )
    assert got == [
        (1, "Cart", 5, 2, 2, 1, 0, 0.4),
        (2, "Shipping", 2, 1, 1, 0, 0, 0.5),
        (3, "Home", 5, 5, 0, 0, 0, 0.0),
        (4, "Order Completed", 1, 0, 0, 0, 1, 0.0),
    ]
