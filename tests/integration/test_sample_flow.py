"""The whole flow on data/sample: every output is written, the manifest reconciles, and the
stories planted in the sample (data/sample/README.md) come out of the data."""

from __future__ import annotations

import csv
import gzip
import shutil
from html import escape as html_escape
from pathlib import Path

import duckdb
import pytest

from journeymine.schema import OUTPUT_COLUMNS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
TOP = 5  # "among the top friction findings"


def query(run: dict, sql: str, params: dict | None = None) -> list[tuple]:
    con = duckdb.connect(str(run["out"] / "analytics.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in handle)


def test_every_output_is_written_with_its_contract_columns(sample_run: dict) -> None:
    """Each output of DESIGN.md exists as Parquet and as a view in analytics.duckdb, with its columns."""
    for name, columns in OUTPUT_COLUMNS.items():
        assert (sample_run["out"] / f"{name}.parquet").is_file(), name
        present = {row[0] for row in query(sample_run, f"DESCRIBE {name}")}
        assert set(columns) <= present, (name, set(columns) - present)
    assert query(sample_run, "SELECT count(*) FROM events")[0][0] > 10_000


def test_manifest_reconciles_with_the_files_on_disk(sample_run: dict) -> None:
    """Rows read = accepted + rejected per source, and rows read = lines in the files (nothing lost)."""
    manifest = sample_run["manifest"]
    assert manifest["is_reconciled"]
    folders = {"web": "web", "app": "app", "calls": "calls", "store": "store", "crm": "crm"}
    for source in manifest["inputs"]:
        assert source["n_read"] == source["n_accepted"] + source["n_rejected"], source
        files = sorted((SAMPLE / folders[source["source"]]).glob("*.*"))
        header_lines = 0 if source["preset"] == "segment" else len(files)
        assert source["n_read"] == sum(count_lines(f) for f in files) - header_lines, source["source"]
    rejected = query(sample_run, "SELECT count(*) FROM rejects")[0][0]
    assert rejected == manifest["n_rejected"] > 0


def test_planted_bad_rows_are_rejected_with_reasons(sample_run: dict) -> None:
    """Truncated JSON, duplicate ids, unparseable times and anonymous store rows land in rejects."""
    reasons = " | ".join(r[0] for r in query(sample_run, "SELECT DISTINCT reason FROM rejects"))
    for expected in ("not valid JSON", "same content", "different content", "unparseable started_at", "no identifier"):
        assert expected in reasons, expected


def test_checkout_loop_on_app_is_a_top_friction_finding(sample_run: dict) -> None:
    """The app's shipping step sending people back to the cart is found as a loop, ranked near the top."""
    top = query(sample_run, "SELECT signal, channel, activity, target_activity FROM friction WHERE friction_rank <= $n", {"n": TOP})
    assert ("loop", "app", "Checkout Shipping", "Cart") in top, top


def test_payment_error_calls_are_a_top_friction_finding(sample_run: dict) -> None:
    """Customers calling about payment soon after a digital checkout step is found as a channel switch."""
    top = query(sample_run, "SELECT signal, target_activity FROM friction WHERE friction_rank <= $n", {"n": TOP})
    assert ("digital_to_call", "call: payment_issue") in top, top


def test_account_creation_is_the_largest_drop_off(sample_run: dict) -> None:
    """More abandoned journeys end at Create Account than at any other touchpoint."""
    ranked = query(sample_run, "SELECT stage, n_dropped FROM dropoffs ORDER BY drop_off_rank LIMIT 2")
    assert ranked[0][0] == "Create Account", ranked
    assert ranked[0][1] > ranked[1][1]


def test_kiosk_does_not_merge_customers(sample_run: dict) -> None:
    """A shared kiosk device is split off: its logged-in events belong to many different customers."""
    stitching = sample_run["manifest"]["stitching"]
    assert stitching["n_components_split"] >= 1
    assert stitching["shared_identifier_kinds"].get("anonymous_id", 0) >= 1
    n_kiosk_customers = query(
        sample_run, "SELECT count(DISTINCT customer_id) FROM events WHERE attributes ->> 'device_type' = 'kiosk'"
    )[0][0]
    assert n_kiosk_customers >= 20
    con = duckdb.connect(str(sample_run["database"]), read_only=True)
    try:
        most_refs = con.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM identity.identity_map "
            "WHERE kind = 'customer_ref' GROUP BY customer_id)"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert most_refs <= 2


def test_click_and_collect_journeys_span_web_and_store(sample_run: dict) -> None:
    """A web click-and-collect order and its store pickup are stitched into one converted journey."""
    n = query(
        sample_run,
        "SELECT count(*) FROM journeys WHERE outcome = 'converted' AND list_contains(channels, 'store') "
        "AND list_contains(channels, 'web') AND list_contains(path, 'Click and Collect Order Placed') "
        "AND path[-1] = 'store: pickup'",
    )[0][0]
    assert n >= 50


def test_negative_sentiment_concentrates_on_one_call_reason(sample_run: dict) -> None:
    """Among call reasons, one has clearly the lowest mean sentiment."""
    reasons = query(
        sample_run,
        "SELECT activity, mean_sentiment FROM journey_graph_nodes WHERE channel = 'call_center' "
        "AND n_with_sentiment >= 20 ORDER BY mean_sentiment",
    )
    assert reasons[0][1] < -0.3 and reasons[1][1] > 0, reasons


def test_no_raw_email_or_phone_in_any_output(sample_run: dict) -> None:
    """Identifiers are hashed: no email or phone from the CRM file appears in any output."""
    with (SAMPLE / "crm" / "customers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    secrets = {r["email"].strip().lower() for r in rows if r["email"]}
    # phones as written, and in the E.164 form staging normalises them to ('+' never occurs in a hash)
    secrets |= {r["phone"].strip().lower() for r in rows if len(r["phone"].strip()) >= 8}
    secrets |= {"+44" + r["phone"].replace(" ", "")[-10:] for r in rows if r["phone"]}
    assert len(secrets) > 100
    for parquet in sample_run["out"].glob("*.parquet"):
        text = duckdb.connect().execute(
            "SELECT string_agg(CAST(columns(*) AS VARCHAR), ' ') FROM read_parquet($p)", {"p": str(parquet)}
        ).fetchall()
        blob = " ".join(str(cell).lower() for row in text for cell in row)
        leaked = [s for s in secrets if s in blob]
        assert not leaked, (parquet.name, leaked[:3])


def test_second_run_adds_nothing(sample_run: dict) -> None:
    """Running again on the same files loads no file and changes no count."""
    from pipelines.journeymine_flow import journeymine_flow

    first = sample_run["manifest"]
    second = journeymine_flow(str(sample_run["config"]))
    assert all(s["n_files_loaded"] == 0 for s in second["inputs"])
    assert [(s["source"], s["n_read"], s["n_accepted"]) for s in second["inputs"]] == [
        (s["source"], s["n_read"], s["n_accepted"]) for s in first["inputs"]
    ]
    assert second["counts"] == first["counts"]
    assert len(query(sample_run, "SELECT run_id FROM run_manifest")) == 2
    # the same data again: compared with the first run, nothing moved
    assert (second["previous_run_id"], second["alerts"]) == (first["run_id"], [])


def test_variants_and_the_graph_add_up_to_the_journeys(sample_run: dict) -> None:
    """Every journey is in one variant; the graph holds every transition between steps exactly
    once; the starts and ends of the nodes are one per journey."""
    n_journeys, n_transitions = query(sample_run, "SELECT count(*), sum(len(path) - 1) FROM journeys")[0]
    assert query(sample_run, "SELECT sum(n_journeys) FROM variants")[0][0] == n_journeys
    assert query(sample_run, "SELECT sum(n_transitions) FROM journey_graph_edges")[0][0] == n_transitions
    assert query(sample_run, "SELECT sum(n_starts), sum(n_ends) FROM journey_graph_nodes")[0] == (n_journeys, n_journeys)


def test_checkout_loop_is_a_frequent_deviation_from_the_designed_journey(sample_run: dict) -> None:
    """Against the journey map in journeymine.yaml, going back from checkout to the basket is
    among the most frequent deviations, and journeys doing it convert less than fitting ones."""
    deviations = query(
        sample_run, "SELECT deviation, conversion_rate FROM conformance_deviations ORDER BY deviation_rank LIMIT $n",
        {"n": TOP},
    )
    rates = dict(deviations)
    assert "revisited basket after checkout" in rates, deviations
    fitting_rate = query(
        sample_run,
        "SELECT avg((journeys.outcome = 'converted')::INT) FROM conformance JOIN journeys USING (journey_id) "
        "WHERE is_fitting AND journeys.outcome <> 'open'",
    )[0][0]
    assert rates["revisited basket after checkout"] < fitting_rate


def test_process_model_is_written_with_its_coverage(sample_run: dict) -> None:
    """BPMN and PNML are written, and the manifest says how much of the journeys the model covers."""
    import xml.etree.ElementTree as ET

    model = sample_run["manifest"]["process_model"]
    assert 0 < model["share_covered"] <= 1 and model["n_variants_used"] <= model["n_variants_total"]
    for name in ("process_model.bpmn", "process_model.pnml"):
        ET.parse(sample_run["out"] / name)


def test_xes_and_ocel_exports_open_in_pm4py(sample_run: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine export` writes the run's journeys as XES and OCEL 2.0 on demand: pm4py reads
    journeys.xes.gz with one trace per journey and every event, and the OCEL 2.0 file with every
    event and its customers."""
    from journeymine.cli import main
    from journeymine.mining.pm4py_lazy import import_pm4py

    assert not (sample_run["out"] / "journeys.xes.gz").exists()  # exports are off in the sample config
    assert main(["export", "--out", str(sample_run["out"])]) == 0
    assert "journeys.xes.gz" in capsys.readouterr().out

    pm4py = import_pm4py()
    (n_events,), (n_journeys,), (n_customers,) = (
        query(sample_run, "SELECT count(*) FROM events")[0],
        query(sample_run, "SELECT count(*) FROM journeys")[0],
        query(sample_run, "SELECT count(DISTINCT customer_id) FROM events")[0],
    )
    xes = pm4py.read_xes(str(sample_run["out"] / "journeys.xes.gz"), variant="iterparse", show_progress_bar=False)
    assert (len(xes), xes["case:concept:name"].nunique()) == (n_events, n_journeys)
    ocel = pm4py.read_ocel2_json(str(sample_run["out"] / "journeys.ocel.json.gz"))
    assert len(ocel.events) == n_events
    assert (ocel.objects["ocel:type"] == "customer").sum() == n_customers


# --- issue 4: friction intelligence and the report -------------------------------------------


def test_negative_sentiment_on_one_call_reason_is_a_top_friction_finding(sample_run: dict) -> None:
    """The call reason whose calls go badly is found by the negative_sentiment signal, near the top."""
    top = query(sample_run, "SELECT signal, activity FROM friction WHERE friction_rank <= $n", {"n": TOP})
    assert ("negative_sentiment", "call: delivery_delay") in top, top


def test_every_call_abandoned_in_the_queue_is_a_friction_journey(sample_run: dict) -> None:
    """call_abandoned findings (one per call reason) add up to the journeys with a call abandoned in
    the queue, counted per reason."""
    expected = query(
        sample_run,
        "SELECT count(DISTINCT (journey_id, activity)) FROM events WHERE channel = 'call_center' "
        "AND attributes ->> 'outcome' = 'abandoned'",
    )[0][0]
    found = query(sample_run, "SELECT sum(n_journeys_affected) FROM friction WHERE signal = 'call_abandoned'")[0][0]
    assert expected > 100 and found == expected


def test_findings_carry_evidence_and_their_conversion_impact(sample_run: dict) -> None:
    rows = query(sample_run, "SELECT evidence, conversion_impact, conversion_rate_with, conversion_rate_without, score "
                             "FROM friction WHERE friction_rank <= $n", {"n": TOP})
    assert all(evidence for evidence, *_ in rows)
    for _, impact, with_it, without_it, _ in rows:
        if with_it is not None and without_it is not None:
            assert impact == pytest.approx(without_it - with_it)
    assert [score for *_, score in rows] == sorted((score for *_, score in rows), reverse=True)


def test_account_creation_drop_off_shows_the_path_that_led_there(sample_run: dict) -> None:
    """The largest drop-off's most common path ends at Create Account, after checkout started."""
    path = query(
        sample_run,
        "SELECT path FROM dropoff_paths WHERE drop_off_rank = 1 AND kind = 'led_there' ORDER BY n_journeys DESC LIMIT 1",
    )[0][0]
    assert path[-1] == "Create Account (web)" and "Checkout Started (web)" in path, path


def test_drivers_are_over_represented_segments_with_their_statistics(sample_run: dict) -> None:
    """Every driver is over-represented (lift = rate with / rate without > 1) and significant
    exactly when its q-value is under drivers.alpha; the app checkout loop, which the sample
    plants for every OS alike, has no significant platform driver."""
    drivers = query(sample_run, "SELECT lift, rate_with_value, rate_without_value, q_value, is_significant, "
                                "signal, channel, activity, attribute FROM friction_drivers")
    assert drivers
    for lift, with_value, without_value, q_value, is_significant, *_ in drivers:
        assert with_value > without_value and lift > 1
        if without_value > 0:
            assert lift == pytest.approx(with_value / without_value)
        assert is_significant == (q_value <= 0.05)
    assert not [d for d in drivers if d[4] and d[5:] == ("loop", "app", "Checkout Shipping", "platform")]


def test_funnel_over_the_designed_journey_stops_at_the_goal_stage(sample_run: dict) -> None:
    """The funnel follows the journey map up to the stage holding the goal; reached never grows."""
    stages = query(
        sample_run,
        "SELECT stage, n_reached, n_continued FROM funnel WHERE dimension = 'all' ORDER BY stage_number",
    )
    assert [s for s, _, _ in stages] == ["browse", "basket", "checkout", "purchase"]
    reached = [n for _, n, _ in stages]
    assert reached == sorted(reached, reverse=True)
    assert all(continued == next_reached for (_, _, continued), (_, next_reached, _) in zip(stages, stages[1:]))
    segments = query(sample_run, "SELECT DISTINCT dimension FROM funnel WHERE dimension <> 'all'")
    assert {"entry_channel", "platform", "segment"} <= {d for (d,) in segments}


def test_emotion_curve_has_its_valley_at_the_unhappy_call(sample_run: dict) -> None:
    valleys = query(sample_run, "SELECT label FROM emotion_curve WHERE curve = 'touchpoint' AND is_valley")
    assert any("delivery_delay" in label for (label,) in valleys), valleys


def test_report_is_self_contained_and_shows_the_stories(sample_run: dict) -> None:
    """friction_report.html loads nothing from elsewhere and names what the code found: the top
    findings, the web order picked up in store (a channel switch) and the shared device."""
    html = (sample_run["out"] / "friction_report.html").read_text(encoding="utf-8")
    for external in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert external not in html
    assert "<script" not in html
    for touchpoint, in query(sample_run, "SELECT touchpoint FROM friction WHERE friction_rank <= 4"):
        assert html_escape(touchpoint) in html, touchpoint
    switches = html.split("Channel switches", 1)[1].split("</table>", 1)[0]
    assert "Click and Collect Order Placed" in switches and "store: pickup" in switches
    assert "Shared identifiers set aside" in html and "1 anonymous_id" in html


def test_report_renders_with_its_charts_in_chromium(sample_run: dict, tmp_path: Path) -> None:
    from journeymine.outputs.browser import dump_dom, screenshot

    if shutil.which("chromium") is None:
        pytest.skip("no chromium on this machine (make test installs Debian's chromium when it can)")
    report = sample_run["out"] / "friction_report.html"
    dom = dump_dom(report)
    for heading in ("Journey flow", "Funnel and drop-offs", "Friction findings", "Drivers", "Emotion curve",
                    "Changes since last run", "Data notes"):
        assert heading in dom, heading
    assert dom.count("<svg") >= 8
    png = screenshot(report, tmp_path / "report.png", width=1280, height=1600)
    assert png.stat().st_size > 50_000  # a blank page is a few kilobytes


def test_funnel_command_with_the_config_reproduces_the_runs_funnel(sample_run: dict, capsys) -> None:
    """`journeymine funnel --config` counts the same stages and journeys as the run's funnel output."""
    from journeymine.cli import main

    assert main(["funnel", "--config", str(sample_run["config"])]) == 0
    printed = capsys.readouterr().out
    for stage, n_reached in query(sample_run, "SELECT stage, n_reached FROM funnel WHERE dimension = 'all'"):
        line = next(line for line in printed.splitlines() if line.strip().startswith(stage))
        assert f"{n_reached:,}" in line, (stage, n_reached, line)
    assert "service" not in printed
