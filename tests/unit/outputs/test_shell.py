"""`journeymine sql`'s shell (src/journeymine/outputs/shell.py): statements over lines, results
printed, errors in one line, dot commands; on a tiny published folder."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from journeymine.errors import JourneymineError
from journeymine.outputs.analyst import open_analytics_db
from journeymine.outputs.shell import SqlShell, _ends_statement, _without_end, run_sql

Publish = Callable[..., Path]


def typed(lines: list[str]) -> Callable[[str], str]:
    """An input() that types `lines`, then Ctrl-D."""
    pending = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    return read


@pytest.fixture
def shell(tmp_path: Path, write_outputs: Publish) -> Iterator[tuple[SqlShell, io.StringIO]]:
    write_outputs(tmp_path / "out")
    output = io.StringIO()
    con = open_analytics_db(tmp_path / "out")
    yield SqlShell(con, Console(file=output, width=120, highlight=False)), output
    con.close()


@pytest.mark.parametrize(("text", "complete", "bare"), [
    ("SELECT 1;", True, "SELECT 1"),
    ("SELECT 1; -- a note", True, "SELECT 1"),
    ("SELECT 1 -- not yet;", False, "SELECT 1"),
    ("SELECT 'a;", False, "SELECT 'a;"),
    ("SELECT 'a;…';", True, "SELECT 'a;…'"),
    ("-- a comment…\nSELECT 2\n;", True, "-- a comment…\nSELECT 2"),
])
def test_a_statement_ends_at_a_semicolon_outside_strings_and_comments(text: str, complete: bool, bare: str) -> None:
    """The prompt runs what was typed once a ';' ends it; the ';' and comments after it are cut
    (DuckDB's tokenizer, which counts bytes: non-ASCII text before them is kept whole)."""
    assert _ends_statement(text) is complete
    assert _without_end(text) == bare


def test_the_prompt_runs_multi_line_statements_and_goes_on_after_an_error(shell: tuple[SqlShell, io.StringIO]) -> None:
    """A statement may span lines; an error is one line without a traceback and the next
    statement runs; .quit leaves (what follows is not run)."""
    sh, output = shell
    sh.interact(typed(["SELECT count(*) AS n_journeys", "FROM journeys;", "SELECT * FROM nope;",
                       "SELECT 'still here' AS s;", ".quit", "SELECT 'never' AS s;"]))
    text = output.getvalue()
    assert "n_journeys" in text and "│          4 │" in text
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith("Error: Catalog Error: Table with name nope does not exist!")
    assert "Traceback" not in text and "still here" in text and "never" not in text


def test_dot_commands_list_tables_macros_and_queries(shell: tuple[SqlShell, io.StringIO]) -> None:
    sh, output = shell
    sh.interact(typed([".tables", ".macros", ".queries", ".schema journeys", ".help", ".bogus"]))
    text = output.getvalue()
    for expected in ("journey_graph_edges", "paths_from", "where journeys go from an activity", "top_paths_from",
                     "drop_off_activity", ".read NAME|FILE", "unknown or incomplete dot command '.bogus'"):
        assert expected in text, expected


def test_a_set_variable_is_silent_and_a_query_reads_it(shell: tuple[SqlShell, io.StringIO]) -> None:
    """SET VARIABLE prints nothing; a ready-made query run with .read uses it instead of its default."""
    sh, output = shell
    sh.interact(typed(["SET VARIABLE activity = 'Cart';", ".read top_paths_from"]))
    text = output.getvalue()
    assert "Success" not in text
    assert "Cart → Order Completed" in text and "Product Detail →" not in text


def test_sql_commands_and_files_run_in_order_and_stop_at_the_first_error(tmp_path: Path, write_outputs: Publish) -> None:
    """-c statements then files; a failing statement is a JourneymineError naming where it was."""
    write_outputs(tmp_path / "out")
    script = tmp_path / "q.sql"
    script.write_text("-- journeys per outcome\nSELECT outcome, count(*) AS n FROM journeys GROUP BY ALL ORDER BY 1;\n",
                      encoding="utf-8")
    output = io.StringIO()
    run_sql(tmp_path / "out", commands=["SET VARIABLE x = 1", ".tables"], files=[script],
            console=Console(file=output, width=100), output_format="csv")
    assert output.getvalue().splitlines()[-3:] == ["outcome,n", "abandoned,2", "converted,2"]
    with pytest.raises(JourneymineError, match=r"^-c 'SELECT nope': Binder Error: .*nope"):
        run_sql(tmp_path / "out", commands=["SELECT nope"], files=[script], console=Console(file=io.StringIO()))


def test_standard_input_that_is_not_a_terminal_is_one_script(tmp_path: Path, write_outputs: Publish) -> None:
    write_outputs(tmp_path / "out")
    output = io.StringIO()
    run_sql(tmp_path / "out", commands=[], files=[], console=Console(file=output, width=100), output_format="csv",
            stdin=io.StringIO("SELECT count(*) AS n\nFROM paths_from('Cart', 2);\n"))
    assert output.getvalue() == "n\n2\n"
