"""Change since the last run: friction findings that are new or grew, funnel stages whose
conversion moved beyond noise, and the short list of alerts that goes into the run manifest.

The previous run is what the output folder holds before this run publishes: its
friction.parquet, funnel.parquet and run_manifest.json. Both runs see all data loaded so
far (a nightly run adds the new files), so the previous run's journeys are nearly all in
this run too: comparing the two cumulative rates would treat one sample as two and dilute a
new spike in the history. What is compared is what the previous run saw against what was
added since: the increase in counts (this run's minus the previous run's) over the increase
in journeys. That is exact for journeys that are new, and an approximation for journeys that
were still open at the previous run and went on since.

"Beyond noise" is a two-sided two-proportion z-test (pooled), p below `alpha`:
  * a finding grew when its share of the journeys added since the previous run is at least
    `min_relative_change` (relative) above its share before, with p < alpha; a finding is new
    when the previous run did not report it (it was under friction.min_journeys, or absent)
    and it now ranks in the top `top_findings`;
  * a stage's conversion (n_continued / (n_continued + n_dropped), whole funnel: journeys
    that decided) among the journeys added since moved by at least `min_conversion_points`
    (absolute) from before, with p < alpha.
A run without new journeys (the same files again) has nothing to test.
Alerts: new and grown findings and conversion drops, most important first by journeys
harmed (a finding's score; for a drop, the change in conversion × the journeys reaching the
stage), at most `max_alerts`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from journeymine.config import ChangeConfig
from journeymine.db import Warehouse
from journeymine.insights.stats import fmt_p

FINDING_KEY = ["signal", "channel", "activity", "target_channel", "target_activity"]
FINDING_COLUMNS = ["touchpoint", "n_journeys_affected", "share", "score", "friction_rank"]
CHANGE_COLUMNS = {
    "kind": "VARCHAR", "subject": "VARCHAR", "before": "DOUBLE", "after": "DOUBLE", "change": "DOUBLE",
    "p_value": "DOUBLE", "is_alert": "BOOLEAN", "alert_rank": "INTEGER", "message": "VARCHAR",
    "previous_run_id": "VARCHAR",
}


def compare_with_previous(wh: Warehouse, output_dir: Path, settings: ChangeConfig = ChangeConfig()) -> int:
    """marts.changes: this run's friction and funnel (marts.friction, marts.funnel) against the
    previous run's outputs in `output_dir`; returns the number of changes (0 on a first run)."""
    previous_run = previous_run_id(output_dir)
    changes = pd.DataFrame(columns=list(CHANGE_COLUMNS))
    frames = []
    if (output_dir / "friction.parquet").exists() and wh.table_exists("marts", "friction"):
        frames.append(friction_changes(_read(wh, output_dir / "friction.parquet"), wh.df("SELECT * FROM marts.friction"),
                                       settings))
    if (output_dir / "funnel.parquet").exists() and wh.table_exists("marts", "funnel"):
        frames.append(funnel_changes(_read(wh, output_dir / "funnel.parquet"), wh.df("SELECT * FROM marts.funnel"),
                                     settings))
    frames = [f for f in frames if not f.empty]
    if frames:
        changes = pd.concat(frames, ignore_index=True)
        changes["previous_run_id"] = previous_run
        changes = mark_alerts(changes, settings)
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in CHANGE_COLUMNS.items())
    wh.execute(f"CREATE OR REPLACE TABLE marts.changes ({columns})")
    if not changes.empty:
        wh.insert_frame("marts.changes", changes[list(CHANGE_COLUMNS)])
    return len(changes)


def alerts(wh: Warehouse) -> list[str]:
    """The alert messages of marts.changes, most important first (for the run manifest)."""
    if not wh.table_exists("marts", "changes"):
        return []
    return [row[0] for row in wh.rows("SELECT message FROM marts.changes WHERE is_alert ORDER BY alert_rank")]


def friction_changes(before: pd.DataFrame, after: pd.DataFrame, settings: ChangeConfig) -> pd.DataFrame:
    """New, grown, shrunk and gone friction findings: a finding's share of the journeys added
    since the previous run against its share before."""
    rows = []
    merged = _keyed(after).merge(_keyed(before), on="key", how="outer", suffixes=("", "_before"), indicator="presence")
    for r in merged.itertuples(index=False):
        touchpoint = r.touchpoint if isinstance(r.touchpoint, str) else r.touchpoint_before
        subject = f"{r.signal if isinstance(r.signal, str) else r.signal_before}: {touchpoint}"
        if r.presence == "left_only":
            rows.append(_change(
                "new_finding", subject, None, r.share, None, score=r.score, rank=r.friction_rank,
                message=f"new friction: {subject}, {int(r.n_journeys_affected):,} journeys ({r.share:.1%})",
            ))
            continue
        if r.presence == "right_only":
            rows.append(_change("gone_finding", subject, r.share_before, None, None,
                                message=f"no longer reported: {subject}"))
            continue
        k_before, n_before = int(r.n_journeys_affected_before), _total(r.n_journeys_affected_before, r.share_before)
        k_new = max(int(r.n_journeys_affected) - k_before, 0)
        n_new = _total(r.n_journeys_affected, r.share) - n_before
        if n_new <= 0:
            continue
        was, now = k_before / n_before, k_new / n_new
        p = two_proportion_p(k_before, n_before, k_new, n_new)
        relative = now / was - 1 if was else math.inf
        if p < settings.alpha and abs(relative) >= settings.min_relative_change:
            kind = "grown_finding" if relative > 0 else "shrunk_finding"
            rows.append(_change(
                kind, subject, was, now, p, score=r.score, rank=r.friction_rank,
                message=f"{'grew' if relative > 0 else 'shrank'}: {subject}, {now:.1%} of the {n_new:,} journeys "
                        f"since the previous run against {was:.1%} before ({relative:+.0%}, p = {fmt_p(p)})",
            ))
    return pd.DataFrame(rows)


