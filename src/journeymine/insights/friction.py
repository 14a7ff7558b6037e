"""Friction: where journeys go wrong, as findings that are scored and carry their evidence, and
how each finding moved from period to period inside the run.

SQL models, run in order (the signals are defined in `sql/journeys/int_friction_hits.sql`, the
scores in `sql/marts/friction.sql`):

    journeys.events_in_journeys, staged.events → journeys.call_waits (each call's time in the
        queue, when its source gives one)
    journeys.events_in_journeys, journeys.step_codes, journeys.call_waits → journeys.friction_events
        (each event that may carry a signal, rated, an error or a call, on its step, with its
        negative / error / abandoned-call flags and a call's wait; the emotion curve reads its
        rated events too)
    + journeys.step_codes, marts.journeys, marts.journey_graph_edges → journeys.friction_hits (one
        row per journey per finding, with the step where it first happened: the drivers compare
        segments on it)
    → journeys.friction_trend_cells (each finding per period: journeys at its touchpoint and
        affected), tested here period against period (journeymine.insights.trend) →
        journeys.friction_trend
    → marts.friction (one row per finding: counts, conversion with and without, cost, score,
        evidence) → marts.friction_trend (one row per finding and period, with its rank)

Signals are found and counted on integer keys (journey_key, touchpoint codes, each journey's
list of touchpoints in marts.journeys); names are joined onto the findings.

Reads marts.journey_graph_edges for each transition's usual time (its p90 and median), so it runs
after the process marts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeymine.config import FrictionConfig
from journeymine.db import Warehouse
from journeymine.insights.trend import compare_periods, stats_columns
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
    """Build journeys.friction_events, journeys.friction_hits, journeys.friction_trend,
    marts.friction and marts.friction_trend from the journeys (journeys.events_in_journeys,
    step_codes, marts.journeys) and the journey graph's transition times
    (marts.journey_graph_edges); return the number of findings."""
    params: dict[str, Any] = {
        "call_switch_window_hours": settings.call_switch_window_hours,
        "repeat_contact_window_days": settings.repeat_contact_window_days,
        "long_wait_factor": settings.long_wait_factor,
        "long_wait_min_minutes": settings.long_wait_min_minutes,
        "min_journeys": settings.min_journeys,
        "n_examples": settings.n_examples,
        "digital_channels": list(digital_channels),
        "call_channel": call_channel,
        "period": settings.trend.period,
    }
    place_friction_events(wh, settings, call_channel=call_channel)
    wh.build("journeys.friction_hits", "journeys/int_friction_hits", params)
    follow_findings(wh, settings)
    n_findings = wh.build("marts.friction", "marts/friction", params)
    wh.build("marts.friction_trend", "marts/friction_trend", params)
    return n_findings


def place_friction_events(wh: Warehouse, settings: FrictionConfig, *, call_channel: str = CALL_CHANNEL) -> int:
    """Build journeys.call_waits and journeys.friction_events: the events that may carry an
    event-level signal (rated, errors, calls) on their steps, flagged by `settings`' thresholds
    and error words (the emotion curve reads its rated events too); return their number."""
    find_call_waits(wh, settings.call_wait_attributes, call_channel=call_channel)
    return wh.build("journeys.friction_events", "journeys/int_friction_events_on_steps", {
        "negative_sentiment_threshold": settings.negative_sentiment_threshold,
        "low_csat": settings.low_csat,
        "error_words_pattern": settings.error_words_pattern,
        "error_pattern": settings.error_pattern,
        "call_channel": call_channel,
    })


def find_call_waits(wh: Warehouse, wait_attributes: Sequence[str], *, call_channel: str = CALL_CHANNEL) -> int:
    """Build journeys.call_waits (event_seq, wait_seconds): each call's time in the queue from the
    first of `wait_attributes` its staged event carries; empty when the run has no staged events
    to read them from (`journeymine mine`, or journeys built from elsewhere). Returns its rows."""
    if wait_attributes and wh.table_exists("staged", "events") and "event_key" in wh.columns(
        "journeys", "events_in_journeys"
    ):
        paths = ['$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"' for name in wait_attributes]
        return wh.build("journeys.call_waits", "journeys/int_call_waits",
                        {"wait_paths": paths, "call_channel": call_channel})
    wh.execute("CREATE OR REPLACE TABLE journeys.call_waits (event_seq BIGINT, wait_seconds DOUBLE)")
    return 0


def follow_findings(wh: Warehouse, settings: FrictionConfig) -> int:
    """Build journeys.friction_trend: each finding key (as codes) per period with how many
    journeys were at its touchpoint and affected, its rate against the other periods, p and q
    values, whether the period is flagged (a rise beyond noise, `settings.trend`), the
    usual rate and the journeys above it. Only rises are flagged: a fall is mostly a period too
    recent for the signal to show yet (a wait of days, a journey not yet decided). Returns its rows."""
    trend = settings.trend
    wh.build("journeys.friction_trend_cells", "journeys/int_friction_trend_cells",
             {"period": trend.period, "min_journeys": settings.min_journeys})
    cells = wh.df("SELECT cell_id, series, n_affected, n_reference FROM journeys.friction_trend_cells ORDER BY cell_id")
    stats = compare_periods(
        cells["series"].to_numpy(), cells["n_affected"].to_numpy(), cells["n_reference"].to_numpy(),
        alpha=trend.alpha, min_relative_change=trend.min_relative_change, min_count=trend.min_journeys,
        directions=("rise",),  # a finding that spikes; its quiet periods are its usual level
    )
    wh.create_from_arrays("journeys.friction_trend_stats", stats_columns(cells["cell_id"].to_numpy(), stats))
    wh.execute(
        "CREATE OR REPLACE TABLE journeys.friction_trend AS "
        "SELECT cells.* EXCLUDE (cell_id, series), stats.* EXCLUDE (cell_id) "
        "FROM journeys.friction_trend_cells AS cells JOIN journeys.friction_trend_stats AS stats USING (cell_id) "
        "ORDER BY cells.cell_id"
    )
    return len(cells)
