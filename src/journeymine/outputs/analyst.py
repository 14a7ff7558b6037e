"""For analysts who query without Python: the macros published in analytics.duckdb
(sql/published/macros.sql), the ready-made queries (sql/queries/), and the latest run's
analytics.duckdb opened read-only for `journeymine sql` and `journeymine show`.

A macro is stored in the file, so any DuckDB client that opens it can call it. Its table names
are looked up when it is called, in the session's database: the macros are created with the
published database as the default one, and read only tables inside it (no path).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from journeymine.config import Config
from journeymine.db import SQL_DIR, Warehouse, quote_ident
from journeymine.errors import JourneymineError
from journeymine.outputs.runs import published_folder

MACROS_FILE = SQL_DIR / "published" / "macros.sql"
QUERIES_DIR = SQL_DIR / "queries"
ANALYTICS_FILE = "analytics.duckdb"
_CREATE = re.compile(r"^CREATE OR REPLACE MACRO (\w+)\(", re.MULTILINE)
_READS = re.compile(r"^-- reads: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Macro:
    """A published macro: its name, the comment that documents it, the tables it reads, its SQL."""

    name: str
    doc: str
    reads: tuple[str, ...]
    sql: str


@cache
def published_macros() -> tuple[Macro, ...]:
    """The macros of sql/published/macros.sql, in file order. Each is a comment block (what it
    answers, its parameters, a `-- reads: table, ...` line) followed by one CREATE statement."""
    macros = []
    for block in re.split(r";[ \t]*\n", MACROS_FILE.read_text(encoding="utf-8")):
        create = _CREATE.search(block)
        if create is None:
            continue
        reads = _READS.search(block)
        if reads is None:
            raise JourneymineError(f"{MACROS_FILE}: macro {create.group(1)} has no '-- reads:' line")
        # the comment paragraph right above the statement (the file's header is above the first)
        paragraph = re.split(r"\n\s*\n", block[: create.start()].strip())[-1]
        comment = [line.removeprefix("--").strip() for line in paragraph.splitlines()
                   if line.startswith("--") and not line.startswith("-- reads:")]
        macros.append(Macro(
            name=create.group(1), doc=" ".join(comment),
            reads=tuple(t.strip() for t in reads.group(1).split(",")), sql=block[create.start():].strip(),
        ))
    return tuple(macros)


def create_published_macros(wh: Warehouse, catalog: str = "published") -> list[str]:
    """Create the published macros in the attached database `catalog`, each one whose tables
    are all there (a mined log has no events: no timelines); return their names. The macros
    are bound with `catalog` as the default database, then the previous default is restored."""
    tables = {row[0] for row in wh.rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $catalog AND schema_name = 'main'",
        {"catalog": catalog},
    )}
    database, schema = wh.rows("SELECT current_database(), current_schema()")[0]
    created = []
    wh.execute(f"USE {quote_ident(catalog)}")
    try:
        for macro in published_macros():
            if set(macro.reads) <= tables:
                wh.execute(macro.sql)
                created.append(macro.name)
    finally:
        wh.execute(f"USE {quote_ident(database)}.{quote_ident(schema)}")
    return created


def find_analytics_db(output_dir: Path) -> Path:
    """The published run's analytics.duckdb in `output_dir` (the file `current` leads to, so a
    later publish does not change what a reader holds), or the folder's own for the outputs of
    `journeymine mine` and of a journeymine before run folders."""
    folder = published_folder(output_dir)
    for candidate in ([folder / ANALYTICS_FILE] if folder else []) + [output_dir / ANALYTICS_FILE]:
        if candidate.is_file():
            return candidate
    raise JourneymineError(f"no published run in {output_dir}: expected {output_dir / ANALYTICS_FILE}; "
                           "run `journeymine run` (or `journeymine mine`) first")


def open_analytics_db(output_dir: Path) -> duckdb.DuckDBPyConnection:
    """The latest run's analytics.duckdb, read-only, times in UTC, with the published macros
    (created for the session when the file predates them)."""
    path = find_analytics_db(output_dir)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise JourneymineError(f"cannot open {path} read-only: {one_line(exc)}") from None
    con.execute("SET TimeZone = 'UTC'").fetchall()
    _add_missing_macros(con)
    return con


def _add_missing_macros(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP macros for the session, for a file published before the macros were."""
    present = {row[0] for row in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE database_name = current_database()"
    ).fetchall()}
    tables = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = current_database()"
    ).fetchall()}
    for macro in published_macros():
        if macro.name not in present and set(macro.reads) <= tables:
            try:
                con.execute(macro.sql.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO", 1)).fetchall()
            except duckdb.BinderException:
                pass  # an older output lacks a column the macro reads: the file opens without it


@dataclass(frozen=True)
class Query:
    """A ready-made query of sql/queries: its name (the file's stem), what it answers (its
    first comment line), its path."""

    name: str
    summary: str
    path: Path


def ready_queries() -> list[Query]:
    """The queries of sql/queries, by name."""
    queries = []
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("--")), "--")
        queries.append(Query(path.stem, first.removeprefix("--").strip(), path))
    return queries


