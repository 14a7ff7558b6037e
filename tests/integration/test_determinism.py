"""Two runs on the same input give the same Parquet content: every value equal, floats to the
last bit, rows in the same order; only run ids differ (issue 11, item 7). The session's Prefect
run of the sample against a second run of the same input in this process, from an empty
working database of its own."""

from __future__ import annotations

from pathlib import Path

import duckdb

from journeymine.config import load_config
from journeymine.pipeline import run_in_process
from .conftest import write_sample_config
from .test_kills import output_hashes

# changes compares with the run before, which other tests may have added to the session's folder
DEPENDS_ON_HISTORY = {"changes", "run_manifest"}


def test_a_second_run_on_the_same_input_gives_identical_outputs(sample_run: dict, tmp_path: Path) -> None:
    run_in_process(load_config(write_sample_config(tmp_path)))
    hashes = output_hashes()
    first = {p.stem: p for p in sorted(sample_run["out"].glob("*.parquet")) if p.stem not in DEPENDS_ON_HISTORY}
    second = {p.stem: p for p in sorted((tmp_path / "out").glob("*.parquet")) if p.stem not in DEPENDS_ON_HISTORY}
    assert first.keys() == second.keys() and {"journey_graph_edges", "emotion_curve", "friction"} <= first.keys()
    con = duckdb.connect()
    differ = []
    for name in sorted(first):
        columns = hashes.columns_of(con, first[name])
        assert columns == hashes.columns_of(con, second[name]), name
        if hashes.content_hash(con, first[name], columns) != hashes.content_hash(con, second[name], columns):
            differ.append(name)
    assert differ == []
