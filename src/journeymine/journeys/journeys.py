"""Journeys (the process-mining case): per customer, sessions across channels until a goal or
the journey window; then marts.journeys, one row per journey with its path and outcome."""

from __future__ import annotations

from collections.abc import Sequence

from journeymine.config import JourneyConfig, LabelConfig
from journeymine.db import Warehouse
from journeymine.journeys.labels import NO_LABEL_HYGIENE, label_activities


def group_into_journeys(wh: Warehouse, journeys: JourneyConfig) -> int:
    """journeys.events_in_journeys from journeys.events_sessionized: each event with its journey
    and step number; returns the number of events."""
    return wh.build(
        "journeys.events_in_journeys", "journeys/int_events_grouped_into_journeys",
        {"goal_activities": list(journeys.goal_activities), "window_days": journeys.window_days},
    )


def build_journeys_mart(
    wh: Warehouse, goal_activities: Sequence[str], window_days: int, *, labels: LabelConfig = NO_LABEL_HYGIENE,
    all_cases_ended: bool = False,
) -> int:
    """marts.journeys from journeys.step_codes; returns the number of journeys.

    Goals are named as the steps are (`labels`). `all_cases_ended`: the input is a finished
    event log (every case is over), so a journey that did not reach a goal is abandoned, or
    'ended' when no goals are given.
    """
    return wh.build(
        "marts.journeys", "marts/journeys",
        {
            "goal_activities": label_activities(wh, goal_activities, labels),
            "window_days": window_days,
            "all_cases_ended": all_cases_ended,
        },
    )
