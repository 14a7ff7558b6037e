"""The analysts' side of a published run (src/journeymine/outputs/analyst.py): the macros stored in
analytics.duckdb, the ready-made queries of sql/queries, finding the latest run, and the funnel
of a run's outputs; on tiny published folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from journeymine.config import load_config
from journeymine.errors import JourneymineError
from journeymine.outputs.analyst import (
    find_analytics_db, funnel_of_run, one_line, open_analytics_db, published_macros, ready_queries,
)
from journeymine.outputs.publish import MINE_OUTPUTS, write_analytics_db
from journeymine.outputs.runs import run_folder

Publish = Callable[..., Path]

def rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_macros_are_stored_in_the_file_and_answer_on_a_fresh_connection(tmp_path: Path, write_outputs: Publish) -> None:
    """A new connection to analytics.duckdb (no journeymine involved) calls the macros: paths from
    and to an activity, the next steps, what came after a drop-off, a customer's timeline."""
    database = write_outputs(tmp_path / "out")
    assert rows(database, "FROM paths_from('Product Detail', 2)") == [
        (["Product Detail", "Cart"], 2, 3, 0.75, pytest.approx(2 / 3)),
        (["Product Detail", "Help"], 2, 1, 0.25, 0.0),
    ]
    assert rows(database, "SELECT path, n_journeys FROM paths_to('Cart', 5)") == [
        (["Product Detail", "Cart"], 2), (["Home", "Product Detail", "Cart"], 1),
    ]
    assert rows(database, "SELECT next_activity, n_transitions, share FROM next_steps('Product Detail')") == [
        ("Cart", 3, 0.75), ("Help", 1, 0.25),
    ]
    # c1 abandoned at Cart and came back with Product Detail → Cart, which converted
    assert rows(database, "FROM paths_after_dropoff('Cart', 2)") == [(["Product Detail", "Cart"], True, 1, 1.0,
                                                                        pytest.approx(24 - 2 / 60), 1)]
    assert [r[2] for r in rows(database, "FROM customer_timeline('c1')")] == [
        "Home", "Product Detail", "Cart", "Product Detail", "Cart", "Order Completed",
    ]
    assert [r[3] for r in rows(database, "FROM journey_timeline('c3-j1')")] == ["Search", "Product Detail", "Help", "Product Detail"]


def test_the_macros_read_only_tables_of_their_database(tmp_path: Path, write_outputs: Publish) -> None:
    """The macros are the file's own (not temporary), their text holds no path, and they work on
    a copy of the file in another folder, attached under another name once it is the default."""
    database = write_outputs(tmp_path / "out")
    stored = rows(database, "SELECT function_name, macro_definition FROM duckdb_functions() "
                            "WHERE database_name = current_database() AND function_type = 'table_macro'")
    assert {name for name, _ in stored} == {m.name for m in published_macros() if set(m.reads) <= {
        "journeys", "events", "journey_graph_edges"}}
    for name, definition in stored:
        assert str(tmp_path) not in definition and "parquet" not in definition.lower(), name
        assert "read_" not in definition and "'/" not in definition, name  # no file is read
    copy = tmp_path / "elsewhere" / "copy.duckdb"
    copy.parent.mkdir()
    copy.write_bytes(database.read_bytes())
    for path in (tmp_path / "out").glob("*.parquet"):
        path.unlink()
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{copy}' AS analysts (READ_ONLY)").fetchall()
        con.execute("USE analysts").fetchall()
        assert con.execute("SELECT count(*) FROM analysts.paths_from('Cart', 3)").fetchall() == [(2,)]
    finally:
        con.close()


def test_a_macro_is_created_only_when_its_tables_are_published(tmp_path: Path, write_outputs: Publish) -> None:
    """A mined log publishes no events: no timelines, but the path macros."""
    assert "events" not in MINE_OUTPUTS
    database = write_outputs(tmp_path / "mined", names=("journeys", "journey_graph_edges"))
    names = {r[0] for r in rows(database, "SELECT function_name FROM duckdb_functions() "
                                          "WHERE database_name = current_database()")}
    assert {"paths_from", "paths_to", "next_steps", "paths_after_dropoff"} <= names
    assert not {"customer_timeline", "journey_timeline", "friction_at", "conversion_by"} & names


