"""friction_report.html: the morning page of a CX lead, one self-contained file.

`render_report(ReportData)` returns the whole HTML document: a header with the run's
headline numbers and top alerts, then the journey flow (a Sankey of the top paths), the
funnel with its drop-offs, the friction findings, their drivers, the emotion curve, the
changes since the last run and notes on the data. Charts are inline SVG
(`journeymine.report_charts`); the page loads nothing from elsewhere (a Content-Security-
Policy forbids it), runs no script, and prints on white. Every value from the data is
HTML-escaped. A section whose table is empty says why instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from journeymine.report_charts import (
    OUTCOME_COLORS, OUTCOME_LABELS, SankeyLayout, diverging_bars_svg, esc, fmt_duration, fmt_int, fmt_num, fmt_p,
    fmt_pct, funnel_mini_svg, funnel_svg, inline_bar_svg, is_missing, lift_bar_svg, line_chart_svg, number,
    sankey_layout, sankey_svg, truncate,
)

SANKEY_TOP_PATHS = 12
SANKEY_MAX_STEPS = 6
MAX_FINDINGS = 15
MAX_DRIVER_FINDINGS = 6
MAX_SEGMENTS = 6
MAX_DROPOFFS = 4

WHY_EMPTY = {
    "variants": "No paths to draw: this run has no journeys.",
    "funnel": "No funnel: stages come from the designed journey (journey_map.stages in the config), "
              "and this run has none; a plain event log has none either.",
    "dropoff_paths": "No drop-off paths: no journey was abandoned at a touchpoint, or this run does not trace "
                     "them (journeymine mine).",
    "friction": "No friction findings: no signal reached friction.min_journeys journeys, or this run does not "
                "look for friction (journeymine mine mines paths only; journeymine run finds friction).",
    "drivers": "No drivers: there are no findings, or the journeys carry no customer attributes "
               "(segment, country, device) to compare.",
    "emotion": "No emotion curve: the events carry no sentiment score or CSAT rating.",
    "changes": "Nothing to compare: this is the first run into this output folder, or one that keeps no "
               "history (journeymine mine).",
}


@dataclass
class ReportData:
    """Everything the report shows; any table may be empty (see WHY_EMPTY)."""

    run: dict[str, Any]
    variants: pd.DataFrame = field(default_factory=pd.DataFrame)
    funnel: pd.DataFrame = field(default_factory=pd.DataFrame)
    friction: pd.DataFrame = field(default_factory=pd.DataFrame)
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    emotion: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    dropoff_paths: pd.DataFrame = field(default_factory=pd.DataFrame)
    # journey graph edges between two channels: source_activity, source_channel, target_activity,
    # target_channel, n_journeys, n_transitions, median_seconds
    channel_switches: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def write_report(data: ReportData, path: Path) -> Path:
    """Render the report into `path` (UTF-8), creating its folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path


def render_report(data: ReportData) -> str:
    """The whole HTML document."""
    layout = None
    if not data.variants.empty:
        layout = sankey_layout(data.variants, top_k=SANKEY_TOP_PATHS, max_steps=SANKEY_MAX_STEPS,
                               total=data.run.get("n_journeys"))
    body = "".join([
        _header(data),
        _toc(),
        _flow_section(data, layout),
        _funnel_section(data),
        _friction_section(data.friction),
        _drivers_section(data.drivers),
        _emotion_section(data.emotion),
        _changes_section(data.changes, data.run),
        _notes_section(data, layout),
    ])
    run_id = esc(data.run.get("run_id", ""))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # nothing may load from anywhere: the file works offline and cannot leak a request
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Friction report · {run_id}</title><style>{CSS}</style></head>"
        f'<body><main>{body}<footer>journeymine · run {run_id} · this page works offline: it loads no '
        "scripts, fonts or images from elsewhere</footer></main></body></html>\n"
    )


# ---------------------------------------------------------------------------------- header

