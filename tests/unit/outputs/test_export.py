"""Exports for process-mining tools (src/journeymine/outputs/export.py): XES read back with pm4py's
XML importer, OCEL 2.0 JSON read back with pm4py.read_ocel2_json."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from journeymine.db import Warehouse
from journeymine.errors import JourneymineError
from journeymine.mining.pm4py_lazy import import_pm4py
from journeymine.outputs.export import export_ocel, export_xes, open_atomic

MakeTable = Callable[[str, dict[str, str], Sequence[Sequence[Any]]], None]

EVENT_COLUMNS = {
    "event_id": "VARCHAR", "source": "VARCHAR", "customer_id": "VARCHAR", "session_id": "VARCHAR",
    "journey_id": "VARCHAR", "step_number": "BIGINT", "channel": "VARCHAR", "activity": "VARCHAR",
    "occurred_at": "TIMESTAMPTZ", "ended_at": "TIMESTAMPTZ", "sentiment": "DOUBLE", "value": "DOUBLE",
    "attributes": "JSON", "event_seq": "BIGINT",
}
JOURNEY_COLUMNS = {
    "customer_id": "VARCHAR", "journey_id": "VARCHAR", "started_at": "TIMESTAMPTZ",
    "ended_at": "TIMESTAMPTZ", "outcome": "VARCHAR",
}

# (event_id, source, customer, session, journey, channel, activity, occurred_at, attributes).
# Journey c1-j1 crosses web, call centre and store, and its last two events share a time
# stamp (event_seq decides); c2-j1 starts first and interleaves with it. Order o-1 is
# placed on the web (order_id) and picked up in store (order_ref).
EVENTS = [
    ("w-1", "web", "c1", "c1-web-1", "c1-j1", "web", "Home", "2026-03-02 10:00:00.250", "{}"),
    ("a-1", "app", "c2", "c2-app-1", "c2-j1", "app", "Home", "2026-03-02 09:30:00", "{}"),
    ("w-2", "web", "c1", "c1-web-1", "c1-j1", "web", "Cart", "2026-03-02 10:05:00", "{}"),
    ("a-2", "app", "c2", "c2-app-1", "c2-j1", "app", "Product Detail", "2026-03-02 10:06:00", "{}"),
    ("k-1", "calls", "c1", "c1-call_center-1", "c1-j1", "call_center", "call: payment_issue",
     "2026-03-02 11:00:00", '{"queue": "payments"}'),
    ("w-3", "web", "c1", "c1-web-2", "c1-j1", "web", "Order Completed", "2026-03-02 12:00:00",
     '{"order_id": "o-1", "revenue": 54.9}'),
    ("t-1", "store", "c1", "c1-store-1", "c1-j1", "store", "store: pickup", "2026-03-02 12:00:00",
     '{"store_id": "s-1", "order_ref": "o-1"}'),
]
JOURNEYS = [
    ("c1", "c1-j1", "2026-03-02 10:00:00.250", "2026-03-02 12:00:00", "converted"),
    ("c2", "c2-j1", "2026-03-02 09:30:00", "2026-03-02 10:06:00", "open"),
]


def make_marts(make_table: MakeTable, events: Sequence[tuple[str, ...]] = EVENTS,
               journeys: Sequence[tuple[str, ...]] = JOURNEYS) -> None:
    """marts.events (event_seq in list order, step_number per journey) and marts.journeys."""
    rows, steps = [], {}
    for seq, (event_id, source, customer, session, journey, channel, activity, at, attributes) in enumerate(events, 1):
        steps[journey] = steps.get(journey, 0) + 1
        rows.append((event_id, source, customer, session, journey, steps[journey], channel, activity, at,
                     None, None, None, attributes, seq))
    make_table("marts.events", EVENT_COLUMNS, rows)
    make_table("marts.journeys", JOURNEY_COLUMNS, journeys)


def read_xes(path: Path) -> pd.DataFrame:
    """The XES file as pm4py's XML (lxml) importer reads it, one row per event in file order."""
    return import_pm4py().read_xes(str(path), variant="iterparse", show_progress_bar=False)


