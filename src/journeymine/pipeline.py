"""The steps of a run, as plain functions over a `Config`.

Each step opens the working DuckDB file, reads the layer above and writes the layer below,
and returns a `StepResult` (what it did, how long it took). The Prefect flow in
`pipelines/` only wires these together; nothing here imports Prefect.

    start_run → load_source (per source) → stitch → split_sessions → build_journeys
              → mine_journeys → publish_outputs
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from journeymine.config import Config, JourneyMapConfig
from journeymine.db import Warehouse
from journeymine.identity.stitch import stitch_identities
from journeymine.insights.attributes import build_journey_attributes
from journeymine.insights.changes import alerts, compare_with_previous, previous_run_id
from journeymine.insights.drivers import find_drivers
from journeymine.insights.emotion import build_emotion_curve
from journeymine.insights.friction import find_friction
from journeymine.insights.funnel import build_dropoff_paths, build_funnel, choose_stages, create_empty_funnel
from journeymine.journeys.journeys import build_journeys_mart, group_into_journeys
from journeymine.journeys.labels import build_steps, label_activities, label_journey_map
from journeymine.journeys.sessions import split_sessions as split_into_sessions
from journeymine.load.ingest import create_meta_tables
from journeymine.load.ingest import load_source as ingest_source
from journeymine.load.stage import create_staged_tables, stage_source
from journeymine.mining.conformance import check_conformance
from journeymine.mining.variants import build_process_marts, discover_model
from journeymine.outputs.export import export_ocel, export_xes
from journeymine.outputs.publish import build_manifest, publish_manifest, write_outputs
from journeymine.outputs.report.data import write_run_report

log = logging.getLogger(__name__)

XES_FILE = "journeys.xes.gz"
OCEL_FILE = "journeys.ocel.json.gz"


@dataclass(frozen=True)
class Run:
    """Identity of one run."""

    run_id: str
    started_at: str


@dataclass(frozen=True)
class StepResult:
    """What a step did: its name, its wall time, and its counts (JSON-friendly)."""

    step: str
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def open_warehouse(config: Config) -> Iterator[Warehouse]:
    """The run's working database, with the config's memory limit and threads."""
    wh = Warehouse(config.database, memory_limit=config.memory_limit, threads=config.threads)
    try:
        yield wh
    finally:
        wh.close()


@contextmanager
def _timed(step: str, details: dict[str, Any]) -> Iterator[list[StepResult]]:
    """Time a block; the caller fills `details`, the block's result lands in the yielded list."""
    started = time.perf_counter()
    out: list[StepResult] = []
    yield out
    out.append(StepResult(step, round(time.perf_counter() - started, 3), details))
    log.info("%s done in %.1f s", step, out[0].seconds)


def start_run(config: Config) -> Run:
    """Create the run id and fresh staged tables (the staged layer is rebuilt from raw each run)."""
    now = datetime.now(UTC)
    run = Run(run_id=now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3), started_at=now.isoformat())
    with open_warehouse(config) as wh:
        create_meta_tables(wh)
        create_staged_tables(wh)
    log.info("run %s: %d sources, working database %s", run.run_id, len(config.sources), config.database)
    return run


def load_source(config: Config, source_name: str, run: Run) -> StepResult:
    """Ingest the source's new files into raw.<source>, then stage all its rows."""
    source = config.source(source_name)
    details: dict[str, Any] = {"source": source.name, "preset": source.preset}
    with _timed(f"load_source:{source.name}", details) as result, open_warehouse(config) as wh:
        loaded = ingest_source(wh, source, run_id=run.run_id)
        counts = stage_source(wh, source, config.identity, source_rank=config.source_names.index(source.name))
        details |= {
            "n_files": len(loaded.files),
            "n_files_loaded": loaded.n_files_loaded,
            "n_files_skipped": loaded.n_files_skipped,
            "n_rows_loaded": loaded.n_rows_loaded,
            "n_read": counts.n_read,
            "n_accepted": counts.n_accepted,
            "n_events": counts.n_events,
            "n_identity_records": counts.n_identity_records,
            "n_rejected": counts.n_rejected,
            "rejects_by_reason": counts.rejects_by_reason,
        }
        log.info(
            "source %s: %d files (%d new), %d rows read = %d accepted + %d rejected",
            source.name, len(loaded.files), loaded.n_files_loaded, counts.n_read, counts.n_accepted, counts.n_rejected,
        )
    return result[0]


def stitch(config: Config) -> StepResult:
    """Identity graph → one customer_id per person → stitched.events."""
    details: dict[str, Any] = {}
    with _timed("stitch", details) as result, open_warehouse(config) as wh:
        details |= asdict(stitch_identities(wh, config.identity))
        log.info(
            "stitched %d identifiers into %d customers; %d implausible components split (%d shared identifiers)",
            details["n_identifiers"], details["n_customers"], details["n_components_split"],
            details["n_shared_identifiers"],
        )
    return result[0]


def split_sessions(config: Config) -> StepResult:
    """Sessions per customer and channel, by the channel's inactivity timeout."""
    details: dict[str, Any] = {}
    with _timed("split_sessions", details) as result, open_warehouse(config) as wh:
        details |= split_into_sessions(wh, config.sessions)
    return result[0]


