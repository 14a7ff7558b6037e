"""Read a plain event log (XES, CSV, Parquet) as journeys: one journey per case.

`load_event_log(wh, spec)` reads the file into `journeys.log_input` (case, activity, time
and, if named, channel; in file order), checks every row, and exposes the kept ones as
`journeys.events_in_journeys`, the table every mining step starts from. Rows without a case,
an activity or a readable time are kept aside in `journeys.log_rejects` with their row
number and reason: rows read = rows kept + rows rejected.

Defaults follow pm4py's column names: `case:concept:name`, `concept:name`, `time:timestamp`.
XES is read with pm4py's reader (the only place it is needed); CSV and Parquet with DuckDB.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from journeymine.db import Warehouse, quote_ident
from journeymine.errors import ConfigError, SourceError

log = logging.getLogger(__name__)

LOG_FORMATS = ("xes", "csv", "parquet")
DEFAULT_CASE = "case:concept:name"
DEFAULT_ACTIVITY = "concept:name"
DEFAULT_TIMESTAMP = "time:timestamp"
DEFAULT_CHANNEL = "log"


@dataclass(frozen=True)
class LogSpec:
    """Where an event log is and which of its columns are the case, activity and time."""

    path: Path
    case: str = DEFAULT_CASE
    activity: str = DEFAULT_ACTIVITY
    timestamp: str = DEFAULT_TIMESTAMP
    channel: str | None = None  # a column; without one every event's channel is 'log'
    format: str | None = None  # xes, csv or parquet; None: from the file name
    delimiter: str | None = None  # CSV only; None: detected
    time_format: str | None = None  # strptime codes, 'epoch' or 'epoch_ms'; None: ISO 8601
    time_zone: str = "UTC"  # for times without an offset


@dataclass(frozen=True)
class LogLoadResult:
    """Rows read from the log, kept and rejected (by reason), and its cases and activities."""

    n_read: int
    n_kept: int
    n_rejected: int
    rejects_by_reason: dict[str, int]
    n_cases: int
    n_activities: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def detect_format(path: Path) -> str:
    """xes, csv or parquet from the file name ('.xes.gz', '.csv', '.tsv.gz', '.parquet', …)."""
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".xes", "xes"), (".csv", "csv"), (".tsv", "csv"), (".txt", "csv"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return fmt
    raise SourceError(
        f"{path}: cannot tell the log's format from its name; expected .xes, .xes.gz, .csv(.gz), "
        ".tsv(.gz) or .parquet, or give --format"
    )


def load_event_log(wh: Warehouse, spec: LogSpec) -> LogLoadResult:
    """Read the log into journeys.log_input, check it, and build journeys.events_in_journeys."""
    if not spec.path.is_file():
        raise SourceError(f"event log not found: {spec.path}")
    fmt = spec.format or detect_format(spec.path)
    if fmt not in LOG_FORMATS:
        raise ConfigError(f"unknown log format {fmt!r}; expected one of {', '.join(LOG_FORMATS)}")
    relation, reader_params = _read_relation(wh, spec, fmt)
    columns = _relation_columns(wh, relation, reader_params)
    wanted = {"case": spec.case, "activity": spec.activity, "timestamp": spec.timestamp}
    if spec.channel:
        wanted["channel"] = spec.channel
    missing = {role: column for role, column in wanted.items() if column not in columns}
    if missing:
        flags = ", ".join(f"--{role} {column!r}" for role, column in missing.items())
        raise SourceError(
            f"{spec.path}: no column for {flags}; the log's columns are {', '.join(map(repr, columns))}"
        )
    channel_sql = quote_ident(spec.channel) if spec.channel else "NULL::VARCHAR"
    # insertion order is kept (DuckDB's preserve_insertion_order), so rowid is the file order
    wh.execute(
        f"""
        CREATE OR REPLACE TABLE journeys.log_input AS
        SELECT {quote_ident(spec.case)} AS case_id, {quote_ident(spec.activity)} AS activity,
               {quote_ident(spec.timestamp)} AS time_value, {channel_sql} AS channel
        FROM {relation}
        """,
        reader_params,
    )
    _check_time_options(wh, spec)
    wh.build(
        "journeys.log_events_checked", "journeys/int_log_events_checked",
        {"time_format": spec.time_format, "time_zone": spec.time_zone, "channel": DEFAULT_CHANNEL},
    )
    wh.execute("DROP TABLE journeys.log_input")  # checked rows hold all that is needed: free the memory
    wh.build_view("journeys.events_in_journeys", "journeys/int_log_events_kept")
    wh.execute(
        "CREATE OR REPLACE VIEW journeys.log_rejects AS "
        "SELECT event_seq AS row_number, journey_id AS case_id, activity, time_text, reject_reason AS reason "
        "FROM journeys.log_events_checked WHERE reject_reason IS NOT NULL"
    )
    result = _count(wh)
    if result.n_read and not result.n_kept:
        raise SourceError(_nothing_kept_message(wh, spec, result))
    if result.n_rejected:
        log.warning(
            "%s: %d of %d rows rejected (%s); see log_rejects",
            spec.path, result.n_rejected, result.n_read,
            ", ".join(f"{reason}: {n}" for reason, n in result.rejects_by_reason.items()),
        )
    return result


def _read_relation(wh: Warehouse, spec: LogSpec, fmt: str) -> tuple[str, dict[str, Any]]:
    """SQL naming the whole log as a relation (a DuckDB reader, or a registered DataFrame),
    and the parameters it binds (the path and the delimiter travel as values)."""
    if fmt == "parquet":
        return "read_parquet($path)", {"path": str(spec.path)}
    if fmt == "csv":
        if spec.delimiter:
            return (
                "read_csv($path, header = true, all_varchar = true, delim = $delimiter)",
                {"path": str(spec.path), "delimiter": spec.delimiter},
            )
        return "read_csv($path, header = true, all_varchar = true)", {"path": str(spec.path)}
    frame = _read_xes(spec.path)
    wh.register("jm_xes_log", frame)
    return "jm_xes_log", {}


def _check_time_options(wh: Warehouse, spec: LogSpec) -> None:
    """A time zone DuckDB does not know, or a strptime format it cannot use, is the user's to fix."""
    try:
        wh.rows("SELECT timezone($zone, TIMESTAMP '2000-01-01')", {"zone": spec.time_zone})
    except duckdb.Error:
        raise ConfigError(
            f"--time-zone: unknown time zone {spec.time_zone!r}; expected an IANA name such as 'Europe/London'"
        ) from None
    if spec.time_format and spec.time_format not in ("epoch", "epoch_ms"):
        try:
            wh.rows("SELECT try_strptime('', $format)", {"format": spec.time_format})
        except duckdb.Error as exc:
            raise ConfigError(
                f"--time-format: {spec.time_format!r} is not a strptime format DuckDB reads ({exc}); "
                "expected codes such as '%Y/%m/%d %H:%M:%S', or epoch / epoch_ms"
            ) from None


