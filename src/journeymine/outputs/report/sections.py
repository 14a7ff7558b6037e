"""What every section of the report shares: its title and anchor, why it may be empty, how
many rows it shows, and how values from the tables are read."""

from __future__ import annotations

from typing import Any

import pandas as pd

from journeymine.outputs.report.format import esc, is_missing

SANKEY_TOP_PATHS = 12


SANKEY_MAX_STEPS = 6


MAX_FINDINGS = 15


MAX_DRIVER_FINDINGS = 6


MAX_TREND_CARDS = 6  # findings and stages shown week by week


MAX_SEGMENTS = 6


MAX_DROPOFFS = 4


WHY_EMPTY = {
    "variants": "No paths to draw: this run has no journeys.",
    "funnel": "No funnel: stages come from the designed journey (journey_map.stages in the config), "
              "and this run has none; a plain event log has none either.",
    "dropoff_paths": "No drop-off paths: no journey was abandoned at a touchpoint, or this run does not trace "
                     "them (journeymine mine).",
    "friction": "No friction findings: no signal reached friction.min_journeys journeys, or this run does not "
                "look for friction (journeymine mine mines paths only; journeymine run finds friction).",
    "drivers": "No drivers: there are no findings, or the journeys carry no customer attributes "
               "(segment, country, device) to compare.",
    "emotion": "No emotion curve: the events carry no sentiment score or CSAT rating.",
    "changes": "Nothing to compare: this is the first run into this output folder, or one that keeps no "
               "history (journeymine mine).",
    "trend": "Nothing to follow week by week: this run has no friction findings or funnel, or does not look for "
             "them (journeymine mine).",
}


def alerts_of(changes: pd.DataFrame) -> pd.DataFrame:
    if changes.empty or "is_alert" not in changes:
        return changes.iloc[0:0]
    alerts = changes[changes["is_alert"].fillna(False).astype(bool)]
    order = "alert_rank" if "alert_rank" in alerts else "p_value"
    return alerts.sort_values(order, kind="stable", na_position="last")


SECTIONS = [("flow", "Journey flow"), ("funnel", "Funnel and drop-offs"), ("friction", "Friction findings"),
            ("drivers", "Drivers"), ("trend", "Week by week"), ("emotion", "Emotion curve"),
            ("changes", "Changes since last run"), ("notes", "Data notes")]


def section(anchor: str, lede: str, body: str) -> str:
    title = dict(SECTIONS)[anchor]
    lede_html = f'<p class="lede">{lede}</p>' if lede else ""
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{lede_html}{body}</section>'


def empty(key: str) -> str:
    return f'<p class="empty">{esc(WHY_EMPTY[key])}</p>'


SIGNAL_BADGES = ("loop", "digital_to_call", "abandonment", "repeat_contact", "long_wait", "negative_sentiment",
                 "error_event", "call_abandoned")


def badge(signal: Any) -> str:
    name = str(signal)
    known = name if name in SIGNAL_BADGES else "other"
    return f'<span class="badge {known}">{esc(name.replace("_", " "))}</span>'


def nothing_changed(run: dict[str, Any]) -> str:
    """Why there are no changes: nothing to compare with, or nothing moved beyond noise."""
    previous = run.get("previous_run_id")
    if previous:
        return f"Nothing moved beyond noise since the previous run ({previous})."
    return WHY_EMPTY["changes"]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def timestamp(value: Any) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        return None


def day(value: Any) -> str:
    ts = timestamp(value)
    return "–" if ts is None else f"{ts.day} {ts:%b %Y}"


def when(value: Any) -> str:
    ts = timestamp(value)
    if ts is None:
        return "–"
    zone = " UTC" if ts.tzinfo is not None and ts.utcoffset() == pd.Timedelta(0) else ""
    return f"{ts.day} {ts:%b %Y %H:%M}{zone}"
