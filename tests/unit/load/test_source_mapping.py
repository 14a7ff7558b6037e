"""Configure, don't edit (issue 12, item 1): a preset is a default mapping over one staging
engine, so a source's config can rename its columns (headers match case-insensitively), map its
codes, compose a time from a date and a time column, set the channel per row, keep more columns
as attributes, mint ids that are not unique, and map a CRM file like any other. Each rule is
also checked where the source does not use it: the preset's own behaviour is unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.config.sources import parse_source
from journeymine.db import Warehouse
from journeymine.load.source import SourceLoad, load_source
from journeymine.load.stage import duplicate_note

CALLS = "contact_id,caller_phone,customer_ref,started_at,answered_at,ended_at,queue,reason,outcome,csat,sentiment\n"


def load(wh: Warehouse, tmp_path: Path, name: str, spec: dict[str, Any], files: dict[str, str],
         identity: IdentityConfig | None = None) -> tuple[SourceConfig, SourceLoad]:
    """Write `files` under tmp_path/<name>/ and load them as the source `spec` configures."""
    for file_name, text in files.items():
        path = tmp_path / name / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    suffix = "jsonl" if spec.get("preset") == "segment" else "csv"
    source = parse_source(name, {"path": f"{name}/*.{suffix}", **spec}, tmp_path)
    return source, load_source(wh, source, identity or IdentityConfig(salt="s"), run_id="r1")


def events(wh: Warehouse, columns: str = "event_id") -> list[tuple]:
    return wh.rows(f"SELECT {columns} FROM staged.events ORDER BY file_id, file_line")


def rejects(wh: Warehouse) -> list[tuple[int, str]]:
    return wh.rows("SELECT file_line, reason FROM staged.rejects ORDER BY file_id, file_line")


def message(message_id: str, **fields: Any) -> str:
    record = {"messageId": message_id, "type": "page", "anonymousId": "dev1",
              "timestamp": "2026-02-01T10:00:00Z", "name": "Home", **fields}
    return json.dumps(record) + "\n"


# --- renames and headers ---------------------------------------------------------------------


def test_a_renamed_column_keeps_what_the_preset_does_with_it(warehouse: Warehouse, tmp_path: Path) -> None:
    """`columns: {started_at: call_start, contact_id: call_id}` reads a call export with its own
    names, and the preset still reads the outcome, the CSAT and the wait in the queue."""
    load(warehouse, tmp_path, "calls", {
        "preset": "contacts", "columns": {"contact_id": "call_id", "started_at": "call_start"},
    }, {"a.csv": "call_id,caller_phone,call_start,answered_at,reason,outcome,csat\n"
                 "k1,07700 900123,2026-02-01T10:00:00Z,2026-02-01T10:02:00Z,Billing,abandoned,2\n"})
    assert events(warehouse, "event_id, activity, occurred_at, outcome, csat, attributes->>'wait_seconds'") == [
        ("k1", "call: billing", datetime(2026, 2, 1, 10, tzinfo=UTC), "abandoned", 2.0, "120.0"),
    ]


def test_reasons_name_the_column_as_the_file_does(warehouse: Warehouse, tmp_path: Path) -> None:
    """A renamed column's reject names it as the file does; a preset column not renamed keeps its name."""
    load(warehouse, tmp_path, "calls", {"preset": "contacts", "columns": {"started_at": "call_start"}},
         {"a.csv": "contact_id,caller_phone,call_start,reason\nk1,07700 900123,soon,x\n,07700 900123,2026-02-01,x\n"})
    assert rejects(warehouse) == [(2, "unparseable call_start 'soon'; expected ISO-8601"), (3, "missing contact_id")]


def test_without_renames_a_preset_reads_its_own_column_names(warehouse: Warehouse, tmp_path: Path) -> None:
    """No `columns`: a file with the preset's header is read as documented."""
    load(warehouse, tmp_path, "calls", {"preset": "contacts"},
         {"a.csv": CALLS + "k1,07700 900123,,2026-02-01T10:00:00Z,,,billing,Billing,resolved,5,0.5\n"})
    assert events(warehouse, "event_id, activity, outcome, csat, sentiment") == [
        ("k1", "call: billing", "resolved", 5.0, 0.5),
    ]


def test_headers_match_case_insensitively(warehouse: Warehouse, tmp_path: Path) -> None:
    """A CRM header `Customer_Ref,Email,PHONE` is the preset's customer_ref, email and phone: all
    three are linked, none is lost to a case."""
    load(warehouse, tmp_path, "crm", {"preset": "crm"},
         {"a.csv": "Customer_Ref,Email,PHONE,Segment\nC1,jane@example.com,07700 900123,gold\n"})
    kinds, segment = warehouse.rows(
        "SELECT list_transform(identifiers, lambda i: i.kind), attributes->>'segment' FROM staged.identity_records"
    )[0]
    assert (kinds, segment) == (["customer_ref", "email", "phone"], "gold")


