"""The nightly journeymine flow: load each source, stitch, build sessions and journeys, mine, publish.

Every task is a thin wrapper of a step in `journeymine.pipeline`; the flow opens the run's
working database once and hands it to each task (tasks run in the flow's thread).
File reads are retried, but only on an I/O error that may be gone a minute later (a nightly
export being renamed into place, a share that hiccups): an error that the same input would
raise again (a broken file, a config the data does not fit, a SQL binder error) fails the run
at once.

The flow holds the run lock of its working database (journeymine.runcontrol: a second run
stops at once) and stops on SIGTERM/SIGINT, also in the middle of a DuckDB query.
`prefect_api` gives `journeymine run` a Prefect API: the configured one, or a temporary server
that journeymine starts, records in the run lock, and stops with the run.

Beyond one machine: with `workers` (a Dask LocalCluster of that many workers) or
`dask_address` (an existing cluster), the journeys step splits the customers into partitions
and builds each one as a task of the subflow `journeys_on_dask`, whose task runner is
prefect-dask's DaskTaskRunner. Workers read and write the partitions' Parquet files next to
the working database, so they need that folder (a shared file system on a real cluster).

Serve it nightly on a Prefect server (pipelines/nightly.py):  journeymine serve --config journeymine.yaml
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import prefect
import prefect.runtime
from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.logging import get_logger
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
    temporary_settings,
)
from prefect_dask import DaskTaskRunner

from journeymine import pipeline
from journeymine.config import Config, load_config
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError, RunEnvironmentError, RunStopped
from journeymine.journeys.partitions import PartitionJob, run_partition
from journeymine.runcontrol import database_in_use, hold_run_lock, lock_path, stop_on_signals, stop_requested

log = logging.getLogger("journeymine.flow")
# outside a flow run (the temporary server): a logger the Prefect API handler does not serve
server_log = get_logger("journeymine")

# The temporary server gets this long to answer (Prefect's own default is 20 s, which a busy
# 2-core machine sometimes needs), and a second try on another port.
SERVER_START_SECONDS = 60
SERVER_START_TRIES = 2


def is_transient_io_error(exc: BaseException | None) -> bool:
    """Whether a failed file load may succeed a minute later: an OSError (a file renamed into
    place, not yet readable, a network share gone for a moment) or DuckDB's IO Error in reaching
    a file (not found, cannot open, permission denied); not an error the same input raises
    again: a JourneymineError (ConfigError, SourceError, InputError), DuckDB's binder, parser,
    conversion or invalid-input errors, a file whose content is broken (not gzip, cut short:
    such a file is set aside, and read on a later run once its content has changed), a folder
    where a file should be."""
    if isinstance(exc, JourneymineError):
        return False
    if isinstance(exc, (gzip.BadGzipFile, IsADirectoryError, NotADirectoryError)):
        return False
    if isinstance(exc, duckdb.IOException):
        return _REACHING_A_FILE.search(str(exc)) is not None
    return isinstance(exc, OSError)


_REACHING_A_FILE = re.compile(
    r"No files found|No such file|Could not open|Cannot open|Permission denied|Resource temporarily unavailable"
    r"|HTTP", re.IGNORECASE)


def retry_on_transient_io_error(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn for file loads: retry only `is_transient_io_error`, and
    never once the run was asked to stop."""
    if stop_requested() is not None:
        return False
    return is_transient_io_error(state.result(raise_on_failure=False))


@task(cache_policy=NONE)
def start_run(wh: Warehouse, config: Config) -> pipeline.Run:
    return pipeline.start_run(wh, config)


@task(cache_policy=NONE, retries=2, retry_delay_seconds=30, retry_condition_fn=retry_on_transient_io_error,
      task_run_name="load_source-{source_name}")
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
def mine(wh: Warehouse, config: Config, run: pipeline.Run) -> pipeline.StepResult:
    return pipeline.mine_journeys(wh, config, run)


@task(cache_policy=NONE)
def publish(wh: Warehouse, config: Config, run: pipeline.Run, steps: list[pipeline.StepResult]) -> dict[str, Any]:
    return pipeline.publish_outputs(wh, config, run, steps)


