"""`journeymine mine LOG --out DIR`: the mining outputs of a full run, for any event log.

Each case of the log is one journey. The log is read into an in-memory DuckDB (spilling to
`DIR/.spill` past the memory limit), mined by the same SQL models as a full run (see
`journeymine.journeys` and `journeymine.mining`), and published as Parquet with `analytics.duckdb` and
`run_manifest.json`. Label hygiene is off unless asked for, so the counts equal pm4py's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeymine.config import LabelConfig, MiningConfig
from journeymine.db import Warehouse
from journeymine.journeys.journeys import build_journeys_mart
from journeymine.journeys.labels import NO_LABEL_HYGIENE, build_steps
from journeymine.mining.eventlog import LogSpec, load_event_log
from journeymine.mining.variants import build_process_marts, discover_model
from journeymine.outputs.publish import (
    MINE_OUTPUTS, package_versions, write_analytics_db, write_manifest_json, write_outputs,
)
from journeymine.outputs.report.data import write_run_report
from journeymine.schema import REPORT_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MineOptions:
    """How to mine: goals (for outcomes), label hygiene, the process model, DuckDB's resources."""

    goal_activities: tuple[str, ...] = ()
    labels: LabelConfig = field(default_factory=lambda: NO_LABEL_HYGIENE)
    model: MiningConfig | None = field(default_factory=MiningConfig)  # None: no process model
    memory_limit: str | None = None
    threads: int | None = None


def mine_event_log(
    spec: LogSpec, out_dir: Path, options: MineOptions = MineOptions(),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Read, check and mine the log at `spec.path`; write the outputs to `out_dir`.

    Returns the manifest (also written as run_manifest.json): input counts, rejects, output
    row counts and per-step timings. `progress` is called with a line per finished step.
    """
    started_at = datetime.now(UTC)
    timings: dict[str, float] = {}
    details: dict[str, Any] = {}
    say = progress or (lambda line: None)
    out_dir.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def step(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        timings[name] = round(time.perf_counter() - began, 3)
        say(f"  {name:<16} {timings[name]:7.2f} s")

    wh = Warehouse(":memory:", memory_limit=options.memory_limit, threads=options.threads)
    try:
        wh.execute("SET temp_directory = $dir", {"dir": str(out_dir / ".spill")})
        with step("read_log"):
            loaded = load_event_log(wh, spec)
        say(
            f"  read {loaded.n_read:,} rows: {loaded.n_kept:,} events kept, {loaded.n_rejected:,} rejected; "
            f"{loaded.n_cases:,} cases, {loaded.n_activities:,} activities"
        )
        with step("mine"):
            details["labels"] = build_steps(
                wh, options.labels, options.goal_activities, one_session_per_journey=True
            ).to_dict()
            details["n_journeys"] = build_journeys_mart(
                wh, options.goal_activities, window_days=1, labels=options.labels, all_cases_ended=True
            )
            details |= build_process_marts(wh)
        if options.model is not None:
            with step("process_model"):
                details["process_model"] = discover_model(wh, options.model, out_dir).to_dict()
        with step("write_outputs"):
            counts = write_outputs(wh, out_dir, MINE_OUTPUTS)
        manifest = {
            "run_id": started_at.strftime("mine-%Y%m%dT%H%M%SZ"),
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "status": "succeeded",
            "command": "mine",
            "log": {
                "path": str(spec.path), "case": spec.case, "activity": spec.activity, "timestamp": spec.timestamp,
                "channel": spec.channel, "format": spec.format, "time_format": spec.time_format,
            },
            "inputs": [loaded.to_dict()],
            "n_read": loaded.n_read,
            "n_accepted": loaded.n_kept,
            "n_rejected": loaded.n_rejected,
            "is_reconciled": loaded.n_read == loaded.n_kept + loaded.n_rejected,
            "mining": details,
            "counts": counts,
            "timings": timings,
            "versions": package_versions(),
        }
        with step("write_report"):
            write_run_report(wh, manifest, out_dir)
    finally:
        wh.close()
    write_manifest_json(manifest, out_dir)
    write_analytics_db(out_dir, list(MINE_OUTPUTS))
    return manifest


def summarize_mine(manifest: dict[str, Any], out_dir: Path) -> str:
    """A short summary of a mined log: counts and where the outputs are."""
    counts = manifest["counts"]
    lines = [
        f"journeymine mine {manifest['log']['path']}: outputs in {out_dir}",
        f"  {manifest['n_read']:,} rows read = {manifest['n_accepted']:,} events + {manifest['n_rejected']:,} rejected",
        f"  {counts['journeys']:,} cases, {counts['variants']:,} variants, {counts['journey_graph_nodes']:,} "
        f"touchpoints (channel, activity), {counts['journey_graph_edges']:,} directly-follows edges",
        f"  mining took {manifest['timings']['mine']:.2f} s (reading {manifest['timings']['read_log']:.2f} s, "
        f"writing {manifest['timings']['write_outputs']:.2f} s)",
    ]
    model = manifest["mining"].get("process_model")
    if model and model.get("bpmn_path"):
        lines.append(
            f"  process model ({manifest['timings']['process_model']:.2f} s): {model['n_variants_used']:,} of "
            f"{model['n_variants_total']:,} variants, covering {model['share_covered']:.0%} of cases "
            "→ process_model.bpmn, process_model.pnml"
        )
    lines.append(f"  report: {out_dir / REPORT_FILE}")
    return "\n".join(lines)