def test_every_macro_says_what_it_answers_and_what_it_reads() -> None:
    """Each macro of sql/published/macros.sql has a comment starting with its call and a reads: line."""
    macros = published_macros()
    assert {"paths_from", "next_steps", "customer_timeline"} <= {m.name for m in macros}
    for macro in macros:
        assert macro.doc.startswith(f"{macro.name}(") and len(macro.doc) > 60, macro.name
        assert macro.reads and macro.sql.startswith(f"CREATE OR REPLACE MACRO {macro.name}("), macro.name


def test_every_ready_query_says_what_it_answers_and_its_parameters() -> None:
    """Each file of sql/queries opens with a comment: the question, then its parameters."""
    queries = ready_queries()
    assert len(queries) >= 7
    for query in queries:
        lines = query.path.read_text(encoding="utf-8").splitlines()
        header = lines[: next(i for i, line in enumerate(lines) if not line.startswith("--"))]
        assert lines[0].startswith("-- ") and query.summary and ":" in query.summary, query.name
        assert any(line.startswith("-- Parameters") for line in header), query.name


def test_the_published_run_is_found_through_current(tmp_path: Path, write_outputs: Publish) -> None:
    """find_analytics_db resolves `current`, so a later publish does not change what a reader
    holds; a folder without a run is an error that says what to run."""
    out = tmp_path / "out"
    with pytest.raises(JourneymineError, match="no published run in .*run `journeymine run`"):
        find_analytics_db(out)
    with run_folder(out, "20260301T020000Z-aaaaaa", keep_runs=2) as folder:
        write_outputs(folder)
    assert find_analytics_db(out) == (out / "runs" / "20260301T020000Z-aaaaaa" / "analytics.duckdb").resolve()
    con = open_analytics_db(out)
    try:
        assert con.execute("SELECT count(*) FROM journeys").fetchall() == [(4,)]
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE t (a INT)").fetchall()  # read-only
    finally:
        con.close()


def test_a_file_published_before_the_macros_gets_them_for_the_session(tmp_path: Path, write_outputs: Publish) -> None:
    """An older analytics.duckdb (views or tables, no macros) still answers paths_from in the shell."""
    folder = tmp_path / "old"
    write_outputs(folder)
    con = duckdb.connect(str(folder / "analytics.duckdb"))
    con.execute("DROP MACRO TABLE paths_from").fetchall()
    con.close()
    shell_con = open_analytics_db(folder)
    try:
        assert shell_con.execute("SELECT count(*) FROM paths_from('Cart', 2)").fetchall() == [(2,)]
    finally:
        shell_con.close()


def test_an_error_is_one_line_without_the_echoed_sql() -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as caught:
        con.execute("SELECT * FROM nope").fetchall()
    assert one_line(caught.value).startswith("Catalog Error: Table with name nope does not exist!")
    assert "\n" not in one_line(caught.value) and "LINE" not in one_line(caught.value)


def test_the_funnel_of_a_config_breaks_down_by_its_breakdown(tmp_path: Path, write_outputs: Publish) -> None:
    """`journeymine funnel --config` counts the run's funnel by the config's funnel.breakdown
    (attributes the run published), as the run did; --by replaces it."""
    write_outputs(tmp_path / "out")
    con = duckdb.connect()
    con.execute("COPY (SELECT journey_id, 'platform' AS attribute, CASE WHEN journey_id LIKE 'c1%' THEN 'web' "
                f"ELSE 'app' END AS value FROM '{tmp_path / 'out' / 'journeys.parquet'}') "
                f"TO '{tmp_path / 'out' / 'journey_attributes.parquet'}' (FORMAT parquet)").fetchall()
    con.close()
    write_analytics_db(tmp_path / "out", ("journeys", "events", "journey_graph_edges", "journey_attributes"))
    config = tmp_path / "journeymine.yaml"
    config.write_text(
        "output_dir: out\ndatabase: work.duckdb\nsources:\n  web: {path: 'web/*', preset: segment, channel: web}\n"
        "funnel:\n  breakdown: [platform, segment]\n  min_journeys: 1\n"
        "journey_map:\n  stages:\n"
        "    - {name: browse, activities: ['Product Detail']}\n"
        "    - {name: basket, activities: [Cart]}\n",
        encoding="utf-8",
    )
    text = funnel_of_run(None, load_config(config), stages=[], by=[])
    assert "by platform (segments with at least 1 entering journeys)" in text
    assert "by segment" not in text  # not published by this run
    with pytest.raises(JourneymineError, match="--by: unknown journey attribute 'segment'; expected one of platform"):
        funnel_of_run(None, load_config(config), stages=[], by=["segment"])