def _header(data: ReportData) -> str:
    run = data.run
    start, end = _when(run.get("period_start")), _when(run.get("period_end"))
    kpis = "".join(_kpi(*kpi) for kpi in _headline_numbers(run))
    return (
        '<header class="top"><div class="eyebrow">journeymine · friction report</div>'
        f"<h1>Customer journeys, {esc(_day(run.get('period_start')))} – {esc(_day(run.get('period_end')))}</h1>"
        f'<p class="lede">Run <code>{esc(run.get("run_id", "–"))}</code> · '
        f"generated {esc(_when(run.get('started_at')))} · events from {esc(start)} to {esc(end)}</p>"
        f'<div class="kpis">{kpis}</div>{_top_alerts(data)}</header>'
    )


def _headline_numbers(run: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, note) of the four headline numbers; a plain event log has no outcomes
    without goal activities, and no customers."""
    converted, abandoned, still_open = (number(run.get(k)) for k in ("n_converted", "n_abandoned", "n_open"))
    decided = converted + abandoned
    journeys, customers = number(run.get("n_journeys")), number(run.get("n_customers"))
    outcomes = "no outcomes: no goal activities were given"
    if decided or still_open:
        outcomes = (f"{fmt_int(converted)} converted · {fmt_int(abandoned)} abandoned · "
                    f"{fmt_int(still_open)} still open")
    conversion = ("–", "needs goal activities to tell converted journeys")
    if decided:
        conversion = (fmt_pct(converted / decided, 1), "of journeys with an outcome (open ones left out)")
    people = ("–", "no customers: each case is a journey")
    if customers:
        people = (fmt_int(customers), f"{journeys / customers:.1f} journeys each")
    return [
        ("journeys", fmt_int(run.get("n_journeys")), outcomes),
        ("conversion", *conversion),
        ("customers", *people),
        ("events", fmt_int(run.get("n_events")),
         f"{fmt_int(run.get('n_read'))} rows read, {fmt_int(run.get('n_rejected'))} rejected"),
    ]


def _kpi(label: str, value: str, note: str) -> str:
    return (f'<div class="kpi"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
            f'<div class="note">{esc(note)}</div></div>')


def _top_alerts(data: ReportData) -> str:
    """The three most important alerts; without any, why not and the three largest findings."""
    alerts = _alerts(data.changes)
    if not alerts.empty:
        items = "".join(f"<li>{esc(m)}</li>" for m in alerts["message"].head(3))
        return f'<div class="alerts"><h3>Top alerts</h3><ol>{items}</ol></div>'
    why = _nothing_changed(data.run) if data.changes.empty else "Nothing moved beyond noise since the last run."
    items = "".join(
        f"<li>{_badge(r['signal'])} {esc(r['touchpoint'])}: {fmt_int(r['n_journeys_affected'])} journeys "
        f"({fmt_pct(r['share'])})</li>" for r in _records(data.friction.head(3)))
    friction = f"<p>Largest friction:</p><ol>{items}</ol>" if items else ""
    return f'<div class="alerts calm"><h3>No alerts</h3><p>{esc(why)}</p>{friction}</div>'


def _alerts(changes: pd.DataFrame) -> pd.DataFrame:
    if changes.empty or "is_alert" not in changes:
        return changes.iloc[0:0]
    alerts = changes[changes["is_alert"].fillna(False).astype(bool)]
    order = "alert_rank" if "alert_rank" in alerts else "p_value"
    return alerts.sort_values(order, kind="stable", na_position="last")


def _toc() -> str:
    links = "".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title in SECTIONS)
    return f'<nav class="toc">{links}</nav>'


SECTIONS = [("flow", "Journey flow"), ("funnel", "Funnel and drop-offs"), ("friction", "Friction findings"),
            ("drivers", "Drivers"), ("emotion", "Emotion curve"), ("changes", "Changes since last run"),
            ("notes", "Data notes")]


# ---------------------------------------------------------------------------------- sections

def _section(anchor: str, lede: str, body: str) -> str:
    title = dict(SECTIONS)[anchor]
    lede_html = f'<p class="lede">{lede}</p>' if lede else ""
    return f'<section id="{anchor}"><h2>{esc(title)}</h2>{lede_html}{body}</section>'


def _empty(key: str) -> str:
    return f'<p class="empty">{esc(WHY_EMPTY[key])}</p>'


def _flow_section(data: ReportData, layout: SankeyLayout | None) -> str:
    if layout is None:
        return _section("flow", "", _empty("variants"))
    n_other_paths = len(data.variants) - layout.n_paths
    lede = (f"<strong>Top {layout.n_paths} paths = {fmt_pct(layout.coverage)} of journeys</strong> "
            f"({fmt_int(layout.n_top)} of {fmt_int(layout.total)}); the other "
            f"{fmt_int(layout.total - layout.n_top)} journeys ({fmt_int(n_other_paths)} distinct paths) run through "
            f"<em>other paths</em>. Each path shows its first {SANKEY_MAX_STEPS} steps, then ends in its outcomes; "
            "bands are as thick as their journeys (hover for the numbers).")
    legend = "".join(f'<span><i style="background:{OUTCOME_COLORS[o]}"></i>{esc(OUTCOME_LABELS[o])}</span>'
                     for o in OUTCOME_COLORS if any(k[0] == "outcome" and k[1] == o for k in layout.nodes))
    figure = f'<figure class="wide">{sankey_svg(layout)}</figure><div class="legend">{legend}</div>'
    return _section("flow", lede, figure + _channel_switches(data.channel_switches))


def _channel_switches(switches: pd.DataFrame, limit: int = 8) -> str:
    """The most taken moves from one channel to another (web order → store pickup, app → call)."""
    if switches.empty:
        return ""
    rows = _records(switches.sort_values(["n_journeys", "n_transitions"], ascending=False, kind="stable").head(limit))
    body = "".join(
        f'<tr><td>{esc(r["source_activity"])} <span class="muted">({esc(r["source_channel"])})</span> → '
        f'{esc(r["target_activity"])} <span class="muted">({esc(r["target_channel"])})</span></td>'
        f'<td class="num">{fmt_int(r["n_journeys"])}</td><td class="num">{fmt_duration(r["median_seconds"])}</td></tr>'
        for r in rows)
    head = '<tr><th>move between channels</th><th class="num">journeys</th><th class="num">median time</th></tr>'
    return f'<h3>Channel switches: where journeys cross channels</h3><table class="paths">{head}{body}</table>'



def _funnel_section(data: ReportData) -> str:
    funnel = data.funnel
    if funnel.empty:
        return _section("funnel", "", _empty("funnel") + _dropoff_paths(data.dropoff_paths))
    whole = funnel[funnel["dimension"] == "all"].sort_values("stage_number", kind="stable")
    rows = _records(whole)
    worst = max(rows, key=lambda r: -1 if is_missing(r["drop_rate"]) else r["drop_rate"], default=None)
    lede = "Journeys reaching each stage of the designed journey; under each bar, the share that left there."
    if worst is not None and not is_missing(worst["drop_rate"]):
        lede += (f" Largest drop: <strong>{esc(worst['stage'])}</strong>, {fmt_pct(worst['drop_rate'])} "
                 f"of those who reached it ({fmt_int(worst['n_dropped'])} journeys).")
    body = f"<figure>{funnel_svg(rows)}</figure>" if rows else ""
    return _section("funnel", lede, body + _breakdown(funnel) + _dropoff_paths(data.dropoff_paths))


def _breakdown(funnel: pd.DataFrame) -> str:
    """Small multiples: one small funnel per segment of each breakdown dimension."""
    parts = []
    for dimension, rows in funnel[funnel["dimension"] != "all"].groupby("dimension", sort=True):
        starts = rows[rows["stage_number"] == rows["stage_number"].min()].sort_values(
            ["n_reached", "segment"], ascending=[False, True])
        cards = []
        for segment in starts["segment"].head(MAX_SEGMENTS):
            stages = _records(rows[rows["segment"] == segment].sort_values("stage_number", kind="stable"))
            note = f"{fmt_int(stages[0]['n_reached'])} journeys · {fmt_pct(stages[-1]['conversion_from_start'])} " \
                   f"reach {truncate(str(stages[-1]['stage']), 24)}"
            cards.append(f'<div class="card"><div class="card-title">{esc(segment)}'
                         f'<span>{esc(note)}</span></div>{funnel_mini_svg(stages)}</div>')
        parts.append(f"<h3>By {esc(dimension)}</h3><div class=\"multiples\">{''.join(cards)}</div>")
    return "".join(parts)


def _dropoff_paths(paths: pd.DataFrame) -> str:
    heading = "<h3>Around the largest drop-offs: how they got there, what they did when they came back</h3>"
    if paths.empty:
        return heading + _empty("dropoff_paths")
    cards = []
    keys = ["drop_off_rank", "drop_off_activity", "drop_off_channel", "n_dropped"]
    for (_, activity, channel, n_dropped), rows in list(paths.groupby(keys, sort=True, dropna=False))[:MAX_DROPOFFS]:
        where = activity if is_missing(channel) else f"{activity} ({channel})"
        cards.append(f'<div class="card dropoff"><h4>{esc(where)} <span>{fmt_int(n_dropped)} dropped</span></h4>'
                     f'<div class="grid2"><div>{_led_there(rows[rows["kind"] == "led_there"])}</div>'
                     f"<div>{_came_back(rows)}</div></div></div>")
    return heading + "".join(cards)


def _led_there(rows: pd.DataFrame, limit: int = 4) -> str:
    body = "".join(
        f'<tr><td>{_path_chips(list(r["path"]), tail=True)}</td><td class="num">{fmt_int(r["n_journeys"])}</td>'
        f'<td class="num muted">{fmt_pct(r["share"])}</td></tr>'
        for r in _records(rows.sort_values("n_journeys", ascending=False, kind="stable").head(limit)))
    head = '<tr><th>how they got there (last steps)</th><th class="num">journeys</th><th class="num">share</th></tr>'
    return f'<table class="paths">{head}{body}</table>' if body else '<p class="empty">No paths recorded.</p>'


def _came_back(rows: pd.DataFrame, limit: int = 4) -> str:
    back = rows[rows["kind"] == "came_back_with"].sort_values("n_journeys", ascending=False, kind="stable")
    body = "".join(
        f'<tr><td>{_path_chips(list(r["path"]), tail=False)}</td><td class="num">{fmt_int(r["n_journeys"])}</td>'
        f'<td class="num muted">{fmt_pct(r["share"])}</td>'
        f'<td class="num">{esc(fmt_duration(_seconds_from_hours(r.get("median_hours_to_return"))))}</td>'
        f'<td class="num">{fmt_int(r.get("n_converted_after"))}</td></tr>'
        for r in _records(back.head(limit)))
    head = ('<tr><th>came back, starting with</th><th class="num">journeys</th><th class="num">share</th>'
            '<th class="num">back after<br>(median)</th><th class="num">then<br>converted</th></tr>')
    table = f'<table class="paths">{head}{body}</table>' if body else ""
    gone = rows[rows["kind"] == "did_not_return"]
    if not gone.empty:
        r = _records(gone)[0]
        table += (f'<p class="facts">{fmt_int(r["n_journeys"])} journeys ({fmt_pct(r["share"])}) have not come '
                  "back (no later journey).</p>")
    return table or '<p class="empty">Nobody has come back yet.</p>'


def _path_chips(path: list[Any], *, tail: bool, limit: int = 5) -> str:
    """Steps as chips joined by arrows; a longer path shows its last (or first) `limit` steps."""
    chips = [f'<span class="step">{esc(s)}</span>' for s in (path[-limit:] if tail else path[:limit])]
    if len(path) > limit:
        chips.insert(0 if tail else len(chips), '<span class="step more">…</span>')
    return '<span class="arrow">→</span>'.join(chips)


def _seconds_from_hours(hours: Any) -> float | None:
    return None if is_missing(hours) else float(hours) * 3600


def _friction_section(friction: pd.DataFrame) -> str:
    if friction.empty:
        return _section("friction", "", _empty("friction"))
    rows = _records(friction.sort_values("friction_rank", kind="stable").head(MAX_FINDINGS))
    top_score = max((float(r["score"]) for r in rows if not is_missing(r["score"])), default=0.0)
    body = "".join(_finding_row(r, top_score) for r in rows)
    more = len(friction) - len(rows)
    tail = f'<p class="muted">…and {fmt_int(more)} more in friction.parquet.</p>' if more > 0 else ""
    lede = ("Ranked by score: the journeys the friction harmed (how, under each score). Conversion compares "
            "journeys with the signal against those that reached the same touchpoint without it.")
    head = ('<tr><th>#</th><th>signal</th><th class="what">touchpoint and evidence</th><th class="num">journeys</th>'
            '<th class="num">conversion<br>with / without</th><th>score</th><th>example journeys</th></tr>')
    table = f'<table class="findings"><thead>{head}</thead><tbody>{body}</tbody></table>'
    return _section("friction", lede, table + tail)


def _finding_row(r: dict[str, Any], top_score: float) -> str:
    evidence = "" if is_missing(r.get("evidence")) else f'<div class="evidence">{esc(r["evidence"])}</div>'
    ids = [] if is_missing(r.get("example_journey_ids")) else [str(i) for i in r["example_journey_ids"]]
    examples = "".join(f"<code>{esc(i)}</code>" for i in ids[:2])
    if len(ids) > 2:
        examples += f'<span class="muted">+{len(ids) - 2} more</span>'
    basis = "" if is_missing(r.get("score_basis")) else f'<div class="muted small">{esc(r["score_basis"])}</div>'
    return (
        f'<tr><td class="rank">{fmt_int(r["friction_rank"])}</td><td>{_badge(r["signal"])}</td>'
        f'<td class="what"><div class="touchpoint">{esc(r["touchpoint"])}</div>{evidence}</td>'
        f'<td class="num">{fmt_int(r["n_journeys_affected"])}'
        f'<div class="muted small">{fmt_pct(r["share"])} of all</div></td>'
        f'<td class="num"><span class="{_worse(r)}">{fmt_pct(r["conversion_rate_with"])}</span> / '
        f'{fmt_pct(r["conversion_rate_without"])}</td>'
        f'<td class="score">{inline_bar_svg(r["score"], top_score)}<span>{fmt_num(r["score"], 0)}</span>{basis}</td>'
        f'<td class="examples">{examples}</td></tr>'
    )


SIGNAL_BADGES = ("loop", "digital_to_call", "abandonment", "repeat_contact", "long_wait", "negative_sentiment",
                 "error_event", "call_abandoned")


def _worse(finding: dict[str, Any]) -> str:
    """'bad' (shown red) when journeys with the signal convert less than those without."""
    with_, without = finding["conversion_rate_with"], finding["conversion_rate_without"]
    return "bad" if not is_missing(with_) and not is_missing(without) and with_ < without else ""


def _badge(signal: Any) -> str:
    name = str(signal)
    known = name if name in SIGNAL_BADGES else "other"
    return f'<span class="badge {known}">{esc(name.replace("_", " "))}</span>'


def _drivers_section(drivers: pd.DataFrame) -> str:
    """Per finding (by rank), its significantly over-represented segments; the findings
    without one are listed in a line."""
    if drivers.empty:
        return _section("drivers", "", _empty("drivers"))
    standing_out = drivers[drivers["is_significant"].fillna(False).astype(bool) & (drivers["lift"] > 1)]
    ranks = sorted(standing_out["friction_rank"].unique())
    cards = [_driver_card(standing_out[standing_out["friction_rank"] == rank]) for rank in ranks[:MAX_DRIVER_FINDINGS]]
    quiet = sorted(set(drivers["friction_rank"]) - set(ranks))
    if quiet:
        which = ", ".join(f"#{fmt_int(rank)}" for rank in quiet)
        cards.append(f'<p class="muted">No segment stands out significantly for finding{"s" * (len(quiet) > 1)} '
                     f"{which}.</p>")
    lede = ("Customer segments over-represented among the journeys of a finding, significant after correcting for "
            "the number of segments tested (q). Lift: how many times more likely journeys with the segment are to "
            f"hit the friction than the others; the tick marks 1×, bars end at {fmt_num(LIFT_SCALE, 0)}×.")
    return _section("drivers", lede, "".join(cards))


LIFT_SCALE = 3.0  # lift bars run to 3×; a larger lift fills its bar and its number says how large


def _driver_card(rows: pd.DataFrame, limit: int = 5) -> str:
    first = _records(rows.head(1))[0]
    strongest = rows.sort_values("lift", ascending=False, kind="stable").head(limit)
    body = "".join(_driver_row(r) for r in _records(strongest))
    return (f'<div class="card"><h4><span class="rank">#{fmt_int(first["friction_rank"])}</span> '
            f'{_badge(first["signal"])} {esc(first["touchpoint"])}</h4><table class="drivers">{body}</table></div>')


def _driver_row(r: dict[str, Any]) -> str:
    lift = number(r["lift"])
    # an infinite lift: the finding happens only in journeys with this value
    lift_text = "only with it" if lift == float("inf") else f"{fmt_num(lift, 1)}×"
    return (f'<tr><td>{esc(r["statement"])}</td>'
            f'<td class="lift">{lift_bar_svg(lift, LIFT_SCALE)}<span>{lift_text}</span></td>'
            f'<td class="num pq">p {fmt_p(r.get("p_value"))} · q {fmt_p(r.get("q_value"))}</td></tr>')


def _emotion_section(emotion: pd.DataFrame) -> str:
    if emotion.empty:
        return _section("emotion", "", _empty("emotion"))
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
    return _section("emotion", lede, "".join(parts))


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
    notes = [f"{fmt_pct(r['share_negative'])} negative" for r in _records(rows)]
    chart = diverging_bars_svg(list(rows["label"].astype(str)), list(rows["mean_sentiment"]), notes,
                               title="touchpoints with the lowest sentiment")
    return f"<figure><figcaption>touchpoints with the lowest sentiment</figcaption>{chart}</figure>"


def _nothing_changed(run: dict[str, Any]) -> str:
    """Why there are no changes: nothing to compare with, or nothing moved beyond noise."""
    previous = run.get("previous_run_id")
    if previous:
        return f"Nothing moved beyond noise since the previous run ({previous})."
    return WHY_EMPTY["changes"]


def _changes_section(changes: pd.DataFrame, run: dict[str, Any]) -> str:
    if changes.empty:
        return _section("changes", "", f'<p class="empty">{esc(_nothing_changed(run))}</p>')
    alerts = _alerts(changes)
    rest = changes.drop(alerts.index).sort_values("kind", kind="stable")
    items = [f'<li class="alert"><span class="tag alert">alert</span> {esc(m)}</li>' for m in alerts["message"]]
    items += [f'<li><span class="tag">{esc(str(k).replace("_", " "))}</span> {esc(m)}</li>'
              for k, m in zip(rest["kind"], rest["message"], strict=True)]
    lede = (f"{fmt_int(len(changes))} changes beyond noise since the previous run, "
            f"{fmt_int(len(alerts))} of them alerts.")
    return _section("changes", lede, f'<ul class="changes">{"".join(items)}</ul>')


def _notes_section(data: ReportData, layout: SankeyLayout | None) -> str:
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
    return _section("notes", "", "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")


# ---------------------------------------------------------------------------------- values

def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def _timestamp(value: Any) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> str:
    ts = _timestamp(value)
    return "–" if ts is None else f"{ts.day} {ts:%b %Y}"


def _when(value: Any) -> str:
    ts = _timestamp(value)
    if ts is None:
        return "–"
    zone = " UTC" if ts.tzinfo is not None and ts.utcoffset() == pd.Timedelta(0) else ""
    return f"{ts.day} {ts:%b %Y %H:%M}{zone}"


CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f4f6f8;--card:#fff;--accent:#3b6fb6;--good:#2f9e6e;
--bad:#c2413a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,"Liberation Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1200px;margin:0 auto;padding:28px 28px 40px}
h1{font-size:26px;line-height:1.2;margin:2px 0 6px;font-weight:650;letter-spacing:-.01em}
h2{font-size:19px;margin:0 0 6px;font-weight:650}
h3{font-size:15px;margin:22px 0 10px;font-weight:650}
h4{font-size:14px;margin:0 0 10px;font-weight:650}
h4 span{color:var(--muted);font-weight:400;margin-left:6px}
h5{font-size:12px;margin:0 0 6px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.lede{color:var(--muted);margin:0 0 16px;max-width:900px}
.lede strong{color:var(--ink)}
.eyebrow{color:var(--accent);font-weight:650;font-size:12px;text-transform:uppercase;letter-spacing:.08em}
code{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,monospace;background:#eef1f4;border-radius:4px;padding:1px 5px}
header.top{padding:8px 0 4px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin:18px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.kpi .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.kpi .value{font-size:28px;font-weight:650;line-height:1.25}
.kpi .note{color:var(--muted);font-size:12.5px}
.alerts{background:#fff6f5;border:1px solid #f3cdc9;border-left:4px solid var(--bad);border-radius:10px;
padding:12px 18px}
.alerts.calm{background:var(--card);border-color:var(--line);border-left-color:var(--good)}
.alerts h3{margin:2px 0 6px}
.alerts ol{margin:4px 0 4px;padding-left:22px}
.alerts p{margin:2px 0;color:var(--muted)}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 18px;margin:16px 0 6px;font-size:13px}
nav.toc a{color:var(--accent);text-decoration:none}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:22px 26px;margin:16px 0}
figure{margin:0 0 8px}
figcaption{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;margin-bottom:4px}
svg.chart{display:block;width:100%;height:auto}
svg .link:hover{stroke-opacity:.8}
svg.spark{display:inline-block;vertical-align:middle;width:auto;height:auto}
.legend{display:flex;gap:16px;font-size:12.5px;color:var(--muted);margin-top:4px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.empty{color:var(--muted);font-style:italic;margin:6px 0}
.muted{color:var(--muted)}
.small{font-size:12px}
.bad{color:var(--bad);font-weight:600}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.multiples .card{margin:0;padding:10px 12px}
.card{border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:0 0 12px;background:#fff}
.card-title{font-weight:650;margin-bottom:6px}
.card-title span{display:block;font-weight:400;color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);
padding:6px 10px}
td{border-bottom:1px solid var(--line);padding:9px 10px;vertical-align:top}
tr:last-child td{border-bottom:none}
.num{text-align:right;white-space:nowrap}
td.rank{color:var(--muted);font-weight:600}
.touchpoint{font-weight:600}
.evidence{color:var(--muted);font-size:12.5px}
th.what{width:40%}
td.score{white-space:nowrap;min-width:180px}
td.score span{margin-left:8px;font-weight:600}
td.score div{white-space:normal}
td.examples code{display:block;margin:0 0 3px;width:max-content}
td.examples .muted{font-size:12px}
td.lift{white-space:nowrap;width:220px}
td.pq{width:190px;color:var(--muted)}
td.lift span{margin-left:8px}
table.drivers td{padding:6px 10px;font-size:13px}
tr.faint td{color:var(--muted)}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.loop{background:#fdf0d5;color:#8a5a00}
.badge.digital_to_call{background:#e3ecfa;color:#2a4f8f}
.badge.abandonment{background:#fbe3e1;color:#9f2f29}
.badge.repeat_contact{background:#e6f4f1;color:#1d6b5c}
.badge.long_wait{background:#f3ecfb;color:#5b3d8f}
.badge.negative_sentiment{background:#fce8f1;color:#962a5c}
.badge.error_event{background:#fbe3e1;color:#7d231e}
.badge.call_abandoned{background:#fdeede;color:#8c4a12}
.badge.other{background:#eef1f4;color:#3e4c59}
.rank{color:var(--muted);margin-right:4px}
.tag{display:inline-block;font-size:11px;padding:0 7px;border-radius:4px;background:#eef1f4;color:#3e4c59;
margin-left:4px}
.tag.sig{background:#e0f2e9;color:#1f6f4c}
.tag.alert{background:#fbe3e1;color:#9f2f29;font-weight:600;margin:0 6px 0 0}
ul.changes{list-style:none;padding:0;margin:0}
ul.changes li{padding:7px 0;border-bottom:1px solid var(--line)}
table.paths th{padding:4px 8px}
table.paths td{padding:5px 8px;font-size:13px}
.step{display:inline-block;background:#eef2f7;border-radius:4px;padding:0 6px;font-size:12px;margin:1px 0}
.step.more{background:none;color:var(--muted)}
.arrow{color:var(--muted);margin:0 3px;font-size:12px}
.facts{font-size:12.5px;color:var(--muted);margin:8px 8px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:800px){.kpis{grid-template-columns:1fr 1fr}.grid2{grid-template-columns:1fr}}
@media print{
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  body{background:#fff;font-size:12px}
  main{max-width:none;padding:0}
  nav.toc{display:none}
  section{border:none;border-top:2px solid var(--line);border-radius:0;padding:14px 0;margin:0}
  figure,.card,.kpi,.alerts,tr{break-inside:avoid}
  h2,h3,h4{break-after:avoid}
}
"""
