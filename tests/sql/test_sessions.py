"""Sessions (journeymine.journeys.journeys.place_in_journeys and the sessions mart): stitched
rows in → sessions out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from journeymine.config import JourneyConfig, SessionConfig
from journeymine.db import Warehouse
from journeymine.journeys.journeys import place_in_journeys

from .conftest import STITCHED_EVENTS

TIMEOUTS = {"web": 30, "app": 30, "call_center": 0, "store": 0}


@pytest.fixture
def stitched(make_table, warehouse: Warehouse):
    """stitched(rows): stitched.events from (event_id, customer_id, channel, occurred_at[, ended_at[, event_seq]]).

    event_seq defaults to the row's place in the list (1, 2, ...); the event's key is its place
    in the list, and the table `event_ids` maps it back to the event_id."""

    def make(rows: Sequence[tuple[Any, ...]]) -> None:
        full, ids = [], []
        customers = sorted({row[1] for row in rows})
        for position, row in enumerate(rows, start=1):
            event_id, customer, channel, occurred_at, *rest = row
            ended_at = rest[0] if rest else None
            event_seq = rest[1] if len(rest) > 1 else position
            full.append((position, customer, customers.index(customer) + 1, customer.startswith("shared"), channel,
                         f"act {event_id}", occurred_at,
                         ended_at, None, None, None, None, None, None, None, event_seq))
            ids.append((position, event_id))
        make_table("stitched.events", STITCHED_EVENTS, full)
        make_table("journeys.event_ids", {"event_key": "BIGINT", "event_id": "VARCHAR"}, ids)

    return make


def sessionize(wh: Warehouse, timeouts: dict[str, int] = TIMEOUTS, default_minutes: int = 30) -> dict[str, str]:
    """Place the events as pipeline.build_journeys does; return event_id → session_id."""
    place_in_journeys(wh, SessionConfig(timeouts, default_minutes), JourneyConfig(window_days=30))
    return dict(wh.rows(
        "SELECT ids.event_id, events.session_id FROM journeys.events_in_journeys AS events "
        "JOIN journeys.event_ids AS ids USING (event_key)"
    ))


def test_a_gap_longer_than_the_timeout_starts_a_new_session(warehouse: Warehouse, stitched) -> None:
    """With a 30-minute web timeout, a gap of 30 min 1 s starts a new session, a gap of exactly 30 min does not."""
    stitched([
        ("e1", "c1", "web", "2026-03-02 10:00:00"),
        ("e2", "c1", "web", "2026-03-02 10:30:00"),  # exactly 30 min after e1
        ("e3", "c1", "web", "2026-03-02 11:00:01"),  # 30 min 1 s after e2
        ("e4", "c1", "web", "2026-03-02 11:10:00"),
    ])
    assert sessionize(warehouse) == {"e1": "c1-web-1", "e2": "c1-web-1", "e3": "c1-web-2", "e4": "c1-web-2"}


def test_the_timeout_is_the_channels_own(warehouse: Warehouse, stitched) -> None:
    """The same 20-minute gap splits an app session with a 15-minute timeout but not a web one with 30."""
    stitched([
        ("w1", "c1", "web", "2026-03-02 10:00:00"), ("w2", "c1", "web", "2026-03-02 10:20:00"),
        ("a1", "c1", "app", "2026-03-02 10:00:00"), ("a2", "c1", "app", "2026-03-02 10:20:00"),
    ])
    got = sessionize(warehouse, {"web": 30, "app": 15})
    assert got["w1"] == got["w2"]
    assert got["a1"] != got["a2"]


def test_timeout_zero_makes_every_call_its_own_session(warehouse: Warehouse, stitched) -> None:
    """Calls (timeout 0) are sessions of one event each, even back to back at the same second."""
    stitched([
        ("k1", "c1", "call_center", "2026-03-02 10:00:00"),
        ("k2", "c1", "call_center", "2026-03-02 10:00:00"),
        ("k3", "c1", "call_center", "2026-03-02 10:01:00"),
    ])
    assert sessionize(warehouse) == {"k1": "c1-call_center-1", "k2": "c1-call_center-2", "k3": "c1-call_center-3"}


def test_sessions_are_per_customer_and_channel(warehouse: Warehouse, stitched) -> None:
    """An app event between two web events does not break the web session, and two customers
    active at the same moment never share one."""
    stitched([
        ("w1", "c1", "web", "2026-03-02 10:00:00"),
        ("a1", "c1", "app", "2026-03-02 10:05:00"),
        ("x1", "c2", "web", "2026-03-02 10:06:00"),
        ("w2", "c1", "web", "2026-03-02 10:10:00"),
    ])
    assert sessionize(warehouse) == {"w1": "c1-web-1", "w2": "c1-web-1", "a1": "c1-app-1", "x1": "c2-web-1"}


def test_simultaneous_events_are_ordered_by_event_seq(warehouse: Warehouse, stitched) -> None:
    """Events at the same instant take the order of event_seq, not of the rows or of their ids."""
    rows = [
        ("kA", "c1", "call_center", "2026-03-02 10:00:00", None, 2),
        ("kB", "c1", "call_center", "2026-03-02 10:00:00", None, 1),
    ]
    stitched(rows)
    assert sessionize(warehouse) == {"kB": "c1-call_center-1", "kA": "c1-call_center-2"}
    stitched([rows[0][:5] + (1,), rows[1][:5] + (2,)])
    assert sessionize(warehouse) == {"kA": "c1-call_center-1", "kB": "c1-call_center-2"}


def test_session_order_follows_time_before_event_seq(warehouse: Warehouse, stitched) -> None:
    """occurred_at comes first in the order: a later event with a smaller event_seq is still later."""
    stitched([
        ("late", "c1", "store", "2026-03-02 12:00:00", None, 1),
        ("early", "c1", "store", "2026-03-02 09:00:00", None, 2),
    ])
    assert sessionize(warehouse) == {"early": "c1-store-1", "late": "c1-store-2"}


def test_channel_without_a_configured_timeout_uses_the_default(warehouse: Warehouse, stitched) -> None:
    """A channel missing from sessions.timeout_minutes gets default_timeout_minutes."""
    stitched([
        ("q1", "c1", "kiosk", "2026-03-02 10:00:00"),
        ("q2", "c1", "kiosk", "2026-03-02 10:05:00"),
        ("q3", "c1", "kiosk", "2026-03-02 10:11:00"),
    ])
    assert sessionize(warehouse, default_minutes=5) == {"q1": "c1-kiosk-1", "q2": "c1-kiosk-1", "q3": "c1-kiosk-2"}


def test_the_gap_is_counted_from_the_end_of_the_previous_event(warehouse: Warehouse, stitched) -> None:
    """An event with an ended_at (a long chat) holds its session open until it ends."""
    stitched([
        ("h1", "c1", "chat", "2026-03-02 10:00:00", "2026-03-02 11:00:00"),
        ("h2", "c1", "chat", "2026-03-02 11:20:00"),  # 80 min after h1 started, 20 min after it ended
        ("h3", "c1", "chat", "2026-03-02 11:51:00"),
    ])
    assert sessionize(warehouse, {"chat": 30}) == {"h1": "c1-chat-1", "h2": "c1-chat-1", "h3": "c1-chat-2"}


def test_every_stitched_event_is_placed_once_with_its_columns(warehouse: Warehouse, stitched) -> None:
    """Placing adds session and journey (ids and numbers) and passes every stitched column
    through (but is_shared_customer, which placing reads), one row per event."""
    stitched([("e1", "c1", "web", "2026-03-02 10:00:00"), ("e2", "c2", "store", "2026-03-02 10:00:00")])
    sessionize(warehouse)
    columns = warehouse.columns("journeys", "events_in_journeys")
    assert set(STITCHED_EVENTS) - {"is_shared_customer"} | {"session_id", "session_number", "journey_id", "journey_key", "journey_number",
                                   "step_number"} == set(columns)
    assert warehouse.scalar("SELECT count(*) FROM journeys.events_in_journeys") == 2


def test_sessions_mart_has_one_row_per_session(warehouse: Warehouse, stitched) -> None:
    """marts/sessions: a session's start is its first event, its end the latest end (or time) of
    its events, and it counts its events."""
    stitched([
        ("w1", "c1", "web", "2026-03-02 10:00:00"),
        ("w2", "c1", "web", "2026-03-02 10:12:00"),
        ("k1", "c1", "call_center", "2026-03-02 10:20:00", "2026-03-02 10:35:00"),
        ("w3", "c1", "web", "2026-03-02 12:00:00"),
    ])
    sessionize(warehouse)
    warehouse.build("marts.sessions", "marts/sessions")
    got = warehouse.rows(
        "SELECT session_id, channel, started_at, ended_at, duration_seconds, n_events, first_activity, last_activity "
        "FROM marts.sessions ORDER BY started_at"
    )

    def at(hhmm: str) -> datetime:
        return datetime.fromisoformat(f"2026-03-02T{hhmm}:00").replace(tzinfo=UTC)

    assert got == [
        ("c1-web-1", "web", at("10:00"), at("10:12"), 720.0, 2, "act w1", "act w2"),
        ("c1-call_center-1", "call_center", at("10:20"), at("10:35"), 900.0, 1, "act k1", "act k1"),
        ("c1-web-2", "web", at("12:00"), at("12:00"), 0.0, 1, "act w3", "act w3"),
    ]


def test_a_shared_identifiers_visits_are_journeys_of_their_own(warehouse: Warehouse, stitched) -> None:
    """A shared identifier's pseudo-customer (a kiosk used by many people, a switchboard number)
    is no one person: each of its visits (a session; every call) starts a journey, where one
    customer's visits within the journey window are one journey."""
    rows = [("k1", "{}", "web", "2026-03-02 10:00:00"), ("k2", "{}", "web", "2026-03-02 10:05:00"),
            ("k3", "{}", "web", "2026-03-02 11:00:00"), ("k4", "{}", "call_center", "2026-03-02 11:02:00"),
            ("k5", "{}", "call_center", "2026-03-02 11:03:00")]
    stitched([(f"{e}-{c}", c, ch, at) for c in ("c1", "shared1") for e, _, ch, at in rows])
    sessionize(warehouse)
    journeys = dict(warehouse.rows(
        "SELECT ids.event_id, events.journey_id FROM journeys.events_in_journeys AS events "
        "JOIN journeys.event_ids AS ids USING (event_key)"
    ))
    assert len({journeys[f"{e}-c1"] for e, *_ in rows}) == 1
    shared = [journeys[f"{e}-shared1"] for e, *_ in rows]
    assert shared[0] == shared[1] and len(set(shared)) == 4  # k1 k2 | k3 | k4 | k5
