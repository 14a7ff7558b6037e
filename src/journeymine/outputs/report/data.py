"""What the friction report shows, read from the warehouse after a run (or `journeymine mine`).

`collect_report_data` turns the marts into a `ReportData` (`journeymine.outputs.report.page` renders it);
`write_run_report` does both and writes friction_report.html beside the outputs. Every table
the run did not build (a plain event log has no funnel, friction or emotion) is an empty
frame, and the report says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from journeymine.db import Warehouse
from journeymine.outputs.report.page import ReportData, write_report
from journeymine.schema import REPORT_FILE

# each table of the report and the mart it comes from
REPORT_TABLES: dict[str, str] = {
    "variants": "marts.variants",
    "funnel": "marts.funnel",
    "friction": "marts.friction",
    "drivers": "marts.friction_drivers",
    "emotion": "marts.emotion_curve",
    "changes": "marts.changes",
    "dropoff_paths": "marts.dropoff_paths",
    "friction_trend": "marts.friction_trend",
    "funnel_trend": "marts.funnel_trend",
}
ORDER_BY: dict[str, str] = {
    "changes": "is_alert DESC, alert_rank, kind, subject",
    "variants": "variant_rank",
    "friction": "friction_rank",
    "friction_trend": "friction_rank, period_start",
    "funnel_trend": "stage_number, period_start",
}


def write_run_report(wh: Warehouse, manifest: dict[str, Any], output_dir: Path) -> Path:
    """friction_report.html in `output_dir`, from the warehouse's marts and the run manifest."""
    return write_report(collect_report_data(wh, manifest), output_dir / REPORT_FILE)


def collect_report_data(wh: Warehouse, manifest: dict[str, Any]) -> ReportData:
    """The report's tables (empty frames for marts this run has not built), its headline
    numbers and its data notes."""
    frames = {name: _table(wh, table, ORDER_BY.get(name)) for name, table in REPORT_TABLES.items()}
    switches = pd.DataFrame()
    if wh.table_exists("marts", "journey_graph_edges"):
        switches = wh.df(
            "SELECT source_activity, source_channel, target_activity, target_channel, n_journeys, n_transitions, "
            "median_seconds FROM marts.journey_graph_edges WHERE is_channel_switch "
            "ORDER BY n_journeys DESC, n_transitions DESC, source_activity, target_activity LIMIT 20"
        )
    return ReportData(run=headline(wh, manifest), notes=data_notes(wh, manifest), channel_switches=switches, **frames)


def headline(wh: Warehouse, manifest: dict[str, Any]) -> dict[str, Any]:
    """Run id, period covered, and the counts the report's header shows."""
    run: dict[str, Any] = {
        "run_id": manifest.get("run_id"),
        "started_at": manifest.get("started_at"),
        "n_read": manifest.get("n_read"),
        "n_rejected": manifest.get("n_rejected"),
        "alerts": list(manifest.get("alerts") or []),
        "previous_run_id": manifest.get("previous_run_id"),
    }
    if wh.table_exists("marts", "journeys"):
        (period_start, period_end, n_journeys, n_customers, n_events,
         n_converted, n_abandoned, n_open) = wh.rows(
            """
            SELECT min(started_at), max(ended_at), count(*), count(DISTINCT customer_id), sum(n_events)::BIGINT,
                   count(*) FILTER (WHERE outcome = 'converted'), count(*) FILTER (WHERE outcome = 'abandoned'),
                   count(*) FILTER (WHERE outcome = 'open')
            FROM marts.journeys
            """
        )[0]
        if wh.table_exists("journeys", "data_period"):  # a stray row dated 2099 does not stretch the period
            period_start, period_end = wh.rows("SELECT period_start, period_end FROM journeys.data_period")[0]
        run |= {
            "period_start": period_start, "period_end": period_end, "n_journeys": n_journeys, "n_events": n_events,
            "n_converted": n_converted, "n_abandoned": n_abandoned, "n_open": n_open,
        }
        # a plain event log's cases are their own "customers": only a full run has customers
        if wh.table_exists("marts", "customers"):
            # customers with journeys (as the manifest's stitching.n_customers and the summary count
            # them); customers.parquet also has a row per shared identifier and CRM-only customer
            run["n_customers"] = n_customers
    return run


def data_notes(wh: Warehouse, manifest: dict[str, Any]) -> list[str]:
    """Sentences on what the numbers rest on: rows rejected and why, shared identifiers set
    aside, label hygiene, the process model's coverage."""
    notes = []
    if manifest.get("command") == "mine":
        notes.append("journeymine mine mines the paths, the journey graph and the drop-offs of a plain event log; "
                     "friction, drivers, the funnel, the emotion curve and changes come from journeymine run.")
    if wh.table_exists("staged", "rejects"):
        reasons = wh.rows(
            "SELECT split_part(reason, ':', 1) AS why, count(*) AS n FROM staged.rejects GROUP BY why ORDER BY n DESC, why"
        )
        if reasons:
            notes.append("Rejected rows by reason: " + "; ".join(f"{why} {n:,}" for why, n in reasons) + ".")
    for source in manifest.get("inputs") or []:
        for q in source.get("quarantined") or []:
            notes.append(f"File set aside (source {source['source']}): {q['file']}: {q['reason']}.")
        if source.get("warnings_by_reason"):
            notes.append(
                f"Values dropped from accepted rows of {source['source']} (the row kept, the value not used): "
                + "; ".join(f"{why} {n:,}" for why, n in source["warnings_by_reason"].items()) + "."
            )
    over_share = (manifest.get("stitching") or {}).get("over_share_identifiers") or {}
    if over_share:
        notes.append("Identifiers on an implausible share of all records set aside as shared, not merged into one "
                     "person (a default account, a switchboard): "
                     + ", ".join(f"{n:,} {kind}" for kind, n in over_share.items()) + ".")
    conflicts = (manifest.get("stitching") or {}).get("conflicting_records") or {}
    if conflicts:
        notes.append("Identity records that disagree on the same customer (the latest record wins): "
                     + "; ".join(f"{kind} {n:,}" for kind, n in conflicts.items()) + ".")
    if wh.table_exists("stitched", "identity_map"):
        shared = wh.rows(
            """
            SELECT kind AS identifier_kind, count(DISTINCT identifier) AS n
            FROM stitched.identity_map WHERE is_shared GROUP BY identifier_kind ORDER BY identifier_kind
            """
        )
        if shared:
            notes.append(
                "Shared identifiers set aside instead of merging the people behind them (a shared kiosk, a "
                "switchboard number): " + ", ".join(f"{n:,} {kind}" for kind, n in shared) + "."
            )
    labels = manifest.get("labels") or {}
    if labels.get("n_repeats_collapsed"):
        notes.append(f"Label hygiene: {labels['n_repeats_collapsed']:,} consecutive repeats collapsed into rework "
                     f"({labels['n_events']:,} events became {labels['n_steps']:,} steps).")
    model = manifest.get("process_model") or {}
    if model.get("n_variants_used"):
        notes.append(f"The process model covers {model['share_covered']:.0%} of journeys "
                     f"({model['n_variants_used']:,} of {model['n_variants_total']:,} variants).")
    return notes


def _table(wh: Warehouse, table: str, order_by: str | None) -> pd.DataFrame:
    schema, name = table.split(".", 1)
    if not wh.table_exists(schema, name):
        return pd.DataFrame()
    return wh.df(f"SELECT * FROM {table}" + (f" ORDER BY {order_by}" if order_by else ""))
