"""The nightly journeymine flow: load each source, stitch, build sessions and journeys, mine, publish.

Every task is a thin wrapper of a step in `journeymine.pipeline`; the flow opens the run's
working database once and hands it to each task (tasks run in threads of the flow's process).
File reads get retries, because a nightly export may still be landing when the run starts.

Beyond one machine: with `workers` (a Dask LocalCluster of that many workers) or
`dask_address` (an existing cluster), the journeys step splits the customers into partitions
and builds each one as a task of the subflow `journeys_on_dask`, whose task runner is
prefect-dask's DaskTaskRunner. Workers read and write the partitions' Parquet files next to
the working database, so they need that folder (a shared file system on a real cluster).

Serve it nightly with:  python -m pipelines.journeymine_flow --serve --config journeymine.yaml
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect_dask import DaskTaskRunner

from journeymine import pipeline
from journeymine.config import Config, load_config
from journeymine.db import Warehouse
from journeymine.journeys.partitions import PartitionJob, run_partition


@task(cache_policy=NONE)
def start_run(wh: Warehouse, config: Config) -> pipeline.Run:
    return pipeline.start_run(wh, config)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=30, task_run_name="load_source-{source_name}")
def load_source(wh: Warehouse, config: Config, source_name: str, run: pipeline.Run) -> pipeline.StepResult:
    return pipeline.load_source(wh, config, source_name, run)


@task(cache_policy=NONE)
def stitch(wh: Warehouse, config: Config) -> pipeline.StepResult:
    return pipeline.stitch(wh, config)


@task(cache_policy=NONE)
def prepare_journeys(wh: Warehouse, config: Config, n_partitions: int | None) -> list[PartitionJob]:
    return pipeline.prepare_journeys(wh, config, n_partitions)


@task(cache_policy=NONE)
def finish_journeys(wh: Warehouse, config: Config, jobs: list[PartitionJob], counts: list[dict[str, int]],
                    started: float) -> pipeline.StepResult:
    return pipeline.finish_journeys(wh, config, jobs, counts, started=started)


@task(cache_policy=NONE)
def journeys_partition(job: PartitionJob) -> dict[str, int]:
    return run_partition(job)


@flow(name="journeymine-journeys-on-dask")
def journeys_on_dask(jobs: list[PartitionJob]) -> list[dict[str, int]]:
    """Build each partition's journeys as a task on the flow's task runner (a DaskTaskRunner)."""
    return [future.result() for future in journeys_partition.map(jobs)]


@task(cache_policy=NONE)
def mine(wh: Warehouse, config: Config) -> pipeline.StepResult:
    return pipeline.mine_journeys(wh, config)


@task(cache_policy=NONE)
def publish(wh: Warehouse, config: Config, run: pipeline.Run, steps: list[pipeline.StepResult]) -> dict[str, Any]:
    return pipeline.publish_outputs(wh, config, run, steps)


@flow(name="journeymine", log_prints=True)
def journeymine_flow(config_path: str, workers: int | None = None, dask_address: str | None = None) -> dict[str, Any]:
    """Run journeymine on the sources of the config file at `config_path`; return the run
    manifest. `workers`: build the journeys on a Dask LocalCluster of that many workers;
    `dask_address`: on the existing Dask cluster there (tcp://host:8786)."""
    config = load_config(config_path)
    dask, n_partitions = None, None
    if dask_address:
        dask = DaskTaskRunner(address=dask_address)
        n_partitions = max(config.partitions, 2)
    elif workers:
        dask = DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
        n_partitions = max(config.partitions, workers)
    with pipeline.open_warehouse(config) as wh:
        run = start_run(wh, config)
        # sources load one after another: they share one DuckDB connection, and DuckDB parallelises each load
        steps = [load_source(wh, config, name, run) for name in config.source_names]
        steps.append(stitch(wh, config))
        started = time.perf_counter()
        jobs = prepare_journeys(wh, config, n_partitions)
        if jobs and dask is not None:
            counts = journeys_on_dask.with_options(task_runner=dask)(jobs)
        else:
            counts = [journeys_partition(job) for job in jobs]
        steps.append(finish_journeys(wh, config, jobs, counts, started))
        steps.append(mine(wh, config))
        return publish(wh, config, run, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the journeymine flow on a nightly schedule.")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--cron", default="0 2 * * *", help="schedule (default: 02:00 every night)")
    parser.add_argument("--serve", action="store_true", help="serve the deployment (blocks)")
    args = parser.parse_args()
    if args.serve:
        journeymine_flow.serve(
            name="nightly", cron=args.cron, parameters={"config_path": str(args.config.resolve())}
        )
    else:
        journeymine_flow(str(args.config.resolve()))


if __name__ == "__main__":
    main()
