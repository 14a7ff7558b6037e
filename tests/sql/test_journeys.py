"""Journeys (journeymine.journeys.journeys.place_in_journeys) and sql/marts/journeys.sql:
stitched events in → journeys out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeymine.config import JourneyConfig, SessionConfig
from journeymine.db import Warehouse
from journeymine.journeys.journeys import build_journeys_mart, place_in_journeys
from journeymine.journeys.labels import NO_LABEL_HYGIENE, build_steps

from .conftest import STITCHED_EVENTS

GOALS = ["Order Completed", "store: purchase"]
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def ev(event_id: str, customer: str, activity: str, at: timedelta, *, channel: str = "web",
       ended: timedelta | None = None, seq: int | None = None, value: float | None = None) -> dict[str, Any]:
    """One stitched event, `at` (and `ended`) counted from T0."""
    return {"event_id": event_id, "customer_id": customer, "activity": activity, "occurred_at": T0 + at,
            "channel": channel, "ended_at": None if ended is None else T0 + ended, "event_seq": seq,
            "value": value}


@pytest.fixture
def stitched(make_table):
    """stitched(events): stitched.events from ev(...) rows; event_seq defaults to the row's place
    in the list, and journeys.event_ids maps each event's key back to its event_id."""

    def make(events: list[dict[str, Any]]) -> None:
        rows, ids = [], []
        customers = sorted({e["customer_id"] for e in events})
        for position, e in enumerate(events, start=1):
            rows.append((position, e["customer_id"], customers.index(e["customer_id"]) + 1, False, e["channel"],
                         e["activity"], e["occurred_at"], e["ended_at"], None, e["value"], None, None, None, None,
                         None, e["event_seq"] or position))
            ids.append((position, e["event_id"]))
        make_table("stitched.events", STITCHED_EVENTS, rows)
        make_table("journeys.event_ids", {"event_key": "BIGINT", "event_id": "VARCHAR"}, ids)

    return make


def build(wh: Warehouse, goals: list[str] = GOALS, window_days: int = 14) -> None:
    """Place the events in sessions and journeys, number the steps (label hygiene off) and build
    marts.journeys, as pipeline.build_journeys does."""
    place_in_journeys(wh, SessionConfig(), JourneyConfig(goal_activities=tuple(goals), window_days=window_days))
    build_steps(wh, NO_LABEL_HYGIENE, goals)
    build_journeys_mart(wh, goals, window_days)


def steps(wh: Warehouse) -> dict[str, tuple[str, int]]:
    """event_id → (journey_id, step_number)."""
    return {r[0]: (r[1], r[2]) for r in wh.rows(
        "SELECT ids.event_id, events.journey_id, events.step_number FROM journeys.events_in_journeys AS events "
        "JOIN journeys.event_ids AS ids USING (event_key)"
    )}


def journeys(wh: Warehouse, *columns: str) -> dict[str, tuple]:
    """journey_id → the given columns of marts.journeys."""
    rows = wh.rows(f"SELECT journey_id, {', '.join(columns)} FROM marts.journeys")
    return {r[0]: r[1:] for r in rows}


MIN = timedelta(minutes=1)
DAY = timedelta(days=1)


def test_a_goal_activity_ends_the_journey(warehouse: Warehouse, stitched) -> None:
    """The event after a goal activity starts a new journey, even minutes later."""
    stitched([
        ev("e1", "c1", "Home", 0 * MIN), ev("e2", "c1", "Cart", 2 * MIN),
        ev("e3", "c1", "Order Completed", 5 * MIN), ev("e4", "c1", "Home", 7 * MIN),
    ])
    build(warehouse)
    assert steps(warehouse) == {"e1": ("c1-j1", 1), "e2": ("c1-j1", 2), "e3": ("c1-j1", 3), "e4": ("c1-j2", 1)}
    assert journeys(warehouse, "path", "outcome") == {
        "c1-j1": (["Home", "Cart", "Order Completed"], "converted"),
        "c1-j2": (["Home"], "open"),
    }


def test_without_goal_activities_nothing_ends_a_journey_but_time(warehouse: Warehouse, stitched) -> None:
    """With no goals configured, an 'Order Completed' is a step like any other, and no journey converts."""
    stitched([ev("e1", "c1", "Order Completed", 0 * MIN), ev("e2", "c1", "Home", 7 * MIN)])
    build(warehouse, goals=[])
    assert steps(warehouse) == {"e1": ("c1-j1", 1), "e2": ("c1-j1", 2)}
    assert journeys(warehouse, "outcome") == {"c1-j1": ("open",)}