def test_two_headers_that_differ_only_by_case_set_the_file_aside(warehouse: Warehouse, tmp_path: Path) -> None:
    """`Email` and `email` in one header cannot be told apart: the file is set aside saying so
    (not a DuckDB catalog error), and nothing of it is staged."""
    _, loaded = load(warehouse, tmp_path, "crm", {"preset": "crm"},
                     {"a.csv": "customer_ref,Email,email\nC1,a@example.com,b@example.com\n"})
    assert [q.reason for q in loaded.quarantined] == [
        "the header has columns that differ only by case, 'Email' and 'email'; column names are matched "
        "case-insensitively: rename one of them"
    ]
    assert loaded.counts.n_read == 0


def test_a_renamed_column_the_file_lacks_sets_the_file_aside(warehouse: Warehouse, tmp_path: Path) -> None:
    """A column the config names must be in the file: the reason names it and the header."""
    _, loaded = load(warehouse, tmp_path, "calls", {"preset": "contacts", "columns": {"started_at": "call_start"}},
                     {"a.csv": "contact_id,caller_phone,started_at,reason\nk1,07700 900123,2026-02-01,x\n"})
    assert loaded.quarantined[0].reason == (
        "missing column(s) call_start; expected the contacts preset's columns (docs/input-formats.md); the header "
        "has contact_id, caller_phone, started_at, reason"
    )


# --- value maps and composed times -----------------------------------------------------------


def test_outcome_codes_map_to_the_presets_outcomes(warehouse: Warehouse, tmp_path: Path) -> None:
    """`values: {outcome: {ABN: abandoned, SRV: resolved}}` maps the export's codes (trimmed,
    any case); a code the map does not list is still an unknown outcome, dropped with a warning."""
    _, loaded = load(warehouse, tmp_path, "calls", {
        "preset": "contacts", "values": {"outcome": {"ABN": "abandoned", "SRV": "resolved"}},
    }, {"a.csv": CALLS + "".join(f"k{i},07700 900123,,2026-02-01T10:00:00Z,,,q,r,{code},,\n"
                                 for i, code in enumerate(["ABN", " srv ", "XFR"]))})
    assert events(warehouse, "outcome") == [("abandoned",), ("resolved",), (None,)]
    assert loaded.counts.warnings_by_reason == {"outcome not one of resolved, transferred, callback, abandoned": 1}


def test_without_a_value_map_a_code_is_an_unknown_outcome(warehouse: Warehouse, tmp_path: Path) -> None:
    _, loaded = load(warehouse, tmp_path, "calls", {"preset": "contacts"},
                     {"a.csv": CALLS + "k1,07700 900123,,2026-02-01T10:00:00Z,,,q,r,ABN,,\n"})
    assert events(warehouse, "outcome") == [(None,)]
    assert loaded.counts.warnings_by_reason == {"outcome not one of resolved, transferred, callback, abandoned": 1}


def test_store_kinds_map_to_the_presets_kinds(warehouse: Warehouse, tmp_path: Path) -> None:
    """`values: {kind: {SALE: purchase, RET: return}}`: mapped kinds become their activities (a
    return may be negative); a kind neither mapped nor known is rejected as before."""
    load(warehouse, tmp_path, "store", {"preset": "pos", "values": {"kind": {"SALE": "purchase", "RET": "return"}}},
         {"a.csv": "transaction_id,loyalty_id,occurred_at,kind,amount\nt1,LY1,2026-02-01T10:00:00Z,SALE,3.5\n"
                   "t2,LY1,2026-02-01T11:00:00Z,ret,-3.5\nt3,LY1,2026-02-01T12:00:00Z,VOID,1\n"})
    assert events(warehouse, "event_id, activity, value") == [
        ("t1", "store: purchase", 3.5), ("t2", "store: return", -3.5),
    ]
    assert rejects(warehouse) == [(4, "unknown kind 'void'; expected purchase, return, pickup or visit")]


def test_a_time_composed_of_a_date_and_a_time_column(warehouse: Warehouse, tmp_path: Path) -> None:
    """`started_at: {date: call_date, time: call_time}` reads '<date> <time>' in the source's
    time_format and time_zone; a row missing either part is rejected naming both columns."""
    load(warehouse, tmp_path, "calls", {
        "preset": "contacts", "time_format": "%d/%m/%Y %H:%M", "time_zone": "Europe/London",
        "columns": {"started_at": {"date": "call_date", "time": "call_time"}},
    }, {"a.csv": "contact_id,caller_phone,call_date,call_time,reason\nk1,07700 900123,01/07/2026,10:15,x\n"
                 "k2,07700 900123,01/07/2026,,x\n"})
    assert events(warehouse, "event_id, occurred_at") == [("k1", datetime(2026, 7, 1, 9, 15, tzinfo=UTC))]
    assert rejects(warehouse) == [
        (3, "unparseable call_date + call_time (missing); expected time format %d/%m/%Y %H:%M"),
    ]


