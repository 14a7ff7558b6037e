"""The nightly journeymine flow: load each source, stitch, sessionize, build journeys, mine, publish.

Every task is a thin wrapper of a step in `journeymine.pipeline`; file reads get retries,
because a nightly export may still be landing when the run starts.

Serve it nightly with:  python -m pipelines.journeymine_flow --serve --config journeymine.yaml
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from journeymine import pipeline
from journeymine.config import Config, load_config


@task(cache_policy=NONE)
def start_run(config: Config) -> pipeline.Run:
    return pipeline.start_run(config)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=30, task_run_name="load_source-{source_name}")
def load_source(config: Config, source_name: str, run: pipeline.Run) -> pipeline.StepResult:
    return pipeline.load_source(config, source_name, run)


@task(cache_policy=NONE)
def stitch(config: Config) -> pipeline.StepResult:
    return pipeline.stitch(config)


@task(cache_policy=NONE)
def sessionize(config: Config) -> pipeline.StepResult:
    return pipeline.split_sessions(config)


@task(cache_policy=NONE)
def build_journeys(config: Config) -> pipeline.StepResult:
    return pipeline.build_journeys(config)


@task(cache_policy=NONE)
def mine(config: Config) -> pipeline.StepResult:
    return pipeline.mine_journeys(config)


@task(cache_policy=NONE)
def publish(config: Config, run: pipeline.Run, steps: list[pipeline.StepResult]) -> dict[str, Any]:
    return pipeline.publish_outputs(config, run, steps)


@flow(name="journeymine", log_prints=True)
def journeymine_flow(config_path: str) -> dict[str, Any]:
    """Run journeymine on the sources of the config file at `config_path`; return the run manifest."""
    config = load_config(config_path)
    run = start_run(config)
    # sources load one after another: they share one DuckDB file, and DuckDB parallelises each load
    steps = [load_source(config, name, run) for name in config.source_names]
    steps.append(stitch(config))
    steps.append(sessionize(config))
    steps.append(build_journeys(config))
    steps.append(mine(config))
    return publish(config, run, steps)


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
