"""Label hygiene and steps: journeys.events_in_journeys → events_labelled → step_codes.

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

from journeymine.config import JourneyMapConfig, JourneyStage, LabelConfig
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError

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
    """journeys.events_in_journeys → events_labelled → touchpoints, journey_keys → step_codes,
    the view journeys.steps (the same with names) and journeys.journey_sessions.

    Goal activities are never grouped into "other": they decide journey outcomes.
    `one_session_per_journey`: a plain event log, whose cases have no sessions of their own.
    """
    rare = find_rare_labels(wh, labels, goal_activities)
    if not labels.template_urls and not labels.collapse_repeats and not rare:
        wh.build_view("journeys.events_labelled", "journeys/int_events_unlabelled")
    else:
        wh.build(
            "journeys.events_labelled", "journeys/int_events_labelled",
            {
                "template_urls": labels.template_urls,
                "collapse_repeats": labels.collapse_repeats,
                "rare_activities": list(rare),
                "other_label": labels.other_label,
            },
        )
    wh.build("journeys.touchpoints", "journeys/int_touchpoints_coded")
    key_salt = build_journey_keys(wh)
    n_steps = wh.build("journeys.step_codes", "journeys/int_journey_steps", {"key_salt": key_salt})
    wh.build_view("journeys.steps", "journeys/int_journey_steps_named")
    if one_session_per_journey:
        wh.build_view("journeys.journey_sessions", "journeys/int_journey_sessions_one_per_case")
    else:
        wh.build("journeys.journey_sessions", "journeys/int_journey_sessions_counted")
    n_repeats = int(wh.scalar("SELECT coalesce(sum(n_repeats), 0) FROM journeys.step_codes"))
    n_after = int(wh.scalar("SELECT count(DISTINCT activity) FROM journeys.touchpoints"))
    n_before = n_after if labels == NO_LABEL_HYGIENE else int(
        wh.scalar("SELECT count(DISTINCT activity) FROM journeys.events_in_journeys")
    )
    result = LabelResult(
        n_events=n_steps + n_repeats, n_steps=n_steps, n_repeats_collapsed=n_repeats,
        n_labels_before=n_before, n_labels_after=n_after, rare_labels=rare,
    )
    if result.n_repeats_collapsed or result.n_labels_before != result.n_labels_after:
        log.info(
            "labels: %d activities became %d (%d rare grouped as %r); %d repeats collapsed into rework",
            n_before, n_after, len(rare), labels.other_label, result.n_repeats_collapsed,
        )
    return result


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
