"""Late events (journeymine.pipeline.count_late_events): events read since the last published
run that occurred before what it had published, counted per source and alerted beyond
late_lookback_days; files a run loaded and then failed on count for the next run."""

from __future__ import annotations

from pathlib import Path

from journeymine.config import parse_config
from journeymine.pipeline import load_source, open_warehouse, run_in_process, start_run


def events_file(path: Path, day: int, first_id: int) -> None:
    rows = [f"e{first_id + i},C{i % 3},{activity},2026-03-{day:02d}T1{i}:00:00Z"
            for i, activity in enumerate(["Home", "Cart", "Order Completed"] * 2)]
    path.write_text("id,customer,activity,time\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_a_failed_runs_files_are_late_for_the_next_published_run(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    config = parse_config({
        "output_dir": "out", "database": "jm.duckdb", "late_lookback_days": 3,
        "sources": {"events": {"path": "in/*.csv", "preset": "mapped", "channel": "web", "columns": {
            "event_id": "id", "occurred_at": "time", "activity": "activity",
            "identifiers": {"customer_ref": "customer"}}}},
        "journeys": {"goal_activities": ["Order Completed"]},
    }, base_dir=tmp_path)
    events_file(inbox / "a.csv", 10, 0)
    first = run_in_process(config)
    assert first["inputs"][0]["n_late_events"] == 0 and first["alerts"] == []

    events_file(inbox / "b.csv", 5, 100)  # five days before what the first run published
    with open_warehouse(config) as wh:  # a run that loads the file, then fails before publishing
        load_source(wh, config, "events", start_run(wh, config))

    third = run_in_process(config)  # loads nothing new, publishes the failed run's file
    late = third["inputs"][0]
    assert (late["n_late_events"], late["n_late_beyond_lookback"]) == (6, 6)
    assert late["earliest_late_at"].startswith("2026-03-05")
    assert any(alert.startswith("late data: 6 events events arrived more than 3 days late") for alert in third["alerts"])

    fourth = run_in_process(config)  # nothing read since: nothing late
    assert fourth["inputs"][0]["n_late_events"] == 0
