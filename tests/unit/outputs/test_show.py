"""`journeymine show` (src/journeymine/outputs/show.py): a run's story as plain tables, from a
tiny analytics.duckdb."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
from rich.console import Console

from journeymine.outputs.show import show_run


def write_story(out: Path, *, alert: bool) -> None:
    out.mkdir(parents=True)
    con = duckdb.connect(str(out / "analytics.duckdb"))
    try:
        con.execute("""
            CREATE TABLE journeys AS SELECT * FROM (VALUES ('c1', 'converted'), ('c1', 'abandoned'), ('c2', 'open'))
                t(customer_id, outcome);
            CREATE TABLE variants AS SELECT 1 AS variant_rank, ['Home', 'Cart'] AS variant, 2 AS n_journeys,
                0.5 AS share, 1.0 AS conversion_rate, 90.0 AS median_duration_seconds;
            CREATE TABLE friction AS SELECT 1 AS friction_rank, 12.5 AS score, 'loop' AS signal,
                'Cart (app) → Home (app)' AS touchpoint, 7 AS n_journeys_affected,
                '1.3 loops per journey; converted 75% vs 99% without' AS evidence;
            CREATE TABLE funnel AS SELECT * FROM (VALUES
                ('all', 'all', 1, 'browse', 10, 6, 3, 1, 0.33, 1.0, 120.0),
                ('all', 'all', 2, 'basket', 6, NULL, NULL, NULL, NULL, 0.6, NULL),
                ('platform', 'app', 1, 'browse', 4, 2, 2, 0, 0.5, 1.0, 60.0))
                t(dimension, segment, stage_number, stage, n_reached, n_continued, n_dropped, n_pending,
                  drop_rate, conversion_from_start, median_seconds_to_next);
            CREATE TABLE run AS SELECT '20260302T020000Z-bbbbbb' AS run_id,
                TIMESTAMPTZ '2026-03-02 02:05:00+00' AS finished_at, '20260301T020000Z-aaaaaa' AS previous_run_id;
        """)
        con.execute("CREATE TABLE changes AS SELECT 'grown_finding' AS kind, 'loop at Cart' AS subject, "
                    "'loop at Cart grew from 2% to 9% of journeys' AS message, ? AS is_alert, 1 AS alert_rank",
                    [alert])
    finally:
        con.close()


def shown(out: Path) -> str:
    output = io.StringIO()
    show_run(out, Console(file=output, width=120, highlight=False), top=5)
    return output.getvalue()


def test_show_prints_paths_friction_funnel_and_alerts(tmp_path: Path) -> None:
    """The run, its customers and conversion, the top path, the finding with its evidence, the
    funnel of all journeys (not the segments) and the alert, without colour codes off a terminal."""
    write_story(tmp_path / "out", alert=True)
    text = shown(tmp_path / "out")
    for expected in ("run 20260302T020000Z-bbbbbb, finished 2026-03-02 02:05 UTC",
                     "2 customers with journeys, 3 journeys, 1 variants, 50% of decided journeys converted",
                     "Home → Cart", "loop: Cart (app) → Home (app)", "1.3 loops per journey",
                     "browse", "basket", "2 min", "loop at Cart grew from 2% to 9% of journeys"):
        assert expected in text, expected
    assert "\x1b[" not in text
    funnel_rows = [line for line in text.splitlines() if line.startswith("browse")]
    assert len(funnel_rows) == 1 and funnel_rows[0].split()[1:4] == ["10", "6", "3"]


def test_no_alerts_says_which_run_it_was_compared_with(tmp_path: Path) -> None:
    write_story(tmp_path / "out", alert=False)
    assert "no alerts since run 20260301T020000Z-aaaaaa" in shown(tmp_path / "out")


def test_an_output_the_run_did_not_publish_is_named(tmp_path: Path) -> None:
    """A mined log has no friction or funnel: the section says so instead of failing."""
    write_story(tmp_path / "out", alert=False)
    con = duckdb.connect(str(tmp_path / "out" / "analytics.duckdb"))
    con.execute("DROP TABLE friction; DROP TABLE funnel")
    con.close()
    text = shown(tmp_path / "out")
    assert "not in this run (friction is published by `journeymine run`)" in text
    assert "not in this run (funnel is published by `journeymine run`)" in text
