"""Reading a plain event log for `journeymine mine` (src/journeymine/mining/eventlog.py) and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeymine.cli import main
from journeymine.db import Warehouse
from journeymine.errors import EXIT_INPUT, SourceError
from journeymine.mining.eventlog import LogSpec, detect_format, load_event_log

CSV_HEADER = "case:concept:name,concept:name,time:timestamp\n"


def test_every_row_is_kept_or_rejected_with_its_reason(warehouse: Warehouse, write_file) -> None:
    """Rows without a case, an activity or a readable time are set aside with their row number
    and reason; rows read = rows kept + rows rejected."""
    path = write_file("log.csv", CSV_HEADER + (
        "c1,A,2025-01-01T10:00:00Z\n"
        ",B,2025-01-01T10:01:00Z\n"
        "c1,,2025-01-01T10:02:00Z\n"
        "c1,C,yesterday\n"
        "c1,D,\n"
        "c1,E,2025-01-01T10:05:00Z\n"
    ))
    result = load_event_log(warehouse, LogSpec(path))
    assert (result.n_read, result.n_kept, result.n_rejected) == (6, 2, 4)
    assert warehouse.rows("SELECT row_number, reason FROM journeys.log_rejects ORDER BY row_number") == [
        (2, "missing case id"), (3, "missing activity"), (4, "unparseable timestamp"), (5, "missing timestamp"),
    ]
    assert warehouse.rows("SELECT activity FROM journeys.events_in_journeys ORDER BY event_seq") == [("A",), ("E",)]


def test_column_options_name_the_case_activity_time_and_channel(warehouse: Warehouse, write_file) -> None:
    """Any column names work when given; a channel column becomes each event's channel, and a
    time format with a zone reads wall-clock times."""
    path = write_file("calls.csv", "ticket;step;when;via\nT1;opened;22/10/2025 11:15;phone\nT1;closed;22/10/2025 12:00;web\n")
    load_event_log(warehouse, LogSpec(
        path, case="ticket", activity="step", timestamp="when", channel="via", delimiter=";",
        time_format="%d/%m/%Y %H:%M", time_zone="Europe/London",
    ))
    rows = warehouse.rows(
        "SELECT journey_id, activity, channel, strftime(occurred_at, '%Y-%m-%d %H:%M') FROM journeys.events_in_journeys "
        "ORDER BY event_seq"
    )
    assert rows == [("T1", "opened", "phone", "2025-10-22 10:15"), ("T1", "closed", "web", "2025-10-22 11:00")]


def test_a_missing_column_names_the_option_and_the_columns_found(warehouse: Warehouse, write_file) -> None:
    """Asking for a column the log lacks says which option, and lists the log's columns."""
    path = write_file("log.csv", "Case ID;Activity;Complete Timestamp\nA;ER;2014/10/22 11:15:41.000\n")
    with pytest.raises(SourceError) as error:
        load_event_log(warehouse, LogSpec(path, case="Case ID", delimiter=";"))
    message = str(error.value)
    assert "--activity 'concept:name'" in message and "'Complete Timestamp'" in message


def test_unreadable_times_everywhere_suggest_a_time_format(warehouse: Warehouse, write_file) -> None:
    """When no time can be read, the error shows example values and points to --time-format."""
    path = write_file("clicks.tsv", "SessionId\tItemId\tTime\n3\t2147\t1396437466.94\n")
    with pytest.raises(SourceError, match=r"'1396437466.94'.*--time-format"):
        load_event_log(warehouse, LogSpec(path, case="SessionId", activity="ItemId", timestamp="Time"))
    load_event_log(warehouse, LogSpec(path, case="SessionId", activity="ItemId", timestamp="Time", time_format="epoch"))
    assert warehouse.scalar("SELECT epoch(occurred_at) FROM journeys.events_in_journeys") == pytest.approx(1396437466.94)


@pytest.mark.parametrize(("name", "fmt"), [
    ("log.xes", "xes"), ("log.XES.gz", "xes"), ("a.csv.gz", "csv"), ("b.tsv", "csv"), ("c.parquet", "parquet"),
])
def test_the_format_comes_from_the_file_name(name: str, fmt: str) -> None:
    """The file name's suffix (ignoring .gz) tells the format."""
    assert detect_format(Path(name)) == fmt


def test_an_unknown_suffix_asks_for_format() -> None:
    """A name without a known suffix is refused with the suffixes that work and --format."""
    with pytest.raises(SourceError, match="--format"):
        detect_format(Path("log.json"))