def activities_by_case(log: pd.DataFrame) -> dict[str, list[str]]:
    """Each case's activities in file order, cases in order of first appearance."""
    return {case: list(group["concept:name"]) for case, group in log.groupby("case:concept:name", sort=False)}


@pytest.mark.parametrize("name", ["journeys.xes", "journeys.xes.gz"])
def test_xes_reads_back_with_one_case_per_journey_in_journey_order(
    warehouse: Warehouse, make_table: MakeTable, tmp_path: Path, name: str
) -> None:
    """pm4py reads the XES (plain or gzipped) as one case per journey, holding that journey's
    events in its order (time, then event_seq), with their UTC times, channels and trace
    attributes; traces come in order of journey start."""
    make_marts(make_table)
    assert export_xes(warehouse, tmp_path / name) == len(EVENTS)
    log = read_xes(tmp_path / name)

    assert len(log) == len(EVENTS)
    assert list(activities_by_case(log).items()) == [
        ("c2-j1", ["Home", "Product Detail"]),
        ("c1-j1", ["Home", "Cart", "call: payment_issue", "Order Completed", "store: pickup"]),
    ]
    first = log[log["case:concept:name"] == "c1-j1"]
    assert list(first["time:timestamp"]) == list(pd.to_datetime([
        "2026-03-02 10:00:00.250", "2026-03-02 10:05:00", "2026-03-02 11:00:00",
        "2026-03-02 12:00:00", "2026-03-02 12:00:00",
    ], utc=True, format="ISO8601"))
    assert list(first["channel"]) == ["web", "web", "call_center", "web", "store"]
    assert list(first["event_id"]) == ["w-1", "w-2", "k-1", "w-3", "t-1"]
    assert set(first["lifecycle:transition"]) == {"complete"}
    assert set(zip(log["case:concept:name"], log["case:customer_id"], log["case:outcome"], strict=True)) == {
        ("c1-j1", "c1", "converted"), ("c2-j1", "c2", "open"),
    }


def test_xes_gz_is_gzip(warehouse: Warehouse, make_table: MakeTable, tmp_path: Path) -> None:
    """A path ending in .gz gets a gzip file holding the same XES as the plain export."""
    make_marts(make_table)
    export_xes(warehouse, tmp_path / "a.xes")
    export_xes(warehouse, tmp_path / "a.xes.gz")
    assert gzip.decompress((tmp_path / "a.xes.gz").read_bytes()) == (tmp_path / "a.xes").read_bytes()


def test_xml_special_characters_survive_a_round_trip(
    warehouse: Warehouse, make_table: MakeTable, tmp_path: Path
) -> None:
    """Activities and ids holding <, >, &, " or a line break come back unchanged; a character
    XML cannot hold at all (U+0001) becomes U+FFFD instead of breaking the file."""
    names = ['Pay <now> & "save"', "two\nlines\tand a tab", "bell\x01"]
    events = [(f"e&{i}", "web", 'c<1>', "s1", 'j"1', "web", name, f"2026-03-02 10:0{i}:00", "{}")
              for i, name in enumerate(names)]
    make_marts(make_table, events, [('c<1>', 'j"1', "2026-03-02 10:00:00", "2026-03-02 10:02:00", "open & shut")])
    export_xes(warehouse, tmp_path / "odd.xes")
    log = read_xes(tmp_path / "odd.xes")

    assert list(log["concept:name"]) == [names[0], names[1], "bell\ufffd"]
    assert list(log["event_id"]) == ["e&0", "e&1", "e&2"]
    assert set(log["case:concept:name"]) == {'j"1'}
    assert set(log["case:customer_id"]) == {"c<1>"}
    assert set(log["case:outcome"]) == {"open & shut"}


