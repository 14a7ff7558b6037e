"""A run killed or stopped part-way (issue 11, items 6 and 8): `journeymine run --no-prefect`
on a copy of the sample after one completed run, with new files to load, is killed with
SIGKILL while it loads them (one file of the first source staged, the next one half) and while
it mines, and stopped with SIGTERM while it mines. Each time the previous publish is
intact and readable, no process of the run is left, and the next run publishes outputs equal
to those of a run that was never interrupted. (A kill while publishing is in
test_publishing.py.) A moment too short to hit with a signal is checked in process: after every
step before publishing, mining's process model included, the published run is as it was.

The run reads weeks 6-10 of data/sample first; the killed run and the runs after it find weeks
11-14 beside them."""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import io
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
import yaml

from journeymine import cli, pipeline
from journeymine.config import load_config

from .conftest import REPO, SAMPLE_CONFIG
from .test_publishing import snapshot, whole_run

pytestmark = pytest.mark.integration

JOURNEYMINE = Path(sys.executable).with_name("journeymine")  # the console script of this environment
FIRST_WEEKS = ("W06", "W07", "W08", "W09", "W10")  # loaded by the first run; the later weeks come after
LOG_TIMEOUT_SECONDS = 120  # a safety net: each moment is waited for by its log line
STOP_SECONDS = 20  # SIGTERM stops a run within this


def output_hashes() -> ModuleType:
    """benchmarks/output_hashes.py (not a package): its `compare` of two runs' outputs."""
    spec = importlib.util.spec_from_file_location("output_hashes", REPO / "benchmarks" / "output_hashes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_state(folder: Path) -> Path:
    """The sample config in `folder` with paths relative to it (a copy of the folder is a
    working copy of its own), and the first weeks of the sample's files under data/."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for name, source in config["sources"].items():
        source["path"] = str(Path("data") / name / Path(source["path"]).name)
        (folder / "data" / name).mkdir(parents=True)
    config["output_dir"] = "out"
    config["database"] = "journeymine.duckdb"
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for name, source in config["sources"].items():
        for file in new_week_files(name, FIRST_WEEKS):
            shutil.copy2(file, folder / "data" / name / file.name)
    return path


def new_week_files(source: str, weeks: tuple[str, ...] | None = None) -> list[Path]:
    """The sample's files of a source: of `weeks`, or of the weeks after FIRST_WEEKS (and the
    CRM file, which has no week, with the first)."""
    files = sorted((REPO / "data" / "sample" / source).iterdir())
    if weeks is None:
        return [f for f in files if "-W" in f.name and not any(w in f.name for w in FIRST_WEEKS)]
    return [f for f in files if "-W" not in f.name or any(w in f.name for w in weeks)]


def add_later_weeks(folder: Path) -> None:
    for source in ("web", "app", "calls", "store", "crm"):
        for file in new_week_files(source):
            shutil.copy2(file, folder / "data" / source / file.name)


def run_cli(config_path: Path) -> tuple[int, str, str]:
    """`journeymine run --no-prefect` in this process: exit code, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["run", "--no-prefect", "--config", str(config_path)])
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A folder after one completed run on the first weeks: config, working database, outputs."""
    folder = tmp_path_factory.mktemp("kills") / "state"
    folder.mkdir()
    config_path = write_state(folder)
    code, _, stderr = run_cli(config_path)
    assert code == 0, stderr[-3000:]
    run_id = json.loads((folder / "out" / "run_manifest.json").read_text(encoding="utf-8"))["run_id"]
    return {"folder": folder, "run_id": run_id}


def copy_state(first_run: dict, target: Path) -> Path:
    """A copy of the first run's folder at `target`, with the later weeks added; its config."""
    shutil.copytree(first_run["folder"], target, symlinks=True)
    add_later_weeks(target)
    return target / "journeymine.yaml"