def test_mine_command_writes_the_outputs_and_a_reconciled_manifest(write_file, tmp_path: Path, capsys) -> None:
    """`journeymine mine LOG --out DIR` writes the mining outputs, analytics.duckdb and a manifest
    whose rows read equal events kept plus rejected; goals decide outcomes."""
    path = write_file("log.csv", CSV_HEADER + (
        "c1,Home,2025-01-01T10:00:00Z\nc1,Buy,2025-01-01T10:05:00Z\n"
        "c2,Home,2025-01-01T11:00:00Z\nc2,Cart,2025-01-01T11:05:00Z\nc2,Home,bad\n"
    ))
    out = tmp_path / "out"
    assert main(["mine", str(path), "--out", str(out), "--goal", "Buy"]) == 0
    for name in ("journeys", "variants", "journey_graph_nodes", "journey_graph_edges", "dropoffs", "log_rejects"):
        assert (out / f"{name}.parquet").is_file(), name
    assert (out / "analytics.duckdb").is_file()
    manifest = json.loads((out / "run_manifest.json").read_text())
    assert (manifest["n_read"], manifest["n_accepted"], manifest["n_rejected"]) == (5, 4, 1)
    assert manifest["is_reconciled"]
    with Warehouse(":memory:") as wh:
        outcomes = wh.rows("SELECT journey_id, outcome FROM read_parquet($p) ORDER BY 1", {"p": str(out / "journeys.parquet")})
    assert outcomes == [("c1", "converted"), ("c2", "abandoned")]
    assert "2 cases" in capsys.readouterr().out
    # the report, saying what a plain log's run does not compute instead of claiming it found nothing
    report = (out / "friction_report.html").read_text(encoding="utf-8")
    assert "journeymine mine mines the paths" in report and "log_rejects.parquet" in report


def test_mine_command_reports_a_bad_log_in_one_line(tmp_path: Path, capsys) -> None:
    """A log that does not exist is one error line and the bad-input exit code, not a traceback."""
    assert main(["mine", str(tmp_path / "missing.xes"), "--out", str(tmp_path / "out")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"journeymine: error: event log not found: {tmp_path / 'missing.xes'}"
    assert "Traceback" not in err


def test_a_goal_written_as_a_url_still_converts_with_templating(write_file, tmp_path: Path) -> None:
    """Goals are named as the steps are: with --template-urls the goal '/thank-you?order=7'
    matches the step '/thank-you', so the case is converted, as without templating."""
    path = write_file("log.csv", CSV_HEADER + (
        "c1,https://shop.example/home,2025-01-01T10:00:00Z\n"
        "c1,https://shop.example/thank-you?order=7,2025-01-01T10:05:00Z\n"
    ))
    for flags in ([], ["--template-urls"]):
        out = tmp_path / ("templated" if flags else "plain")
        assert main(["mine", str(path), "--out", str(out), "--no-model", "--goal",
                     "https://shop.example/thank-you?order=7", *flags]) == 0
        with Warehouse(":memory:") as wh:
            assert wh.scalar("SELECT outcome FROM read_parquet($p)", {"p": str(out / "journeys.parquet")}) == "converted"


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--time-zone", "Mars/Olympus", "--time-zone: unknown time zone 'Mars/Olympus'"),
    ("--model-coverage", "0", "--model-coverage: expected a share above 0"),
    ("--noise-threshold", "2", "--noise-threshold: expected a number from 0 to 1"),
])
def test_bad_mine_options_are_one_line_errors(write_file, tmp_path: Path, capsys, flag: str, value: str,
                                               message: str) -> None:
    """A bad option value is reported in one line naming the option, exit code 2."""
    path = write_file("log.csv", CSV_HEADER + "c1,A,2025-01-01T10:00:00Z\n")
    assert main(["mine", str(path), "--out", str(tmp_path / "out"), flag, value]) == 2
    err = capsys.readouterr().err
    assert message in err.strip().splitlines()[-1] and "Traceback" not in err


def test_counts_are_whole_numbers_in_the_outputs(write_file, tmp_path: Path) -> None:
    """Every n_ column of the mining outputs is an integer type in Parquet, not a float."""
    path = write_file("log.csv", CSV_HEADER + "c1,A,2025-01-01T10:00:00Z\nc1,A,2025-01-01T10:01:00Z\nc1,B,2025-01-01T10:02:00Z\n")
    out = tmp_path / "out"
    assert main(["mine", str(path), "--out", str(out), "--no-model", "--collapse-repeats"]) == 0
    with Warehouse(":memory:") as wh:
        for name in ("journeys", "variants", "journey_graph_nodes", "journey_graph_edges", "dropoffs"):
            types = dict(wh.rows("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($p))",
                                 {"p": str(out / f"{name}.parquet")}))
            floats = {c: t for c, t in types.items() if c.startswith("n_") and t not in ("BIGINT", "INTEGER")}
            assert not floats, (name, floats)