def test_a_gap_longer_than_the_window_starts_a_new_journey(warehouse: Warehouse, stitched) -> None:
    """With a 14-day window, a gap of exactly 14 days continues the journey, 14 days and 1 second does not."""
    stitched([
        ev("e1", "c1", "Home", 0 * DAY),
        ev("e2", "c1", "Cart", 14 * DAY),
        ev("e3", "c1", "Home", 28 * DAY + timedelta(seconds=1)),
    ])
    build(warehouse)
    assert steps(warehouse) == {"e1": ("c1-j1", 1), "e2": ("c1-j1", 2), "e3": ("c1-j2", 1)}


def test_the_window_counts_from_the_end_of_the_previous_event(warehouse: Warehouse, stitched) -> None:
    """A long event (ended_at) keeps the journey alive until it ends."""
    stitched([
        ev("k1", "c1", "call: refund", 0 * DAY, channel="call_center", ended=3 * DAY),
        ev("e2", "c1", "Home", 16 * DAY),  # 16 days after the start, 13 after the end
    ])
    build(warehouse)
    assert steps(warehouse)["e2"] == ("c1-j1", 2)


def test_journeys_are_per_customer_and_span_channels(warehouse: Warehouse, stitched) -> None:
    """Each customer has their own journeys; one journey strings together web, call and store steps,
    and lists its channels in the order they were first used."""
    stitched([
        ev("a1", "c1", "Product", 0 * MIN),
        ev("b1", "c2", "Home", 1 * MIN),
        ev("a2", "c1", "call: stock", 30 * MIN, channel="call_center"),
        ev("a3", "c1", "Product", 2 * DAY),
        ev("a4", "c1", "store: purchase", 3 * DAY, channel="store", value=30.0),
        ev("b2", "c2", "Order Completed", 1 * DAY, value=12.5),
    ])
    build(warehouse)
    assert journeys(warehouse, "customer_id", "path", "channels", "n_steps", "outcome", "value") == {
        "c1-j1": ("c1", ["Product", "call: stock", "Product", "store: purchase"], ["web", "call_center", "store"],
                  4, "converted", 30.0),
        "c2-j1": ("c2", ["Home", "Order Completed"], ["web"], 2, "converted", 12.5),
    }


def test_simultaneous_steps_are_ordered_by_event_seq(warehouse: Warehouse, stitched) -> None:
    """Two events at the same instant take the order of event_seq: it decides step numbers and the path."""
    stitched([
        ev("x", "c1", "Cart", 0 * MIN, seq=2),
        ev("y", "c1", "Product", 0 * MIN, seq=1),
        ev("z", "c1", "Shipping", 1 * MIN, seq=3),
    ])
    build(warehouse)
    assert steps(warehouse) == {"y": ("c1-j1", 1), "x": ("c1-j1", 2), "z": ("c1-j1", 3)}
    assert journeys(warehouse, "path") == {"c1-j1": (["Product", "Cart", "Shipping"],)}


def test_a_goal_tied_in_time_ends_the_journey_only_after_it_in_event_seq(warehouse: Warehouse, stitched) -> None:
    """At one instant, the step ordered after the goal (by event_seq) starts the next journey."""
    stitched([
        ev("after", "c1", "Home", 0 * MIN, seq=2),
        ev("goal", "c1", "Order Completed", 0 * MIN, seq=1),
    ])
    build(warehouse)
    assert steps(warehouse) == {"goal": ("c1-j1", 1), "after": ("c1-j2", 1)}


def test_outcome_is_relative_to_the_end_of_the_data(warehouse: Warehouse, stitched) -> None:
    """A journey that reached a goal is converted; one silent for longer than the window before the
    last event of the data is abandoned; one still inside the window is open."""
    stitched([
        ev("g1", "conv", "Order Completed", 0 * DAY),  # long ago, but converted
        ev("a1", "aban", "Home", 1 * DAY), ev("a2", "aban", "Cart", 1 * DAY + 5 * MIN),  # ~20 days before the end
        ev("o1", "open", "Cart", 7 * DAY),  # 14 days before the end: still inside the window
        ev("n1", "late", "Home", 21 * DAY),  # the last event of the data
    ])
    build(warehouse)
    assert journeys(warehouse, "outcome", "drop_off_activity", "drop_off_channel") == {
        "conv-j1": ("converted", None, None),
        "aban-j1": ("abandoned", "Cart", "web"),
        "open-j1": ("open", None, None),
        "late-j1": ("open", None, None),
    }


