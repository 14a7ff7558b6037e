"""`journeymine sql`: a SQL shell on the latest run's analytics.duckdb (read-only), for analysts
without Python: the run published through `current` is found for them, and the ready-made
queries of sql/queries are at hand (DuckDB's own shell, .venv/bin/duckdb from duckdb-cli, opens
the file too).

Statements end with ';' and may span lines; results print as DuckDB's own shell prints them
(at most `max_rows` rows), or as CSV; an error prints as one line and the shell goes on. Dot
commands: .tables, .schema, .macros, .queries, .read, .maxrows, .help, .quit. `-c` statements
and .sql files run without a prompt and stop at the first error.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from journeymine.db import quote_ident
from journeymine.errors import JourneymineError
from journeymine.outputs.analyst import (
    QUERIES_DIR, find_analytics_db, one_line, open_analytics_db, published_macros, ready_queries,
)

PROMPT, MORE = "jm> ", "...> "
_KIND = duckdb.StatementType
# statements whose result only says they ran: nothing is printed
SILENT = {_KIND.CREATE, _KIND.DROP, _KIND.SET, _KIND.VARIABLE_SET, _KIND.ALTER, _KIND.TRANSACTION, _KIND.ATTACH,
          _KIND.DETACH, _KIND.LOAD, _KIND.EXTENSION, _KIND.PREPARE, _KIND.CREATE_FUNC}
HELP = """\
End a statement with ';' (it may span lines). Dot commands:
  .tables             the published tables, with their rows
  .schema TABLE       the columns of a table
  .macros             the published macros (table functions: FROM paths_from('Cart', 4))
  .queries            the ready-made queries of sql/queries
  .read NAME|FILE     run a ready-made query by name, or a .sql file
  .maxrows N          print at most N rows of a result (0: all)
  .help               this help
  .quit               leave (also .exit, Ctrl-D)
Set a query's parameters before reading it, e.g. SET VARIABLE activity = 'Cart'; .read top_paths_from"""


