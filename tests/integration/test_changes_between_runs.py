"""Change since the last run, on the sample: a nightly run before the payment-error days
(files of ISO weeks 6–9, up to 2026-03-01) and the next run with every file. The payment
error (2026-03-04 to 03-08) must show up as a change and as an alert of the second run,
found by comparing the two runs' outputs (not by its dates or names in the code)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from journeymine import pipeline
from journeymine.config import load_config

from .conftest import write_sample_config

WEEKS_BEFORE_THE_PAYMENT_ERROR = "/*-2026-W0[6-9]."  # one file per ISO week: web-2026-W06.jsonl.gz, ...


def run_with_sources(config_path: Path, only_weeks_before: bool) -> dict:
    """Run (in process, without Prefect) on the weekly files before the payment error, or on all."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for name, source in config["sources"].items():
        source["path"] = source["path"].replace(WEEKS_BEFORE_THE_PAYMENT_ERROR, "/*.")
        if only_weeks_before and name != "crm":  # the CRM file is a snapshot, not weekly
            source["path"] = source["path"].replace("/*.", WEEKS_BEFORE_THE_PAYMENT_ERROR)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return pipeline.run_in_process(load_config(config_path))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two nightly runs into one database and output folder: the second adds the later files."""
    folder = tmp_path_factory.mktemp("two_runs")
    config_path = write_sample_config(folder)
    before = run_with_sources(config_path, only_weeks_before=True)
    after = run_with_sources(config_path, only_weeks_before=False)
    return {"before": before, "after": after, "out": folder / "out"}


def test_the_first_run_only_saw_the_weeks_before(two_runs: dict) -> None:
    assert two_runs["before"]["n_read"] < two_runs["after"]["n_read"]
    assert two_runs["before"]["alerts"] == []  # nothing to compare with
    assert two_runs["before"]["previous_run_id"] is None
    assert two_runs["after"]["previous_run_id"] == two_runs["before"]["run_id"]


def test_payment_error_is_an_alert_of_the_run_after_it(two_runs: dict) -> None:
    alerts = two_runs["after"]["alerts"]
    assert any("digital_to_call: Checkout Payment" in alert and "payment_issue" in alert for alert in alerts), alerts
    manifest = json.loads((two_runs["out"] / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["alerts"] == alerts


def test_payment_error_is_a_new_or_grown_finding_in_changes(two_runs: dict) -> None:
    changes = duckdb.sql(
        "SELECT kind, subject, before, after FROM read_parquet($path) WHERE kind IN ('new_finding', 'grown_finding')",
        params={"path": str(two_runs["out"] / "changes.parquet")},
    ).fetchall()
    payment = [c for c in changes if "Checkout Payment" in c[1] and "payment_issue" in c[1]]
    assert payment, changes
    kind, _, before, after = payment[0]
    assert after > (before or 0)
