"""`journeymine show`: the latest run's story in the terminal, read from its analytics.duckdb:
the top paths (variants), the friction findings with their evidence, the funnel and the alerts
(the changes since the previous run worth a look), as rich tables. Colour only on a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from journeymine.outputs.analyst import find_analytics_db, open_analytics_db
from journeymine.outputs.report.format import fmt_duration, fmt_int, fmt_pct

ARROW = " → "


def terminal() -> Console:
    """rich's console on stdout: colour and the terminal's width on a terminal, else plain text
    160 characters wide (a file, a pipe, a test)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def show_run(output_dir: Path, console: Console, *, top: int = 10) -> None:
    """Print the published run of `output_dir`: its id and counts, then the top `top` paths and
    friction findings, the funnel (all journeys) and the alerts. A section whose output the run
    did not publish (a mined log has no friction or funnel) says so."""
    con = open_analytics_db(output_dir)
    try:
        tables = {row[0] for row in _rows(con, "SELECT table_name FROM duckdb_tables() "
                                               "WHERE database_name = current_database()")}
        tables |= {row[0] for row in _rows(con, "SELECT view_name FROM duckdb_views() "
                                                "WHERE database_name = current_database() AND NOT internal")}
        console.print(_headline(con, tables, find_analytics_db(output_dir)), markup=False, highlight=False)
        for title, name, section in (
            (f"Top {top} paths (variants)", "variants", _paths),
            (f"Top {top} friction findings", "friction", _friction),
            ("Funnel (all journeys; drop: drop rate, to next: median time to the next stage)", "funnel", _funnel),
            ("Alerts: changes since the previous run", "changes", _alerts),
        ):
            console.print()
            console.rule(title, align="left", style="bold")
            if name not in tables:
                console.print(f"  not in this run ({name} is published by `journeymine run`)", style="dim")
                continue
            console.print(section(con, top))
    finally:
        con.close()


def _headline(con: duckdb.DuckDBPyConnection, tables: set[str], path: Path) -> str:
    label = "journeymine show: " + str(path)
    if "run" in tables:
        for run_id, finished_at in _rows(con, "SELECT run_id, finished_at FROM run"):
            label = f"journeymine show: run {run_id}, finished {finished_at:%Y-%m-%d %H:%M} UTC ({path})"
    counts = []
    if "journeys" in tables:
        n_customers, n_journeys = _rows(con, "SELECT count(DISTINCT customer_id), count(*) FROM journeys")[0]
        counts.append(f"{n_customers:,} customers with journeys, {n_journeys:,} journeys")
    if "variants" in tables:
        counts.append(f"{_rows(con, 'SELECT count(*) FROM variants')[0][0]:,} variants")
    if "journeys" in tables:
        rate = _rows(con, "SELECT count(*) FILTER (WHERE outcome = 'converted') / "
                          "nullif(count(*) FILTER (WHERE outcome IN ('converted', 'abandoned')), 0) FROM journeys")[0][0]
        if rate is not None:
            counts.append(f"{fmt_pct(rate)} of decided journeys converted")
    return label + ("\n" + ", ".join(counts) if counts else "")


def _paths(con: duckdb.DuckDBPyConnection, top: int) -> Table:
    table = _table(("#", "right"), ("path", "left"), ("journeys", "right"), ("share", "right"),
                   ("converted", "right"), ("median time", "right"))
    for rank, variant, n, share, conversion, median in _rows(
        con, "SELECT variant_rank, variant, n_journeys, share, conversion_rate, median_duration_seconds "
             "FROM variants ORDER BY variant_rank LIMIT $top", {"top": top},
    ):
        table.add_row(str(rank), ARROW.join(variant), fmt_int(n), fmt_pct(share), fmt_pct(conversion),
                      fmt_duration(median))
    return table


def _friction(con: duckdb.DuckDBPyConnection, top: int) -> Table:
    """A finding per row: its signal and touchpoint, then its evidence below (it wraps at any width)."""
    table = _table(("#", "right"), ("score", "right"), ("journeys", "right"), ("finding and evidence", "left"))
    for rank, score, signal, touchpoint, n, evidence in _rows(
        con, "SELECT friction_rank, score, signal, touchpoint, n_journeys_affected, evidence "
             "FROM friction ORDER BY friction_rank LIMIT $top", {"top": top},
    ):
        finding = Text(f"{signal}: {touchpoint}", style="bold")
        if evidence:
            finding.append(f"\n{evidence}", style="not bold")
        table.add_row(str(rank), f"{score:,.1f}", fmt_int(n), finding)
    return table


def _funnel(con: duckdb.DuckDBPyConnection, top: int) -> Table:
    table = _table(("stage", "left"), ("reached", "right"), ("went on", "right"), ("dropped", "right"),
                   ("pending", "right"), ("drop", "right"), ("from start", "right"), ("to next", "right"))
    table.columns[0].no_wrap = True
    for row in _rows(
        con, "SELECT stage_number, stage, n_reached, n_continued, n_dropped, n_pending, drop_rate, "
             "conversion_from_start, median_seconds_to_next FROM funnel WHERE dimension = 'all' ORDER BY stage_number",
    ):
        _, stage, reached, continued, dropped, pending, drop_rate, from_start, median = row
        table.add_row(stage, fmt_int(reached), fmt_int(continued), fmt_int(dropped), fmt_int(pending),
                      fmt_pct(drop_rate), fmt_pct(from_start), fmt_duration(median))
    return table


def _alerts(con: duckdb.DuckDBPyConnection, top: int) -> Table | str:
    alerts = _rows(con, "SELECT kind, subject, message FROM changes WHERE is_alert ORDER BY alert_rank, kind, subject")
    if not alerts:
        if not _has_run(con):
            return "  no alerts"
        previous = _rows(con, "SELECT previous_run_id FROM run")[0][0]
        return f"  no alerts since run {previous}" if previous else "  no alerts: no previous run to compare with"
    table = _table(("kind", "left"), ("subject", "left"), ("alert", "left"))
    for kind, subject, message in alerts:
        table.add_row(kind, subject, message)
    return table


def _table(*columns: tuple[str, str]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for name, justify in columns:  # numbers (right-aligned) on one line; text wraps
        table.add_column(name, justify=justify, overflow="fold", no_wrap=justify == "right")  # type: ignore[arg-type]
    return table


def _has_run(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(_rows(con, "SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
                           "AND table_name = 'run'"))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or {}).fetchall()
