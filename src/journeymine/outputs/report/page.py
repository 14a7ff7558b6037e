"""friction_report.html: the morning page of a CX lead, one self-contained file.

`render_report(ReportData)` returns the whole HTML document: a header with the run's
headline numbers and top alerts, then the journey flow (a Sankey of the top paths), the
funnel with its drop-offs, the friction findings, their drivers, the emotion curve, the
changes since the last run and notes on the data. Charts are inline SVG
(`journeymine.outputs.report.charts`); the page loads nothing from elsewhere (a Content-Security-
Policy forbids it), runs no script, and prints on white. Every value from the data is
HTML-escaped. A section whose table is empty says why instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from journeymine.outputs.report.charts import sankey_layout
from journeymine.outputs.report.findings import (
    changes_section, drivers_section, emotion_section, friction_section, notes_section, trend_section,
)
from journeymine.outputs.report.format import esc, fmt_int, fmt_pct, number
from journeymine.outputs.report.paths import flow_section, funnel_section
from journeymine.outputs.report.sections import (
    SANKEY_MAX_STEPS, SANKEY_TOP_PATHS, SECTIONS, alerts_of, badge, day, nothing_changed, records, when,
)
from journeymine.outputs.report.style import CSS


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
    friction_trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    funnel_trend: pd.DataFrame = field(default_factory=pd.DataFrame)
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
        flow_section(data, layout),
        funnel_section(data),
        friction_section(data.friction),
        drivers_section(data.drivers, data.friction),
        trend_section(data.friction_trend, data.funnel_trend),
        emotion_section(data.emotion),
        changes_section(data.changes, data.run),
        notes_section(data, layout),
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


def _header(data: ReportData) -> str:
    run = data.run
    start, end = when(run.get("period_start")), when(run.get("period_end"))
    kpis = "".join(_kpi(*kpi) for kpi in _headline_numbers(run))
    return (
        '<header class="top"><div class="eyebrow">journeymine · friction report</div>'
        f"<h1>Customer journeys, {esc(day(run.get('period_start')))} – {esc(day(run.get('period_end')))}</h1>"
        f'<p class="lede">Run <code>{esc(run.get("run_id", "–"))}</code> · '
        f"generated {esc(when(run.get('started_at')))} · events from {esc(start)} to {esc(end)}</p>"
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
    alerts = alerts_of(data.changes)
    if not alerts.empty:
        items = "".join(f"<li>{esc(m)}</li>" for m in alerts["message"].head(3))
        return f'<div class="alerts"><h3>Top alerts</h3><ol>{items}</ol></div>'
    why = nothing_changed(data.run) if data.changes.empty else "Nothing moved beyond noise since the last run."
    items = "".join(
        f"<li>{badge(r['signal'])} {esc(r['touchpoint'])}: {fmt_int(r['n_journeys_affected'])} journeys "
        f"({fmt_pct(r['share'])})</li>" for r in records(data.friction.head(3)))
    friction = f"<p>Largest friction:</p><ol>{items}</ol>" if items else ""
    return f'<div class="alerts calm"><h3>No alerts</h3><p>{esc(why)}</p>{friction}</div>'


def _toc() -> str:
    links = "".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title in SECTIONS)
    return f'<nav class="toc">{links}</nav>'