def test_ocel_relates_each_event_to_its_customer_session_journey_and_order(
    warehouse: Warehouse, make_table: MakeTable, tmp_path: Path
) -> None:
    """pm4py reads the OCEL 2.0 JSON with the objects built (2 customers, 5 sessions,
    2 journeys, 1 order); every event relates to exactly one customer, session and journey,
    and the order to the two events that name it (order_id on the web, order_ref in store)."""
    make_marts(make_table)
    counts = export_ocel(warehouse, tmp_path / "journeys.jsonocel")
    ocel = import_pm4py().read_ocel2_json(str(tmp_path / "journeys.jsonocel"))

    assert counts == {"events": 7, "objects": 10, "customers": 2, "sessions": 5, "journeys": 2, "orders": 1,
                      "relationships": 7 * 3 + 2}
    assert ocel.objects["ocel:type"].value_counts().to_dict() == {"session": 5, "customer": 2, "journey": 2,
                                                                 "order": 1}
    relations = ocel.relations
    per_event = relations.groupby(["ocel:eid", "ocel:type"]).size().unstack(fill_value=0)
    assert len(per_event) == len(EVENTS)
    assert set(per_event["customer"]) == set(per_event["session"]) == set(per_event["journey"]) == {1}
    orders = relations[relations["ocel:type"] == "order"]
    assert sorted(zip(orders["ocel:eid"], orders["ocel:oid"], orders["ocel:qualifier"], strict=True)) == [
        ("store:t-1", "o-1", "order"), ("web:w-3", "o-1", "order"),
    ]
    call = relations[relations["ocel:eid"] == "calls:k-1"]
    assert dict(zip(call["ocel:qualifier"], call["ocel:oid"], strict=True)) == {
        "customer": "c1", "session": "c1-call_center-1", "journey": "c1-j1",
    }
    objects = ocel.objects.set_index("ocel:oid")
    assert objects.loc["c1-call_center-1", "channel"] == "call_center"
    assert objects.loc["c1-j1", "outcome"] == "converted"
    assert dict(zip(ocel.events["ocel:eid"], ocel.events["channel"], strict=True))["store:t-1"] == "store"


def test_ocel_gz_holds_the_same_log(warehouse: Warehouse, make_table: MakeTable, tmp_path: Path) -> None:
    """A path ending in .gz gets a gzip file holding the same OCEL JSON as the plain export."""
    make_marts(make_table)
    export_ocel(warehouse, tmp_path / "a.jsonocel")
    export_ocel(warehouse, tmp_path / "a.jsonocel.gz")
    assert gzip.decompress((tmp_path / "a.jsonocel.gz").read_bytes()) == (tmp_path / "a.jsonocel").read_bytes()


def test_empty_marts_give_valid_empty_logs(warehouse: Warehouse, make_table: MakeTable, tmp_path: Path) -> None:
    """With no events, the XES is a log without traces that pm4py reads, and the OCEL JSON
    declares the object types with no objects or events. (pm4py 2.7 cannot load an OCEL
    without events at all, so that file is checked as JSON.)"""
    make_marts(make_table, [], [])
    assert export_xes(warehouse, tmp_path / "empty.xes") == 0
    assert len(read_xes(tmp_path / "empty.xes")) == 0
    assert export_ocel(warehouse, tmp_path / "empty.jsonocel")["events"] == 0
    ocel = json.loads((tmp_path / "empty.jsonocel").read_text(encoding="utf-8"))
    assert [t["name"] for t in ocel["objectTypes"]] == ["customer", "session", "journey", "order"]
    assert (ocel["eventTypes"], ocel["objects"], ocel["events"]) == ([], [], [])


def test_export_without_marts_says_what_is_missing(warehouse: Warehouse, tmp_path: Path) -> None:
    """Exporting from a warehouse the pipeline has not run on fails with a JourneymineError
    naming the missing table, and writes nothing."""
    with pytest.raises(JourneymineError, match=r"marts\.events"):
        export_xes(warehouse, tmp_path / "none.xes")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(tmp_path: Path) -> None:
    """A file is replaced only when its writing completes: on an error the old file stays
    as it was and the temporary file is gone."""
    target = tmp_path / "log.xes.gz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), open_atomic(target) as out:
        out.write(b"<log>")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["log.xes.gz"]
    assert target.read_bytes() == b"old"
