"""Publish: write the outputs as Parquet, the analysts' DuckDB, and the run manifest into a
folder (a run's folder under `output_dir/runs/`, which `journeymine.outputs.runs` publishes in
one atomic step; the output folder itself for `journeymine mine`).

Files are written beside their final name and moved into place. `analytics.duckdb` holds one
table per output, copied from its Parquet file, and `run` (this run's manifest): tables, not
views, because DuckDB resolves a view's relative path against the reader's working folder,
never against the database file, and an absolute path would tie the file to one place. So the
file works wherever its folder is moved or copied, reads no other folder's files, and a
connection held open keeps reading its own run. No output holds a raw identifier: rejects are
published without their raw row.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from journeymine import __version__
from journeymine.config import Config
from journeymine.db import Warehouse, model_sql, quote_ident
from journeymine.errors import JourneymineError
from journeymine.outputs.analyst import create_published_macros
from journeymine.outputs.export import OCEL_FILE, XES_FILE
from journeymine.schema import OUTPUT_COLUMNS, REPORT_FILE

# Each output and the query that produces it from the working database.
OUTPUT_QUERIES: dict[str, str] = {
    # millions of wide rows: never a table of its own, read once into the Parquet file
    "events": model_sql("marts/events"),
    "sessions": "SELECT * FROM marts.sessions",
    "journeys": (
        "SELECT * EXCLUDE (journey_key, touchpoint_path, activity_code_path) FROM marts.journeys "
        "ORDER BY started_at, journey_id"
    ),
    "variants": "SELECT * FROM marts.variants",
    "journey_graph_nodes": "SELECT * FROM marts.journey_graph_nodes",
    "journey_graph_edges": "SELECT * FROM marts.journey_graph_edges",
    "dropoffs": "SELECT * FROM marts.dropoffs",
    "friction": "SELECT * FROM marts.friction",
    "friction_drivers": "SELECT * FROM marts.friction_drivers",
    "funnel": "SELECT * FROM marts.funnel",
    "friction_trend": "SELECT * FROM marts.friction_trend",
    "funnel_trend": "SELECT * FROM marts.funnel_trend",
    "dropoff_paths": "SELECT * FROM marts.dropoff_paths",
    "emotion_curve": "SELECT * FROM marts.emotion_curve",
    "changes": "SELECT * FROM marts.changes ORDER BY is_alert DESC, alert_rank, kind, subject",
    # every published run's merges, splits and re-keyed customers (journeymine.identity.audit)
    "identity_changes": (
        "SELECT * FROM marts.identity_changes ORDER BY run_id, kind, previous_customer_ids, customer_ids"
    ),
    "journey_attributes": "SELECT * FROM journeys.journey_attributes",
    "customers": "SELECT * FROM marts.customers",
    "conformance": "SELECT * FROM marts.conformance",
    "conformance_deviations": "SELECT * FROM marts.conformance_deviations",
    "log_rejects": "SELECT * FROM journeys.log_rejects ORDER BY row_number",
    "rejects": (
        "SELECT rejects.source, files.file_name, rejects.file_line, rejects.event_id, rejects.reason "
        "FROM staged.rejects AS rejects JOIN meta.loaded_files AS files USING (file_id) "
        "ORDER BY rejects.source, files.file_name, rejects.file_line"
    ),
}
# What a full run publishes, and what `journeymine mine` publishes for a plain event log.
RUN_OUTPUTS: tuple[str, ...] = (
    "events", "sessions", "journeys", "variants", "journey_graph_nodes", "journey_graph_edges",
    "dropoffs", "friction", "friction_drivers", "friction_trend", "funnel", "funnel_trend", "dropoff_paths",
    "emotion_curve", "changes", "identity_changes",
    "journey_attributes", "customers", "conformance", "conformance_deviations", "rejects",
)
MINE_OUTPUTS: tuple[str, ...] = (
    "journeys", "variants", "journey_graph_nodes", "journey_graph_edges", "dropoffs", "log_rejects",
)
MANIFEST_QUERY = "SELECT * FROM meta.runs ORDER BY started_at, run_id"
ANALYTICS_FILE, MANIFEST_FILE = "analytics.duckdb", "run_manifest.json"
ANALYTICS_STORAGE_VERSION = "v1.5.0"
# a run's files but analytics.duckdb: the names `runs.adopt_loose_files` takes in at the top of output_dir
RUN_FILES: tuple[str, ...] = (
    *(f"{name}.parquet" for name in (*RUN_OUTPUTS, "run_manifest")), MANIFEST_FILE, REPORT_FILE,
    "process_model.bpmn", "process_model.pnml", XES_FILE, OCEL_FILE,
)
# `run` in analytics.duckdb: this run's manifest, so a reader can tell which run it reads
RUN_TABLE_SQL = """
    CREATE TABLE published.run AS
    SELECT manifest->>'run_id' AS run_id, (manifest->>'started_at')::TIMESTAMPTZ AS started_at,
           (manifest->>'finished_at')::TIMESTAMPTZ AS finished_at, manifest->>'previous_run_id' AS previous_run_id,
           manifest
    FROM (SELECT content::JSON AS manifest FROM read_text($path))