def test_without_goals_a_journey_past_the_window_has_ended_not_been_abandoned(warehouse: Warehouse, stitched) -> None:
    """With no goal activities there is no conversion to miss: the same journeys end ('ended', no
    drop-off) instead of being abandoned; one inside the window is still open."""
    stitched([
        ev("a1", "aban", "Home", 1 * DAY), ev("a2", "aban", "Cart", 1 * DAY + 5 * MIN),
        ev("o1", "open", "Cart", 7 * DAY), ev("n1", "late", "Home", 21 * DAY),
    ])
    build(warehouse, goals=[])
    assert journeys(warehouse, "outcome", "drop_off_activity") == {
        "aban-j1": ("ended", None), "open-j1": ("open", None), "late-j1": ("open", None),
    }


def test_abandonment_waits_for_more_data(warehouse: Warehouse, stitched) -> None:
    """The same journey is open while the data end is within the window, abandoned once it is past."""
    base = [ev("a1", "c1", "Cart", 0 * DAY)]
    stitched(base + [ev("z", "other", "Home", 10 * DAY)])
    build(warehouse)
    assert journeys(warehouse, "outcome")["c1-j1"] == ("open",)
    stitched(base + [ev("z", "other", "Home", 15 * DAY)])
    build(warehouse)
    assert journeys(warehouse, "outcome", "drop_off_activity")["c1-j1"] == ("abandoned", "Cart")


def test_journey_times_steps_and_sessions(warehouse: Warehouse, stitched) -> None:
    """A journey starts at its first event, ends at the latest end of its events, and counts its
    steps and distinct sessions (two web visits 45 minutes apart, a call between them)."""
    stitched([
        ev("w1", "c1", "Home", 0 * MIN),
        ev("w2", "c1", "Help", 5 * MIN),
        ev("k1", "c1", "call: help", 10 * MIN, channel="call_center", ended=70 * MIN),
        ev("w3", "c1", "Home", 50 * MIN),
    ])
    build(warehouse)
    got = journeys(warehouse, "started_at", "ended_at", "duration_seconds", "n_steps", "n_sessions",
                   "first_activity", "last_activity", "last_channel")
    assert got == {"c1-j1": (T0, T0 + 70 * MIN, 4200.0, 4, 3, "Home", "Home", "web")}


def test_one_stray_row_does_not_move_the_end_of_the_data(warehouse: Warehouse, stitched) -> None:
    """With 100+ journeys, an event dated 2099 is left out of the end of the data: journeys that
    were open stay open (none turns abandoned), and the stray journey is counted."""
    events = [ev(f"e{i}", f"c{i:03d}", "Home", i * 10 * MIN) for i in range(120)]  # 120 journeys over 20 hours
    events.append(ev("late", "c999", "Home", 73 * 365 * DAY))  # ~2099
    stitched(events)
    build(warehouse)
    period_end, n_stray = warehouse.rows("SELECT period_end, n_stray_journeys FROM journeys.data_period")[0]
    assert period_end == T0 + 119 * 10 * MIN
    assert n_stray == 1
    outcomes = dict(warehouse.rows("SELECT outcome, count(*) FROM marts.journeys GROUP BY outcome"))
    assert outcomes == {"open": 121}


def test_with_few_journeys_the_end_of_the_data_is_the_last_end(warehouse: Warehouse, stitched) -> None:
    """Below 100 journeys there is no telling a stray row from the data: the last end is the end."""
    stitched([ev("a1", "c1", "Home", 0 * DAY), ev("b1", "c2", "Home", 60 * DAY)])
    build(warehouse)
    assert warehouse.rows("SELECT period_end, n_stray_journeys FROM journeys.data_period") == [(T0 + 60 * DAY, 0)]
    assert journeys(warehouse, "outcome") == {"c1-j1": ("abandoned",), "c2-j1": ("open",)}