def _read_xes(path: Path) -> Any:
    from journeymine.mining.pm4py_lazy import import_pm4py

    pm4py = import_pm4py()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "install r4pm to import faster"
            frame = pm4py.read_xes(str(path), return_legacy_log_object=False, show_progress_bar=False)
    except Exception as exc:  # pm4py raises many kinds for a bad file
        raise SourceError(f"{path}: not a readable XES log ({type(exc).__name__}: {exc})") from exc
    # pm4py may add its own index column; keep file order as read
    return frame.reset_index(drop=True)


def _relation_columns(wh: Warehouse, relation: str, params: dict[str, Any]) -> list[str]:
    try:
        return [row[0] for row in wh.rows(f"DESCRIBE SELECT * FROM {relation}", params)]
    except Exception as exc:  # DuckDB's IO/parser errors for unreadable files
        raise SourceError(f"cannot read the event log: {exc}") from exc


def _count(wh: Warehouse) -> LogLoadResult:
    n_read, n_kept, n_cases, n_activities = wh.rows(
        "SELECT count(*), count(*) FILTER (WHERE reject_reason IS NULL), "
        "count(DISTINCT journey_id) FILTER (WHERE reject_reason IS NULL), "
        "count(DISTINCT activity) FILTER (WHERE reject_reason IS NULL) FROM journeys.log_events_checked"
    )[0]
    reasons = dict(wh.rows(
        "SELECT reject_reason, count(*) FROM journeys.log_events_checked WHERE reject_reason IS NOT NULL "
        "GROUP BY reject_reason ORDER BY reject_reason"
    ))
    return LogLoadResult(
        n_read=int(n_read), n_kept=int(n_kept), n_rejected=int(n_read - n_kept), rejects_by_reason=reasons,
        n_cases=int(n_cases), n_activities=int(n_activities),
    )


def _nothing_kept_message(wh: Warehouse, spec: LogSpec, result: LogLoadResult) -> str:
    examples = [r[0] for r in wh.rows("SELECT time_text FROM journeys.log_rejects WHERE time_text IS NOT NULL LIMIT 3")]
    reasons = ", ".join(f"{reason}: {n}" for reason, n in result.rejects_by_reason.items())
    hint = ""
    if examples and result.rejects_by_reason.get("unparseable timestamp"):
        shown = ", ".join(repr(e) for e in examples)
        hint = (
            f"; column {spec.timestamp!r} holds values such as {shown}: give --time-format "
            "(strptime codes such as '%Y/%m/%d %H:%M:%S', or epoch / epoch_ms)"
        )
    return f"{spec.path}: no row could be used ({reasons}){hint}"