"""


def create_runs_table(wh: Warehouse) -> None:
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS meta.runs (
            run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, status VARCHAR,
            config_path VARCHAR, output_dir VARCHAR, inputs JSON, n_read BIGINT, n_accepted BIGINT,
            n_rejected BIGINT, is_reconciled BOOLEAN, stitching JSON, counts JSON, timings JSON,
            versions JSON, previous_run_id VARCHAR, alerts JSON
        )
        """
    )
    # a working database of an older journeymine: the run history's columns added since
    for column, kind in (("previous_run_id", "VARCHAR"), ("alerts", "JSON")):
        wh.execute(f"ALTER TABLE meta.runs ADD COLUMN IF NOT EXISTS {column} {kind}")


def write_outputs(wh: Warehouse, output_dir: Path, names: Sequence[str] | None = None) -> dict[str, int]:
    """Write the outputs `names` (default: a full run's, but the manifest) as Parquet; return
    the row count of each."""
    output_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in names or RUN_OUTPUTS:
        counts[name] = _write_parquet(wh, name, OUTPUT_QUERIES[name], output_dir)
    return counts


def record_run(wh: Warehouse, manifest: dict[str, Any]) -> None:
    """Append this run's manifest row to meta.runs."""
    create_runs_table(wh)
    wh.execute("DELETE FROM meta.runs WHERE run_id = $run_id", manifest)
    wh.execute(
        """
        INSERT INTO meta.runs (
            run_id, started_at, finished_at, status, config_path, output_dir, inputs, n_read, n_accepted,
            n_rejected, is_reconciled, stitching, counts, timings, versions, previous_run_id, alerts
        ) VALUES (
            $run_id, $started_at, $finished_at, $status, $config_path, $output_dir, $inputs, $n_read,
            $n_accepted, $n_rejected, $is_reconciled, $stitching, $counts, $timings, $versions,
            $previous_run_id, $alerts
        )
        """,
        {key: json.dumps(value) if isinstance(value, (dict, list)) else value for key, value in manifest.items()},
    )


def publish_manifest(wh: Warehouse, manifest: dict[str, Any], output_dir: Path) -> None:
    """Write run_manifest.parquet (all runs so far and this one), run_manifest.json (this run) and
    analytics.duckdb into `output_dir`. The run joins meta.runs only in run_manifest.parquet:
    `record_run` keeps it once it is published."""
    wh.execute("BEGIN TRANSACTION")
    try:
        record_run(wh, manifest)
        _write_parquet(wh, "run_manifest", MANIFEST_QUERY, output_dir)
    finally:
        wh.execute("ROLLBACK")
    write_manifest_json(manifest, output_dir)
    write_analytics_db(output_dir, [*RUN_OUTPUTS, "run_manifest"], wh)


def write_manifest_json(manifest: dict[str, Any], output_dir: Path) -> Path:
    """run_manifest.json: this run's manifest, written atomically."""
    path = output_dir / MANIFEST_FILE
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temp, path)
    return path


