"""Call abandonment related to the time waited in the queue, when the source gives it
(src/journeymine/insights/friction.py with sql/journeys/int_call_waits.sql), and journey
attributes from any source for drivers and funnels (src/journeymine/insights/attributes.py with
sql/journeys/int_journey_custom_attributes.sql)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from journeymine.config import DriverConfig, FrictionConfig, FunnelConfig
from journeymine.db import Warehouse
from journeymine.insights.attributes import add_journey_attributes
from journeymine.insights.drivers import find_drivers
from journeymine.insights.friction import find_friction
from journeymine.insights.funnel import build_funnel, funnel_from_activities

from .conftest import J

ATTRIBUTES = {"journey_id": "VARCHAR", "attribute": "VARCHAR", "value": "VARCHAR"}


def stage_events(wh: Warehouse, attributes: dict[str, dict[str, Any]], ended_after_seconds: dict[str, float] = {}) -> None:
    """Give the fixture's events what a run's have: their event_key (here their event_seq) and
    staged.events with each event's attributes ({event_id: attributes}); an event in
    `ended_after_seconds` ended that long after it started."""
    wh.execute("ALTER TABLE journeys.events_in_journeys ADD COLUMN event_key BIGINT")
    wh.execute("UPDATE journeys.events_in_journeys SET event_key = event_seq")
    for event_id, seconds in ended_after_seconds.items():
        wh.execute("UPDATE journeys.events_in_journeys SET ended_at = occurred_at + to_seconds($s) WHERE event_id = $id",
                   {"s": seconds, "id": event_id})
    wh.execute("CREATE OR REPLACE TABLE staged.events AS SELECT event_seq AS event_key, channel, "
               "NULL::JSON AS attributes, event_id FROM journeys.events_in_journeys")
    for event_id, values in attributes.items():
        wh.execute("UPDATE staged.events SET attributes = $a::JSON WHERE event_id = $id",
                   {"a": json.dumps(values), "id": event_id})


def friction(wh: Warehouse, **settings: Any) -> dict[tuple[str, str], dict[str, Any]]:
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    find_friction(wh, FrictionConfig(**{"min_journeys": 1, **settings}))
    rows = wh.df("SELECT * FROM marts.friction").to_dict("records")
    return {(r["signal"], r["activity"]): r for r in rows}


# 6 calls about help answered after 60-360 s (median 220 s), 4 abandoned after 100-600 s in the queue
# (median 460 s); calls about billing answered
ANSWERED_WAITS = [60, 120, 180, 260, 300, 360]
ABANDONED_WAITS = [100, 400, 520, 600]
HELP = "call_center:call: help"
CALLS = (
    [J(f"a{i}", "converted", [HELP], attributes=[{"outcome": "resolved"}]) for i in range(6)]
    + [J(f"q{i}", "abandoned", [HELP], attributes=[{"outcome": "abandoned"}]) for i in range(4)]
    + [J(f"b{i}", "converted", ["call_center:call: billing"], attributes=[{"outcome": "resolved"}]) for i in range(3)]
)


def test_call_abandonment_is_related_to_the_time_waited(warehouse: Warehouse, given_journeys) -> None:
    """With the source's wait attribute (answered calls) and the time until an abandoned call
    ended: abandoned callers hung up after a median 460 s (8 min); of the calls still waiting after
    the usual wait of answered calls (220 s), 3 of 6 were abandoned, of the rest 1 of 4."""
    given_journeys(CALLS)
    stage_events(
        warehouse,
        {f"a{i}-e1": {"queue": "support", "wait_seconds": wait} for i, wait in enumerate(ANSWERED_WAITS)}
        | {f"b{i}-e1": {"queue_seconds": "30"} for i in range(3)},  # another attribute name of the list, as text
        {f"q{i}-e1": wait for i, wait in enumerate(ABANDONED_WAITS)},
    )
    finding = friction(warehouse)[("call_abandoned", "call: help")]
    assert finding["median_seconds"] == 460.0
    assert finding["evidence"] == (
        "4 of 10 calls abandoned in the queue (40% vs 0% of other calls); callers hung up after a median 8 min in the "
        "queue; 50% of calls still waiting after 4 min (the usual wait of answered calls) were abandoned vs 25% of "
        "the rest")
    waits = dict(warehouse.rows(
        "SELECT event_id, wait_seconds FROM journeys.call_waits JOIN journeys.events_in_journeys USING (event_seq)"))
    assert waits["b0-e1"] == 30.0 and waits["a3-e1"] == 260.0 and "q0-e1" not in waits


def test_without_wait_times_abandonment_is_reported_alone(warehouse: Warehouse, given_journeys) -> None:
    """A source without a wait attribute and calls without an end: the finding as before, its
    evidence without waits; with wait attributes configured away, the same."""
    given_journeys(CALLS)
    finding = friction(warehouse)[("call_abandoned", "call: help")]
    assert finding["evidence"] == "4 of 10 calls abandoned in the queue (40% vs 0% of other calls)"
    assert finding["median_seconds"] is None or finding["median_seconds"] != finding["median_seconds"]
    assert warehouse.scalar("SELECT count(*) FROM journeys.call_waits") == 0
    stage_events(warehouse, {f"a{i}-e1": {"wait_seconds": w} for i, w in enumerate(ANSWERED_WAITS)})
    assert friction(warehouse, call_wait_attributes=())[("call_abandoned", "call: help")]["evidence"] == (
        "4 of 10 calls abandoned in the queue (40% vs 0% of other calls)")


# --- attributes from any source ------------------------------------------------------------

APP = [J(f"j{i:02d}", "converted" if i % 3 else "abandoned",
         ["app:Cart", "app:Checkout Shipping", "app:Cart", "app:Checkout Shipping"] if i < 8
         else ["app:Cart", "app:Checkout Shipping"]) for i in range(20)]


@pytest.fixture
def with_custom_attributes(warehouse: Warehouse, given_journeys, make_table):
    """20 app journeys, the first 8 looping; app_version 5.2 on the events of j00-j09 (5.1 on the
    others, only on their second event); a CRM record with plan 'pro' for the customers of j00-j07,
    'basic' for j08-j15, none for the rest."""
    given_journeys(APP)
    stage_events(warehouse, {f"j{i:02d}-e{2 if i >= 10 else 1}": {"app_version": "5.2" if i < 10 else "5.1"}
                             for i in range(20)})
    make_table("stitched.identity_map", {"identifier": "VARCHAR", "customer_id": "VARCHAR"},
               [(f"customer_ref:c{i}", f"cu-j{i:02d}") for i in range(16)])
    make_table("staged.identity_records", {"identifiers": "STRUCT(kind VARCHAR, id VARCHAR)[]", "attributes": "JSON",
                                           "file_line": "BIGINT"},
               [([{"kind": "customer_ref", "id": f"c{i}"}], json.dumps({"plan": "pro" if i < 8 else "basic"}), i)
                for i in range(16)])
    make_table("journeys.journey_attributes", ATTRIBUTES, [(f"j{i:02d}", "entry_channel", "app") for i in range(20)])
    return warehouse


def test_custom_attributes_come_from_events_and_identity_records(with_custom_attributes: Warehouse) -> None:
    """A name that is not built in is read from the journey's first event that has it, else from
    the customer's identity records; a journey with neither has none; a name nobody has adds
    nothing; names already there are not read again."""
    wh = with_custom_attributes
    assert add_journey_attributes(wh, ["app_version", "plan", "nowhere", "entry_channel"]) == 20 + 16
    got = dict(((j, a), v) for j, a, v in wh.rows("SELECT journey_id, attribute, value FROM journeys.journey_attributes"))
    assert got[("j00", "app_version")] == "5.2" and got[("j15", "app_version")] == "5.1"
    assert got[("j00", "plan")] == "pro" and got[("j10", "plan")] == "basic" and ("j17", "plan") not in got
    assert add_journey_attributes(wh, ["app_version"]) == 0


def test_drivers_and_funnels_use_attributes_from_any_source(with_custom_attributes: Warehouse) -> None:
    """Named in drivers.attributes, app_version and plan are tested: the loop hits 8 of the 10
    journeys on 5.2 and none on 5.1; plan is compared among the 16 journeys with a CRM record only
    (pro 8 of 8 vs basic 0 of 8). A funnel breaks down by plan."""
    wh = with_custom_attributes
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    find_friction(wh, FrictionConfig(min_journeys=1))
    find_drivers(wh, DriverConfig(attributes=("app_version", "plan"), min_support=3))
    drivers = {(a, v): r for a, v, r in wh.rows(
        "SELECT attribute, value, struct_pack(n_population, n_affected, is_significant) FROM marts.friction_drivers "
        "WHERE signal = 'loop'")}
    assert drivers[("app_version", "5.2")]["n_population"] == 20 and drivers[("app_version", "5.2")]["is_significant"]
    assert drivers[("plan", "pro")]["n_population"] == 16 and drivers[("plan", "pro")]["n_affected"] == 8
    build_funnel(wh, funnel_from_activities(["Cart", "Checkout Shipping"]), FunnelConfig(breakdown=("plan",),
                                                                                       min_journeys=1))
    assert {s for (s,) in wh.rows("SELECT DISTINCT segment FROM marts.funnel WHERE dimension = 'plan'")} == {
        "pro", "basic"}
