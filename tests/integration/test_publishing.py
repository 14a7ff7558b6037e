"""Publishing on the sample (journeymine.outputs.runs): each run is written into a folder of
its own and published in one atomic step, so readers always see one whole run; a run killed
while it publishes leaves the previous publish as it was; the published folder can be moved
or copied; the last `keep_runs` runs are kept."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from journeymine import pipeline
from journeymine.config import load_config

from .conftest import REPO, write_sample_config

pytestmark = pytest.mark.integration

KILLED_RUN = (
    "import sys\n"
    "from journeymine.config import load_config\n"
    "from journeymine.pipeline import run_in_process\n"
    "run_in_process(load_config(sys.argv[1]))\n"
)


def run_with(config_path: Path, **settings: object) -> dict:
    """Run in process (no Prefect) with top-level keys and journeys settings changed."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["journeys"] = {**config.get("journeys", {}), **settings.pop("journeys", {})}
    config.update(settings)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return pipeline.run_in_process(load_config(config_path))


def whole_run(con: duckdb.DuckDBPyConnection) -> str:
    """The run id `con` reads, after checking that every table there is of that one run: the
    manifest's counts are the tables' rows, events and variants hold the same journeys, and
    the newest run of run_manifest is this run."""
    run_id, counts = con.execute("SELECT run_id, manifest->'counts' FROM run").fetchall()[0]
    counts = json.loads(counts)
    found = con.execute(
        "SELECT (SELECT count(*) FROM journeys), (SELECT count(*) FROM events),"
        " (SELECT count(DISTINCT journey_id) FROM events), (SELECT sum(n_journeys) FROM variants),"
        " (SELECT sum(n_starts) FROM journey_graph_nodes),"
        " (SELECT run_id FROM run_manifest ORDER BY started_at DESC, run_id DESC LIMIT 1)"
    ).fetchall()[0]
    n_journeys = counts["journeys"]
    expected = (n_journeys, counts["events"], n_journeys, n_journeys, n_journeys, run_id)
    assert found == expected, f"{run_id}: found {found}, expected {expected}"
    return run_id


def whole_run_of_files(out: Path) -> str:
    """The same check on the Parquet files and run_manifest.json of the folder `current` names
    (resolved once, as a reader of several files should)."""
    folder = (out / "current").resolve()
    manifest = json.loads((folder / "run_manifest.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        found = con.execute(
            "SELECT (SELECT count(*) FROM read_parquet($j)), (SELECT count(DISTINCT journey_id) FROM read_parquet($e)),"
            " (SELECT sum(n_journeys) FROM read_parquet($v))",
            {"j": str(folder / "journeys.parquet"), "e": str(folder / "events.parquet"),
             "v": str(folder / "variants.parquet")},
        ).fetchall()[0]
    finally:
        con.close()
    expected = (manifest["counts"]["journeys"],) * 3
    assert found == expected, f"{manifest['run_id']}: found {found}, expected {expected}"
    return manifest["run_id"]


class Reader(threading.Thread):
    """Queries the published outputs in a loop until stopped: a connection to analytics.duckdb
    held open from the start, a fresh connection each time, the Parquet files of one run, and
    single files through their links at the top. Collects the run ids each saw and every error
    (a failed check or an exception)."""

    def __init__(self, out: Path) -> None:
        super().__init__(daemon=True)
        self.out, self.stop = out, threading.Event()
        self.seen: dict[str, list[str]] = {"held": [], "fresh": [], "files": [], "links": []}
        self.errors: list[str] = []
        self.held = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)

    def run(self) -> None:
        while not self.stop.is_set():
            for kind, read in (("held", lambda: whole_run(self.held)), ("fresh", self.fresh),
                               ("files", lambda: whole_run_of_files(self.out)), ("links", self.through_links)):
                try:
                    self.seen[kind].append(read())
                except Exception as error:  # noqa: BLE001  # every failure is a finding of the test
                    self.errors.append(f"{kind}: {type(error).__name__}: {error}")
            time.sleep(0.005)
        self.held.close()

    def fresh(self) -> str:
        con = duckdb.connect(str(self.out / "analytics.duckdb"), read_only=True)
        try:
            return whole_run(con)
        finally:
            con.close()

    def through_links(self) -> str:
        """One file at a time by its name at the top: each read finds a whole file (two reads may
        find two runs: a reader of several files resolves `current` once, as whole_run_of_files)."""
        con = duckdb.connect()
        try:
            con.execute("SELECT count(*), max(journey_id) FROM read_parquet($p)",
                        {"p": str(self.out / "events.parquet")}).fetchall()
        finally:
            con.close()
        return json.loads((self.out / "run_manifest.json").read_text(encoding="utf-8"))["run_id"]


@pytest.fixture(scope="module")
def read_while_publishing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Three runs into one output folder (keep_runs 2), each with another journey window, so
    each run's outputs differ; from the first publish on, a Reader queries them throughout."""
    folder = tmp_path_factory.mktemp("publishing")
    config_path = write_sample_config(folder)
    out = folder / "out"
    runs = [run_with(config_path, keep_runs=2, journeys={"window_days": 14})]
    reader = Reader(out)
    reader.start()
    try:
        for window_days in (7, 3):
            runs.append(run_with(config_path, journeys={"window_days": window_days}))
        time.sleep(0.2)  # the reader reads the last publish too
    finally:
        reader.stop.set()
        reader.join(timeout=60)
    yield {"runs": [r["run_id"] for r in runs], "manifests": runs, "reader": reader, "out": out}


