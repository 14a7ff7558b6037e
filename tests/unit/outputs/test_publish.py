"""Run folders and their publishing (src/journeymine/outputs/runs.py), and analytics.duckdb
(src/journeymine/outputs/publish.py), on tiny folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from journeymine.errors import JourneymineError
from journeymine.outputs.publish import write_analytics_db
from journeymine.outputs.runs import (
    link_published, partial_folder, published_folder, remove_leftovers, run_folder,
)

RUN_A, RUN_B, RUN_C = "20260301T020000Z-aaaaaa", "20260302T020000Z-bbbbbb", "20260303T020000Z-cccccc"


def publish(out: Path, run_id: str, files: dict[str, str], keep_runs: int = 3, **options: object) -> None:
    """Publish a run whose folder holds `files` (name → text)."""
    with run_folder(out, run_id, keep_runs=keep_runs, **options) as folder:  # type: ignore[arg-type]
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")


def top(out: Path) -> dict[str, str]:
    """What each top-level file name of `out` reads as."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.is_file()}


def test_a_published_run_is_reached_through_current_and_a_link_per_file(tmp_path: Path) -> None:
    """After the block, runs/<run_id> holds the files, current links to it, and each file name at
    the top is a relative link through current; nothing partial is left."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"journeys.parquet": "a", "run_manifest.json": "{}"})
    assert os.readlink(out / "current") == f"runs/{RUN_A}"
    assert os.readlink(out / "journeys.parquet") == "current/journeys.parquet"
    assert top(out) == {"journeys.parquet": "a", "run_manifest.json": "{}"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A]
    assert published_folder(out) == (out / "runs" / RUN_A).resolve()


def test_the_next_publish_switches_every_file_at_once(tmp_path: Path) -> None:
    """A second run replaces the link current only: every name then reads the new run, a name the
    new run lacks is gone, a name it adds appears, and files that are no output stay."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"journeys.parquet": "a", "journeys.xes.gz": "a"})
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    publish(out, RUN_B, {"journeys.parquet": "b", "friction.parquet": "b"})
    assert top(out) == {"friction.parquet": "b", "journeys.parquet": "b", "notes.txt": "mine"}
    assert (out / "runs" / RUN_A / "journeys.xes.gz").is_file()  # the older run keeps its files


def test_an_error_while_writing_publishes_nothing(tmp_path: Path) -> None:
    """An exception in the block deletes the run's folder; readers still find the run before."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"journeys.parquet": "a"})
    with pytest.raises(RuntimeError), run_folder(out, RUN_B, keep_runs=3) as folder:
        (folder / "journeys.parquet").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert top(out) == {"journeys.parquet": "a"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A]


def test_leftovers_of_a_killed_run_are_deleted_by_the_next(tmp_path: Path) -> None:
    """A partial run folder, a folder half deleted, and temporary files at the top (the writers'
    `.<name>.<id>.tmp`, an old `<name>.tmp`, DuckDB's `.wal` beside one) go; the run does not."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"journeys.parquet": "a"})
    (out / "runs" / ".partial-20260302T000000Z-dddddd").mkdir()
    (out / "runs" / ".partial-20260302T000000Z-dddddd" / "events.parquet").write_text("half")
    leftovers = [".events.parquet.tmp", ".current.0a1b2c3d4e5f.tmp", "analytics.duckdb.tmp",
                 ".analytics.duckdb.tmp.wal", ".process_model.0a1b.tmp.bpmn"]
    for name in leftovers:
        (out / name).write_text("x", encoding="utf-8")
    assert sorted(p.name for p in remove_leftovers(out)) == sorted([".partial-20260302T000000Z-dddddd", *leftovers])
    assert top(out) == {"journeys.parquet": "a"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A]


@pytest.mark.parametrize("keep_runs", [1, 2])
def test_keep_runs_deletes_older_run_folders_after_a_publish(tmp_path: Path, keep_runs: int) -> None:
    """Only the newest `keep_runs` run folders remain."""
    out = tmp_path / "out"
    for run_id in (RUN_A, RUN_B, RUN_C):
        publish(out, run_id, {"journeys.parquet": run_id}, keep_runs=keep_runs)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A, RUN_B, RUN_C][-keep_runs:]
    assert top(out) == {"journeys.parquet": RUN_C}


def test_keep_runs_never_deletes_the_published_run(tmp_path: Path) -> None:
    """A published run whose id sorts before a kept one (a clock set back) is kept all the same."""
    out = tmp_path / "out"
    publish(out, RUN_C, {"journeys.parquet": "c"}, keep_runs=1)
    publish(out, RUN_A, {"journeys.parquet": "a"}, keep_runs=1)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A, RUN_C]
    assert top(out) == {"journeys.parquet": "a"}


def test_keep_runs_must_be_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(JourneymineError, match="keep_runs"), run_folder(tmp_path, RUN_A, keep_runs=0):
        pass