# --- the channel per row and more attributes ---------------------------------------------------


def test_a_field_sets_the_channel_of_each_row(warehouse: Warehouse, tmp_path: Path) -> None:
    """One Segment file of web and app: `channel_from: context.device.type` with a value map; a
    device the map does not list takes the source's channel."""
    load(warehouse, tmp_path, "clicks", {
        "preset": "segment", "channel": "web", "channel_from": "context.device.type",
        "values": {"channel": {"mobile": "app", "ios": "app", "desktop": "web"}},
    }, {"a.jsonl": "".join(message(f"m{i}", context={"device": {"type": device}})
                            for i, device in enumerate(["Mobile", "desktop", "tv", None]))})
    assert events(warehouse, "channel, device_type") == [("app", "Mobile"), ("web", "desktop"), ("web", "tv"),
                                                         ("web", None)]


def test_without_channel_from_every_row_has_the_sources_channel(warehouse: Warehouse, tmp_path: Path) -> None:
    load(warehouse, tmp_path, "clicks", {"preset": "segment", "channel": "web"},
         {"a.jsonl": message("m1", context={"device": {"type": "mobile"}})})
    assert events(warehouse, "channel") == [("web",)]


def test_a_mapped_csv_gives_platform_and_device_and_its_channel_per_row(warehouse: Warehouse, tmp_path: Path) -> None:
    """A mapped CSV names its OS and device columns (the platform and device_type of funnels and
    drivers) and a channel column with a value map."""
    load(warehouse, tmp_path, "clicks", {
        "preset": "mapped", "channel": "web", "values": {"channel": {"iphone": "app"}},
        "columns": {"occurred_at": "ts", "activity": "page", "identifiers": {"anonymous_id": "visitor"},
                    "channel": "source", "os_name": "OS", "device_type": "Device"},
    }, {"a.csv": "ts,page,visitor,source,OS,Device\n"
                 "2026-02-01T10:00:00Z,Cart,d1,iPhone,iOS,mobile\n2026-02-01T10:01:00Z,Cart,d2,browser,Windows,desktop\n"})
    assert events(warehouse, "channel, os_name, device_type, attributes") == [
        ("app", "iOS", "mobile", '{"os_name":"iOS","device_type":"mobile"}'),
        ("web", "Windows", "desktop", '{"os_name":"Windows","device_type":"desktop"}'),
    ]


def test_more_columns_become_attributes(warehouse: Warehouse, tmp_path: Path) -> None:
    """`attributes: [plan]` (a column of that name, any case) and `{region: Store Region}` are
    kept after the preset's own attributes, masked like them; without them an extra column is
    not kept."""
    load(warehouse, tmp_path, "store", {"preset": "pos", "attributes": {"region": "Store Region", "plan": "plan"}},
         {"a.csv": "transaction_id,loyalty_id,occurred_at,kind,Store Region,Plan,till\n"
                   "t1,LY1,2026-02-01T10:00:00Z,visit,North,ask jane@example.com,7\n"})
    assert events(warehouse, "attributes") == [
        ('{"store_id":null,"order_ref":null,"region":"North","plan":"ask <email>"}',),
    ]


# --- mapped identity records -------------------------------------------------------------------


def test_a_mapped_crm_source_stages_identity_records(warehouse: Warehouse, tmp_path: Path) -> None:
    """`records: identity`: a CRM export of any shape links its identifier columns and keeps its
    other columns as customer attributes; it needs no time, activity or channel, and a row
    without any identifier is rejected."""
    _, loaded = load(warehouse, tmp_path, "customers", {
        "preset": "mapped", "records": "identity", "attributes": {"segment": "Tier"},
        "columns": {"identifiers": {"customer_ref": "Cust No", "email": "mail"}},
    }, {"a.csv": "Cust No,mail,Tier,country\nC1,jane@example.com,gold,GB\n,,silver,FR\n"})
    assert (loaded.counts.n_events, loaded.counts.n_identity_records) == (0, 1)
    assert warehouse.rows(
        "SELECT list_transform(identifiers, lambda i: i.kind), attributes FROM staged.identity_records"
    ) == [(["customer_ref", "email"], '{"segment":"gold","country":"GB"}')]
    assert rejects(warehouse) == [(3, "no identifier")]


# --- ids that are not unique ---------------------------------------------------------------