def write_analytics_db(output_dir: Path, outputs: Sequence[str], wh: Warehouse | None = None) -> Path:
    """analytics.duckdb in `output_dir`: one table per output, copied from its Parquet file there,
    and `run`, the manifest of run_manifest.json when there is one. Written through `wh` (the
    run's memory limit and threads), else through an in-memory warehouse of its own."""
    target = output_dir / ANALYTICS_FILE
    temp = output_dir / f".{ANALYTICS_FILE}.tmp"
    for stale in (temp, temp.with_name(f"{temp.name}.wal")):
        stale.unlink(missing_ok=True)
    own = wh is None
    con = Warehouse(":memory:") if wh is None else wh
    try:
        # the storage format of DuckDB 1.5, so that DuckDB clients from 1.5 on (the duckdb-cli on
        # PyPI is 1.5.6, BI tools' drivers lag behind) open the file, not only duckdb 2.x
        con.execute(f"ATTACH $path AS published (STORAGE_VERSION '{ANALYTICS_STORAGE_VERSION}')", {"path": str(temp)})
        try:
            for name in outputs:
                con.execute(f"CREATE TABLE published.{quote_ident(name)} AS SELECT * FROM read_parquet($path)",
                            {"path": str(output_dir / f"{name}.parquet")})
            if (output_dir / MANIFEST_FILE).is_file():
                con.execute(RUN_TABLE_SQL, {"path": str(output_dir / MANIFEST_FILE)})
            create_published_macros(con)  # paths_from, next_steps, customer_timeline, … (sql/published)
        finally:
            con.execute("DETACH published")  # checkpoints: the file is whole, without a .wal
    finally:
        if own:
            con.close()
    os.replace(temp, target)
    return target


def build_manifest(config: Config, run_id: str, started_at: str, steps: list[dict[str, Any]],
                   output_counts: dict[str, int], status: str = "succeeded",
                   alerts: Sequence[str] = ()) -> dict[str, Any]:
    """The run manifest: inputs and their reconciliation, rejects, stitching, counts, timings,
    versions, and the alerts of the changes since the previous run."""
    inputs = [s["details"] for s in steps if s["step"].startswith("load_source:")]
    stitching = next((s["details"] for s in steps if s["step"] == "stitch"), {})
    journeys = next((s["details"] for s in steps if s["step"] == "build_journeys"), {})
    mining = next((s["details"] for s in steps if s["step"] == "mine_journeys"), {})
    n_read = sum(i["n_read"] for i in inputs)
    n_accepted = sum(i["n_accepted"] for i in inputs)
    n_rejected = sum(i["n_rejected"] for i in inputs)
    return {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(),
        "status": status,
        "config_path": str(config.path) if config.path else None,
        "output_dir": str(config.output_dir),
        "inputs": inputs,
        "n_read": n_read,
        "n_accepted": n_accepted,
        "n_rejected": n_rejected,
        "is_reconciled": all(i["n_read"] == i["n_accepted"] + i["n_rejected"] for i in inputs),
        "stitching": stitching,
        "labels": journeys.get("labels", {}),
        "process_model": mining.get("process_model", {}),
        "conformance": mining.get("conformance", {}),
        "funnel": mining.get("funnel", {}),
        "previous_run_id": mining.get("previous_run_id"),
        "alerts": list(alerts),
        "counts": output_counts,
        "timings": {s["step"]: s["seconds"] for s in steps},
        "versions": package_versions(),
    }


def package_versions() -> dict[str, str]:
    """Versions of journeymine, Python and the libraries that shape results."""
    versions = {"journeymine": __version__, "python": platform.python_version()}
    for package in ("duckdb", "pandas", "pyarrow", "networkx", "pm4py", "prefect"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _write_parquet(wh: Warehouse, name: str, query: str, output_dir: Path) -> int:
    target = output_dir / f"{name}.parquet"
    temp = output_dir / f".{name}.parquet.tmp"
    wh.execute(f"COPY ({query}) TO $path (FORMAT parquet, COMPRESSION zstd)", {"path": str(temp)})
    os.replace(temp, target)
    _check_contract(wh, name, target)
    # the row count is in the file's metadata: no need to run the query again
    return int(wh.scalar("SELECT sum(num_rows) FROM parquet_file_metadata($path)", {"path": str(target)}))


def _check_contract(wh: Warehouse, name: str, path: Path) -> None:
    """An output missing a contract column is a bug in journeymine, not in the input: fail loudly."""
    required = OUTPUT_COLUMNS.get(name, ())
    present = {r[0] for r in wh.rows("SELECT name FROM parquet_schema($path)", {"path": str(path)})}
    missing = [c for c in required if c not in present]
    if missing:
        raise JourneymineError(f"output {name} lacks contract column(s) {', '.join(missing)}")