def test_files_an_earlier_step_wrote_at_the_top_move_into_the_run(tmp_path: Path) -> None:
    """`new_files` (the process model, written by the mining step into output_dir, replacing the
    link there) join the new run; until it is published, the name reads the published run's again."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"process_model.bpmn": "a"})
    (out / "process_model.bpmn").unlink()
    (out / "process_model.bpmn").write_text("b", encoding="utf-8")
    with run_folder(out, RUN_B, keep_runs=3, new_files=[out / "process_model.bpmn"]) as folder:
        assert (folder / "process_model.bpmn").read_text(encoding="utf-8") == "b"
        assert top(out) == {"process_model.bpmn": "a"}
    assert top(out) == {"process_model.bpmn": "b"}


def test_files_an_earlier_step_wrote_into_the_partial_folder_are_published_with_the_run(tmp_path: Path) -> None:
    """The mining step writes the process model into the run's partial folder, before the run
    publishes: the published names read the published run's meanwhile (and after a kill);
    run_folder keeps that folder (and deletes another run's leftover), and publishes its files."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"process_model.bpmn": "a", "events.parquet": "a"})
    leftover = partial_folder(out, "20260301T030000Z-dddddd")
    leftover.mkdir()
    early = partial_folder(out, RUN_B)
    early.mkdir()
    (early / "process_model.bpmn").write_text("b", encoding="utf-8")
    assert top(out) == {"events.parquet": "a", "process_model.bpmn": "a"}
    with run_folder(out, RUN_B, keep_runs=3) as folder:
        assert folder == early and (folder / "process_model.bpmn").read_text(encoding="utf-8") == "b"
        assert not leftover.exists()
        (folder / "events.parquet").write_text("b", encoding="utf-8")
    assert top(out) == {"events.parquet": "b", "process_model.bpmn": "b"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A, RUN_B]


def test_an_export_written_at_the_top_joins_the_run_it_came_from(tmp_path: Path) -> None:
    """`journeymine export` on the output folder writes journeys.xes.gz as a plain file at the top;
    the next publish moves it into the run it was made from, and the new run (without one)
    leaves no journeys.xes.gz at the top."""
    out = tmp_path / "out"
    publish(out, RUN_A, {"events.parquet": "a"})
    (out / "journeys.xes.gz").write_text("xes of a", encoding="utf-8")
    publish(out, RUN_B, {"events.parquet": "b"}, loose_names=["journeys.xes.gz", "events.parquet"])
    assert (out / "runs" / RUN_A / "journeys.xes.gz").read_text(encoding="utf-8") == "xes of a"
    assert top(out) == {"events.parquet": "b"}


def test_a_folder_of_the_old_flat_layout_becomes_its_runs_folder(tmp_path: Path) -> None:
    """Outputs written straight into output_dir (journeymine before run folders) become the run
    folder their run_manifest.json names, current points at it, and each name reads the same
    bytes as before; then the new run is published as usual."""
    out = tmp_path / "out"
    out.mkdir()
    flat = {"events.parquet": "old", "run_manifest.json": json.dumps({"run_id": RUN_A})}
    for name, text in flat.items():
        (out / name).write_text(text, encoding="utf-8")
    with run_folder(out, RUN_B, keep_runs=3, loose_names=list(flat)) as folder:
        assert os.readlink(out / "current") == f"runs/{RUN_A}"
        assert top(out) == flat and all((out / name).is_symlink() for name in flat)
        (folder / "events.parquet").write_text("new", encoding="utf-8")
    assert top(out) == {"events.parquet": "new"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == [RUN_A, RUN_B]


def test_current_that_is_not_a_link_is_refused(tmp_path: Path) -> None:
    """A folder named current (a copy that followed the links) is not replaced silently."""
    out = tmp_path / "out"
    (out / "current").mkdir(parents=True)
    with pytest.raises(JourneymineError, match="expected a symlink"):
        publish(out, RUN_A, {"events.parquet": "a"})


def test_link_published_does_nothing_before_the_first_publish(tmp_path: Path) -> None:
    (tmp_path / "events.parquet").write_text("loose", encoding="utf-8")
    link_published(tmp_path)
    assert top(tmp_path) == {"events.parquet": "loose"}


def test_analytics_db_holds_tables_that_work_wherever_the_folder_goes(tmp_path: Path) -> None:
    """analytics.duckdb: a table per output with the Parquet file's rows in order, and `run`
    (the manifest); no views, so the database reads nothing outside itself: it works after its
    folder is moved, with the Parquet files gone."""
    folder = tmp_path / "run"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("COPY (SELECT range AS n FROM range(5) ORDER BY n DESC) TO $p",
                {"p": str(folder / "a.parquet")}).fetchall()
    con.close()
    (folder / "run_manifest.json").write_text(json.dumps({"run_id": RUN_A, "counts": {"a": 5}}), encoding="utf-8")
    write_analytics_db(folder, ["a"])
    moved = tmp_path / "moved"
    os.rename(folder, moved)
    (moved / "a.parquet").unlink()
    con = duckdb.connect(str(moved / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT list(n) FROM a").fetchall() == [([4, 3, 2, 1, 0],)]
        assert con.execute("SELECT run_id, manifest->'counts'->>'a' FROM run").fetchall() == [(RUN_A, "5")]
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]
    finally:
        con.close()
    assert sorted(p.name for p in moved.iterdir()) == ["analytics.duckdb", "run_manifest.json"]