def funnel_of_run(out: Path | None, config: Config | None, *, stages: Sequence[str], by: Sequence[str],
                  window_hours: float | None = None, ordering: str | None = None,
                  min_journeys: int | None = None) -> str:
    """`journeymine funnel`: the funnel of `stages` (activities in order), or the run's own funnel
    when `config` is given (its stages, label hygiene, and funnel settings and breakdown as the
    defaults of the options), counted on the outputs in `out` (default: the config's
    output_dir), as the text to print: all journeys, then per segment of each attribute."""
    from journeymine.config import FunnelConfig, LabelConfig
    from journeymine.insights.funnel import (
        attach_run_outputs, build_funnel, choose_stages, format_funnel, funnel_from_activities,
    )
    from journeymine.journeys.labels import label_activities, label_journey_map

    if config is not None and not config.journey_map.stages and not config.funnel.stages:
        raise JourneymineError(f"{config.path} has no funnel.stages or journey_map stages; give the stages with --stage")
    out = out or (config.output_dir if config else None)
    if out is None:
        raise JourneymineError("give the run's output folder with --out (or a config with --config)")
    if window_hours is not None and not window_hours > 0:
        raise JourneymineError(f"--window-hours: expected a positive number of hours, found {window_hours:g}")
    labels = config.labels if config else LabelConfig()
    with Warehouse(":memory:") as wh:
        available = attach_run_outputs(wh, out, template_urls=labels.template_urls)
        unknown = [attribute for attribute in by if attribute not in available]
        if unknown:
            raise JourneymineError(
                f"--by: unknown journey attribute {unknown[0]!r}; "
                + (f"expected one of {', '.join(available)}" if available
                   else "this run published no journey attributes")
            )
        # the config's funnel settings (or the defaults) unless an option says otherwise; the
        # config's breakdown by the attributes the run published, unless --by names others
        base = config.funnel if config else FunnelConfig(breakdown=())
        settings = FunnelConfig(
            window_hours=window_hours if window_hours is not None else base.window_hours,
            ordering=ordering or base.ordering,
            breakdown=tuple(dict.fromkeys(by)) or tuple(a for a in base.breakdown if a in available),
            min_journeys=min_journeys if min_journeys is not None else base.min_journeys,
        )
        if config is not None:  # the run's own funnel (journeymine.insights.funnel.choose_stages)
            funnel_stages = choose_stages(
                label_journey_map(wh, config.journey_map, labels),
                label_activities(wh, config.funnel.stages, labels),
                label_activities(wh, config.journeys.goal_activities, labels),
            )
        else:
            funnel_stages = funnel_from_activities(label_activities(wh, list(stages), labels))
        build_funnel(wh, funnel_stages, settings)
        lines = [f"journeymine funnel over {out} "
                 f"({settings.ordering} order, within {settings.window_hours:g} h of entering)", format_funnel(wh)]
        for attribute in settings.breakdown:
            lines.append(f"\nby {attribute} (segments with at least {settings.min_journeys} entering journeys):")
            lines.append(format_funnel(wh, attribute) or "  (no segment large enough)")
    return "\n".join(lines)


def one_line(exc: BaseException) -> str:
    """A DuckDB error as one line: its message and hint, without the echoed SQL and caret."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines) or type(exc).__name__
