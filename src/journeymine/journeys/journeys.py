"""Sessions and journeys (the process-mining case), then marts.journeys.

    stitched.events ─ordered─▶ arrays ─place_events─▶ journeys.events_placed
                   ─join─▶ journeys.events_in_journeys (each event with its session, journey, step)

Per customer and channel, a gap longer than the channel's timeout starts a new session; per
customer across channels, a journey ends at a goal activity or after the journey window
without an event (journeymine.journeys.timeline says how, on arrays sorted once). The events of
a shared identifier alone (a kiosk, a switchboard number: no one person) make one journey per
visit, not one journey of everyone who used it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from journeymine.config import JourneyConfig, LabelConfig, SessionConfig
from journeymine.db import Warehouse
from journeymine.journeys.labels import NO_LABEL_HYGIENE, label_activities
from journeymine.journeys.timeline import place_events

MICROS_PER_MINUTE = 60_000_000
MICROS_PER_DAY = 86_400_000_000


def place_in_journeys(wh: Warehouse, sessions: SessionConfig, journeys: JourneyConfig) -> dict[str, int]:
    """journeys.events_placed (each stitched event's session, journey and step numbers) and
    journeys.events_in_journeys; returns the number of events, sessions and journeys."""
    events = wh.arrays("journeys/int_customer_events_ordered", {"goal_activities": list(journeys.goal_activities)})
    channels = [r[0] for r in wh.rows("SELECT DISTINCT channel FROM stitched.events ORDER BY channel")]
    timeouts = np.array(
        [sessions.timeout_minutes.get(c, sessions.default_timeout_minutes) * MICROS_PER_MINUTE for c in channels],
        dtype=np.int64,
    )
    placed = place_events(
        events["customer_no"], events["channel_code"], events["occurred_us"], events["last_us"],
        events["is_goal"].astype(bool), timeouts, journeys.window_days * MICROS_PER_DAY,
        is_shared=events["is_shared"].astype(bool),
    )
    wh.create_from_arrays("journeys.events_placed", {
        "event_key": events["event_key"], "session_number": placed.session_number,
        "journey_number": placed.journey_number, "step_number": placed.step_number,
    })
    n_events = wh.build("journeys.events_in_journeys", "journeys/int_events_in_journeys")
    return {"n_events": n_events, "n_sessions": placed.n_sessions, "n_journeys": placed.n_journeys}


def build_journeys_mart(
    wh: Warehouse, goal_activities: Sequence[str], window_days: int, *, labels: LabelConfig = NO_LABEL_HYGIENE,
    all_cases_ended: bool = False,
) -> int:
    """journeys.journey_spans, journeys.data_period (the period the data covers, which a stray
    row cannot move) and marts.journeys from journeys.step_codes; returns the number of journeys.

    Goals are named as the steps are (`labels`). `all_cases_ended`: the input is a finished
    event log (every case is over), so a journey that did not reach a goal is abandoned, or
    'ended' when no goals are given.
    """
    wh.build("journeys.journey_spans", "journeys/int_journey_spans")
    wh.build("journeys.data_period", "journeys/int_data_period")
    return wh.build(
        "marts.journeys", "marts/journeys",
        {
            "goal_activities": label_activities(wh, goal_activities, labels),
            "window_days": window_days,
            "all_cases_ended": all_cases_ended,
        },
    )