@flow(name="journeymine", log_prints=True)
def journeymine_flow(config_path: str, workers: int | None = None, dask_address: str | None = None) -> dict[str, Any]:
    """Run journeymine on the sources of the config file at `config_path`; return the run
    manifest. `workers`: build the journeys on a Dask LocalCluster of that many workers;
    `dask_address`: on the existing Dask cluster there (tcp://host:8786)."""
    config = load_config(config_path)
    if prefect.runtime.deployment.id is not None and not logging.getLogger("journeymine").level:
        logging.getLogger("journeymine").setLevel(logging.INFO)  # a served run: the progress `journeymine run` logs
    with stop_on_signals(), hold_run_lock(lock_path(config.database)) as lock:
        if note := lock.take_note():
            log.warning(note)
        dask, n_partitions = None, None
        if dask_address:
            dask = DaskTaskRunner(address=dask_address)
            n_partitions = max(config.partitions, 2)
        elif workers:
            dask = DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True})
            n_partitions = max(config.partitions, workers)
        with working_database(config) as wh:
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
            steps.append(mine(wh, config, run))
            return publish(wh, config, run, steps)


@contextmanager
def working_database(config: Config) -> Iterator[Warehouse]:
    """`pipeline.open_warehouse`, with DuckDB's "Could not set lock" (another program has the
    file open) said plainly, and the connection object let go of when the run ends.

    Why let go: Prefect keeps a failed or crashed task's exception in memory until the process
    exits (its result store), and through the exception's traceback the task's parameters, this
    warehouse among them. A DuckDB connection object still alive at interpreter exit makes
    duckdb's bindings (nanobind) print some 40 lines of "nanobind: leaked ..." after the error
    message. The connection is closed by then; dropping the object ends it."""
    wh = None
    try:
        with pipeline.open_warehouse(config) as wh:
            yield wh
    except duckdb.IOException as exc:
        in_use = database_in_use(exc, config.database)
        if in_use is None:
            raise
        raise in_use from None
    finally:
        if wh is not None:
            wh.con = None  # type: ignore[assignment]  # closed by open_warehouse just before


# --- a Prefect API for `journeymine run` -----------------------------------------------------

# Run as the temporary server's process: die with the run (Linux's PR_SET_PDEATHSIG, kept across
# exec), then serve uvicorn with the arguments Prefect gives it. A `kill -9` of the run, which the
# run itself cannot handle, so ends the server too; elsewhere the next run stops it (run lock).
_DIE_WITH_PARENT = """\
import os, signal, sys
parent = int(sys.argv.pop(1))
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass
if os.getppid() != parent:
    sys.exit(0)  # the run died before prctl: nobody to serve
import runpy
sys.argv[0] = "uvicorn"
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
"""


class TemporaryServer(SubprocessASGIServer):
    """Prefect's temporary API server (its SubprocessASGIServer, the same uvicorn command and
    environment), started in a session of its own (a Ctrl-C at the terminal reaches the run,
    not the server the run still needs to record how it ended) and tied to the run's life."""

    _instances: dict[int | None, SubprocessASGIServer] = {}  # apart from Prefect's own

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        arguments = [
            "--app-dir", str(prefect.__module_path__.parent), "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on",
        ]
        environment = {
            **os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
            **get_current_settings().to_environment_variables(exclude_unset=True),
        }
        return subprocess.Popen([sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *arguments],
                                env=environment, start_new_session=True)


@contextmanager
def prefect_api(on_server_start: Callable[[int], None] | None = None) -> Iterator[str]:
    """A Prefect API for the block: PREFECT_API_URL when one is configured, else a temporary
    server started here (up to SERVER_START_TRIES tries of max(SERVER_START_SECONDS,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS) each) and stopped on the way out,
    whatever ends the block (an error, SIGTERM or SIGINT as RunStopped). `on_server_start`
    gets the server's pid (the CLI records it in the run lock). Yields the API's URL."""
    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    server = start_temporary_server()
    try:
        if on_server_start is not None and server.server_process is not None:
            on_server_start(server.server_process.pid)
        prior = SubprocessASGIServer._instances.get(None)
        SubprocessASGIServer._instances[None] = server  # Prefect code asking for "the" temporary server gets this one
        try:
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                try:
                    yield server.api_url
                finally:
                    _drain_logs_and_events()
        finally:
            if prior is None:
                SubprocessASGIServer._instances.pop(None, None)
            else:
                SubprocessASGIServer._instances[None] = prior
    finally:
        server.stop()