def test_readers_see_one_whole_run_while_runs_publish(read_while_publishing: dict) -> None:
    """A held connection, fresh connections and a reader of the Parquet files each see one whole
    run at every query, never a mix and never an error; fresh readers move on to newer runs,
    the held connection stays on its run, even after that run's folder is deleted."""
    reader, runs = read_while_publishing["reader"], read_while_publishing["runs"]
    assert len({m["counts"]["journeys"] for m in read_while_publishing["manifests"]}) == 3  # runs differ
    assert reader.errors == []
    assert set(reader.seen["held"]) == {runs[0]}
    for kind in ("fresh", "files", "links"):
        seen = reader.seen[kind]
        assert set(seen) <= set(runs) and seen[-1] == runs[-1], kind
        assert len(set(seen)) >= 2, kind  # read before and after a publish
        assert seen == sorted(seen, key=runs.index), kind  # never back to an older run
    assert not (read_while_publishing["out"] / "runs" / runs[0]).exists()  # deleted while held


def test_keep_runs_keeps_the_newest_runs_and_links_the_published_one(read_while_publishing: dict) -> None:
    """With keep_runs 2, the two newest run folders remain; current and every output name at the
    top lead into the newest; no partial folder or temporary file is left."""
    out, runs = read_while_publishing["out"], read_while_publishing["runs"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == runs[1:]
    assert os.readlink(out / "current") == f"runs/{runs[2]}"
    published = out / "runs" / runs[2]
    names = sorted(p.name for p in published.iterdir())
    assert {"analytics.duckdb", "run_manifest.json", "friction_report.html", "events.parquet",
            "process_model.bpmn"} <= set(names)
    for name in names:
        assert (out / name).is_symlink() and (out / name).resolve() == published / name, name
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, "current", "runs"])
    assert json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))["previous_run_id"] == runs[1]


def test_a_moved_or_copied_folder_reads_only_its_own_files(read_while_publishing: dict, tmp_path: Path) -> None:
    """analytics.duckdb holds tables, no views (no path to any file): a copy of a run's folder
    and a moved output folder work with the original gone, and read the same rows."""
    out, run_id = read_while_publishing["out"], read_while_publishing["runs"][-1]
    copied = tmp_path / "copied"
    shutil.copytree(out / "runs" / run_id, copied)
    moved = tmp_path / "moved"
    shutil.copytree(out, moved, symlinks=True)  # as `mv` or `cp -a` would leave it
    hidden = out.with_name("out-hidden")
    os.rename(out, hidden)  # nothing may read the original now
    try:
        for database in (copied / "analytics.duckdb", moved / "analytics.duckdb"):
            con = duckdb.connect(str(database), read_only=True)
            try:
                assert whole_run(con) == run_id
                assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]
                assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0] >= 20
            finally:
                con.close()
        assert (moved / "events.parquet").resolve() == (moved / "runs" / run_id / "events.parquet").resolve()
    finally:
        os.rename(hidden, out)


def snapshot(out: Path) -> dict[str, str]:
    """Where each top-level name of `out` leads, and a hash of its bytes."""
    return {p.name: f"{os.path.realpath(p)} {hashlib.sha256(p.read_bytes()).hexdigest()}"
            for p in sorted(out.iterdir()) if p.is_file()}


def kill_while_publishing(config_path: Path, out: Path, moment: str) -> None:
    """Start a run in a process of its own and SIGKILL it as soon as `moment` (a file name)
    appears in its partial run folder, while it publishes."""
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(config_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while not any((out / "runs").glob(f".partial-*/{moment}")):
            assert process.poll() is None, f"the run ended (exit {process.returncode}) before {moment} appeared"
            assert time.monotonic() < deadline, f"{moment} did not appear"
            time.sleep(0.001)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_run_killed_while_publishing_leaves_the_previous_publish(sample_run: dict, tmp_path: Path) -> None:
    """SIGKILL while writing the Parquet files, then while writing analytics.duckdb: each time
    the published run is intact and readable (same files, same bytes, analytics.duckdb whole).
    The next run deletes what the killed runs left and its outputs equal a clean run's."""
    config_path = write_sample_config(tmp_path)
    out = tmp_path / "out"
    first = pipeline.run_in_process(load_config(config_path))
    before = snapshot(out)
    for moment in ("events.parquet", ".analytics.duckdb.tmp"):
        kill_while_publishing(config_path, out, moment)
        assert list((out / "runs").glob(".partial-*")), "the kill came after the publish"
        assert snapshot(out) == before, moment
        con = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)
        try:
            assert whole_run(con) == first["run_id"]
        finally:
            con.close()
    after = pipeline.run_in_process(load_config(config_path))
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted([first["run_id"], after["run_id"]])
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]
    assert after["previous_run_id"] == first["run_id"]
    con = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT run_id FROM run_manifest ORDER BY started_at").fetchall() == [
            (first["run_id"],), (after["run_id"],)]  # the killed runs never joined the history
    finally:
        con.close()
    compared = subprocess.run([sys.executable, str(REPO / "benchmarks" / "output_hashes.py"), str(sample_run["out"]),
                               str(out)], capture_output=True, text=True)
    assert compared.returncode == 0 and "all outputs equal" in compared.stdout, compared.stdout + compared.stderr