@pytest.fixture(scope="module")
def uninterrupted(first_run: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of the run after the first one, on all weeks, never interrupted."""
    config_path = copy_state(first_run, tmp_path_factory.mktemp("uninterrupted") / "state")
    code, _, stderr = run_cli(config_path)
    assert code == 0, stderr[-3000:]
    return config_path.parent / "out"


# --- a run in a process of its own, stopped at a moment its log names ----------------------


@dataclass
class Stopped:
    """How a run stopped at a moment ended: its exit code, its log up to the signal and after,
    the seconds from the signal to its end, and the processes of its session still alive."""

    returncode: int
    log_before: str
    log_after: str
    seconds_to_stop: float
    survivors: list[str]


def session_processes(session_id: int) -> list[str]:
    """'pid command' of every process of the session `session_id` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
        if int(fields[3]) == session_id:
            found.append(f"{entry.name} {command.strip()}")
    return found


def stop_run_at(config_path: Path, moment: str, sig: signal.Signals) -> Stopped:
    """Start `journeymine run --no-prefect` as a process (in a session of its own, so anything
    it starts can be found), send it `sig` as soon as a line of its log contains `moment`, and
    wait for it to end."""
    process = subprocess.Popen([str(JOURNEYMINE), "run", "--no-prefect", "--config", str(config_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    before: list[str] = []
    deadline = time.monotonic() + LOG_TIMEOUT_SECONDS
    try:
        while True:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line is None:
                raise AssertionError(f"the run ended (exit {process.wait()}) before {moment!r}:\n" + "".join(before))
            before.append(line)
            if moment in line:
                break
        process.send_signal(sig)
        signalled = time.monotonic()
        returncode = process.wait(timeout=STOP_SECONDS + 30)
        seconds = time.monotonic() - signalled
    except (queue.Empty, subprocess.TimeoutExpired) as exc:
        raise AssertionError(f"no {moment!r} in the log, or no end after the signal: {exc}\n" + "".join(before)) from exc
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(timeout=10)
    after = []
    while not lines.empty():
        line = lines.get()
        if line is not None:
            after.append(line)
    return Stopped(returncode, "".join(before), "".join(after), seconds, session_processes(process.pid))


# --- what must hold after it ------------------------------------------------------------------


def read_every_file(folder: Path) -> None:
    """Open and read each file of a run's folder as what it is."""
    con = duckdb.connect()
    try:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".parquet":
                con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(path)}).fetchall()
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix in (".bpmn", ".pnml"):
                ElementTree.parse(path)
            elif path.suffix == ".gz":
                with gzip.open(path) as handle:
                    while handle.read(1 << 20):
                        pass
            elif path.suffix == ".html":
                assert "</html>" in path.read_text(encoding="utf-8"), path.name
            elif path.suffix != ".duckdb":
                raise AssertionError(f"{path.name}: a file this test does not know how to read")
    finally:
        con.close()


def assert_previous_publish_intact(out: Path, run_id: str, before: dict[str, str]) -> None:
    """`current` names the run `run_id`, every top-level name leads to the same bytes as before,
    every file reads, and analytics.duckdb opens as that whole run."""
    assert os.readlink(out / "current") == f"runs/{run_id}"
    assert snapshot(out) == before
    read_every_file(out / "runs" / run_id)
    con = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)
    try:
        assert whole_run(con) == run_id
    finally:
        con.close()


def assert_equal_outputs(expected: Path, found: Path) -> None:
    """Every Parquet output equal (benchmarks/output_hashes.py), apart from run ids, the
    manifest and `changes`."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = output_hashes().compare(expected, found, skip={"changes"})
    assert code == 0, printed.getvalue()


MOMENTS = {
    # the first source's first new file is staged (committed), its second is being read and staged
    "sigkill-loading": ("source web: loading file 2/", signal.SIGKILL),
    # the journeys are built; mining starts
    "sigkill-mining": ("build_journeys done in", signal.SIGKILL),
    "sigterm-mining": ("build_journeys done in", signal.SIGTERM),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_stopped_run_leaves_the_previous_publish_and_the_next_run_equals_an_uninterrupted_one(
    moment: str, first_run: dict, uninterrupted: Path, tmp_path: Path,
) -> None:
    """Killed (or stopped) at the moment: the published run is the first run, whole and readable;
    no process of the run is left; a SIGTERM ends the run within seconds, with its exit code
    and one line saying so. The next run (taking over the lock a kill leaves) publishes outputs
    equal to the uninterrupted run's, and the stopped run never joined the history."""
    log_line, sig = MOMENTS[moment]
    config_path = copy_state(first_run, tmp_path / "state")
    out = tmp_path / "state" / "out"
    before = snapshot(out)

    stopped = stop_run_at(config_path, log_line, sig)

    assert stopped.survivors == []
    if sig == signal.SIGKILL:
        assert stopped.returncode == -signal.SIGKILL
    else:
        assert stopped.returncode == 128 + signal.SIGTERM, stopped.log_after
        assert stopped.seconds_to_stop < STOP_SECONDS
        assert "stopped by SIGTERM" in stopped.log_after and "Traceback" not in stopped.log_after, stopped.log_after
    assert "published in" not in stopped.log_before + stopped.log_after
    assert_previous_publish_intact(out, first_run["run_id"], before)

    code, _, stderr = run_cli(config_path)
    assert code == 0, stderr[-3000:]
    if sig == signal.SIGKILL:  # the killed run could not release its run lock
        assert "took over a stale run lock" in stderr, stderr[-3000:]
    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["previous_run_id"] == first_run["run_id"] and manifest["is_reconciled"]
    assert_equal_outputs(uninterrupted, out)
    con = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT run_id FROM run_manifest ORDER BY started_at").fetchall() == [
            (first_run["run_id"],), (manifest["run_id"],)]
    finally:
        con.close()


def test_the_steps_before_publishing_leave_the_published_run_as_it_was(first_run: dict, tmp_path: Path) -> None:
    """Every step before publish_outputs, mining and its process model included, leaves the
    published run as it was (a kill at any moment up to publishing finds it so, however short
    the moment); the process model reaches the new run's folder when it is published."""
    config_path = copy_state(first_run, tmp_path / "state")
    out = tmp_path / "state" / "out"
    before = snapshot(out)
    config = load_config(config_path)
    with pipeline.open_warehouse(config) as wh:
        run = pipeline.start_run(wh, config)
        steps = [pipeline.load_source(wh, config, name, run) for name in config.source_names]
        steps += [pipeline.stitch(wh, config), pipeline.build_journeys(wh, config),
                  pipeline.mine_journeys(wh, config, run)]
        assert_previous_publish_intact(out, first_run["run_id"], before)
        manifest = pipeline.publish_outputs(wh, config, run, steps)
    published = out / "runs" / manifest["run_id"]
    for name in ("process_model.bpmn", "process_model.pnml"):
        assert (out / name).resolve() == published / name
        ElementTree.parse(published / name)
    assert manifest["process_model"]["n_variants_used"] > 0
