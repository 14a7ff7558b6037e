"""Mining counts and times equal pm4py's on logs the tests build (src/journeymine/journeys/labels.py, src/journeymine/mining/variants.py).

Each log is written to a file, mined by `mine_event_log` (what `journeymine mine` runs), and
compared with pm4py's `discover_dfg`, `get_variants`, `get_start_activities`,
`get_end_activities` and `discover_performance_dfg` on the same rows.
"""

from __future__ import annotations

import math
import random
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from journeymine.config import LabelConfig
from journeymine.mine import MineOptions, mine_event_log
from journeymine.mining.eventlog import LogSpec
from journeymine.mining.pm4py_lazy import import_pm4py

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
PM4PY_KEYS = {"case_id_key": CASE, "activity_key": ACTIVITY, "timestamp_key": TIME}

# pm4py's six-case running example (van der Aalst, Process Mining, 2016), as pm4py reads it
# from running-example.xes (times in UTC), in file order.
RUNNING_EXAMPLE = [
    ("3", "register request", "2010-12-30T13:32:00"), ("3", "examine casually", "2010-12-30T14:06:00"),
    ("3", "check ticket", "2010-12-30T15:34:00"), ("3", "decide", "2011-01-06T08:18:00"),
    ("3", "reinitiate request", "2011-01-06T11:18:00"), ("3", "examine thoroughly", "2011-01-06T12:06:00"),
    ("3", "check ticket", "2011-01-08T10:43:00"), ("3", "decide", "2011-01-09T08:55:00"),
    ("3", "pay compensation", "2011-01-15T09:45:00"),
    ("2", "register request", "2010-12-30T10:32:00"), ("2", "check ticket", "2010-12-30T11:12:00"),
    ("2", "examine casually", "2010-12-30T13:16:00"), ("2", "decide", "2011-01-05T10:22:00"),
    ("2", "pay compensation", "2011-01-08T11:05:00"),
    ("1", "register request", "2010-12-30T10:02:00"), ("1", "examine thoroughly", "2010-12-31T09:06:00"),
    ("1", "check ticket", "2011-01-05T14:12:00"), ("1", "decide", "2011-01-06T10:18:00"),
    ("1", "reject request", "2011-01-07T13:24:00"),
    ("6", "register request", "2011-01-06T14:02:00"), ("6", "examine casually", "2011-01-06T15:06:00"),
    ("6", "check ticket", "2011-01-07T15:22:00"), ("6", "decide", "2011-01-07T15:52:00"),
    ("6", "pay compensation", "2011-01-16T10:47:00"),
    ("5", "register request", "2011-01-06T08:02:00"), ("5", "examine casually", "2011-01-07T09:16:00"),
    ("5", "check ticket", "2011-01-08T10:22:00"), ("5", "decide", "2011-01-10T12:28:00"),
    ("5", "reinitiate request", "2011-01-11T15:18:00"), ("5", "check ticket", "2011-01-14T13:33:00"),
    ("5", "examine casually", "2011-01-16T14:50:00"), ("5", "decide", "2011-01-19T10:18:00"),
    ("5", "reinitiate request", "2011-01-20T11:48:00"), ("5", "examine casually", "2011-01-21T08:06:00"),
    ("5", "check ticket", "2011-01-21T10:34:00"), ("5", "decide", "2011-01-23T12:12:00"),
    ("5", "reject request", "2011-01-24T13:56:00"),
    ("4", "register request", "2011-01-06T14:02:00"), ("4", "check ticket", "2011-01-07T11:06:00"),
    ("4", "examine thoroughly", "2011-01-08T13:43:00"), ("4", "decide", "2011-01-09T11:02:00"),
    ("4", "reject request", "2011-01-12T14:44:00"),
]


def log_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """A pm4py-style event log from (case, activity, ISO time in UTC) rows, in the given order."""
    return pd.DataFrame({
        CASE: [r[0] for r in rows],
        ACTIVITY: [r[1] for r in rows],
        TIME: pd.to_datetime([r[2] for r in rows], utc=True),
    })


