"""Label hygiene and steps: journeys.events_in_journeys → activity_touchpoints → step_codes.

Label hygiene names the events as mining should count them: a URL or path becomes its
template, consecutive repeats of a touchpoint become one step (the repeats are counted as
rework, not lost), rare labels may be grouped. The steps are then put in order on integer
codes (journeys.journey_keys, journeys.touchpoints): at 10M events sorting and grouping
integers is several times faster than text. The view journeys.steps shows the steps with
names, for friction and conformance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from journeymine.config import JourneyMapConfig, JourneyStage, LabelConfig
from journeymine.db import Warehouse, floats
from journeymine.errors import JourneymineError
from journeymine.journeys.timeline import collapse_steps

log = logging.getLogger(__name__)

# label hygiene off: what `journeymine mine` does unless asked, so its counts equal pm4py's
NO_LABEL_HYGIENE = LabelConfig(template_urls=False, collapse_repeats=False, rare_activity_share=0.0)


@dataclass(frozen=True)
class LabelResult:
    """What label hygiene did: steps left, repeats collapsed, labels before and after."""

    n_events: int
    n_steps: int
    n_repeats_collapsed: int
    n_labels_before: int
    n_labels_after: int
    rare_labels: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_events": self.n_events,
            "n_steps": self.n_steps,
            "n_repeats_collapsed": self.n_repeats_collapsed,
            "n_labels_before": self.n_labels_before,
            "n_labels_after": self.n_labels_after,
            "n_rare_labels_grouped": len(self.rare_labels),
        }


def build_steps(
    wh: Warehouse, labels: LabelConfig, goal_activities: Sequence[str] = (), *, one_session_per_journey: bool = False
) -> LabelResult:
    """journeys.events_in_journeys → label hygiene (prepare_labels), journey keys, step_codes
    (build_step_codes), the view journeys.steps (the same with names) and
    journeys.journey_sessions (finish_steps): all of it in one warehouse. A run split into
    partitions calls the three parts itself (journeymine.journeys.partitions).

    Goal activities are never grouped into "other": they decide journey outcomes.
    `one_session_per_journey`: a plain event log, whose cases have no sessions of their own.
    """
    rare = prepare_labels(wh, labels, goal_activities, events_table="journeys.events_in_journeys")
    key_salt = build_journey_keys(wh)
    build_step_codes(wh, key_salt, collapse_repeats=labels.collapse_repeats)
    return finish_steps(wh, labels, rare, one_session_per_journey=one_session_per_journey)


def prepare_labels(wh: Warehouse, labels: LabelConfig, goal_activities: Sequence[str], *, events_table: str) -> tuple[str, ...]:
    """journeys.event_activities (from `events_table`), then the label of each (channel, activity)
    and its touchpoint code (journeys.activity_touchpoints, journeys.touchpoints); returns the
    rare labels grouped into `labels.other_label`."""
    wh.build("journeys.event_activities", "journeys/int_event_activities_counted", {"events_table": events_table})
    rare = find_rare_labels(wh, labels, goal_activities)
    wh.build(
        "journeys.activity_touchpoints", "journeys/int_activity_touchpoints",
        {"template_urls": labels.template_urls, "rare_activities": list(rare), "other_label": labels.other_label},
    )
    wh.build("journeys.touchpoints", "journeys/int_touchpoints_coded")
    return rare


def finish_steps(wh: Warehouse, labels: LabelConfig, rare: tuple[str, ...], *,
                 one_session_per_journey: bool = False) -> LabelResult:
    """The view journeys.steps and journeys.journey_sessions over the step codes; returns what
    label hygiene did."""
    wh.build_view("journeys.steps", "journeys/int_journey_steps_named")
    if one_session_per_journey:
        wh.build_view("journeys.journey_sessions", "journeys/int_journey_sessions_one_per_case")
    else:
        wh.build("journeys.journey_sessions", "journeys/int_journey_sessions_counted")
    n_steps, n_repeats = wh.rows("SELECT count(*), coalesce(sum(n_repeats), 0) FROM journeys.step_codes")[0]
    n_after = int(wh.scalar("SELECT count(DISTINCT activity) FROM journeys.touchpoints"))
    n_before = int(wh.scalar("SELECT count(DISTINCT activity) FROM journeys.activity_touchpoints"))
    result = LabelResult(
        n_events=int(n_steps + n_repeats), n_steps=int(n_steps), n_repeats_collapsed=int(n_repeats),
        n_labels_before=n_before, n_labels_after=n_after, rare_labels=rare,
    )
    if result.n_repeats_collapsed or result.n_labels_before != result.n_labels_after:
        log.info(
            "labels: %d activities became %d (%d rare grouped as %r); %d repeats collapsed into rework",
            n_before, n_after, len(rare), labels.other_label, result.n_repeats_collapsed,
        )
    return result


def build_step_codes(wh: Warehouse, key_salt: str, *, collapse_repeats: bool) -> int:
    """journeys.step_codes: one row per step of a journey, numbered in order, with the step
    before it, on integer keys (journey_key, touchpoint). seconds_since_previous runs from the
    previous step's start to this step's start: the previous step's sojourn time and the
    time of the transition (pm4py's performance DFG with one timestamp per event)."""
    events = wh.arrays("journeys/int_journey_events_ordered", {"key_salt": key_salt})
    steps = collapse_steps(
        events["journey_key"], events["touchpoint"], events["last_us"],
        floats(events["sentiment"]), floats(events["value"]),
        collapse_repeats=collapse_repeats,
    )
    first = steps.first_event
    occurred = events["occurred_us"][first]
    ended = events["ended_us"][first]
    previous_occurred = np.concatenate([[0], occurred[:-1]]) if len(occurred) else occurred
    return wh.create_from_arrays("journeys.step_codes", {
        "journey_key": events["journey_key"][first],
        "step_number": pa.array(steps.step_number, type=pa.int32()),
        "touchpoint": pa.array(events["touchpoint"][first], type=pa.int32()),
        "previous_touchpoint": pa.array(steps.previous_touchpoint, type=pa.int32(), mask=~steps.has_previous),
        "occurred_at": _timestamps(occurred),
        "ended_at": _timestamps(ended),
        "last_at": _timestamps(steps.last_us),
        "seconds_since_previous": pa.array((occurred - previous_occurred) / 1e6, mask=~steps.has_previous),
        "sentiment": pa.array(steps.sentiment, from_pandas=True),
        "value": pa.array(steps.value, from_pandas=True),
        "event_seq": events["event_seq"][first],
        "n_repeats": steps.n_repeats,
    })


def _timestamps(micros: np.ndarray) -> pa.Array:
    """UTC timestamps (TIMESTAMPTZ) from epoch microseconds; a masked entry (NULL) stays NULL."""
    if np.ma.isMaskedArray(micros):
        return pa.array(micros.data, type=pa.int64(), mask=np.ma.getmaskarray(micros)).cast(pa.timestamp("us", tz="UTC"))
    return pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def build_journey_keys(wh: Warehouse, max_tries: int = 8) -> str:
    """journeys.journey_keys: each journey's 64-bit hash key, checked unique; returns the salt.

    Two journeys sharing a key would be counted as one. With 64 bits that takes about 4
    billion journeys to expect once, but it is checked anyway: on a clash the keys are
    built again with another salt.
    """
    for attempt in range(max_tries):
        salt = f"journeymine-{attempt}"
        n_journeys = wh.build("journeys.journey_keys", "journeys/int_journeys_keyed", {"key_salt": salt})
        if wh.scalar("SELECT count(DISTINCT journey_key) FROM journeys.journey_keys") == n_journeys:
            return salt
        log.warning("two journeys share a hash key with salt %r; trying another salt", salt)
    raise JourneymineError(f"could not give {n_journeys:,} journeys unique keys in {max_tries} tries")


def find_rare_labels(wh: Warehouse, labels: LabelConfig, goal_activities: Sequence[str] = ()) -> tuple[str, ...]:
    """Labels (after URL templating) with a share of events below `labels.rare_activity_share`."""
    if labels.rare_activity_share <= 0:
        return ()
    counted = wh.select("journeys/int_activity_labels_counted", {"template_urls": labels.template_urls})
    goals = label_activities(wh, goal_activities, labels)
    rare = counted[(counted["share"] < labels.rare_activity_share) & ~counted["label"].isin(goals)]
    return tuple(sorted(rare["label"]))


def label_activities(wh: Warehouse, activities: Sequence[str], labels: LabelConfig) -> list[str]:
    """Activity names as configured (goals, journey-map activities) under the same label
    hygiene as the steps: a URL goal '/thank-you?order=1' is the step label '/thank-you'."""
    if not labels.template_urls or not activities:
        return list(activities)
    return list(wh.scalar("SELECT list_transform($names, lambda name: jm_template_label(name))",
                          {"names": list(activities)}))


def label_journey_map(wh: Warehouse, journey_map: JourneyMapConfig, labels: LabelConfig) -> JourneyMapConfig:
    """The journey map with its activities named as the steps name them (see label_activities)."""
    stages = tuple(
        JourneyStage(stage.name, tuple(dict.fromkeys(label_activities(wh, stage.activities, labels))))
        for stage in journey_map.stages
    )
    return JourneyMapConfig(stages=stages)
