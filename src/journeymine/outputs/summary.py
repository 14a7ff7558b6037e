"""The run's summary printed at the end of `journeymine run`: reconciliation per source, counts,
the top findings."""

from __future__ import annotations

from pathlib import Path

import duckdb

from journeymine.schema import REPORT_FILE


def summarize_run(manifest: dict, output_dir: Path) -> str:
    """A short, human summary of a finished run: reconciliation, counts, top findings."""
    lines = [f"journeymine run {manifest['run_id']}: outputs in {output_dir}"]
    for source in manifest["inputs"]:
        lines.append(
            f"  {source['source']:<12} {source['n_read']:>9,} rows read = {source['n_accepted']:,} accepted"
            f" + {source['n_rejected']:,} rejected ({source['n_files_loaded']} new files,"
            f" {source['n_files_skipped']} already loaded)"
        )
        if source.get("n_warnings"):
            lines.append(f"  {'':<12} {source['n_warnings']:>9,} values dropped with a warning: "
                         + ", ".join(f"{why} {n:,}" for why, n in list(source["warnings_by_reason"].items())[:3]))
        for q in source.get("quarantined") or []:
            lines.append(f"  {'':<12} file set aside: {q['file']}: {q['reason']}")
    counts = manifest["counts"]
    stitching = manifest["stitching"]
    others = counts["customers"] - stitching["n_customers"]
    lines.append(
        f"  {stitching['n_customers']:,} customers with events ({stitching.get('n_components_split', 0)} over-merged "
        f"identity components split), {counts['sessions']:,} sessions, {counts['journeys']:,} journeys, "
        f"{counts['variants']:,} variants"
        + (f"; customers.parquet has {others:,} more row(s): shared identifiers, customers known only from the CRM"
           if others else "")
    )
    labels = manifest.get("labels") or {}
    if labels.get("n_repeats_collapsed") or labels.get("n_rare_labels_grouped"):
        renamed = (
            f"{labels['n_labels_before']} activities became {labels['n_labels_after']}; "
            if labels["n_labels_before"] != labels["n_labels_after"] else ""
        )
        lines.append(
            f"  label hygiene: {renamed}{labels['n_repeats_collapsed']:,} consecutive repeats collapsed into rework "
            f"({labels['n_events']:,} events → {labels['n_steps']:,} steps)"
        )
    model = manifest.get("process_model") or {}
    if model.get("bpmn_path"):
        lines.append(
            f"  process model: {model['n_variants_used']:,} of {model['n_variants_total']:,} variants, covering "
            f"{model['share_covered']:.0%} of journeys → process_model.bpmn, process_model.pnml"
        )
    conformance = manifest.get("conformance") or {}
    if conformance.get("n_stages"):
        top = conformance.get("top_deviations") or []
        lines.append(
            f"  designed journey: {conformance['share_fitting']:.0%} of journeys fit the map "
            f"(mean fitness {conformance['mean_fitness']:.2f})"
            + (f"; most frequent deviation: {top[0]['deviation']} ({top[0]['n_journeys']:,} journeys)" if top else "")
        )
    con = duckdb.connect()
    try:
        friction = con.execute(
            "SELECT touchpoint, signal, n_journeys_affected, score FROM read_parquet($p) ORDER BY friction_rank LIMIT 5",
            {"p": str(output_dir / "friction.parquet")},
        ).fetchall()
        drops = con.execute(
            "SELECT stage, channel, n_dropped, drop_rate FROM read_parquet($p) WHERE n_dropped > 0 "
            "ORDER BY drop_off_rank LIMIT 3",
            {"p": str(output_dir / "dropoffs.parquet")},
        ).fetchall()
    finally:
        con.close()
    lines.append("  top friction:")
    lines += [f"    {score:8.1f}  {signal:<18} {touchpoint}  ({n:,} journeys)" for touchpoint, signal, n, score in friction]
    # none without goals: a journey that ends is not a drop-off then
    lines.append("  largest drop-offs:" if drops else "  largest drop-offs: none (no goal_activities, or none abandoned)")
    lines += [f"    {n:>7,}  {stage} ({channel}), drop rate {rate:.0%}" for stage, channel, n, rate in drops]
    alerts = manifest.get("alerts")
    if alerts is not None:
        lines.append("  changes since the previous run:" if alerts else "  changes since the previous run: no alerts")
        lines += [f"    ! {alert}" for alert in alerts]
    if (output_dir / REPORT_FILE).exists():
        lines.append(f"  report: {output_dir / REPORT_FILE}")
    return "\n".join(lines)