def funnel_changes(before: pd.DataFrame, after: pd.DataFrame, settings: ChangeConfig) -> pd.DataFrame:
    """Stages of the whole funnel whose conversion to the next stage, among the journeys that
    decided since the previous run, moved beyond noise from before."""
    if before.empty or after.empty:
        return pd.DataFrame()
    key = ["stage_number", "stage"]
    whole = [f[(f["dimension"] == "all") & (f["n_reached"] > 0)] for f in (before, after)]
    merged = whole[1].merge(whole[0], on=key, suffixes=("", "_before"))
    # the last stage has no next stage to convert to
    merged = merged[merged["stage_number"] < after["stage_number"].max()]
    rows = []
    for r in merged.itertuples(index=False):
        k_before, n_before = int(r.n_continued_before), int(r.n_continued_before + r.n_dropped_before)
        k_new = max(int(r.n_continued) - k_before, 0)
        n_new = int(r.n_continued + r.n_dropped) - n_before
        if n_before <= 0 or n_new <= 0:
            continue
        was, now = k_before / n_before, min(k_new / n_new, 1.0)
        p = two_proportion_p(k_before, n_before, min(k_new, n_new), n_new)
        if p < settings.alpha and abs(now - was) >= settings.min_conversion_points:
            direction = "dropped" if now < was else "rose"
            rows.append(_change(
                "conversion_dropped" if now < was else "conversion_rose", f"stage {r.stage}", was, now, p,
                score=abs(now - was) * n_new,  # journeys lost (or won) at this stage since the previous run
                message=f"conversion after stage {r.stage} {direction}: {now:.1%} of the {n_new:,} journeys "
                        f"since the previous run against {was:.1%} before ({100 * (now - was):+.1f} points, "
                        f"p = {fmt_p(p)})",
            ))
    return pd.DataFrame(rows)


def mark_alerts(changes: pd.DataFrame, settings: ChangeConfig) -> pd.DataFrame:
    """is_alert for new top findings, grown findings and conversion drops; alert_rank orders them."""
    changes = changes.copy()
    is_new_top = (changes["kind"] == "new_finding") & (changes["rank"].fillna(math.inf) <= settings.top_findings)
    candidate = is_new_top | changes["kind"].isin(["grown_finding", "conversion_dropped"])
    # by score, in journeys: a finding's score, or the journeys a conversion drop lost at its stage
    order = changes["score"].fillna(0).where(candidate, -math.inf).rank(ascending=False, method="first")
    changes["is_alert"] = candidate & (order <= settings.max_alerts)
    changes["alert_rank"] = order.where(changes["is_alert"])
    return changes


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of a pooled two-proportion z-test (k1 of n1 against k2 of n2); 1.0
    when it cannot tell (an empty group, or both proportions 0 or both 1)."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 1.0
    z = (k2 / n2 - k1 / n1) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def _change(kind: str, subject: str, before: float | None, after: float | None, p: float | None, *,
            message: str, score: float | None = None, rank: float | None = None) -> dict[str, object]:
    change = after - before if before is not None and after is not None else None
    return {"kind": kind, "subject": subject, "before": before, "after": after, "change": change, "p_value": p,
            "message": message, "score": score, "rank": rank}


def _keyed(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings with one text key per finding (signal, touchpoint, target); an empty
    frame keeps the columns the comparison reads."""
    findings = findings.reindex(columns=list(dict.fromkeys([*findings.columns, *FINDING_KEY, *FINDING_COLUMNS])))
    keys = findings[FINDING_KEY].astype("string").fillna("")
    findings["key"] = ["|".join(values) for values in keys.itertuples(index=False)]
    return findings


def _total(n_affected: float, share: float) -> int:
    """All journeys of a run, from a finding's count and its share of them."""
    return round(n_affected / share) if share else 0


def _read(wh: Warehouse, path: Path) -> pd.DataFrame:
    return wh.df("SELECT * FROM read_parquet($path)", {"path": str(path)})


def previous_run_id(output_dir: Path) -> str | None:
    """The run id of the outputs in `output_dir` before this run publishes (None: none yet)."""
    try:
        return json.loads((output_dir / "run_manifest.json").read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError):
        return None
