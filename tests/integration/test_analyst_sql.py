"""Analysts without Python, on the sample's published run: every ready-made query of sql/queries
and every macro stored in analytics.duckdb answers with sensible rows on a fresh read-only
connection; `journeymine sql -c` and `journeymine show` tell the sample's story."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from journeymine.cli import main
from journeymine.outputs.analyst import published_macros, ready_queries

pytestmark = pytest.mark.integration


@pytest.fixture
def con(sample_run: dict) -> Iterator[duckdb.DuckDBPyConnection]:
    """A plain read-only DuckDB connection to the published file: no journeymine in between."""
    connection = duckdb.connect(str(sample_run["out"] / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


def results(con: duckdb.DuckDBPyConnection, path: Path) -> list[list[dict[str, Any]]]:
    """The rows (as dicts) of each statement of a .sql file that returns rows, in order."""
    answers = []
    for statement in duckdb.extract_statements(path.read_text(encoding="utf-8")):
        cursor = con.execute(statement.query)
        names = [column[0] for column in cursor.description or []]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if statement.type == duckdb.StatementType.SELECT:
            answers.append(rows)
    return answers


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:  # noqa: ANN401
    return con.execute(sql).fetchall()[0][0]


# what each ready-made query must show on the sample, beyond rows in every result
QUERY_CHECKS: dict[str, Callable[[duckdb.DuckDBPyConnection, list[list[dict[str, Any]]]], None]] = {
    "top_paths_from": lambda con, r: [row["path"].startswith("Product Detail") for row in r[0]] == [True] * len(r[0]),
    "top_paths_to": lambda con, r: all(row["path"].endswith("call: payment_issue") for row in r[0]),
    "paths_after_dropoff": lambda con, r: 0 < sum(row["share"] for row in r[0]) <= 1.001,
    "customer_journeys": lambda con, r: len({row["journey_id"].rsplit("-", 1)[0] for row in r[0]}) == 1
    and len({c for row in r[0] for c in row["channels"].split(", ")}) >= 2,
    "friction_by_segment": lambda con, r: {row["friction_rank"] for row in r[0]} <= {1, 2, 3, 4, 5},
    "stage_conversion_by_week": lambda con, r: all(
        a["n_reached"] >= b["n_reached"] for a, b in zip(r[0], r[0][1:], strict=False)
        if a["week_start"] == b["week_start"]
    ) and len({row["week_start"] for row in r[0]}) >= 4,
    "channel_switches": lambda con, r: all(row["source_channel"] != row["target_channel"] for row in r[0])
    and "Checkout Payment (web)" in {row["from_touchpoint"] for row in r[1]},
    "top_variants": lambda con, r: [row["variant_rank"] for row in r[0]] == list(range(1, 21)),
    "journeys_behind_a_finding": lambda con, r: r[0][0]["friction_rank"] == 1
    and {row["journey_id"] for row in r[1]} == set(one(con, "SELECT example_journey_ids FROM friction "
                                                           "WHERE friction_rank = 1")),
}


def test_every_ready_query_is_checked() -> None:
    assert {q.name for q in ready_queries()} == set(QUERY_CHECKS)


@pytest.mark.parametrize("query", ready_queries(), ids=lambda q: q.name)
def test_every_ready_query_runs_as_it_is_and_answers(query: Any, con: duckdb.DuckDBPyConnection) -> None:  # noqa: ANN401
    """Each file runs with its defaults on the published file; every result has rows, as the
    query's story expects."""
    answers = results(con, query.path)
    assert answers and all(answers), query.name
    assert QUERY_CHECKS[query.name](con, answers), query.name


def test_paths_from_and_to_an_activity(con: duckdb.DuckDBPyConnection) -> None:
    """paths_from('Product Detail', 5): paths of at most 5 steps starting there, one per journey
    reaching it; paths_to ends there."""
    rows = con.execute("SELECT path, n_steps, n_journeys, share, conversion_rate "
                       "FROM paths_from('Product Detail', 5)").fetchall()
    assert rows and all(path[0] == "Product Detail" and len(path) == n <= 5 for path, n, *_ in rows)
    reaching = one(con, "SELECT count(*) FROM journeys WHERE list_contains(path, 'Product Detail')")
    assert sum(r[2] for r in rows) == reaching and sum(r[3] for r in rows) == pytest.approx(1)
    assert rows[0][2] >= rows[-1][2] and all(0 <= r[4] <= 1 for r in rows if r[4] is not None)
    to = con.execute("SELECT path FROM paths_to('Order Completed', 3)").fetchall()
    assert to and all(path[-1] == "Order Completed" and len(path) <= 3 for (path,) in to)


def test_next_and_previous_steps(con: duckdb.DuckDBPyConnection) -> None:
    """next_steps('Checkout Payment'): the payment-issue call is among them, as a channel switch
    (the sample's story); previous_steps mirrors the graph's edges."""
    rows = con.execute("SELECT next_activity, next_channel, share, is_channel_switch "
                       "FROM next_steps('Checkout Payment')").fetchall()
    assert sum(r[2] for r in rows) == pytest.approx(1)
    assert ("call: payment_issue", "call_center", True) in {(r[0], r[1], r[3]) for r in rows}
    before = con.execute("SELECT sum(n_transitions) FROM previous_steps('Create Account')").fetchall()[0][0]
    assert before == one(con, "SELECT sum(n_transitions) FROM journey_graph_edges WHERE target_activity = 'Create Account'")


