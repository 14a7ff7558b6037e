"""The steps of a run, as plain functions over the run's warehouse and its `Config`.

A run opens the working database once (`open_warehouse`) and every step uses that
connection: it reads the layer above and writes the layer below, and returns a `StepResult`
(what it did, how long it took). The layers a run rebuilds (stitched, journeys, marts) live
in memory for the run's length; what it keeps (staged, meta) is in the file. The Prefect flow
in `pipelines/` only wires these together; nothing here imports Prefect.

    start_run → load_source (per source) → stitch → build_journeys → mine_journeys
              → publish_outputs
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeymine.config import Config, JourneyMapConfig
from journeymine.db import Warehouse, model_sql
from journeymine.identity.audit import build_identity_history, keep_identity
from journeymine.identity.stitch import stitch_identities
from journeymine.insights.attributes import build_journey_attributes
from journeymine.insights.changes import alerts, compare_with_previous, previous_run_id
from journeymine.insights.drivers import find_drivers
from journeymine.insights.emotion import build_emotion_curve
from journeymine.insights.friction import find_friction
from journeymine.insights.funnel import build_dropoff_paths, build_funnel, choose_stages, create_empty_funnel
from journeymine.journeys.journeys import build_journeys_mart
from journeymine.journeys.labels import (
    build_journey_keys, finish_steps, label_activities, label_journey_map, prepare_labels,
)
from journeymine.journeys.partitions import (
    PartitionJob, build_partition, merge_partitions, run_partition, split_into_partitions,
)
from journeymine.journeys.vocabulary import check_configured_activities
from journeymine.load.source import check_thresholds, forget_other_sources, prepare_working_database
from journeymine.load.source import load_source as load_one_source
from journeymine.mining.conformance import check_conformance
from journeymine.mining.variants import build_process_marts, discover_model
from journeymine.outputs.export import export_run
from journeymine.outputs.publish import RUN_FILES, build_manifest, publish_manifest, record_run, write_outputs
from journeymine.outputs.runs import partial_folder, run_folder
from journeymine.outputs.report.data import write_run_report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    """Identity of one run, when the last published run finished, and that run's high-water
    mark: the newest event time of the files it had loaded (both None before a first publish),
    against which the events read since are late or not."""

    run_id: str
    started_at: str
    high_water_at: datetime | None = None
    published_at: datetime | None = None


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


def start_run(wh: Warehouse, config: Config) -> Run:
    """Create the run id; prepare the working database (the staged layer is kept between runs,
    but for sources no longer in the config)."""
    now = datetime.now(UTC)
    prepare_working_database(wh)
    forget_other_sources(wh, config.source_names)
    # files a run loaded and then failed on count as read since the last publish, not before it
    published_at = wh.scalar("SELECT max(finished_at) FROM meta.runs") if wh.table_exists("meta", "runs") else None
    high_water_at = None if published_at is None else wh.scalar(
        "SELECT max(events.occurred_at) FROM staged.events AS events JOIN meta.loaded_files AS files USING (file_id) "
        "WHERE files.loaded_at <= $published_at", {"published_at": published_at},
    )
    run = Run(run_id=now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3), started_at=now.isoformat(),
              high_water_at=high_water_at, published_at=published_at)
    log.info("run %s: %d sources, working database %s", run.run_id, len(config.sources), config.database)
    return run


def load_source(wh: Warehouse, config: Config, source_name: str, run: Run) -> StepResult:
    """Read and stage the source's new files; count all its rows (read = accepted + rejected)."""
    source = config.source(source_name)
    details: dict[str, Any] = {"source": source.name, "preset": source.preset}
    with _timed(f"load_source:{source.name}", details) as result:
        loaded = load_one_source(wh, source, config.identity, run_id=run.run_id)
        counts = loaded.counts
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
            # values dropped from accepted rows (not a number, out of range, unknown code), by reason
            "n_warnings": counts.n_warnings,
            "warnings_by_reason": counts.warnings_by_reason,
            "quarantined": [{"file": q.file_name, "reason": q.reason} for q in loaded.quarantined],
        }
        # a source staged again (its settings changed) is read again, not late
        details |= count_late_events(wh, source.name, run, config.late_lookback_days, restaged=loaded.restaged)
        log.info(
            "source %s: %d files (%d new), %d rows read = %d accepted + %d rejected; %d values dropped with a warning",
            source.name, len(loaded.files), loaded.n_files_loaded, counts.n_read, counts.n_accepted, counts.n_rejected,
            counts.n_warnings,
        )
        check_thresholds(wh, source, loaded)
    return result[0]


