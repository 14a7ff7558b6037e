"""Nights that add up (issue 13, item 5): a small generated sample fed night by night, one day
of files a night, with a file that arrives a night late, one that arrives days late, half the
CRM records on the first night and half on the third, and an anonymous visitor who logs in as
a known customer on the fifth, into one working database and output folder, ends with the same
outputs as one full rebuild of every file; a night run again changes nothing; the merge is in
identity_changes.

Outputs that describe the run before are left out of the equality: `changes` (against the
previous run's outputs), `run_manifest` (every run so far) and `identity_changes` (the
history of merges and splits between runs: a rebuild has no run before, so none)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from journeymine.config import load_config
from journeymine.pipeline import run_in_process
from journeymine.sample import write_sample

from .conftest import SAMPLE_CONFIG
from .test_kills import output_hashes

DEPENDS_ON_THE_RUN_BEFORE = {"changes", "run_manifest", "identity_changes"}
START, DAYS = date(2026, 3, 2), 8
# files held back: (source, day) → the night they arrive on (night n brings day n's files)
ARRIVES_LATE = {("app", 5): 6, ("web", 3): 8}
CRM_NIGHT, LATE_BY_MORE_THAN_LOOKBACK_NIGHT = 3, 8
# the planted login: a visitor browses anonymously on night 2; a customer shops logged in on
# night 1; on night 5 the visitor logs in as that customer
VISITOR, DEVICE, CUSTOMER_REF, LOGIN_ID = "visitor-nights", "device-nights", "C9999999", "login-nights"
PLANTED = {
    1: [(f"known-{i}", DEVICE, CUSTOMER_REF, f"02T1{i}:00:00", "Product Detail") for i in range(2)],
    2: [(f"anon-{i}", VISITOR, None, f"03T1{i}:00:00", "Product Listing") for i in range(3)],
    5: [(LOGIN_ID, VISITOR, CUSTOMER_REF, "06T09:00:00", "Create Account")],
}
DAY_OF = {  # a row's day, from its time as the source writes it
    "calls": (re.compile(r"(\d{4})-(\d{2})-(\d{2}) \d"), (0, 1, 2)),
    "store": (re.compile(r"(\d{2})/(\d{2})/(\d{4}) \d"), (2, 1, 0)),
}


def split_by_day(sample: Path, daily: Path) -> dict[str, dict[int, Path]]:
    """Each source's rows of the sample in one file per day (1 = START), CSV headers kept; a row
    whose time cannot be read stays with the row before it. Returns source → day → file."""
    files: dict[str, dict[int, Path]] = {}
    for source in ("web", "app", "calls", "store"):
        rows: dict[int, list[str]] = {}
        header, day = "", 1
        for path in sorted((sample / source).iterdir()):
            opened = gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")
            with opened as handle:
                lines = re.findall(r"[^\n]*\n|[^\n]+$", handle.read())
            if source in DAY_OF:
                header, lines = lines[0], lines[1:]
            for line in lines:
                day = _day(source, line) or day
                rows.setdefault(day, []).append(line)
        files[source] = {}
        for day, lines in rows.items():
            suffix = ".jsonl" if source in ("web", "app") else ".csv"
            target = daily / source / f"{source}-{date.fromordinal(START.toordinal() + day - 1)}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(header + "".join(lines), encoding="utf-8")
            files[source][day] = target
    return files


def _day(source: str, line: str) -> int | None:
    if source in DAY_OF:
        pattern, order = DAY_OF[source]
        found = pattern.search(line)
        if not found:
            return None
        try:
            when = date(*(int(found.group(i + 1)) for i in order))
        except ValueError:  # a planted impossible date
            return None
    else:
        try:
            when = date.fromisoformat(json.loads(line)["timestamp"][:10])
        except (ValueError, KeyError, TypeError):
            return None
    return when.toordinal() - START.toordinal() + 1


def planted_file(night: int) -> str:
    return "".join(
        json.dumps({"messageId": message, "type": "page", "anonymousId": anonymous, "userId": user,
                    "timestamp": f"2026-03-{at}Z", "name": name}) + "\n"
        for message, anonymous, user, at, name in PLANTED[night]
    )


def write_config(folder: Path, inbox: Path) -> Path:
    """The sample config reading `inbox`, its outputs and working database in `folder`; a
    journey map of activities a one-day sample has (every configured activity must be found)."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for name, source in config["sources"].items():
        source["path"] = str(inbox / name / ("*.csv" if name in ("calls", "store", "crm") else "*.jsonl"))
        source["max_rejected_share"] = 1  # a day of a small sample: a few calls, one of them a planted bad row
    config["output_dir"], config["database"] = str(folder / "out"), str(folder / "journeymine.duckdb")
    config["late_lookback_days"] = 3
    config["journeys"]["goal_activities"] = ["Order Completed"]
    config["journey_map"] = {"stages": [
        {"name": "browse", "activities": ["Home", "Product Listing", "Product Detail"]},
        {"name": "basket", "activities": ["Product Added", "Cart"]},
        {"name": "checkout", "activities": ["Checkout Started", "Checkout Payment"]},
        {"name": "purchase", "activities": ["Order Completed"]},
    ]}
    path = folder / "journeymine.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def deliver(files: dict[str, dict[int, Path]], sample: Path, inbox: Path, night: int) -> None:
    """Copy into `inbox` what arrives on `night`: the day's files but those held back, the files
    held back until this night, half of the CRM records on nights 1 and 3, and the planted pages."""
    for source, days in files.items():
        for day, path in days.items():
            if ARRIVES_LATE.get((source, day), day) == night:
                (inbox / source).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, inbox / source / path.name)
    if night in (1, CRM_NIGHT):  # every source needs a file from the first night on
        header, *rows = re.findall(r"[^\n]*\n|[^\n]+$", (sample / "crm" / "customers.csv").read_text(encoding="utf-8"))
        half = rows[: len(rows) // 2] if night == 1 else rows[len(rows) // 2:]
        (inbox / "crm").mkdir(parents=True, exist_ok=True)
        (inbox / "crm" / f"customers-night-{night}.csv").write_text(header + "".join(half), encoding="utf-8")
    if night in PLANTED:
        (inbox / "web" / f"web-planted-night-{night}.jsonl").write_text(planted_file(night), encoding="utf-8")


def events_by_customer(out: Path) -> dict[tuple[str, str], str]:
    """(source, event_id) → customer_id of the published events."""
    rows = duckdb.sql("SELECT source, event_id, customer_id FROM read_parquet($p)",
                      params={"p": str(out / "events.parquet")}).fetchall()
    return {(source, event_id): customer for source, event_id, customer in rows}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The nights one after another into one folder, the last night again, and a full rebuild
    of every file in a fresh folder."""
    root = tmp_path_factory.mktemp("nights")
    write_sample(root / "sample", customers=600, days=DAYS, seed=5, start=START, workers=1)
    files = split_by_day(root / "sample", root / "daily")
    inbox, nightly = root / "inbox", root / "nightly"
    config = load_config(write_config(nightly, inbox))
    manifests, events = [], []
    for night in range(1, max(files["web"]) + 1):
        deliver(files, root / "sample", inbox, night)
        manifests.append(run_in_process(config))
        events.append(events_by_customer(nightly / "out"))
    before_rerun = root / "before_rerun"
    shutil.copytree(nightly / "out", before_rerun, symlinks=True)
    rerun = run_in_process(config)
    rebuild = root / "rebuild"
    full = run_in_process(load_config(write_config(rebuild, inbox)))
    return {"manifests": manifests, "events": events, "out": nightly / "out", "before_rerun": before_rerun,
            "rerun": rerun, "rebuild": rebuild / "out", "full": full}


def compare_outputs(left: Path, right: Path) -> dict[str, str]:
    """Each Parquet output but those that depend on the run before: its verdict (identical, or
    floats equal within 1e-12 where parallel sums add in another order)."""
    hashes = output_hashes()
    found = {p.stem for p in left.glob("*.parquet")} | {p.stem for p in right.glob("*.parquet")}
    con = duckdb.connect()
    return {name: hashes.compare_one(con, left / f"{name}.parquet", right / f"{name}.parquet")
            for name in sorted(found - DEPENDS_ON_THE_RUN_BEFORE)}


def test_the_nights_end_with_the_outputs_of_one_full_rebuild(nights: dict[str, Any]) -> None:
    verdicts = compare_outputs(nights["out"], nights["rebuild"])
    assert {"events", "journeys", "customers", "friction", "variants"} <= verdicts.keys()
    assert {name: v for name, v in verdicts.items() if v.startswith("DIFFERENT")} == {}
    last = nights["manifests"][-1]
    assert (nights["full"]["n_read"], nights["full"]["n_accepted"]) == (last["n_read"], last["n_accepted"])


def test_a_night_run_again_changes_nothing(nights: dict[str, Any]) -> None:
    """The same files again: nothing loaded, no identity change, every output as it was."""
    rerun = nights["rerun"]
    assert all(source["n_files_loaded"] == 0 and source["n_late_events"] == 0 for source in rerun["inputs"])
    assert rerun["stitching"]["identity_changes"] == {
        "previous_run_id": nights["manifests"][-1]["run_id"], "n_merges": 0, "n_splits": 0, "n_rekeys": 0,
        "n_events_rekeyed": 0,
    }
    verdicts = compare_outputs(nights["before_rerun"], nights["out"])
    assert {name: v for name, v in verdicts.items() if v != "identical"} == {}
    history = output_hashes().compare_one(duckdb.connect(), nights["before_rerun"] / "identity_changes.parquet",
                                          nights["out"] / "identity_changes.parquet")
    assert history == "identical"


def test_the_login_merges_the_visitor_with_the_customer_and_rekeys_the_events(nights: dict[str, Any]) -> None:
    before, after = nights["events"][3], nights["events"][4]  # nights 4 and 5
    visitor, known = before[("web", "anon-0")], before[("web", "known-0")]
    merged = after[("web", LOGIN_ID)]
    assert visitor != known and merged in (visitor, known)
    run_id = nights["manifests"][4]["run_id"]
    changes = duckdb.sql(
        "SELECT * FROM read_parquet($p) WHERE run_id = $run AND kind = 'merge' AND list_contains(customer_ids, $c)",
        params={"p": str(nights["out"] / "identity_changes.parquet"), "run": run_id, "c": merged},
    ).df().to_dict("records")
    assert len(changes) == 1, changes
    change = changes[0]
    assert list(change["previous_customer_ids"]) == sorted([visitor, known])
    assert change["n_events_rekeyed"] == (3 if merged == known else 2)
    assert change["reason"] == "new_link" and change["linking_event_id"] == LOGIN_ID
    assert list(change["linking_identifier_kinds"]) == ["anonymous_id", "customer_ref"]
    assert change["previous_run_id"] == nights["manifests"][3]["run_id"]


def test_every_night_counts_the_events_it_rekeyed(nights: dict[str, Any]) -> None:
    """The audit's count of re-keyed events is the number of events the night before published
    under another customer_id (the CRM night and the login night re-key some)."""
    rekeyed = {}
    for night in range(2, len(nights["manifests"]) + 1):
        before, after = nights["events"][night - 2], nights["events"][night - 1]
        rekeyed[night] = sum(after[key] != customer for key, customer in before.items())
        assert nights["manifests"][night - 1]["stitching"]["identity_changes"]["n_events_rekeyed"] == rekeyed[night]
    assert rekeyed[CRM_NIGHT] > 0 and rekeyed[5] > 0, rekeyed


def test_late_files_are_counted_and_a_file_later_than_the_lookback_is_an_alert(nights: dict[str, Any]) -> None:
    def late(night: int, source: str) -> dict[str, Any]:
        return next(i for i in nights["manifests"][night - 1]["inputs"] if i["source"] == source)

    app = late(6, "app")  # a day late: within the lookback
    assert app["n_late_events"] > 0 and app["n_late_beyond_lookback"] == 0
    web = late(LATE_BY_MORE_THAN_LOOKBACK_NIGHT, "web")  # five days late
    assert web["n_late_beyond_lookback"] > 0 and web["earliest_late_at"].startswith("2026-03-04")
    alerts = nights["manifests"][LATE_BY_MORE_THAN_LOOKBACK_NIGHT - 1]["alerts"]
    assert any(a.startswith("late data:") and " web events " in a for a in alerts), alerts
    assert all(i["n_late_events"] == 0 for i in nights["manifests"][0]["inputs"])
    assert all(i["n_late_events"] == 0 for i in nights["full"]["inputs"])


def test_the_run_history_is_a_table_of_the_published_database(nights: dict[str, Any]) -> None:
    con = duckdb.connect(str(nights["out"] / "analytics.duckdb"), read_only=True)
    runs = con.execute("SELECT run_id, inputs, counts FROM run_manifest ORDER BY started_at").fetchall()
    assert [r[0] for r in runs] == [m["run_id"] for m in nights["manifests"]] + [nights["rerun"]["run_id"]]
    assert all(json.loads(r[1]) and "identity_changes" in json.loads(r[2]) for r in runs)
    late = con.execute("SELECT alerts FROM run_manifest WHERE run_id = $r",
                       {"r": nights["manifests"][LATE_BY_MORE_THAN_LOOKBACK_NIGHT - 1]["run_id"]}).fetchone()[0]
    assert "late data:" in late
    previous = con.execute("SELECT previous_run_id FROM run_manifest ORDER BY started_at").fetchall()
    assert [p[0] for p in previous[1:]] == [r[0] for r in runs[:-1]]
    n_changes = con.execute("SELECT count(*) FROM identity_changes").fetchone()[0]
    assert n_changes == sum(sum(m["stitching"]["identity_changes"][k] for k in ("n_merges", "n_splits", "n_rekeys"))
                            for m in nights["manifests"])