class SqlShell:
    """Statements and dot commands on an open connection, printed to `console`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, console: Console, *, max_rows: int = 40,
                 output_format: str = "table") -> None:
        self.con, self.console, self.max_rows, self.output_format = con, console, max_rows, output_format

    # --- scripts and statements ----------------------------------------------------------

    def run_script(self, text: str) -> bool:
        """Run the statements and dot commands (a line of their own) of `text` in order; raise
        duckdb.Error at the first that fails. False when it asks to leave (.quit)."""
        buffer: list[str] = []
        for line in text.splitlines():
            if not buffer and line.strip().startswith("."):
                if not self.dot(line):
                    return False
                continue
            buffer.append(line)
            if _ends_statement("\n".join(buffer)):
                self.run_statements("\n".join(buffer))
                buffer.clear()
        self.run_statements("\n".join(buffer))  # the last statement may lack its ';'
        return True

    def run_statements(self, text: str) -> None:
        for statement in duckdb.extract_statements(text):
            self.run_statement(statement.query, statement.type)

    def run_statement(self, sql: str, kind: Any = _KIND.SELECT) -> None:
        """Run one statement and print its result as DuckDB's shell does (a box, the middle rows
        and columns left out when they do not fit), or as CSV; nothing for a statement that only
        says it succeeded (SET VARIABLE, CREATE TEMP ...)."""
        if self.output_format == "csv" or kind in SILENT or kind == _KIND.EXPLAIN:
            cursor = self.con.execute(sql)
            columns, rows = cursor.description or [], cursor.fetchall()
            if kind == _KIND.EXPLAIN:  # the plan as drawn, not as a cell
                self.console.file.write("".join(f"{row[-1]}\n" for row in rows))
            elif kind not in SILENT and [c[0] for c in columns] != ["Success"]:
                self._print_csv(columns, rows)
            return
        relation = self.con.sql(_without_end(sql))
        if relation is None or (kind != _KIND.SELECT and relation.columns == ["Success"]):
            return
        with redirect_stdout(self.console.file):
            relation.show(max_width=self.console.width, max_rows=self.max_rows if self.max_rows > 0 else 2**62)

    def _print_csv(self, columns: list[Any], rows: list[tuple[Any, ...]]) -> None:
        writer = csv.writer(self.console.file, lineterminator="\n")
        writer.writerow([c[0] for c in columns])
        writer.writerows([["" if v is None else cell_text(v, digits=None) for v in row] for row in rows])

    # --- dot commands ----------------------------------------------------------------------

    def dot(self, line: str) -> bool:
        """Run a dot command; False when it asks to leave."""
        command, _, argument = line.strip().partition(" ")
        argument = argument.strip().rstrip(";")
        if command in (".quit", ".exit", ".q"):
            return False
        if command == ".help":
            self.console.print(HELP, markup=False, highlight=False)
        elif command == ".tables":
            self.run_statement(
                "SELECT table_name AS name, estimated_size AS n_rows, column_count AS n_columns FROM duckdb_tables() "
                "WHERE database_name = current_database() UNION ALL SELECT view_name, NULL, column_count "
                "FROM duckdb_views() WHERE database_name = current_database() AND NOT internal ORDER BY name"
            )
        elif command == ".schema" and argument:
            self.run_statement("SELECT column_name, column_type FROM (DESCRIBE " + quote_ident(argument) + ")")
        elif command == ".macros":
            self._list_macros()
        elif command == ".queries":
            self.console.print(text_table(("name", "answers"), [(q.name, q.summary) for q in ready_queries()]))
        elif command == ".read" and argument:
            self.run_script(_query_path(argument).read_text(encoding="utf-8"))
        elif command == ".maxrows" and argument.isdigit():
            self.max_rows = int(argument)
        else:
            self.console.print(f"unknown or incomplete dot command {line.strip()!r}: .help lists them", style="red",
                               markup=False)
        return True

    def _list_macros(self) -> None:
        present = {row[0] for row in self.con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
        ).fetchall()}
        rows = [(m.name, m.doc.split(": ", 1)[-1]) for m in published_macros() if m.name in present]
        self.console.print(text_table(("macro", "answers"), rows))

    # --- the prompt ------------------------------------------------------------------------

    def interact(self, read_line: Callable[[str], str] = input) -> None:
        """Read statements and dot commands until .quit or end of input; print each error as
        one line and go on."""
        buffer: list[str] = []
        while True:
            try:
                line = read_line(MORE if buffer else PROMPT)
            except EOFError:
                self.console.print()
                return
            except KeyboardInterrupt:  # Ctrl-C drops the statement being typed
                self.console.print()
                buffer.clear()
                continue
            if not buffer and line.strip().startswith("."):
                if not self._guarded(lambda: self.dot(line)):
                    return
                continue
            if not buffer and not line.strip():
                continue
            buffer.append(line)
            text = "\n".join(buffer)
            if _ends_statement(text):
                buffer.clear()
                self._guarded(lambda: self.run_statements(text))

    def _guarded(self, action: Callable[[], Any]) -> Any:
        """Run `action`; print a failure as one line (True: the shell goes on)."""
        try:
            return action()
        except (duckdb.Error, JourneymineError, OSError) as exc:
            self.console.print(f"Error: {one_line(exc)}", style="red", markup=False, highlight=False, soft_wrap=True)
        except KeyboardInterrupt:  # Ctrl-C stops the statement, not the shell
            self.con.interrupt()
            self.console.print("interrupted", style="red")
        return True


def run_sql(output_dir: Path, *, commands: list[str], files: list[Path], console: Console,
            output_format: str = "table", max_rows: int = 40, stdin: TextIO | None = None,
            history: Path | None = None) -> None:
    """`journeymine sql`: run `commands`, then `files`, on the latest run's analytics.duckdb and
    stop at the first error (a JourneymineError); with neither, read statements from `stdin`:
    a prompt when it is a terminal, else one script."""
    stdin = stdin or sys.stdin
    con = open_analytics_db(output_dir)
    shell = SqlShell(con, console, max_rows=max_rows, output_format=output_format)
    try:
        scripts = [(f"-c {text!r}", text) for text in commands]
        scripts += [(str(path), _read(path)) for path in files]
        if not scripts and not stdin.isatty():
            scripts = [("standard input", stdin.read())]
        for where, text in scripts:
            try:
                if not shell.run_script(text):
                    break
            except duckdb.Error as exc:
                raise JourneymineError(f"{where}: {one_line(exc)}") from None
        if not scripts:
            console.print(f"journeymine sql on {find_analytics_db(output_dir)} ({_run_label(con)}), read-only; "
                          "end statements with ';', .help for help, .quit to leave", markup=False, highlight=False,
                          soft_wrap=True)
            with _history(history):
                shell.interact()
    finally:
        con.close()


def text_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    """A list for people (.macros, .queries): columns of text that wrap."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def cell_text(value: Any, digits: int | None = 6) -> str:
    """A value as DuckDB's shell writes it: lists [a, b], structs {k: v}, floats to `digits`
    significant digits (None: all)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join("NULL" if v is None else cell_text(v, digits) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {'NULL' if v is None else cell_text(v, digits)}" for k, v in value.items()) + "}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _trailing(sql: str) -> tuple[bytes, int]:
    """`sql` as UTF-8 and the byte where its trailing comments and semicolons begin (DuckDB's
    tokenizer, which counts bytes: a ';' or '--' inside a string is not one)."""
    data, end = sql.encode(), len(sql.encode())
    for start, kind in reversed(duckdb.tokenize(sql)):
        if kind != duckdb.token_type.comment and not (kind == duckdb.token_type.operator and data[start:start + 1] == b";"):
            break
        end = start
    return data, end


def _without_end(sql: str) -> str:
    """A statement without its closing ';' and comments after it: a relation wraps its text."""
    data, end = _trailing(sql)
    return data[:end].decode().rstrip()


def _ends_statement(text: str) -> bool:
    """True when typed text ends with a ';' outside strings and comments."""
    data, end = _trailing(text)
    return any(start >= end and data[start:start + 1] == b";" for start, _ in duckdb.tokenize(text))


def _run_label(con: duckdb.DuckDBPyConnection) -> str:
    try:
        run_id, finished_at = con.execute("SELECT run_id, finished_at FROM run").fetchall()[0]
    except (duckdb.Error, IndexError):
        return "a run without its manifest"
    return f"run {run_id}, finished {finished_at:%Y-%m-%d %H:%M} UTC"


def _query_path(name: str) -> Path:
    """A ready-made query's file by name (sql/queries/NAME.sql), or a path."""
    candidate = QUERIES_DIR / f"{name}.sql"
    return candidate if candidate.is_file() else Path(name)


def _read(path: Path) -> str:
    try:
        return _query_path(str(path)).read_text(encoding="utf-8")
    except OSError as exc:
        raise JourneymineError(f"cannot read {path}: {exc.strerror}") from None


@contextmanager
def _history(path: Path | None) -> Iterator[None]:
    """readline's line editing at the prompt and its history kept in `path`, where the platform
    has readline (without it the prompt still works)."""
    try:
        import readline
    except ImportError:
        yield
        return
    with suppress(OSError):
        if path is not None and path.is_file():
            readline.read_history_file(path)
    try:
        yield
    finally:
        if path is not None:
            readline.set_history_length(1000)
            with suppress(OSError):
                readline.write_history_file(path)
