"""Friction: where journeys go wrong, as findings that are scored and carry their evidence.

Three SQL models, run in order (the signals are defined in `sql/journeys/int_friction_hits.sql`,
the scores in `sql/marts/friction.sql`):

    journeys.events_in_journeys, journeys.step_codes → journeys.friction_events (each event that
        may carry a signal, rated, an error or a call, on its step, with its negative / error /
        abandoned-call flags; the emotion curve reads its rated events too)
    + journeys.step_codes, marts.journeys, marts.journey_graph_edges → journeys.friction_hits (one
        row per journey per finding: the drivers compare segments on it)
    → marts.friction (one row per finding: counts, conversion with and without, score, evidence)

Signals are found and counted on integer keys (journey_key, touchpoint codes, each journey's
list of touchpoints in marts.journeys); names are joined onto the findings.

Reads marts.journey_graph_edges for its back edges and each transition's usual time (its p90 and
median), so it runs after the process marts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeymine.config import FrictionConfig
from journeymine.db import Warehouse
from journeymine.schema import CALL_CHANNEL, DIGITAL_CHANNELS

SIGNALS: tuple[str, ...] = (
    "loop", "digital_to_call", "repeat_contact", "long_wait", "negative_sentiment", "error_event",
    "abandonment", "call_abandoned",
)


def find_friction(
    wh: Warehouse,
    settings: FrictionConfig,
    *,
    digital_channels: Sequence[str] = DIGITAL_CHANNELS,
    call_channel: str = CALL_CHANNEL,
) -> int:
    """Build journeys.friction_events, journeys.friction_hits and marts.friction from the journeys
    (journeys.events_in_journeys, step_codes, marts.journeys) and the journey graph's back edges
    and transition times (marts.journey_graph_edges); return the number of findings."""
    params: dict[str, Any] = {
        "call_switch_window_hours": settings.call_switch_window_hours,
        "repeat_contact_window_days": settings.repeat_contact_window_days,
        "long_wait_factor": settings.long_wait_factor,
        "long_wait_min_minutes": settings.long_wait_min_minutes,
        "min_journeys": settings.min_journeys,
        "n_examples": settings.n_examples,
        "digital_channels": list(digital_channels),
        "call_channel": call_channel,
    }
    place_friction_events(wh, settings, call_channel=call_channel)
    wh.build("journeys.friction_hits", "journeys/int_friction_hits", params)
    return wh.build("marts.friction", "marts/friction", params)


def place_friction_events(wh: Warehouse, settings: FrictionConfig, *, call_channel: str = CALL_CHANNEL) -> int:
    """Build journeys.friction_events: the events that may carry an event-level signal (rated,
    errors, calls) on their steps, flagged by `settings`' thresholds (the emotion curve reads its
    rated events too); return their number."""
    return wh.build("journeys.friction_events", "journeys/int_friction_events_on_steps", {
        "negative_sentiment_threshold": settings.negative_sentiment_threshold,
        "low_csat": settings.low_csat,
        "error_pattern": settings.error_pattern,
        "call_channel": call_channel,
    })