def test_ids_that_repeat_are_counted_and_the_option_to_mint_them_is_named(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    """Without mint_ids, rows reusing an id with other content are rejected as duplicates, and the
    source says how many, naming the option."""
    rows = "".join(f"k{i % 2},07700 900123,,2026-02-01T10:0{i}:00Z,,,q,r{i},,,\n" for i in range(4))
    load(warehouse, tmp_path, "calls", {"preset": "contacts"}, {"a.csv": CALLS + rows})
    assert len(events(warehouse)) == 2
    assert duplicate_note(warehouse, "calls") == (
        "source 'calls': 2 of its 4 rows (50%) were rejected because an earlier row holds their event_id (2 ids; "
        "2 of the rows with other content); if the export's ids are not unique, set sources.calls.mint_ids: true "
        "to give each row its file and line as its id"
    )


def test_a_source_that_mints_ids_keeps_every_row(warehouse: Warehouse, tmp_path: Path) -> None:
    """`mint_ids: true`: each row's id is its file and line, so no row is a duplicate."""
    rows = "".join(f"k{i % 2},07700 900123,,2026-02-01T10:0{i}:00Z,,,q,r{i},,,\n" for i in range(4))
    load(warehouse, tmp_path, "calls", {"preset": "contacts", "mint_ids": True}, {"a.csv": CALLS + rows})
    assert events(warehouse) == [("a.csv:2",), ("a.csv:3",), ("a.csv:4",), ("a.csv:5",)]
    assert duplicate_note(warehouse, "calls") is None


# --- national phone numbers ----------------------------------------------------------------


@pytest.mark.parametrize(("phone", "country_code", "expected"), [
    ("839-663-6248", "1", "+18396636248"),
    ("(839) 663-6248", "1", "+18396636248"),
    ("+1 (839) 663-6248", "1", "+18396636248"),
    ("1 839 663 6248", "1", "+18396636248"),
    ("839-663-6248", "44", "+8396636248"),
    ("07700 900123", "44", "+447700900123"),
    ("+44 7700 900123", "1", "+447700900123"),
    ("123-456-7890", "1", "+1234567890"),
])
def test_national_numbers_take_the_configured_country_code(
    warehouse: Warehouse, phone: str, country_code: str, expected: str
) -> None:
    """With country code 1, a North American national number (10 digits, the area code not
    starting with 0 or 1) takes it, as a leading '0' takes any other country's code."""
    assert warehouse.scalar("SELECT jm_norm_phone($p, $cc)", {"p": phone, "cc": country_code}) == expected


def test_us_national_and_international_numbers_link_as_one_caller(warehouse: Warehouse, tmp_path: Path) -> None:
    load(warehouse, tmp_path, "calls", {"preset": "contacts"},
         {"a.csv": CALLS + "k1,839-663-6248,,2026-02-01T10:00:00Z,,,q,r,,,\nk2,+1 (839) 663-6248,,2026-02-01T11:00:00Z,"
                           ",,q,r,,,\n"}, identity=IdentityConfig(salt="s", default_country_code="1"))
    first, second = events(warehouse, "identifiers")
    assert first == second and [i["kind"] for i in first[0]] == ["phone"]


def test_a_stray_reused_id_is_counted_without_the_option(warehouse: Warehouse, tmp_path: Path) -> None:
    """One id reused among many unique ones is a data error, not an export without unique ids:
    the note counts it and does not suggest minting ids."""
    rows = "".join(f"k{min(i, 198)},07700 900123,,2026-02-01T10:00:00Z,,,q,r{i},,,\n" for i in range(200))
    load(warehouse, tmp_path, "calls", {"preset": "contacts"}, {"a.csv": CALLS + rows})
    note = duplicate_note(warehouse, "calls")
    assert note is not None and note.startswith("source 'calls': 1 of its 200 rows (0%) were rejected")
    assert "mint_ids" not in note


def test_a_mapped_json_lines_source_reads_dotted_paths(warehouse: Warehouse, tmp_path: Path) -> None:
    """A mapped source of JSON lines names its fields by dotted paths; its attributes are the
    ones it names (a JSON record is not split into columns), and a line that is not JSON is
    rejected as such."""
    line = {"id": "e1", "at": "2026-02-01T10:00:00Z", "event": {"name": "Open"}, "user": {"ref": "C1"},
            "meta": {"plan": "pro"}}
    path = tmp_path / "feed" / "a.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(line) + "\n{not json\n", encoding="utf-8")
    source = parse_source("feed", {
        "path": "feed/*.jsonl", "preset": "mapped", "format": "jsonl", "channel": "web",
        "columns": {"event_id": "id", "occurred_at": "at", "activity": "event.name",
                    "identifiers": {"customer_ref": "user.ref"}},
        "attributes": {"plan": "meta.plan"},
    }, tmp_path)
    load_source(warehouse, source, IdentityConfig(salt="s"), run_id="r1")
    assert events(warehouse, "event_id, activity, attributes") == [("e1", "Open", '{"plan":"pro"}')]
    assert rejects(warehouse) == [(2, "not valid JSON")]
