"""The mining marts (sql/marts/{variants,journey_graph_nodes,journey_graph_edges,dropoffs,friction}.sql):
journeys in → rows out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeymine import mining
from journeymine.db import Warehouse
from journeymine.schema import CALL_CHANNEL, DIGITAL_CHANNELS

from .conftest import GRAPH_EDGES, T0, J

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


# --- friction ----------------------------------------------------------------------------


def friction(
    wh: Warehouse, make_table, back_edges: list[tuple[str, str]] = (), *, window_hours: float = 24.0,
    min_journeys: int = 1, n_examples: int = 5,
) -> list[dict[str, Any]]:
    """Build marts.journey_graph_edges with the given back edges ('channel:activity' pairs) and run
    the friction model with the parameters pipeline.mine_journeys passes."""
    edges = []
    for source, target in back_edges:
        edges.append((*source.split(":", 1), *target.split(":", 1), True))
    make_table("marts.journey_graph_edges", GRAPH_EDGES, edges)
    wh.build("marts.friction", "marts/friction", {
        "call_switch_window_hours": window_hours, "min_journeys": min_journeys, "n_examples": n_examples,
        "digital_channels": list(DIGITAL_CHANNELS), "call_channel": CALL_CHANNEL,
    })
    return records(wh, "SELECT * FROM marts.friction ORDER BY friction_rank")


def of_signal(findings: list[dict[str, Any]], signal: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["signal"] == signal]


LOOPING = [
    J("loop1", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
    J("loop2", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
    J("loop3", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
    J("loop4", "abandoned", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping"]),
]
STRAIGHT = [J(f"ok{i}", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]) for i in range(5)]
STRAIGHT += [J("ok5", "abandoned", ["web:Cart", "web:Shipping"])]


def test_loop_back_along_a_back_edge_is_found_and_scored(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A step back along a back edge to a touchpoint the journey already visited is a loop; its
    score is n_affected × (conversion without − conversion with), among journeys reaching its source.

    4 looping journeys convert 1/4; the other 6 reaching Shipping convert 5/6: score 4 × (5/6 − 1/4)."""
    given_journeys(LOOPING + STRAIGHT)
    loops = of_signal(friction(warehouse, make_table, [("web:Shipping", "web:Cart")]), "loop")
    assert len(loops) == 1
    loop = loops[0]
    assert loop["touchpoint"] == "Shipping (web) → Cart (web)"
    assert loop["n_journeys_affected"] == 4  # loop3 loops twice but is one journey
    assert list(loop["example_journey_ids"]) == ["loop1", "loop2", "loop3", "loop4"]
    assert loop["n_reference"] == 10
    assert loop["conversion_rate_with"] == pytest.approx(1 / 4)
    assert loop["conversion_rate_without"] == pytest.approx(5 / 6)
    assert loop["score"] == pytest.approx(4 * (5 / 6 - 1 / 4))
    assert loop["share"] == pytest.approx(0.4)


