"""The one module that owns DuckDB connections and runs the SQL models under `sql/`.

A model is a `.sql` file holding one `select`; `Warehouse.build(table, model, params)` turns
it into a table. Values travel as bound parameters (`$name` in the SQL), never pasted into
SQL text; the only names spliced into SQL are identifiers, quoted by `quote_ident`.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from journeymine.errors import JourneymineError
from journeymine.schema import PLACEHOLDERS, placeholder_pattern

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# Kept in the database file between runs: what was read (staged), who is who (identity: the
# identity map of the last run, to compare the next one with) and the registry (meta).
SCHEMAS = ("staged", "identity", "meta")
# Rebuilt by every run: in-memory databases attached under these names for the run's
# connection, so `journeys.steps` reads as before, but millions of intermediate rows are not
# written to disk (DuckDB spills them to temp_directory beyond the memory limit).
RUN_LAYERS = ("stitched", "journeys", "marts")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def quote_ident(name: str) -> str:
    """Quote an identifier (table, column, schema) for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def table_name(schema: str, name: str) -> str:
    """The quoted `schema.name` of a table."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


@cache
def model_sql(model: str) -> str:
    """The text of the model `model` (e.g. 'staged/stg_segment__events'), without its trailing ';'."""
    path = SQL_DIR / f"{model}.sql"
    if not path.is_file():
        raise JourneymineError(
            f"SQL model {model!r} not found at {path}; journeymine reads sql/ from its source tree "
            "(install it with `pip install -e .` from a clone)"
        )
    return path.read_text(encoding="utf-8").strip().rstrip(";")


# the connections open in this process: a stop (journeymine.runcontrol) interrupts their queries
OPEN_CONNECTIONS: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


class Warehouse:
    """A DuckDB database file with journeymine's schemas and macros, and the means to run models."""

    def __init__(self, path: Path | str, *, memory_limit: str | None = None, threads: int | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        OPEN_CONNECTIONS.add(self.con)
        self.con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if self.path is not None:
            spill = self.path.with_suffix(".spill")
            self.con.execute(f"SET temp_directory = '{_sql_string(str(spill))}'")
        for schema in SCHEMAS:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
        # a working database of an older journeymine holds these layers as schemas of its file
        for (schema,) in self.con.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() "
            "AND list_contains(['raw', 'stitched', 'journeys', 'marts'], schema_name)"
        ).fetchall():
            self.con.execute(f"DROP SCHEMA {quote_ident(schema)} CASCADE")
        for layer in RUN_LAYERS:
            self.con.execute(f"ATTACH ':memory:' AS {quote_ident(layer)}")
        self.con.execute(model_sql("macros"))
        self.set_placeholders(PLACEHOLDERS)

    def set_placeholders(self, placeholders: Sequence[str]) -> None:
        """The identifier values that stand for "no one" (identity.placeholders), as the macro
        jm_is_placeholder reads them."""
        self.con.execute("SET VARIABLE jm_placeholders = $p", {"p": placeholder_pattern(tuple(placeholders))})

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running SQL -------------------------------------------------------------------

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement, binding the `$name` parameters it uses from `params`."""
        self.con.execute(sql, _bind(sql, params)).fetchall()

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return all its rows."""
        return self.con.execute(sql, _bind(sql, params)).fetchall()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run a query that returns one value."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def df(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame."""
        return self.con.execute(sql, _bind(sql, params)).df()

    def arrays(self, model: str, params: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Run the model `model` and return its columns as numpy arrays, for the passes that
        walk sorted rows as arrays (journeymine.journeys.timeline). A column holding NULLs is a
        masked array; `floats` reads one as floats with NULL as NaN."""
        sql = model_sql(model)
        return dict(self.con.execute(sql, _bind(sql, params)).fetchnumpy())

    def create_from_arrays(self, table: str, columns: Mapping[str, Any]) -> int:
        """Create (or replace) `table` ('schema.name') from columns (numpy or Arrow arrays of one
        length); returns its row count."""
        schema, name = table.split(".", 1)
        frame = pa.table(dict(columns))
        self.con.register("_jm_arrays", frame)
        try:
            self._drop_if_kind(schema, name, "VIEW")
            self.execute(f"CREATE OR REPLACE TABLE {table_name(schema, name)} AS SELECT * FROM _jm_arrays")
        finally:
            self.con.unregister("_jm_arrays")
        return frame.num_rows

    def select(self, model: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run the model `model` and return its rows as a DataFrame (for small results)."""
        return self.df(model_sql(model), params)

    def build(self, table: str, model: str, params: Mapping[str, Any] | None = None) -> int:
        """Create (or replace) `table` ('schema.name', or 'temp.name' for a temporary table) from
        the model `model`; return its row count."""
        schema, name = table.split(".", 1)
        qualified = table_name(schema, name)
        kind = "TEMP TABLE" if schema == "temp" else "TABLE"
        if schema != "temp":
            self._drop_if_kind(schema, name, "VIEW")
        sql = f"CREATE OR REPLACE {kind} {qualified if schema != 'temp' else quote_ident(name)} AS {model_sql(model)}"
        self.execute(sql, params)
        return int(self.scalar(f"SELECT count(*) FROM {qualified}"))

    def build_view(self, view: str, model: str) -> None:
        """Create (or replace) the view `view` ('schema.name') over the parameterless model `model`."""
        schema, name = view.split(".", 1)
        self._drop_if_kind(schema, name, "BASE TABLE")
        self.execute(f"CREATE OR REPLACE VIEW {table_name(schema, name)} AS {model_sql(model)}")

    def _drop_if_kind(self, schema: str, name: str, kind: str) -> None:
        """Drop `schema.name` if it is a `kind` ('VIEW' or 'BASE TABLE'): a model may be built as a
        view in one place and as a table in another, and CREATE OR REPLACE does not replace one
        kind with the other."""
        found = self.scalar(
            f"SELECT count(*) FROM information_schema.tables WHERE {_located()} AND table_type = $kind",
            {**_location(schema, name), "kind": kind},
        )
        if found:
            self.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {table_name(schema, name)}")

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame visible to SQL as the view `name` for this connection."""
        self.con.register(name, frame)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append the rows of a DataFrame to the existing `table` ('schema.name'), matching columns by name."""
        schema, name = table.split(".", 1)
        self.con.register("_jm_frame", frame)
        try:
            self.execute(f"INSERT INTO {table_name(schema, name)} BY NAME SELECT * FROM _jm_frame")
        finally:
            self.con.unregister("_jm_frame")

    def table_exists(self, schema: str, name: str) -> bool:
        return bool(
            self.scalar(f"SELECT count(*) FROM information_schema.tables WHERE {_located()}", _location(schema, name))
        )

    def require_tables(self, tables: Sequence[tuple[str, str]], what: str, build_first: str) -> None:
        """Raise unless every (schema, name) in `tables` exists: `what` (the step that reads
        them) needs them, and `build_first` says what to build before it."""
        for schema, name in tables:
            if not self.table_exists(schema, name):
                raise JourneymineError(
                    f"{what} needs the table {schema}.{name}, which does not exist; {build_first}"
                )

    def columns(self, schema: str, name: str) -> list[str]:
        """Column names of a table, in order."""
        rows = self.rows(
            f"SELECT column_name FROM information_schema.columns WHERE {_located()} ORDER BY ordinal_position",
            _location(schema, name),
        )
        return [r[0] for r in rows]

    @contextmanager
    def temp_view(self, name: str, sql: str) -> Iterator[None]:
        """A temporary view `name` over `sql` (identifiers already quoted) for the duration of a block."""
        self.execute(f"CREATE OR REPLACE TEMP VIEW {quote_ident(name)} AS {sql}")
        try:
            yield
        finally:
            self.execute(f"DROP VIEW IF EXISTS {quote_ident(name)}")


def _location(schema: str, name: str) -> dict[str, str]:
    """Where information_schema finds `schema.name`: a run layer is a catalog of its own."""
    if schema in RUN_LAYERS:
        return {"catalog": schema, "schema": "main", "name": name}
    return {"catalog": "", "schema": schema, "name": name}


def _located() -> str:
    return ("table_name = $name AND table_schema = $schema "
            "AND (table_catalog = $catalog OR ($catalog = '' AND table_catalog = current_database()))")


def floats(values: np.ndarray) -> np.ndarray:
    """A numeric column as floats, NULL (a masked entry) as NaN."""
    return np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)


def _bind(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters `sql` uses, taken from `params`; a missing one is a programming error."""
    wanted = dict.fromkeys(_PARAM.findall(_strip_strings(sql)))
    params = params or {}
    missing = [name for name in wanted if name not in params]
    if missing:
        raise JourneymineError(f"SQL needs parameters {', '.join(missing)} that were not given")
    return {name: params[name] for name in wanted}


def _strip_strings(sql: str) -> str:
    """SQL text without its string literals and comments, so '$.a' inside a JSON path is not a parameter."""
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def _checked_size(size: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", size):
        raise JourneymineError(f"memory limit {size!r} is not a size such as '2GB'")
    return size


def _sql_string(value: str) -> str:
    return value.replace("'", "''")