def build_journeys(config: Config) -> StepResult:
    """Journeys (cases) across channels, their steps after label hygiene, and the events,
    sessions and journeys outputs."""
    goals = config.journeys.goal_activities
    details: dict[str, Any] = {}
    with _timed("build_journeys", details) as result, open_warehouse(config) as wh:
        group_into_journeys(wh, config.journeys)
        details["labels"] = build_steps(wh, config.labels, goals).to_dict()
        wh.build("journeys.transitions", "journeys/int_journey_transitions")
        details["n_events"] = wh.build("marts.events", "marts/events")
        details["n_sessions"] = wh.build("marts.sessions", "marts/sessions")
        details["n_journeys"] = build_journeys_mart(
            wh, goals, config.journeys.window_days, labels=config.labels
        )
        details["outcomes"] = dict(wh.rows("SELECT outcome, count(*) FROM marts.journeys GROUP BY outcome ORDER BY outcome"))
    return result[0]


def mine_journeys(config: Config) -> StepResult:
    """Variants, the journey graph (networkx), drop-offs, customers, friction findings and their
    drivers, conformance to the designed journey map, the funnel and the paths around
    drop-offs, the emotion curve, the changes since the previous run, and the discovered
    process model (BPMN, PNML)."""
    details: dict[str, Any] = {}
    with _timed("mine_journeys", details) as result, open_warehouse(config) as wh:
        details |= build_process_marts(wh)
        details["n_customers"] = wh.build("marts.customers", "marts/customers")
        build_journey_attributes(wh)
        details["n_findings"] = find_friction(wh, config.friction)
        details["n_drivers"] = find_drivers(wh, config.drivers)
        journey_map = label_journey_map(wh, config.journey_map, config.labels)
        details["conformance"] = check_conformance(wh, journey_map, n_examples=config.friction.n_examples).to_dict()
        details["funnel"] = build_run_funnel(wh, config, journey_map)
        paths = config.funnel.dropoff_paths
        details["n_dropoff_paths"] = build_dropoff_paths(
            wh, n_points=paths.n_points, n_paths=paths.n_paths, path_length=paths.path_length,
            n_examples=paths.n_examples,
        )
        details["n_emotion_points"] = build_emotion_curve(
            wh, journey_map.stages, min_events=config.emotion.min_events,
            negative_sentiment_threshold=config.friction.negative_sentiment_threshold, low_csat=config.friction.low_csat,
        )
        details["previous_run_id"] = previous_run_id(config.output_dir)
        details["n_changes"] = compare_with_previous(wh, config.output_dir, config.changes)
        details["process_model"] = discover_model(wh, config.mining, config.output_dir).to_dict()
    return result[0]


def build_run_funnel(wh: Warehouse, config: Config, journey_map: JourneyMapConfig) -> dict[str, Any]:
    """marts.funnel over the stages `funnel.choose_stages` picks (funnel.stages, or the journey
    map's up to its goal stage); an empty funnel when there are not two. Returns what the
    manifest says of it."""
    stages = choose_stages(
        journey_map, label_activities(wh, config.funnel.stages, config.labels),
        label_activities(wh, config.journeys.goal_activities, config.labels),
    )
    if len(stages) < 2:
        create_empty_funnel(wh)
        log.info("funnel: fewer than two stages (journey_map or funnel.stages); the funnel output is empty")
        return {"stages": [stage.name for stage in stages], "n_rows": 0}
    n_rows = build_funnel(wh, stages, config.funnel)
    return {"stages": [stage.name for stage in stages], "ordering": config.funnel.ordering,
            "window_hours": config.funnel.window_hours, "n_rows": n_rows}


def publish_outputs(config: Config, run: Run, steps: list[StepResult]) -> dict[str, Any]:
    """Write the Parquet outputs, the XES / OCEL exports, analytics.duckdb, the run manifest
    and friction_report.html; return the manifest."""
    started = time.perf_counter()
    with open_warehouse(config) as wh:
        counts = write_outputs(wh, config.output_dir)
        if config.exports.xes:
            counts["xes_events"] = export_xes(wh, config.output_dir / XES_FILE)
        if config.exports.ocel:
            ocel = export_ocel(wh, config.output_dir / OCEL_FILE)
            counts |= {"ocel_events": ocel["events"], "ocel_objects": ocel["objects"]}
        done = [asdict(s) for s in steps]
        done.append({"step": "publish_outputs", "seconds": round(time.perf_counter() - started, 3), "details": {}})
        manifest = build_manifest(config, run.run_id, run.started_at, done, counts, alerts=alerts(wh))
        publish_manifest(wh, manifest, config.output_dir)
        write_run_report(wh, manifest, config.output_dir)
    log.info("run %s: outputs written to %s", run.run_id, config.output_dir)
    return manifest


def run_in_process(config: Config) -> dict[str, Any]:
    """The steps of the Prefect flow (pipelines/journeymine_flow.py), one after another in this
    process, without Prefect: for tests, benchmarks and notebooks. Returns the run manifest."""
    run = start_run(config)
    steps = [load_source(config, name, run) for name in config.source_names]
    steps += [stitch(config), split_sessions(config), build_journeys(config), mine_journeys(config)]
    return publish_outputs(config, run, steps)
