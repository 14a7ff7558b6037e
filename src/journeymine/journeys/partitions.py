"""Journeys by partition: the journeys layer built on parts of the customers, where they lie.

A customer's sessions, journeys and steps depend only on that customer's events. After
stitching, the events are split by a hash of customer_id into partitions (Parquet files);
each partition is built on its own (`run_partition`: an in-memory DuckDB, the same
`build_partition` a single-process run calls on its own warehouse), in this process one after
another or as Prefect tasks on a Dask cluster; the partitions' tables are then put together
(`merge_partitions`). Labels and touchpoint codes are decided once, before the split, so every
partition names and codes its steps alike; journey keys are unique by construction; event_seq
was given at stitching. The merged tables therefore hold exactly the rows one warehouse would
have built, and everything after them (variants, the graph, friction, …) runs on them as usual.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from journeymine.config import JourneyConfig, SessionConfig
from journeymine.db import Warehouse
from journeymine.journeys.journeys import place_in_journeys
from journeymine.journeys.labels import build_step_codes

# the tables a partition builds and hands back
PARTITION_TABLES = ("events_in_journeys", "step_codes")
# the salt of journey keys a plain log would hash (a run's keys are unique by construction)
KEY_SALT = "journeymine-0"


@dataclass(frozen=True)
class PartitionJob:
    """One partition's work: its folder (the events in, the tables out) and the settings that
    build journeys. Plain values only, so it travels to a Dask worker."""

    folder: str
    touchpoints_file: str
    sessions: SessionConfig
    journeys: JourneyConfig
    collapse_repeats: bool
    memory_limit: str | None = None
    threads: int | None = None


def build_partition(wh: Warehouse, sessions: SessionConfig, journeys: JourneyConfig, *,
                    collapse_repeats: bool) -> dict[str, int]:
    """journeys.events_in_journeys and journeys.step_codes from stitched.events and
    journeys.activity_touchpoints (decided for all partitions); returns the counts."""
    counts = place_in_journeys(wh, sessions, journeys)
    build_step_codes(wh, KEY_SALT, collapse_repeats=collapse_repeats)
    return counts


def split_into_partitions(wh: Warehouse, root: Path, n_partitions: int, *, sessions: SessionConfig,
                          journeys: JourneyConfig, collapse_repeats: bool, memory_limit: str | None = None,
                          threads: int | None = None) -> list[PartitionJob]:
    """Write stitched.events into `n_partitions` folders under `root`, by a hash of customer_id,
    and the shared touchpoint codes beside them; returns one job per non-empty partition."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    wh.execute(
        "COPY (SELECT *, hash(customer_id) % $n AS partition FROM stitched.events) "
        "TO $root (FORMAT parquet, PARTITION_BY (partition))",
        {"n": n_partitions, "root": str(root / "events")},
    )
    touchpoints = root / "activity_touchpoints.parquet"
    wh.execute("COPY journeys.activity_touchpoints TO $path (FORMAT parquet)", {"path": str(touchpoints)})
    return [
        PartitionJob(str(folder), str(touchpoints), sessions, journeys, collapse_repeats, memory_limit, threads)
        for folder in sorted((root / "events").glob("partition=*"))
    ]


def run_partition(job: PartitionJob) -> dict[str, int]:
    """Build one partition's journeys in an in-memory warehouse and write its tables as Parquet
    into its folder; returns its counts. Runs wherever the folder can be read (a Dask worker)."""
    folder = Path(job.folder)
    with Warehouse(":memory:", memory_limit=job.memory_limit, threads=job.threads) as wh:
        wh.execute("CREATE TABLE stitched.events AS SELECT * EXCLUDE (partition) FROM read_parquet($files)",
                   {"files": [str(p) for p in sorted(folder.glob("*.parquet"))]})
        wh.execute("CREATE TABLE journeys.activity_touchpoints AS SELECT * FROM read_parquet($path)",
                   {"path": job.touchpoints_file})
        counts = build_partition(wh, job.sessions, job.journeys, collapse_repeats=job.collapse_repeats)
        out = folder / "built"
        out.mkdir(exist_ok=True)
        for table in PARTITION_TABLES:
            wh.execute(f"COPY journeys.{table} TO $path (FORMAT parquet)", {"path": str(out / f"{table}.parquet")})
    return counts


def merge_partitions(wh: Warehouse, jobs: list[PartitionJob]) -> None:
    """The partitions' tables, put together into the warehouse's journeys layer."""
    for table in PARTITION_TABLES:
        files = [str(Path(job.folder) / "built" / f"{table}.parquet") for job in jobs]
        wh.execute(f"CREATE OR REPLACE TABLE journeys.{table} AS SELECT * FROM read_parquet($files)", {"files": files})
