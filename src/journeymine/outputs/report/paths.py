"""The report's sections about paths: the journey flow (Sankey, channel switches), the funnel
and the paths around drop-offs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from journeymine.outputs.report.charts import SankeyLayout, funnel_mini_svg, funnel_svg, sankey_svg
from journeymine.outputs.report.format import (
    OUTCOME_COLORS, OUTCOME_LABELS, esc, fmt_duration, fmt_int, fmt_pct, is_missing, truncate,
)
from journeymine.outputs.report.sections import MAX_DROPOFFS, MAX_SEGMENTS, SANKEY_MAX_STEPS, empty, records, section

if TYPE_CHECKING:
    from journeymine.outputs.report.page import ReportData


def flow_section(data: ReportData, layout: SankeyLayout | None) -> str:
    if layout is None:
        return section("flow", "", empty("variants"))
    n_other_paths = len(data.variants) - layout.n_paths
    lede = (f"<strong>Top {layout.n_paths} paths = {fmt_pct(layout.coverage)} of journeys</strong> "
            f"({fmt_int(layout.n_top)} of {fmt_int(layout.total)}); the other "
            f"{fmt_int(layout.total - layout.n_top)} journeys ({fmt_int(n_other_paths)} distinct paths) run through "
            f"<em>other paths</em>. Each path shows its first {SANKEY_MAX_STEPS} steps, then ends in its outcomes; "
            "bands are as thick as their journeys (hover for the numbers).")
    legend = "".join(f'<span><i style="background:{OUTCOME_COLORS[o]}"></i>{esc(OUTCOME_LABELS[o])}</span>'
                     for o in OUTCOME_COLORS if any(k[0] == "outcome" and k[1] == o for k in layout.nodes))
    figure = f'<figure class="wide">{sankey_svg(layout)}</figure><div class="legend">{legend}</div>'
    return section("flow", lede, figure + _channel_switches(data.channel_switches))


def _channel_switches(switches: pd.DataFrame, limit: int = 8) -> str:
    """The most taken moves from one channel to another (web order → store pickup, app → call)."""
    if switches.empty:
        return ""
    rows = records(switches.sort_values(["n_journeys", "n_transitions"], ascending=False, kind="stable").head(limit))
    body = "".join(
        f'<tr><td>{esc(r["source_activity"])} <span class="muted">({esc(r["source_channel"])})</span> → '
        f'{esc(r["target_activity"])} <span class="muted">({esc(r["target_channel"])})</span></td>'
        f'<td class="num">{fmt_int(r["n_journeys"])}</td><td class="num">{fmt_duration(r["median_seconds"])}</td></tr>'
        for r in rows)
    head = '<tr><th>move between channels</th><th class="num">journeys</th><th class="num">median time</th></tr>'
    return f'<h3>Channel switches: where journeys cross channels</h3><table class="paths">{head}{body}</table>'


def funnel_section(data: ReportData) -> str:
    funnel = data.funnel
    if funnel.empty:
        return section("funnel", "", empty("funnel") + _dropoff_paths(data.dropoff_paths))
    whole = funnel[funnel["dimension"] == "all"].sort_values("stage_number", kind="stable")
    rows = records(whole)
    worst = max(rows, key=lambda r: -1 if is_missing(r["drop_rate"]) else r["drop_rate"], default=None)
    lede = "Journeys reaching each stage of the designed journey; under each bar, the share that left there."
    if worst is not None and not is_missing(worst["drop_rate"]):
        lede += (f" Largest drop: <strong>{esc(worst['stage'])}</strong>, {fmt_pct(worst['drop_rate'])} "
                 f"of those who reached it ({fmt_int(worst['n_dropped'])} journeys).")
    body = f"<figure>{funnel_svg(rows)}</figure>" if rows else ""
    return section("funnel", lede, body + _breakdown(funnel) + _dropoff_paths(data.dropoff_paths))


def _breakdown(funnel: pd.DataFrame) -> str:
    """Small multiples: one small funnel per segment of each breakdown dimension."""
    parts = []
    for dimension, rows in funnel[funnel["dimension"] != "all"].groupby("dimension", sort=True):
        starts = rows[rows["stage_number"] == rows["stage_number"].min()].sort_values(
            ["n_reached", "segment"], ascending=[False, True])
        cards = []
        for segment in starts["segment"].head(MAX_SEGMENTS):
            stages = records(rows[rows["segment"] == segment].sort_values("stage_number", kind="stable"))
            note = f"{fmt_int(stages[0]['n_reached'])} journeys · {fmt_pct(stages[-1]['conversion_from_start'])} " \
                   f"reach {truncate(str(stages[-1]['stage']), 24)}"
            cards.append(f'<div class="card"><div class="card-title">{esc(segment)}'
                         f'<span>{esc(note)}</span></div>{funnel_mini_svg(stages)}</div>')
        parts.append(f"<h3>By {esc(dimension)}</h3><div class=\"multiples\">{''.join(cards)}</div>")
    return "".join(parts)


def _dropoff_paths(paths: pd.DataFrame) -> str:
    heading = "<h3>Around the largest drop-offs: how they got there, what they did when they came back</h3>"
    if paths.empty:
        return heading + empty("dropoff_paths")
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
        for r in records(rows.sort_values("n_journeys", ascending=False, kind="stable").head(limit)))
    head = '<tr><th>how they got there (last steps)</th><th class="num">journeys</th><th class="num">share</th></tr>'
    return f'<table class="paths">{head}{body}</table>' if body else '<p class="empty">No paths recorded.</p>'


def _came_back(rows: pd.DataFrame, limit: int = 4) -> str:
    back = rows[rows["kind"] == "came_back_with"].sort_values("n_journeys", ascending=False, kind="stable")
    body = "".join(
        f'<tr><td>{_path_chips(list(r["path"]), tail=False)}</td><td class="num">{fmt_int(r["n_journeys"])}</td>'
        f'<td class="num muted">{fmt_pct(r["share"])}</td>'
        f'<td class="num">{esc(fmt_duration(_seconds_from_hours(r.get("median_hours_to_return"))))}</td>'
        f'<td class="num">{fmt_int(r.get("n_converted_after"))}</td></tr>'
        for r in records(back.head(limit)))
    head = ('<tr><th>came back, starting with</th><th class="num">journeys</th><th class="num">share</th>'
            '<th class="num">back after<br>(median)</th><th class="num">then<br>converted</th></tr>')
    table = f'<table class="paths">{head}{body}</table>' if body else ""
    gone = rows[rows["kind"] == "did_not_return"]
    if not gone.empty:
        r = records(gone)[0]
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
