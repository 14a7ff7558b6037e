"""The report's sections about findings: friction, its drivers, the findings and the funnel week
by week, the emotion curve, the changes since the last run, and the notes on the data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from journeymine.insights.stats import fmt_p
from journeymine.outputs.report.charts import (
    SankeyLayout, diverging_bars_svg, inline_bar_svg, lift_bar_svg, line_chart_svg, period_bars_svg,
)
from journeymine.outputs.report.format import esc, fmt_int, fmt_num, fmt_pct, is_missing, number
from journeymine.outputs.report.sections import (
    MAX_DRIVER_FINDINGS, MAX_FINDINGS, MAX_TREND_CARDS, alerts_of, badge, day, empty, nothing_changed, records,
    section,
)

if TYPE_CHECKING:
    from journeymine.outputs.report.page import ReportData


def friction_section(friction: pd.DataFrame) -> str:
    if friction.empty:
        return section("friction", "", empty("friction"))
    rows = records(friction.sort_values("friction_rank", kind="stable").head(MAX_FINDINGS))
    top_score = max((float(r["score"]) for r in rows if not is_missing(r["score"])), default=0.0)
    body = "".join(_finding_row(r, top_score) for r in rows)
    more = len(friction) - len(rows)
    tail = f'<p class="muted">…and {fmt_int(more)} more in friction.parquet.</p>' if more > 0 else ""
    lede = ("Ranked by score: the journeys the friction harmed (how, under each score). Conversion compares "
            "journeys with the signal against those that reached the same touchpoint without it.")
    head = ('<tr><th>#</th><th>signal</th><th class="what">touchpoint and evidence</th><th class="num">journeys</th>'
            '<th class="num">conversion<br>with / without</th><th>score</th><th>example journeys</th></tr>')
    table = f'<table class="findings"><thead>{head}</thead><tbody>{body}</tbody></table>'
    return section("friction", lede, table + tail)


def _finding_row(r: dict[str, Any], top_score: float) -> str:
    evidence = "" if is_missing(r.get("evidence")) else f'<div class="evidence">{esc(r["evidence"])}</div>'
    ids = [] if is_missing(r.get("example_journey_ids")) else [str(i) for i in r["example_journey_ids"]]
    examples = "".join(f"<code>{esc(i)}</code>" for i in ids[:2])
    if len(ids) > 2:
        examples += f'<span class="muted">+{len(ids) - 2} more</span>'
    basis = "" if is_missing(r.get("score_basis")) else f'<div class="muted small">{esc(r["score_basis"])}</div>'
    return (
        f'<tr><td class="rank">{fmt_int(r["friction_rank"])}</td><td>{badge(r["signal"])}</td>'
        f'<td class="what"><div class="touchpoint">{esc(r["touchpoint"])}</div>{evidence}</td>'
        f'<td class="num">{fmt_int(r["n_journeys_affected"])}'
        f'<div class="muted small">{fmt_pct(r["share"])} of all</div></td>'
        f'<td class="num"><span class="{_worse(r)}">{fmt_pct(r["conversion_rate_with"])}</span> / '
        f'{fmt_pct(r["conversion_rate_without"])}</td>'
        f'<td class="score">{inline_bar_svg(r["score"], top_score)}<span>{fmt_num(r["score"], 0)}</span>{basis}</td>'
        f'<td class="examples">{examples}</td></tr>'
    )


def _worse(finding: dict[str, Any]) -> str:
    """'bad' (shown red) when journeys with the signal convert less than those without."""
    with_, without = finding["conversion_rate_with"], finding["conversion_rate_without"]
    return "bad" if not is_missing(with_) and not is_missing(without) and with_ < without else ""


def drivers_section(drivers: pd.DataFrame, friction: pd.DataFrame | None = None) -> str:
    """Per finding (by rank), its significantly over-represented segments; the findings
    without one are listed in a line. With `friction`, that line names every finding the
    friction table shows without a significant driver (tested or not)."""
    if drivers.empty and (friction is None or friction.empty):
        return section("drivers", "", empty("drivers"))
    standing_out = drivers[drivers["is_significant"].fillna(False).astype(bool) & (drivers["lift"] > 1)] if (
        not drivers.empty) else drivers
    ranks = sorted(standing_out["friction_rank"].unique()) if not standing_out.empty else []
    cards = [_driver_card(standing_out[standing_out["friction_rank"] == rank]) for rank in ranks[:MAX_DRIVER_FINDINGS]]
    if friction is not None and not friction.empty:  # the findings the friction table shows
        shown = set(friction.sort_values("friction_rank", kind="stable").head(MAX_FINDINGS)["friction_rank"])
    else:
        shown = set(drivers["friction_rank"]) if not drivers.empty else set()
    quiet = sorted(shown - set(ranks))
    if quiet:
        which = ", ".join(f"#{fmt_int(rank)}" for rank in quiet)
        cards.append(f'<p class="muted">No segment stands out significantly for finding{"s" * (len(quiet) > 1)} '
                     f"{which}.</p>")
    lede = ("Customer segments over-represented among the journeys of a finding, significant after correcting for "
            "the number of segments tested (q). Lift: how many times more likely journeys with the segment are to "
            f"hit the friction than journeys with another known value (journeys whose value is unknown are left "
            f"out); the tick marks 1×, bars end at {fmt_num(LIFT_SCALE, 0)}×.")
    return section("drivers", lede, "".join(cards))


LIFT_SCALE = 3.0  # lift bars run to 3×; a larger lift fills its bar and its number says how large


def _driver_card(rows: pd.DataFrame, limit: int = 5) -> str:
    first = records(rows.head(1))[0]
    strongest = rows.sort_values("lift", ascending=False, kind="stable").head(limit)
    body = "".join(_driver_row(r) for r in records(strongest))
    return (f'<div class="card"><h4><span class="rank">#{fmt_int(first["friction_rank"])}</span> '
            f'{badge(first["signal"])} {esc(first["touchpoint"])}</h4><table class="drivers">{body}</table></div>')


def _driver_row(r: dict[str, Any]) -> str:
    lift = number(r["lift"])
    # an infinite lift: the finding happens only in journeys with this value
    lift_text = "only with it" if lift == float("inf") else f"{fmt_num(lift, 1)}×"
    return (f'<tr><td>{esc(r["statement"])}</td>'
            f'<td class="lift">{lift_bar_svg(lift, LIFT_SCALE)}<span>{lift_text}</span></td>'
            f'<td class="num pq">p {fmt_p(r.get("p_value"))} · q {fmt_p(r.get("q_value"))}</td></tr>')


def trend_section(friction_trend: pd.DataFrame, funnel_trend: pd.DataFrame) -> str:
    """The findings that rose and the funnel stages whose conversion moved beyond noise in some
    weeks (or days) of this run, each as columns per period, the flagged ones coloured."""
    if friction_trend.empty and funnel_trend.empty:
        return section("trend", "", empty("trend"))
    cards = []
    if not friction_trend.empty:
        risen = friction_trend[friction_trend["is_flagged"].fillna(False).astype(bool)]
        for rank in sorted(risen["friction_rank"].unique())[:MAX_TREND_CARDS]:
            cards.append(_finding_trend_card(friction_trend[friction_trend["friction_rank"] == rank]))
    if not funnel_trend.empty:
        moved = funnel_trend[funnel_trend["is_flagged"].fillna(False).astype(bool)]
        for stage in list(dict.fromkeys(moved.sort_values("stage_number")["stage_number"]))[:MAX_TREND_CARDS]:
            cards.append(_stage_trend_card(funnel_trend[funnel_trend["stage_number"] == stage]))
    period = next((str(f["period"].iloc[0]) for f in (friction_trend, funnel_trend) if not f.empty), "week")
    lede = (f"Inside this run, {period} by {period}: the friction findings that rose and the funnel stages whose "
            f"conversion moved beyond noise in some {period}s (a two-proportion test against the other {period}s, "
            "corrected for the number of tests), so an incident of a few weeks shows even where the whole "
            "period dilutes it. Coloured: the flagged periods; dashed: the usual level.")
    if not cards:
        cards.append(f'<p class="empty">No {esc(period)} stood out beyond noise for any finding or funnel stage.</p>')
    return section("trend", lede, f'<div class="grid2">{"".join(cards)}</div>')


def _finding_trend_card(rows: pd.DataFrame) -> str:
    rows = rows.sort_values("period_start", kind="stable")
    first = records(rows.head(1))[0]
    flagged = rows[rows["is_flagged"].fillna(False).astype(bool)]
    flags = ["bad" if f else None for f in rows["is_flagged"].fillna(False).astype(bool)]
    usual = number(first.get("usual_rate"), None) if "usual_rate" in rows else None
    chart = period_bars_svg([day(d) for d in rows["period_start"]], list(rows["rate"]), flags, usual=usual,
                            title=f"{first['signal']} at {first['touchpoint']} per period")
    when = ", ".join(day(d) for d in flagged["period_start"])
    note = (f"rose in the {esc(str(first.get('period', 'week')))} of {esc(when)}: up to {fmt_pct(flagged['rate'].max())} of journeys vs "
            f"{fmt_pct(usual)} usual") if not flagged.empty else ""
    return (f'<figure class="card"><figcaption><span class="rank">#{fmt_int(first["friction_rank"])}</span> '
            f'{badge(first["signal"])} {esc(first["touchpoint"])}</figcaption>{chart}'
            f'<div class="muted small">{note}</div></figure>')


def _stage_trend_card(rows: pd.DataFrame) -> str:
    rows = rows.sort_values("period_start", kind="stable")
    first = records(rows.head(1))[0]
    is_flagged = rows["is_flagged"].fillna(False).astype(bool)
    flags = [("bad" if d == "fall" else "good") if f else None for f, d in zip(is_flagged, rows["direction"],
                                                                              strict=True)]
    usual = number(first.get("usual_conversion"), None)
    chart = period_bars_svg([day(d) for d in rows["period_start"]], list(rows["conversion_rate"]), flags,
                            usual=usual, title=f"conversion after {first['stage']} per period")
    falls = rows[is_flagged & (rows["direction"] == "fall")]
    note = ""
    if not falls.empty:
        lost = number(falls["journeys_lost"].sum())
        note = (f"fell in the {esc(str(first.get('period', 'week')))} of {esc(', '.join(day(d) for d in falls['period_start']))}: down to "
                f"{fmt_pct(falls['conversion_rate'].min())} vs {fmt_pct(usual)} usual, about {fmt_int(round(lost))} "
                "conversions missed")
    return (f'<figure class="card"><figcaption>conversion after stage <strong>{esc(first["stage"])}</strong>'
            f'</figcaption>{chart}<div class="muted small">{note}</div></figure>')


def emotion_section(emotion: pd.DataFrame) -> str:
    if emotion.empty:
        return section("emotion", "", empty("emotion"))
    parts = []
    lede = ("How the journey felt: mean sentiment score of the events (below 0 is negative) and mean CSAT of "
            "the ratings.")
    stage = emotion[emotion["curve"] == "stage"].sort_values("position", kind="stable")
    if not stage.empty:
        lede += " " + _emotion_summary(stage)
        parts.append(f'<div class="grid2">{_curve_figure(stage, "sentiment by stage", "mean_sentiment")}'
                     f'{_curve_figure(stage, "CSAT by stage", "mean_csat")}</div>')
    week = emotion[emotion["curve"] == "week"].sort_values("position", kind="stable")
    touchpoint = emotion[emotion["curve"] == "touchpoint"]
    if not week.empty or not touchpoint.empty:
        parts.append(f'<div class="grid2">{_curve_figure(week, "sentiment by week", "mean_sentiment", points=False)}'
                     f"{_touchpoint_figure(touchpoint)}</div>")
    return section("emotion", lede, "".join(parts))


def _emotion_summary(stage: pd.DataFrame) -> str:
    rated = stage.dropna(subset=["mean_sentiment"])
    if rated.empty:
        return ""
    low, high = rated.loc[rated["mean_sentiment"].idxmin()], rated.loc[rated["mean_sentiment"].idxmax()]
    return (f"Lowest: <strong>{esc(low['label'])}</strong> ({fmt_num(low['mean_sentiment'])}, "
            f"{fmt_pct(low['share_negative'])} negative); highest: <strong>{esc(high['label'])}</strong> "
            f"({fmt_num(high['mean_sentiment'])}).")


def _curve_figure(rows: pd.DataFrame, title: str, column: str, *, points: bool = True) -> str:
    if rows.empty or rows[column].isna().all():
        what = "CSAT ratings" if column == "mean_csat" else "sentiment scores"
        return f'<figure><figcaption>{esc(title)}</figcaption><p class="empty">No {what} here.</p></figure>'
    flags = rows.reset_index(drop=True)
    marks = column == "mean_sentiment"
    chart = line_chart_svg(
        [str(x) for x in flags["label"]], list(flags[column]), title=title, label_points=points,
        color="#3b6fb6" if marks else "#7c5cbf", reference=0.0 if marks else None,
        value_format=(lambda v: fmt_num(v, 2)) if marks else (lambda v: fmt_num(v, 1)),
        valleys=list(flags.index[flags["is_valley"].fillna(False).astype(bool)]) if marks else [],
        peaks=list(flags.index[flags["is_peak"].fillna(False).astype(bool)]) if marks else [],
    )
    return f"<figure><figcaption>{esc(title)}</figcaption>{chart}</figure>"


def _touchpoint_figure(rows: pd.DataFrame, limit: int = 8) -> str:
    rows = rows.dropna(subset=["mean_sentiment"]).sort_values(["mean_sentiment", "label"]).head(limit)
    if rows.empty:
        return ""
    notes = [f"{fmt_pct(r['share_negative'])} negative" for r in records(rows)]
    chart = diverging_bars_svg(list(rows["label"].astype(str)), list(rows["mean_sentiment"]), notes,
                               title="touchpoints with the lowest sentiment")
    return f"<figure><figcaption>touchpoints with the lowest sentiment</figcaption>{chart}</figure>"


def changes_section(changes: pd.DataFrame, run: dict[str, Any]) -> str:
    if changes.empty:
        return section("changes", "", f'<p class="empty">{esc(nothing_changed(run))}</p>')
    alerts = alerts_of(changes)
    rest = changes.drop(alerts.index).sort_values("kind", kind="stable")
    items = [f'<li class="alert"><span class="tag alert">alert</span> {esc(m)}</li>' for m in alerts["message"]]
    items += [f'<li><span class="tag">{esc(str(k).replace("_", " "))}</span> {esc(m)}</li>'
              for k, m in zip(rest["kind"], rest["message"], strict=True)]
    lede = (f"{fmt_int(len(changes))} changes beyond noise since the previous run, "
            f"{fmt_int(len(alerts))} of them alerts.")
    return section("changes", lede, f'<ul class="changes">{"".join(items)}</ul>')


def notes_section(data: ReportData, layout: SankeyLayout | None) -> str:
    run, notes = data.run, []
    if not is_missing(run.get("n_read")):
        share = run.get("n_rejected", 0) / run["n_read"] if run["n_read"] else 0
        notes.append(f"{fmt_int(run['n_read'])} rows read, {fmt_int(run.get('n_rejected'))} rejected "
                     f"({fmt_pct(share)}); rejects.parquet (log_rejects.parquet for journeymine mine) gives "
                     "each one's place in the input and the reason.")
    if not is_missing(run.get("n_open")):
        notes.append(f"{fmt_int(run['n_open'])} journeys are still open (within the inactivity window at the end "
                     "of the data): left out of the conversion rates of paths and findings; the funnel counts "
                     "them as pending while they may still reach the next stage.")
    if layout is not None:
        notes.append(f"The journey flow shows the top {layout.n_paths} paths, {fmt_pct(layout.coverage)} of "
                     f"journeys; the other {fmt_int(layout.total - layout.n_top)} are drawn as other paths.")
    notes += [str(n) for n in data.notes]
    return section("notes", "", "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