def test_no_loop_without_a_back_edge_or_without_a_revisit(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A transition that is not a back edge is no loop, and neither is a back edge into a touchpoint
    the journey had not visited yet."""
    given_journeys(LOOPING + STRAIGHT)
    assert of_signal(friction(warehouse, make_table, []), "loop") == []
    given_journeys([J("fresh", "abandoned", ["web:Shipping", "web:Cart"])] + STRAIGHT)
    assert of_signal(friction(warehouse, make_table, [("web:Shipping", "web:Cart")]), "loop") == []


def test_digital_to_call_within_the_window_is_found(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A call following a web or app step within call_switch_window_hours (inclusive) is a
    digital-to-call switch; a later call, or a call after a store step, is not."""
    hour = 60
    given_journeys([
        J("in23h", "abandoned", ["web:Help", "call_center:call: help"], [0, 23 * hour]),
        J("in24h", "abandoned", ["web:Help", "call_center:call: help"], [0, 24 * hour]),
        J("after25h", "abandoned", ["web:Help", "call_center:call: help"], [0, 25 * hour]),
        J("fromapp", "abandoned", ["app:Help", "call_center:call: help"], [0, 1 * hour]),
        J("fromstore", "abandoned", ["store:store: visit", "call_center:call: help"], [0, 1 * hour]),
    ])
    calls = of_signal(friction(warehouse, make_table, window_hours=24), "digital_to_call")
    got = {(f["channel"], f["activity"]): list(f["example_journey_ids"]) for f in calls}
    assert got == {("web", "Help"): ["in23h", "in24h"], ("app", "Help"): ["fromapp"]}
    assert {f["touchpoint"] for f in calls} == {
        "Help (web) → call: help (call_center)", "Help (app) → call: help (call_center)"}


def test_digital_to_call_window_is_a_parameter(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A shorter window leaves out a call that a longer one catches."""
    given_journeys([J("in3h", "abandoned", ["web:Help", "call_center:call: help"], [0, 180])])
    assert len(of_signal(friction(warehouse, make_table, window_hours=4), "digital_to_call")) == 1
    assert of_signal(friction(warehouse, make_table, window_hours=2), "digital_to_call") == []


def test_abandonment_findings_name_the_last_touchpoint(warehouse: Warehouse, make_table, given_journeys) -> None:
    """Abandoned journeys are a finding at their last touchpoint, compared with the journeys that
    passed it: 3 abandon at Shipping (rate 0) where the other 2 decided ones converted (rate 1).
    Its score is the drop-offs above the channel's usual rate: web journeys reach touchpoints
    15 times and end abandoned 3 times (rate 1/5), so 6 reaching Shipping would lose 1.2."""
    given_journeys([
        J("a3", "abandoned", ["web:Cart", "web:Shipping"]),
        J("a1", "abandoned", ["web:Cart", "web:Shipping"]),
        J("a2", "abandoned", ["web:Cart", "web:Shipping"]),
        J("c1", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("c2", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("o1", "open", ["web:Cart", "web:Shipping", "web:Payment"]),
    ])
    findings = friction(warehouse, make_table, n_examples=2)
    assert [(f["signal"], f["touchpoint"]) for f in findings] == [("abandonment", "Shipping (web)")]
    finding = findings[0]
    assert finding["n_journeys_affected"] == 3
    assert list(finding["example_journey_ids"]) == ["a1", "a2"]  # the smallest ids, n_examples of them
    assert (finding["conversion_rate_with"], finding["conversion_rate_without"]) == (0.0, 1.0)
    assert finding["score"] == pytest.approx(3 - 6 * 3 / 15)
    assert finding["score_basis"] == "drop-offs above the channel's usual rate"
    assert finding["share"] == 0.5


def test_score_is_clipped_at_zero(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A loop whose journeys convert better than the others costs nothing: score 0, never negative."""
    given_journeys([
        J("loop1", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
        J("loop2", "converted", ["web:Cart", "web:Shipping", "web:Cart", "web:Shipping", "web:Order Completed"]),
        J("self1", "converted", ["web:Cart", "web:Shipping", "web:Order Completed"]),
        J("self2", "abandoned", ["web:Cart", "web:Shipping"]),
    ])
    loops = of_signal(friction(warehouse, make_table, [("web:Shipping", "web:Cart")]), "loop")
    assert len(loops) == 1
    assert loops[0]["conversion_rate_with"] == 1.0 and loops[0]["conversion_rate_without"] == 0.5
    assert loops[0]["score"] == 0.0


def test_a_call_after_a_digital_step_counts_even_when_the_journey_converts(
    warehouse: Warehouse, make_table, given_journeys
) -> None:
    """Every journey sent to a call is harmed (the contact is the cost): score = n_affected, whatever the conversion."""
    given_journeys([
        J("call1", "converted", ["web:Help", "call_center:call: help", "web:Order Completed"]),
        J("call2", "converted", ["web:Help", "call_center:call: help", "web:Order Completed"]),
        J("self1", "converted", ["web:Help", "web:Order Completed"]),
        J("self2", "abandoned", ["web:Help"]),
    ])
    calls = of_signal(friction(warehouse, make_table), "digital_to_call")
    assert len(calls) == 1
    assert calls[0]["conversion_rate_with"] == 1.0 and calls[0]["conversion_rate_without"] == 0.5
    assert calls[0]["score"] == 2.0 and calls[0]["score_basis"] == "journeys sent to a call"


def test_findings_under_min_journeys_are_not_reported(warehouse: Warehouse, make_table, given_journeys) -> None:
    """A finding affecting fewer journeys than min_journeys is left out."""
    given_journeys([J(f"a{i}", "abandoned", ["web:Cart"]) for i in range(3)] + [J("c", "converted", ["web:Cart", "web:Order Completed"])])
    assert len(friction(warehouse, make_table, min_journeys=3)) == 1
    assert friction(warehouse, make_table, min_journeys=4) == []


def test_no_signal_no_finding(warehouse: Warehouse, make_table, given_journeys) -> None:
    """Journeys that all convert straight through, on one channel, give no friction finding."""
    given_journeys([J(f"c{i}", "converted", ["web:Home", "web:Cart", "web:Order Completed"]) for i in range(4)])
    assert friction(warehouse, make_table, [("web:Cart", "web:Home")]) == []


def test_findings_are_ranked_by_score(warehouse: Warehouse, make_table, given_journeys) -> None:
    """friction_rank follows the score, highest first."""
    given_journeys(LOOPING + STRAIGHT)
    findings = friction(warehouse, make_table, [("web:Shipping", "web:Cart")])
    assert [f["friction_rank"] for f in findings] == list(range(1, len(findings) + 1))
    scores = [f["score"] for f in findings]
    assert scores == sorted(scores, reverse=True) and len(findings) >= 2
