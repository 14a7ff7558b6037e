"""Change since the last run (journeymine.insights.changes): findings that are new or grew, stage
conversion that moved beyond noise, and the alerts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from journeymine.config import ChangeConfig, parse_config
from journeymine.db import Warehouse
from journeymine.errors import ConfigError
from journeymine.insights.changes import (
    alerts, compare_with_previous, friction_changes, funnel_changes, two_proportion_p,
)


def finding(signal: str, activity: str, n: int, total: int, *, score: float | None = None, rank: int = 1,
            target: str | None = None) -> dict[str, object]:
    touchpoint = f"{activity} (web)" + (f" → {target} (call_center)" if target else "")
    return {
        "friction_rank": rank, "touchpoint": touchpoint, "signal": signal, "channel": "web", "activity": activity,
        "target_channel": "call_center" if target else None, "target_activity": target,
        "n_journeys_affected": n, "share": n / total, "score": float(n if score is None else score),
    }


def stage(number: int, name: str, reached: int, continued: int) -> dict[str, object]:
    return {"dimension": "all", "segment": "all", "stage_number": number, "stage": name, "n_reached": reached,
            "n_continued": continued, "n_dropped": reached - continued}


def test_two_proportion_p_matches_the_normal_approximation() -> None:
    """10/100 against 20/100: pooled z = 1.98, two-sided p = 0.048; equal proportions give 1."""
    assert two_proportion_p(10, 100, 20, 100) == pytest.approx(0.0477, abs=1e-4)
    assert two_proportion_p(10, 100, 10, 100) == pytest.approx(1.0)
    assert two_proportion_p(0, 100, 0, 50) == 1.0  # nothing to tell apart
    assert two_proportion_p(3, 0, 1, 10) == 1.0


def test_a_finding_absent_before_is_new_and_one_that_disappeared_is_gone() -> None:
    before = pd.DataFrame([finding("loop", "Cart", 50, 1000)])
    after = pd.DataFrame([finding("digital_to_call", "Checkout Payment", 200, 1200, target="call: payment_issue")])
    got = friction_changes(before, after, ChangeConfig()).set_index("kind")
    assert set(got.index) == {"new_finding", "gone_finding"}
    assert got.loc["new_finding", "subject"] == "digital_to_call: Checkout Payment (web) → call: payment_issue (call_center)"
    assert got.loc["new_finding", "after"] == pytest.approx(200 / 1200)
    assert got.loc["gone_finding", "subject"] == "loop: Cart (web)"


def test_a_finding_grows_only_beyond_noise_among_the_journeys_added_since() -> None:
    """5% of 1,000 journeys before; 50 of the 100 journeys added since is growth, 5 of 100 is not."""
    before = pd.DataFrame([finding("loop", "Cart", 50, 1000), finding("abandonment", "Create Account", 50, 1000)])
    after = pd.DataFrame([finding("loop", "Cart", 100, 1100), finding("abandonment", "Create Account", 55, 1100)])
    got = friction_changes(before, after, ChangeConfig())
    assert got[["kind", "subject"]].to_dict("records") == [{"kind": "grown_finding", "subject": "loop: Cart (web)"}]
    assert (got.loc[0, "before"], got.loc[0, "after"]) == (pytest.approx(0.05), pytest.approx(0.5))
    assert got.loc[0, "p_value"] < 0.001


def test_a_one_night_spike_is_not_diluted_by_the_history_both_runs_share() -> None:
    """100 of 5,000 journeys before, then 30 of the 100 new ones: cumulative shares (2.0% → 2.5%)
    would hide it, the journeys added since (30% against 2%) do not."""
    got = friction_changes(pd.DataFrame([finding("loop", "Cart", 100, 5000)]),
                           pd.DataFrame([finding("loop", "Cart", 130, 5100)]), ChangeConfig())
    assert got["kind"].tolist() == ["grown_finding"]
    assert got.loc[0, "after"] == pytest.approx(0.3)


def test_the_same_files_again_change_nothing() -> None:
    same = pd.DataFrame([finding("loop", "Cart", 100, 5000)])
    assert friction_changes(same, same, ChangeConfig()).empty
    stages = pd.DataFrame([stage(1, "browse", 1000, 600), stage(2, "buy", 600, 0)])
    assert funnel_changes(stages, stages, ChangeConfig()).empty


def test_a_run_without_findings_before_or_after_compares_without_failing() -> None:
    """No findings in one of the runs (e.g. a small night under friction.min_journeys): all new, or all gone."""
    some = pd.DataFrame([finding("loop", "Cart", 50, 1000)])
    none = pd.DataFrame(columns=list(some.columns))
    assert friction_changes(none, some, ChangeConfig())["kind"].tolist() == ["new_finding"]
    assert friction_changes(some, none, ChangeConfig())["kind"].tolist() == ["gone_finding"]
    assert friction_changes(none, none, ChangeConfig()).empty
    assert friction_changes(pd.DataFrame(), some, ChangeConfig())["kind"].tolist() == ["new_finding"]


def test_stage_conversion_moves_only_beyond_noise_and_the_last_stage_is_left_out() -> None:
    """Among the journeys that decided since: browse 60 of 100 (as before, 60%): no change;
    checkout 20 of 60 (33%, against 80% before): a drop."""
    before = pd.DataFrame([stage(1, "browse", 1000, 600), stage(2, "checkout", 600, 480), stage(3, "purchase", 480, 0)])
    after = pd.DataFrame([stage(1, "browse", 1100, 660), stage(2, "checkout", 660, 500), stage(3, "purchase", 500, 0)])
    got = funnel_changes(before, after, ChangeConfig())
    assert got[["kind", "subject"]].to_dict("records") == [{"kind": "conversion_dropped", "subject": "stage checkout"}]
    assert (got.loc[0, "before"], got.loc[0, "after"]) == (pytest.approx(0.8), pytest.approx(20 / 60))
    assert "33.3% of the 60 journeys since the previous run against 80.0% before" in got.loc[0, "message"]


def write_run(out: Path, run_id: str, friction: list[dict[str, object]], funnel: list[dict[str, object]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(friction).to_parquet(out / "friction.parquet")
    pd.DataFrame(funnel).to_parquet(out / "funnel.parquet")
    (out / "run_manifest.json").write_text(f'{{"run_id": "{run_id}"}}', encoding="utf-8")


def this_run(wh: Warehouse, friction: list[dict[str, object]], funnel: list[dict[str, object]]) -> None:
    wh.register("f", pd.DataFrame(friction))
    wh.execute("CREATE OR REPLACE TABLE marts.friction AS SELECT * FROM f")
    wh.register("u", pd.DataFrame(funnel))
    wh.execute("CREATE OR REPLACE TABLE marts.funnel AS SELECT * FROM u")


def test_first_run_has_no_changes_and_no_alerts(tmp_path: Path) -> None:
    with Warehouse(":memory:") as wh:
        this_run(wh, [finding("loop", "Cart", 50, 1000)], [stage(1, "browse", 10, 5), stage(2, "buy", 5, 0)])
        assert compare_with_previous(wh, tmp_path / "out") == 0
        assert wh.rows("SELECT count(*) FROM marts.changes") == [(0,)]
        assert alerts(wh) == []


def test_alerts_rank_new_and_grown_findings_and_conversion_drops(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_run(out, "run-1",
              [finding("loop", "Cart", 50, 1000, rank=1), finding("abandonment", "Home", 40, 1000, rank=2)],
              [stage(1, "browse", 1000, 600), stage(2, "checkout", 600, 480), stage(3, "purchase", 480, 0)])
    with Warehouse(":memory:") as wh:
        this_run(
            wh,
            [finding("digital_to_call", "Checkout Payment", 300, 2000, rank=1, target="call: payment_issue"),
             finding("loop", "Cart", 200, 2000, score=120, rank=2),
             finding("abandonment", "Home", 80, 2000, rank=3)],
            [stage(1, "browse", 2000, 1200), stage(2, "checkout", 1200, 600), stage(3, "purchase", 600, 0)],
        )
        n = compare_with_previous(wh, out, ChangeConfig(max_alerts=2))
        kinds = dict(wh.rows("SELECT kind, count(*) FROM marts.changes GROUP BY kind"))
        assert n == 3
        assert kinds == {"new_finding": 1, "grown_finding": 1, "conversion_dropped": 1}
        assert wh.rows("SELECT DISTINCT previous_run_id FROM marts.changes") == [("run-1",)]
        got = alerts(wh)
    # by journeys harmed: the conversion drop (60 points of the 600 journeys that decided since
    # = 360) before the new finding (score 300) before the grown loop (score 120), cut at max_alerts=2
    assert got == [
        "conversion after stage checkout dropped: 20.0% of the 600 journeys since the previous run against 80.0% "
        "before (-60.0 points, p = < 0.001)",
        "new friction: digital_to_call: Checkout Payment (web) → call: payment_issue (call_center), 300 journeys (15.0%)",
    ]


def test_settings_are_checked(tmp_path: Path) -> None:
    base = {"output_dir": "out", "database": "jm.duckdb",
            "sources": {"web": {"path": "w/*.jsonl", "preset": "segment", "channel": "web"}}}
    assert parse_config({**base, "changes": {"alpha": 0.05}}, base_dir=tmp_path).changes.alpha == 0.05
    with pytest.raises(ConfigError, match=r"changes.alpha: expected a probability between 0 and 1, found 1.5"):
        parse_config({**base, "changes": {"alpha": 1.5}}, base_dir=tmp_path)