def random_log(seed: int, n_cases: int = 60, ties: bool = False) -> pd.DataFrame:
    """A seeded log: cases of 1–12 events over 6 activities (repeats and self-loops likely),
    rows interleaved across cases by time as a real export is. Without `ties`, no two events
    of a case share a timestamp; with it, about a third of the steps take no time."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    rows = []
    for case in range(n_cases):
        at = start + timedelta(seconds=rng.randint(0, 86_400 * 30))
        for _ in range(rng.randint(1, 12)):
            rows.append((f"c{case:03d}", rng.choice("ABCDEF"), at))
            gap = 0 if ties and rng.random() < 0.35 else rng.randint(1, 50_000) + rng.random()
            at += timedelta(seconds=gap)
    rows.sort(key=lambda r: r[2])  # interleaved; sort is stable, so ties keep their case order
    return pd.DataFrame({CASE: [r[0] for r in rows], ACTIVITY: [r[1] for r in rows], TIME: [r[2] for r in rows]})


def pm4py_results(frame: pd.DataFrame) -> dict[str, Any]:
    """pm4py's counts and performance DFG (all aggregations) for the log, prepared the way pm4py
    documents: `format_dataframe` sorts by case, time and file order. (Without it, pm4py
    2.7.23's `get_variants` reads an interleaved frame wrongly: pandas_numpy_variants.py sorts
    but drops the sorted result, then slices each case's rows as if they were contiguous.)"""
    pm4py = import_pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pm4py.format_dataframe(frame.copy(), case_id=CASE, activity_key=ACTIVITY, timestamp_key=TIME)
        dfg, starts, ends = pm4py.discover_dfg(frame, **PM4PY_KEYS)
        variants = pm4py.get_variants(frame, **PM4PY_KEYS)
        performance, _, _ = pm4py.discover_performance_dfg(frame, **PM4PY_KEYS)
    return {
        "dfg": dict(dfg), "starts": dict(starts), "ends": dict(ends),
        "variants": {tuple(v): int(n) for v, n in variants.items()}, "performance": performance,
    }


def mine(frame: pd.DataFrame, tmp_path: Path, suffix: str = ".parquet", **options: Any) -> dict[str, Any]:
    """Write the log as a file, mine it like `journeymine mine`, and read the results back."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"log{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.assign(**{TIME: frame[TIME].map(lambda t: t.isoformat())}).to_csv(path, index=False)
    out = tmp_path / "out"
    mine_event_log(LogSpec(path), out, MineOptions(**options))
    con = duckdb.connect()
    try:
        edges = con.execute(
            "SELECT source_activity, target_activity, n_transitions, mean_seconds, median_seconds, min_seconds, "
            "max_seconds, sum_seconds, stdev_seconds FROM read_parquet($p)", {"p": str(out / "journey_graph_edges.parquet")}
        ).fetchall()
        variants = con.execute("SELECT variant, n_journeys FROM read_parquet($p)", {"p": str(out / "variants.parquet")}).fetchall()
        nodes = con.execute(
            "SELECT activity, n_starts, n_ends, n_events, n_self_loops FROM read_parquet($p)",
            {"p": str(out / "journey_graph_nodes.parquet")},
        ).fetchall()
    finally:
        con.close()
    return {
        "dfg": {(a, b): n for a, b, n, *_ in edges},
        "starts": {a: s for a, s, _, _, _ in nodes if s},
        "ends": {a: e for a, _, e, _, _ in nodes if e},
        "variants": {tuple(v): n for v, n in variants},
        "performance": {
            (a, b): dict(zip(("mean", "median", "min", "max", "sum", "stdev"), times, strict=True))
            for a, b, _, *times in edges
        },
        "nodes": {a: {"n_events": ev, "n_self_loops": sl} for a, _, _, ev, sl in nodes},
    }


def assert_same_as_pm4py(mined: dict[str, Any], reference: dict[str, Any]) -> None:
    for key in ("dfg", "starts", "ends", "variants"):
        assert mined[key] == reference[key], key
    assert mined["performance"].keys() == reference["performance"].keys()
    for edge, expected in reference["performance"].items():
        for aggregation, value in expected.items():
            ours = mined["performance"][edge][aggregation]
            if value is None or math.isnan(value):  # pm4py's stdev of a single transition
                assert ours is None, (edge, aggregation)
            else:
                assert ours == pytest.approx(float(value), rel=1e-9, abs=1e-9), (edge, aggregation)


def test_running_example_equals_pm4py(tmp_path: Path) -> None:
    """The 42-event running example: DFG, variants, start/end activities and all performance-DFG
    aggregations equal pm4py's."""
    frame = log_frame(RUNNING_EXAMPLE)
    mined = mine(frame, tmp_path)
    assert_same_as_pm4py(mined, pm4py_results(frame))
    # and what the textbook says of it: six cases, each its own variant; 'decide' is followed
    # by 'reinitiate request' three times
    assert len(mined["variants"]) == 6 and set(mined["variants"].values()) == {1}
    assert mined["dfg"][("decide", "reinitiate request")] == 3


@pytest.mark.parametrize("seed", range(6))
def test_random_logs_without_ties_equal_pm4py(tmp_path: Path, seed: int) -> None:
    """Interleaved logs with repeats and self-loops: every count and time equals pm4py's."""
    frame = random_log(seed)
    assert_same_as_pm4py(mine(frame, tmp_path), pm4py_results(frame))


@pytest.mark.parametrize("seed", range(3))
def test_ties_are_ordered_by_file_order_like_pm4py(tmp_path: Path, seed: int) -> None:
    """Events of a case with the same timestamp keep their order in the file, as pm4py's stable
    sort keeps them, so even logs with ties give pm4py's counts."""
    frame = random_log(seed, ties=True)
    assert frame.duplicated([CASE, TIME]).any()
    assert_same_as_pm4py(mine(frame, tmp_path), pm4py_results(frame))


def test_a_tie_follows_the_file_order(tmp_path: Path) -> None:
    """Two events at the same instant: the one earlier in the file is the earlier step."""
    frame = log_frame([
        ("c1", "open", "2025-01-01T10:00:00"), ("c1", "B", "2025-01-01T10:05:00"),
        ("c1", "A", "2025-01-01T10:05:00"), ("c1", "close", "2025-01-01T10:09:00"),
    ])
    assert mine(frame, tmp_path)["variants"] == {("open", "B", "A", "close"): 1}


def test_csv_and_parquet_give_the_same_results(tmp_path: Path) -> None:
    """A log read from CSV (ISO times as text) mines like the same log from Parquet: the same
    counts, and the same times up to float rounding (sums in parallel add in any order)."""
    frame = random_log(11)
    from_csv, from_parquet = mine(frame, tmp_path / "csv", suffix=".csv"), mine(frame, tmp_path / "parquet")
    for key in ("dfg", "starts", "ends", "variants", "nodes"):
        assert from_csv[key] == from_parquet[key], key
    for edge, times in from_parquet["performance"].items():
        assert from_csv["performance"][edge] == pytest.approx(times, rel=1e-12, nan_ok=True), edge


def test_collapsing_repeats_keeps_them_as_rework(tmp_path: Path) -> None:
    """With collapse_repeats, A A A B is the variant A B, and the two repeats are self-loops of A,
    still counted among A's events."""
    frame = log_frame([
        ("c1", "A", "2025-01-01T10:00:00"), ("c1", "A", "2025-01-01T10:01:00"),
        ("c1", "A", "2025-01-01T10:02:00"), ("c1", "B", "2025-01-01T10:03:00"),
    ])
    labels = LabelConfig(template_urls=False, collapse_repeats=True)
    mined = mine(frame, tmp_path, labels=labels)
    assert mined["variants"] == {("A", "B"): 1}
    assert mined["nodes"]["A"] == {"n_events": 3, "n_self_loops": 2}
    assert mined["dfg"] == {("A", "B"): 1}
    plain = mine(frame, tmp_path / "plain")
    assert plain["dfg"] == {("A", "A"): 2, ("A", "B"): 1}
    assert plain["nodes"]["A"] == {"n_events": 3, "n_self_loops": 2}