def count_late_events(wh: Warehouse, source: str, run: Run, lookback_days: int, *, restaged: bool = False
                      ) -> dict[str, Any]:
    """The source's events read since the last published run (this run's files, and a failed run's)
    that occurred before the high-water mark (late),
    and those more than `lookback_days` before it (a warning, and an alert of the run). They are
    staged and placed at their own time all the same: every run rebuilds the journeys from all
    staged events, so nothing is lost and the outputs equal a full rebuild's."""
    if restaged or run.high_water_at is None:
        n_late = n_beyond = 0
        earliest = None
    else:
        n_late, n_beyond, earliest = wh.rows(model_sql("staged/int_events_arrived_late"), {
            "source": source, "published_at": run.published_at, "high_water_at": run.high_water_at,
            "lookback_days": lookback_days,
        })[0]
    if n_beyond:
        log.warning("source %s: %d events arrived more than %d days late (the earliest from %s); they are placed "
                    "at their own time", source, n_beyond, lookback_days, earliest)
    return {"n_late_events": int(n_late), "n_late_beyond_lookback": int(n_beyond),
            "earliest_late_at": earliest.isoformat() if earliest else None, "late_lookback_days": lookback_days}


def late_alerts(steps: list[StepResult]) -> list[str]:
    """An alert per source whose events arrived later than the lookback: periods the previous
    runs reported have changed."""
    found = []
    for step in steps:
        d = step.details
        if step.step.startswith("load_source:") and d.get("n_late_beyond_lookback"):
            found.append(
                f"late data: {d['n_late_beyond_lookback']:,} {d['source']} events arrived more than "
                f"{d['late_lookback_days']} days late (the earliest from {d['earliest_late_at'][:10]}); they are "
                "placed at their own time, so periods already reported have changed"
            )
    return found


def stitch(wh: Warehouse, config: Config) -> StepResult:
    """Identity graph → one customer_id per person → stitched.events."""
    details: dict[str, Any] = {}
    with _timed("stitch", details) as result:
        details |= asdict(stitch_identities(wh, config.identity, config.source_names))
        log.info(
            "stitched %d identifiers into %d customers; %d implausible components split (%d shared identifiers)",
            details["n_identifiers"], details["n_customers"], details["n_components_split"],
            details["n_shared_identifiers"],
        )
    return result[0]


def build_journeys(wh: Warehouse, config: Config, n_partitions: int | None = None) -> StepResult:
    """Sessions and journeys (cases) across channels, their steps after label hygiene, and the
    sessions and journeys marts (the events output is read from the journeys when published).

    With more than one partition (`n_partitions`, else the config's `partitions`) the customers
    are split by a hash of customer_id and each part is built on its own, one after another
    here; the Prefect flow can run the parts on Dask instead (prepare_journeys, run_partition
    on each job, finish_journeys)."""
    started = time.perf_counter()
    jobs = prepare_journeys(wh, config, n_partitions)
    counts = [run_partition(job) for job in jobs]
    return finish_journeys(wh, config, jobs, counts, started=started)


def prepare_journeys(wh: Warehouse, config: Config, n_partitions: int | None = None) -> list[PartitionJob]:
    """Label hygiene for all events, then, with more than one partition, the split: one job per
    partition (none when the journeys are built in this warehouse)."""
    rare = prepare_labels(wh, config.labels, config.journeys.goal_activities, events_table="stitched.events")
    check_configured_activities(wh, config)  # a goal or stage that matches nothing stops the run here
    wh.execute("CREATE OR REPLACE TABLE journeys.rare_labels AS SELECT unnest($rare::VARCHAR[]) AS label",
               {"rare": list(rare)})
    n = n_partitions or config.partitions
    if n <= 1:
        return []
    return split_into_partitions(
        wh, config.database.with_suffix(".partitions"), n, sessions=config.sessions, journeys=config.journeys,
        collapse_repeats=config.labels.collapse_repeats, memory_limit=config.memory_limit, threads=config.threads,
    )


