"""Process mining over journeys: steps, journeys, variants, the directly-follows graph, drop-offs.

Everything here counts in DuckDB SQL (the models under `sql/journeys` and `sql/marts`), on
one table every input becomes first: `journeys.events_in_journeys`, one row per event with
journey_id, customer_id, session_id, channel, activity, occurred_at, ended_at, sentiment,
value and event_seq (the source order, which breaks timestamp ties). A full run builds it
from stitched sessions; `journeymine mine` builds it from any event log, one journey per case.

    events_in_journeys → events_labelled (label hygiene) → step_codes (ordered, with the step
        before, on integer journey and touchpoint codes) → journeys → variants,
        journey_graph_nodes, journey_graph_edges → dropoffs

Counting runs on integer codes (journeys.journey_keys, journeys.touchpoints): at 10M events
sorting and grouping integers is several times faster than text. The view journeys.steps
shows the steps with names, for friction and conformance.

On a log whose timestamps do not tie, and with label hygiene off, the counts equal pm4py's
(`discover_dfg`, `get_variants`, `get_start_activities`, `get_end_activities`) and the
edge times its `discover_performance_dfg`; tests/unit/test_mining_vs_pm4py.py checks it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journeymine.config import JourneyMapConfig, JourneyStage, LabelConfig, MiningConfig
from journeymine.db import Warehouse
from journeymine.discovery import ModelResult, discover_process_model
from journeymine.errors import JourneymineError
from journeymine.graph import build_journey_graph, flatten_edges

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


def build_process_marts(wh: Warehouse) -> dict[str, int]:
    """Variants, journey graph nodes and edges (with back edges from networkx), drop-offs.

    Reads journeys.step_codes and marts.journeys; returns the row counts.
    """
    wh.build("journeys.touchpoint_paths", "journeys/int_touchpoint_paths_counted")  # read by nodes and edges
    counts = {
        "n_variants": wh.build("marts.variants", "marts/variants"),
        "n_nodes": wh.build("marts.journey_graph_nodes", "marts/journey_graph_nodes"),
    }
    # counts and times come from SQL; networkx adds which edges point backwards
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    graph = build_journey_graph(
        wh.df("SELECT * FROM marts.journey_graph_nodes"), wh.df("SELECT * FROM marts.journey_graph_edges")
    )
    edges = flatten_edges(graph)
    wh.execute("DELETE FROM marts.journey_graph_edges")
    wh.execute("ALTER TABLE marts.journey_graph_edges ADD COLUMN is_back_edge BOOLEAN")
    wh.execute("ALTER TABLE marts.journey_graph_edges ADD COLUMN is_self_loop BOOLEAN")
    if not edges.empty:
        wh.insert_frame("marts.journey_graph_edges", edges)
    counts["n_edges"] = len(edges)
    counts["n_back_edges"] = int(edges["is_back_edge"].sum()) if not edges.empty else 0
    counts["n_dropoff_rows"] = wh.build("marts.dropoffs", "marts/dropoffs")
    return counts


def build_journey_attributes(wh: Warehouse) -> int:
    """journeys.journey_attributes: each journey's segments in long form (journey_id, attribute,
    value), for funnel breakdowns and friction drivers; returns the number of rows.

    Reads marts.journeys, the events' attributes and, when the run has customers
    (marts.customers), their CRM segment and country.
    """
    with_customers = wh.table_exists("marts", "customers")
    profiles = (
        "SELECT customer_id, segment, country FROM marts.customers" if with_customers
        else "SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS segment, NULL::VARCHAR AS country WHERE false"
    )
    wh.execute(f"CREATE OR REPLACE VIEW journeys.customer_profiles AS {profiles}")
    return wh.build("journeys.journey_attributes", "journeys/int_journey_attributes")


def discover_model(wh: Warehouse, settings: MiningConfig, out_dir: Path) -> ModelResult:
    """pm4py's inductive miner on the variants covering `settings.model_coverage` of the
    journeys (at most `settings.max_model_variants`): `process_model.bpmn` and
    `process_model.pnml` in `out_dir`, and the coverage reached."""
    variants = wh.df("SELECT variant, n_journeys FROM marts.variants")
    result = discover_process_model(
        variants, coverage=settings.model_coverage, noise_threshold=settings.noise_threshold, out_dir=out_dir,
        max_variants=settings.max_model_variants,
    )
    log.info(
        "process model: %d of %d variants, covering %.1f%% of journeys (target %.0f%%, noise threshold %.2f)",
        result.n_variants_used, result.n_variants_total, 100 * result.share_covered,
        100 * settings.model_coverage, settings.noise_threshold,
    )
    return result