def start_temporary_server() -> TemporaryServer:
    """Start Prefect's temporary server; RunEnvironmentError when it does not answer in time."""
    timeout = max(SERVER_START_SECONDS, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    failures = []
    for attempt in range(1, SERVER_START_TRIES + 1):
        server = TemporaryServer(port=None)
        started = time.perf_counter()
        try:
            server.start(timeout=timeout)
        except Exception as exc:  # Prefect raises RuntimeError("Timed out while attempting to connect ...")
            server.stop()
            failures.append(str(exc).splitlines()[0][:300])
            server_log.warning("Prefect's temporary server did not start (try %d of %d): %s", attempt,
                        SERVER_START_TRIES, failures[-1])
            continue
        except BaseException:  # SIGTERM / SIGINT while it starts
            server.stop()
            raise
        server_log.info("Prefect's temporary server answered after %.1f s", time.perf_counter() - started)
        return server
    raise RunEnvironmentError(
        f"Prefect's temporary server did not start ({SERVER_START_TRIES} tries of {timeout} s: {failures[-1]}); "
        "set PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS higher, set PREFECT_API_URL to a running Prefect "
        "server, or run without Prefect: journeymine run --no-prefect"
    )


class ConsoleErrorFilter(logging.Filter):
    """Prefect's console lines about how a run failed, cut to what the CLI does not say itself.
    Prefect logs a failure four times (the task failed, with the traceback; the task's final
    state; the flow failed, with the traceback again; the flow's final state), and the CLI ends
    with its own message. On the console only (the Prefect API keeps every line), this drops
    those lines for a user error (a JourneymineError: its one-line message is the CLI's) and
    after a stop (the CLI says it was stopped), and leaves the traceback out of them for any
    other error (the CLI prints it once)."""

    RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
    QUIET = ("RunStopped", "TerminationSignal")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.RUN_LOGGERS):
            return True
        if stop_requested() is not None and record.levelno >= logging.WARNING:
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            if isinstance(exc, (JourneymineError, RunStopped)) or type(exc).__name__ in self.QUIET:
                return False
            record.exc_info, record.exc_text = None, None
            return True
        message = record.getMessage()
        if "Finished in state" not in message and "exception" not in message:
            return True
        return not any(f"{name}:" in message or f"{name}(" in message for name in _quiet_names())


def quiet_console_errors() -> None:
    """Put ConsoleErrorFilter on Prefect's console handler(s) (once)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not any(
                isinstance(f, ConsoleErrorFilter) for f in handler.filters):
            handler.addFilter(ConsoleErrorFilter())


def _quiet_names() -> set[str]:
    names, todo = set(ConsoleErrorFilter.QUIET), [JourneymineError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _drain_logs_and_events(timeout: float = 5.0) -> None:
    """Send the logs and events still queued before the server goes (as Prefect's test
    harness does), else they fail at exit with connection errors."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout)
        except Exception as exc:  # a worker that never started, a server already gone
            server_log.debug("draining %s: %s", worker.__name__, exc)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the journeymine flow once, or serve it nightly.")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--cron", default="0 2 * * *", help="schedule (default: 02:00 every night)")
    parser.add_argument("--serve", action="store_true", help="serve the deployment (blocks): `journeymine serve`")
    args = parser.parse_args()
    if args.serve:  # the server check and its message included
        from journeymine.cli import main as cli

        sys.exit(cli(["serve", "--config", str(args.config), "--cron", args.cron]))
    journeymine_flow(str(args.config.resolve()))


if __name__ == "__main__":
    main()