def finish_journeys(wh: Warehouse, config: Config, jobs: list[PartitionJob], counts: list[dict[str, int]], *,
                    started: float | None = None) -> StepResult:
    """The partitions' tables put together (or the journeys built here when there are none),
    then journey keys, steps, and the sessions and journeys marts."""
    started = time.perf_counter() if started is None else started
    goals = config.journeys.goal_activities
    details: dict[str, Any] = {"n_partitions": max(len(jobs), 1)}
    if jobs:
        merge_partitions(wh, jobs)
        shutil.rmtree(config.database.with_suffix(".partitions"), ignore_errors=True)
        details |= {key: sum(c[key] for c in counts) for key in ("n_events", "n_sessions", "n_journeys")}
    else:
        details |= build_partition(wh, config.sessions, config.journeys, collapse_repeats=config.labels.collapse_repeats)
    # every stitched event is in journeys.events_in_journeys now: free the memory
    for table in ("stitched.events", "journeys.events_placed"):
        wh.execute(f"DROP TABLE IF EXISTS {table}")
    build_journey_keys(wh)
    rare = tuple(r[0] for r in wh.rows("SELECT label FROM journeys.rare_labels ORDER BY label"))
    details["labels"] = finish_steps(wh, config.labels, rare).to_dict()
    wh.build("marts.sessions", "marts/sessions")
    build_journeys_mart(wh, goals, config.journeys.window_days, labels=config.labels)
    details["outcomes"] = dict(wh.rows("SELECT outcome, count(*) FROM marts.journeys GROUP BY outcome ORDER BY outcome"))
    result = StepResult("build_journeys", round(time.perf_counter() - started, 3), details)
    log.info("build_journeys done in %.1f s", result.seconds)
    return result


def mine_journeys(wh: Warehouse, config: Config, run: Run) -> StepResult:
    """Variants, the journey graph (networkx), drop-offs, customers, friction findings and their
    drivers, conformance to the designed journey map, the funnel and the paths around
    drop-offs, the emotion curve, the changes since the previous run, and the discovered
    process model (BPMN, PNML), written into the run's folder (published by publish_outputs)."""
    details: dict[str, Any] = {}
    with _timed("mine_journeys", details) as result:
        details |= build_process_marts(wh)
        details["n_customer_rows"] = wh.build("marts.customers", "marts/customers")  # shared ids and CRM-only too
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
        details["process_model"] = discover_run_model(wh, config, run)
    return result[0]


def discover_run_model(wh: Warehouse, config: Config, run: Run) -> dict[str, Any]:
    """The process model, written into the run's unpublished folder, never under a published
    name (a reader would take it for the published run's, and a run killed before it publishes
    would leave it there). Returns what the manifest says of it, with the paths the files have
    once the run is published."""
    folder = partial_folder(config.output_dir, run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    model = discover_model(wh, config.mining, folder).to_dict()
    for key in ("bpmn_path", "pnml_path"):
        if model.get(key):
            model[key] = str(config.output_dir / Path(model[key]).name)
    return model


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


def publish_outputs(wh: Warehouse, config: Config, run: Run, steps: list[StepResult]) -> dict[str, Any]:
    """Write the Parquet outputs, the XES / OCEL exports, analytics.duckdb, the run manifest,
    friction_report.html and the process model into the run's folder (output_dir/runs/), then
    publish that folder in one atomic step (`journeymine.outputs.runs`); return the manifest."""
    started = time.perf_counter()
    # the run's folder holds the process model mine_journeys wrote already
    with run_folder(config.output_dir, run.run_id, keep_runs=config.keep_runs, loose_names=RUN_FILES) as folder:
        build_identity_history(wh, run.run_id)  # this run's merges and splits join the published history
        counts = write_outputs(wh, folder)
        if config.exports.xes or config.exports.ocel:
            counts |= export_run(folder, xes=config.exports.xes, ocel=config.exports.ocel)
        done = [asdict(s) for s in steps]
        done.append({"step": "publish_outputs", "seconds": round(time.perf_counter() - started, 3), "details": {}})
        manifest = build_manifest(config, run.run_id, run.started_at, done, counts,
                                  alerts=[*late_alerts(steps), *alerts(wh)])
        publish_manifest(wh, manifest, folder)
        write_run_report(wh, manifest, folder)
    # published: the run joins meta.runs, and its identity map is the one the next run compares with
    wh.execute("BEGIN TRANSACTION")
    try:
        record_run(wh, manifest)
        keep_identity(wh, run.run_id)
        wh.execute("COMMIT")
    except Exception:
        wh.execute("ROLLBACK")
        raise
    log.info("run %s: published in %s (runs/%s)", run.run_id, config.output_dir, run.run_id)
    return manifest


def run_in_process(config: Config) -> dict[str, Any]:
    """The steps of the Prefect flow (pipelines/journeymine_flow.py), one after another in this
    process, without Prefect: for tests, benchmarks and notebooks. Returns the run manifest."""
    with open_warehouse(config) as wh:
        run = start_run(wh, config)
        steps = [load_source(wh, config, name, run) for name in config.source_names]
        steps += [stitch(wh, config), build_journeys(wh, config), mine_journeys(wh, config, run)]
        return publish_outputs(wh, config, run, steps)
