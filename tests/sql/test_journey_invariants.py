"""Invariants of sessions, journeys, steps and the directly-follows graph, on event sets that
hypothesis draws (customers, channels, activities, times, end times, ties): whatever the
events, every event is in exactly one session and one journey, a customer's sessions in a
channel with a timeout never overlap (in one without, each event is its own session), a
customer's journeys follow each other, and the graph's transitions add up to the
consecutive pairs of steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeymine.config import JourneyConfig, LabelConfig, SessionConfig
from journeymine.db import Warehouse
from journeymine.journeys.journeys import build_journeys_mart, place_in_journeys
from journeymine.journeys.labels import build_steps
from journeymine.mining.variants import build_process_marts

from .conftest import STITCHED_EVENTS

T0 = datetime(2026, 3, 2, tzinfo=UTC)
CHANNELS = ("web", "app", "call_center", "store")
ACTIVITIES = ("Home", "Cart", "Checkout", "Order Completed", "call: help")

event = st.tuples(
    st.integers(1, 4),                      # customer
    st.sampled_from(CHANNELS),
    st.sampled_from(ACTIVITIES),
    st.integers(0, 60 * 24 * 40),          # minute of occurrence, over 40 days (ties are likely)
    st.one_of(st.none(), st.integers(0, 120)),  # minutes until it ended, or no end
)


def build(events: list[tuple[int, str, str, int, int | None]], collapse: bool) -> Warehouse:
    wh = Warehouse(":memory:")
    rows = []
    ordered = sorted(range(len(events)), key=lambda i: (events[i][3], i))  # event_seq: time, then row order
    seq = {i: n for n, i in enumerate(ordered, start=1)}
    for i, (customer, channel, activity, minute, lasted) in enumerate(events):
        at = T0 + timedelta(minutes=minute)
        rows.append((i + 1, f"c{customer}", customer, False, channel, activity, at,
                     None if lasted is None else at + timedelta(minutes=lasted),
                     None, 1.0, None, None, None, None, None, seq[i]))
    columns = ", ".join(f'"{c}" {t}' for c, t in STITCHED_EVENTS.items())
    wh.execute(f"CREATE TABLE stitched.events ({columns})")
    wh.con.executemany(f"INSERT INTO stitched.events VALUES ({', '.join('?' * len(STITCHED_EVENTS))})", rows)
    goals = ("Order Completed",)
    place_in_journeys(wh, SessionConfig({"web": 30, "app": 30, "call_center": 0, "store": 0}),
                      JourneyConfig(goal_activities=goals, window_days=7))
    build_steps(wh, LabelConfig(template_urls=False, collapse_repeats=collapse), goals)
    wh.build("marts.sessions", "marts/sessions")
    build_journeys_mart(wh, goals, 7)
    build_process_marts(wh)
    return wh


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, min_size=1, max_size=40), st.booleans())
def test_sessions_journeys_steps_and_the_graph_hold_together(
    events: list[tuple[int, str, str, int, int | None]], collapse: bool
) -> None:
    with build(events, collapse) as wh:
        # every event is in exactly one session and one journey
        assert wh.rows(
            "SELECT count(*), count(DISTINCT event_key), count(session_id), count(journey_id) "
            "FROM journeys.events_in_journeys"
        ) == [(len(events),) * 4]
        # a session and a journey belong to one customer; a session to one channel and one journey's customer
        assert wh.scalar(
            "SELECT count(*) FROM (SELECT session_id FROM journeys.events_in_journeys GROUP BY session_id "
            "HAVING count(DISTINCT customer_id) > 1 OR count(DISTINCT channel) > 1)"
        ) == 0
        # in a channel with a timeout, a customer's sessions never overlap: each starts after the one
        # before ended; with timeout 0 (calls, store visits) every event is a session of its own
        assert wh.scalar(
            """
            SELECT count(*) FROM (
                SELECT started_at, lag(ended_at) OVER (PARTITION BY customer_id, channel ORDER BY started_at, session_id)
                       AS previous_end
                FROM marts.sessions WHERE channel IN ('web', 'app')
            ) WHERE started_at < previous_end
            """
        ) == 0
        assert wh.scalar("SELECT count(*) FROM marts.sessions WHERE channel IN ('call_center', 'store') AND n_events > 1") == 0
        # a customer's journeys follow each other: journey n+1 starts at or after journey n's last event
        assert wh.scalar(
            """
            SELECT count(*) FROM (
                SELECT j.started_at, lag(j.ended_at) OVER (PARTITION BY j.customer_id ORDER BY e.journey_number)
                       AS previous_end,
                       lag(j.started_at) OVER (PARTITION BY j.customer_id ORDER BY e.journey_number) AS previous_start
                FROM marts.journeys AS j
                JOIN (SELECT DISTINCT journey_id, journey_number FROM journeys.events_in_journeys) AS e USING (journey_id)
            ) WHERE started_at < previous_start
            """
        ) == 0
        # steps account for every event (repeats collapsed into their step)
        assert wh.scalar("SELECT sum(n_events) FROM marts.journeys") == len(events)
        # the graph's transitions are the consecutive pairs of steps
        pairs = wh.scalar("SELECT coalesce(sum(n_steps - 1), 0) FROM marts.journeys")
        assert wh.scalar("SELECT coalesce(sum(n_transitions), 0) FROM marts.journey_graph_edges") == pairs
        assert wh.scalar("SELECT coalesce(sum(n_starts), 0) FROM marts.journey_graph_nodes") == \
            wh.scalar("SELECT count(*) FROM marts.journeys")