def test_paths_after_a_drop_off(con: duckdb.DuckDBPyConnection) -> None:
    """paths_after_dropoff counts every journey abandoned at the activity once: came back (with
    the next journey's first steps) or not (an empty path)."""
    rows = con.execute("SELECT path, came_back, n_journeys FROM paths_after_dropoff('Product Detail', 3)").fetchall()
    abandoned = one(con, "SELECT count(*) FROM journeys WHERE outcome = 'abandoned' "
                         "AND drop_off_activity = 'Product Detail'")
    assert sum(r[2] for r in rows) == abandoned > 0
    assert {r[1] for r in rows} == {True, False} and all(r[0] == [] for r in rows if not r[1])


def test_a_customers_timeline_and_a_journeys(con: duckdb.DuckDBPyConnection) -> None:
    """customer_timeline: every event of the customer, in the run's order, with each journey's
    outcome; journey_timeline: the steps of one journey."""
    customer = one(con, "SELECT customer_id FROM journeys GROUP BY ALL ORDER BY count(*) DESC, customer_id LIMIT 1")
    timeline = con.execute(f"SELECT occurred_at, journey_id, journey_outcome FROM customer_timeline('{customer}')").fetchall()
    assert len(timeline) == one(con, f"SELECT count(*) FROM events WHERE customer_id = '{customer}'")
    assert [r[0] for r in timeline] == sorted(r[0] for r in timeline)
    assert {r[2] for r in timeline if r[1] is not None} <= {"converted", "abandoned", "open"}
    journey = timeline[0][1]
    steps = con.execute(f"SELECT step_number FROM journey_timeline('{journey}')").fetchall()
    assert [s for (s,) in steps] == sorted(s for (s,) in steps) and len(steps) >= 1


def test_friction_at_an_activity_and_conversion_by_an_attribute(con: duckdb.DuckDBPyConnection) -> None:
    """friction_at(the top finding's activity) lists the top finding; conversion_by('platform')
    counts every journey with a platform once."""
    activity = one(con, "SELECT activity FROM friction WHERE friction_rank = 1")
    assert 1 in {r[0] for r in con.execute(f"SELECT friction_rank FROM friction_at('{activity}')").fetchall()}
    by_platform = con.execute("SELECT value, n_journeys, conversion_rate FROM conversion_by('platform')").fetchall()
    assert sum(r[1] for r in by_platform) == one(con, "SELECT count(*) FROM journey_attributes "
                                                      "WHERE attribute = 'platform'")
    assert {"app/iOS", "web/Windows"} <= {r[0] for r in by_platform}


def test_every_macro_is_stored_in_the_file_and_tested(con: duckdb.DuckDBPyConnection) -> None:
    """The published file holds every macro (not a session's temporary one); each is called above."""
    stored = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() "
                                        "WHERE database_name = current_database() AND NOT internal").fetchall()}
    names = {m.name for m in published_macros()}
    assert names <= stored
    tested = {"paths_from", "paths_to", "next_steps", "previous_steps", "paths_after_dropoff", "customer_timeline",
              "journey_timeline", "friction_at", "conversion_by"}
    assert names == tested


def test_sql_c_answers_from_the_command_line(sample_run: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine sql --config … -c` prints the answer, here as CSV for a script."""
    assert main(["sql", "--config", str(sample_run["config"]), "--format", "csv",
                 "-c", "SELECT count(*) AS n FROM journeys"]) == 0
    con = duckdb.connect(str(sample_run["out"] / "analytics.duckdb"), read_only=True)
    try:
        assert capsys.readouterr().out == f"n\n{one(con, 'SELECT count(*) FROM journeys')}\n"
    finally:
        con.close()
    assert main(["sql", "--out", str(sample_run["out"]), "top_paths_from"]) == 0
    assert "Product Detail → Product Added" in capsys.readouterr().out


def test_show_tells_the_runs_story(sample_run: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine show`: the top friction finding (read from friction.parquet) with its
    evidence, the top path, the funnel's stages and the alerts, as plain text when not on a terminal."""
    out = sample_run["out"]
    assert main(["show", "--out", str(out), "--top", "5"]) == 0
    text = capsys.readouterr().out
    touchpoint, evidence = duckdb.sql(
        f"SELECT touchpoint, evidence FROM read_parquet('{out / 'friction.parquet'}') WHERE friction_rank = 1"
    ).fetchall()[0]
    top_path = duckdb.sql(f"SELECT variant FROM read_parquet('{out / 'variants.parquet'}') "
                          "WHERE variant_rank = 1").fetchall()[0][0]
    assert touchpoint in text and evidence.split(";")[0] in text
    assert " → ".join(top_path)[:40] in text
    for expected in ("Top 5 paths", "Top 5 friction findings", "Funnel", "browse", "checkout", "Alerts"):
        assert expected in text, expected
    assert "\x1b[" not in text  # no colour codes outside a terminal


def test_the_duckdb_cli_of_the_environment_opens_the_published_database(sample_run: dict) -> None:
    """.venv/bin/duckdb (duckdb-cli, a dependency) opens analytics.duckdb, written in DuckDB
    1.5's storage format for it, and calls a published macro: analysts need no Python."""
    import subprocess
    import sys

    cli = Path(sys.executable).with_name("duckdb")
    answer = subprocess.run(
        [str(cli), "-readonly", "-csv", str(sample_run["out"] / "analytics.duckdb"), "-c",
         "SELECT count(*) AS n FROM journeys; SELECT path[1] AS first FROM paths_from('Cart', 3) LIMIT 1;"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()
    with duckdb.connect(str(sample_run["out"] / "analytics.duckdb"), read_only=True) as con:
        n_journeys = con.execute("SELECT count(*) FROM journeys").fetchall()[0][0]
    assert answer == ["n", str(n_journeys), "first", "Cart"]
