"""Staging checks (journeymine.load.stage): the plausible time window, times that contradict each
other, and values that fail their type — each a reject with its reason or a counted warning,
never coerced in silence (the decision table in docs/input-formats.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse
from journeymine.load.ingest import SourceFile, drop_read_tables, file_sha256, read_file, register_file
from journeymine.load.source import prepare_working_database
from journeymine.load.stage import StageCounts, count_source, reject_duplicates, stage_file

CONTACTS = "contact_id,caller_phone,customer_ref,started_at,answered_at,ended_at,queue,reason,outcome,csat,sentiment\n"
POS = "transaction_id,store_id,loyalty_id,occurred_at,kind,amount,order_ref\n"
CRM = "customer_ref,email,phone,loyalty_id,segment,signup_date,country\n"
CALL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# the load's clock of every test: a time up to 24 h later (the default tolerance) is plausible
LOADED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

Stage = Callable[..., StageCounts]


def call(contact_id: str, started_at: str = "2026-02-01 10:00:00", **extra: str) -> str:
    """One contacts CSV line of a resolved call by a known phone; `extra` overrides columns by name."""
    row = {
        "contact_id": contact_id, "caller_phone": "07700 900123", "customer_ref": "", "started_at": started_at,
        "answered_at": "", "ended_at": "", "queue": "billing", "reason": "payment_issue", "outcome": "resolved",
        "csat": "", "sentiment": "",
    }
    row.update(extra)
    return ",".join(row.values()) + "\n"


def sale(transaction_id: str, kind: str = "purchase", amount: str = "12.50", order_ref: str = "o-1") -> str:
    """One POS CSV line of a loyalty-card customer."""
    return f"{transaction_id},store-1,LY-1,2026-02-01 10:00:00,{kind},{amount},{order_ref}\n"


def message(message_id: str, **fields: Any) -> str:
    """One Segment JSON line: a page view of Home by device dev1 unless `fields` say otherwise."""
    record: dict[str, Any] = {
        "messageId": message_id, "type": "page", "anonymousId": "dev1", "userId": None,
        "timestamp": "2026-02-01T10:00:00.000Z", "name": "Home",
    }
    record.update(fields)
    return json.dumps(record) + "\n"


@pytest.fixture
def stage(warehouse: Warehouse, identity: IdentityConfig, write_file) -> Stage:
    """stage(source, relative_path, text, loaded_at=LOADED_AT): read one file and stage it at the
    given load time, as load_source does for each new file; return the source's counts."""

    def run(source: SourceConfig, relative: str, text: str, loaded_at: datetime = LOADED_AT) -> StageCounts:
        path = write_file(relative, text)
        prepare_working_database(warehouse)
        columns = read_file(warehouse, source, path)
        n_rows, n_errors = warehouse.rows("SELECT count(*), count(load_error) FROM _jm_numbered")[0]
        file_id = register_file(warehouse, source.name, SourceFile(path, path.name, file_sha256(path)),
                                n_rows=int(n_rows), n_errors=int(n_errors), run_id="r1")
        stage_file(warehouse, source, identity, file_id=file_id, file_name=path.name, columns=columns,
                   loaded_at=loaded_at)
        drop_read_tables(warehouse)
        return count_source(warehouse, source.name)

    return run


@pytest.fixture
def calls(source_config) -> SourceConfig:
    return source_config("calls", "contacts", "calls/*.csv", time_format=CALL_TIME_FORMAT)


@pytest.fixture
def store(source_config) -> SourceConfig:
    return source_config("store", "pos", "store/*.csv", time_format=CALL_TIME_FORMAT)


@pytest.fixture
def web(source_config) -> SourceConfig:
    return source_config("web", "segment", "web/*.jsonl", channel="web")


def rejects(wh: Warehouse) -> dict[str | None, str]:
    """event_id → reason of the staged rejects."""
    return dict(wh.rows("SELECT event_id, reason FROM staged.rejects ORDER BY file_line"))


def accepted(wh: Warehouse, columns: str = "event_id") -> list[tuple]:
    return wh.rows(f"SELECT {columns} FROM staged.events ORDER BY file_line")


def warnings(wh: Warehouse) -> list[tuple[int, str, str]]:
    """(file_line, field, reason) of the staged warnings."""
    return wh.rows("SELECT file_line, field, reason FROM staged.warnings ORDER BY file_line, field")


# --- the plausible window ------------------------------------------------------------------


def test_a_time_after_the_load_time_plus_the_tolerance_is_rejected(warehouse: Warehouse, stage: Stage, web) -> None:
    """An event dated 2099 is rejected, stating the value and the window (load time + 24 h); one
    dated before the load is staged."""
    counts = stage(web, "web/a.jsonl", message("m1") + message("m2", timestamp="2099-01-01T10:00:00Z"))
    assert accepted(warehouse) == [("m1",)]
    assert rejects(warehouse) == {"m2": "timestamp '2099-01-01 10:00:00 UTC' is after the plausible window "
                                        "(the load time + 24 h, '2026-03-02 12:00:00 UTC')"}
    assert counts.rejects_by_reason == {"timestamp … is after the plausible window (the load time + 24 h, …)": 1}


def test_a_time_before_not_before_is_rejected(warehouse: Warehouse, stage: Stage, web) -> None:
    """An event dated 1900 is rejected naming not_before; one at not_before itself is plausible."""
    stage(web, "web/a.jsonl", message("m1", timestamp="1900-01-01T00:00:00Z")
          + message("m2", timestamp="2000-01-01T00:00:00Z"))
    assert accepted(warehouse) == [("m2",)]
    assert rejects(warehouse) == {
        "m1": "timestamp '1900-01-01 00:00:00 UTC' is before the plausible window (not_before '2000-01-01 00:00:00 UTC')"
    }


def test_the_tolerance_edge_is_plausible_and_a_second_later_is_not(warehouse: Warehouse, stage: Stage, web) -> None:
    """With the default 24 h, the load time + 24 h exactly is staged, one second later rejected."""
    stage(web, "web/a.jsonl", message("edge", timestamp="2026-03-02T12:00:00Z")
          + message("late", timestamp="2026-03-02T12:00:01Z"))
    assert accepted(warehouse) == [("edge",)]
    assert list(rejects(warehouse)) == ["late"]


def test_the_window_follows_the_source_settings(warehouse: Warehouse, stage: Stage, web) -> None:
    """not_before and future_tolerance_hours are the source's: with 0 hours a time just after the
    load is too late, with not_before 2026-01-01 a time in 2025 is too early."""
    strict = replace(web, future_tolerance_hours=0.0, not_before=datetime(2026, 1, 1, tzinfo=UTC))
    stage(strict, "web/a.jsonl", message("ok", timestamp="2026-03-01T12:00:00Z")
          + message("late", timestamp="2026-03-01T12:00:01Z") + message("early", timestamp="2025-12-31T23:59:59Z"))
    assert accepted(warehouse) == [("ok",)]
    got = rejects(warehouse)
    assert got["late"].endswith("(the load time + 0 h, '2026-03-01 12:00:00 UTC')")
    assert got["early"].endswith("(not_before '2026-01-01 00:00:00 UTC')")


@pytest.mark.parametrize(("preset", "relative", "text", "field"), [
    ("contacts", "calls/a.csv", CONTACTS + call("k1", started_at="2099-01-01 10:00:00"), "started_at"),
    ("pos", "store/a.csv", POS + "t1,s1,LY-1,1900-01-01 10:00:00,visit,,\n", "occurred_at"),
])
def test_every_event_source_checks_its_time(
    warehouse: Warehouse, stage: Stage, source_config, preset: str, relative: str, text: str, field: str
) -> None:
    """The window applies to a call's start and a store transaction's time as to a Segment event's."""
    source = source_config(preset, preset, relative.replace("a.csv", "*.csv"), time_format=CALL_TIME_FORMAT)
    stage(source, relative, text)
    (reason,) = rejects(warehouse).values()
    assert reason.startswith(f"{field} '") and "plausible window" in reason


def test_a_mapped_source_checks_its_time(warehouse: Warehouse, stage: Stage, source_config) -> None:
    """A mapped source's time column is checked against the same window."""
    source = source_config("kiosk", "mapped", "kiosk/*.csv", channel="kiosk", columns={
        "occurred_at": "ts", "activity": "what", "identifiers": {"anonymous_id": "device"}})
    stage(source, "kiosk/a.csv", "ts,what,device\n2026-02-01T10:00:00Z,Open,d1\n2099-02-01T10:00:00Z,Open,d1\n")
    assert accepted(warehouse, "file_line") == [(2,)]
    assert list(rejects(warehouse).values())[0].startswith("time '2099-02-01 10:00:00 UTC' is after")


def test_the_same_load_time_gives_the_same_rows_and_a_later_one_may_accept_more(
    warehouse: Warehouse, stage: Stage, web
) -> None:
    """Staging depends on the load's clock only through the window's upper bound: staged at a
    later load time, an event that was in the future is in the past and is accepted."""
    text = message("m1") + message("m2", timestamp="2026-03-05T10:00:00Z")
    stage(web, "web/a.jsonl", text)
    assert accepted(warehouse) == [("m1",)]
    stage(replace(web, name="web_later"), "web_later/a.jsonl", text, loaded_at=datetime(2026, 3, 10, tzinfo=UTC))
    assert warehouse.rows("SELECT event_id FROM staged.events WHERE source = 'web_later' ORDER BY 1") == [
        ("m1",), ("m2",)]


def test_without_a_clock_the_registered_load_time_is_the_bound(
    warehouse: Warehouse, identity: IdentityConfig, write_file, web
) -> None:
    """stage_file without loaded_at uses the load time the file registry holds for the file."""
    path = write_file("web/a.jsonl", message("m1", timestamp="2026-03-02T11:00:00Z") + message("m2"))
    prepare_working_database(warehouse)
    read_file(warehouse, web, path)
    file_id = register_file(warehouse, "web", SourceFile(path, "a.jsonl", file_sha256(path)), n_rows=2, n_errors=0,
                            run_id="r1")
    warehouse.execute("UPDATE meta.loaded_files SET loaded_at = $t", {"t": LOADED_AT})
    stage_file(warehouse, web, identity, file_id=file_id, file_name="a.jsonl", columns=[])
    assert accepted(warehouse) == [("m1",), ("m2",)]
    warehouse.execute("DELETE FROM staged.events")
    warehouse.execute("UPDATE meta.loaded_files SET loaded_at = $t", {"t": datetime(2026, 2, 15, tzinfo=UTC)})
    stage_file(warehouse, web, identity, file_id=file_id, file_name="a.jsonl", columns=[])
    assert accepted(warehouse) == [("m2",)]


# --- times that contradict each other --------------------------------------------------------


def test_a_call_that_ends_before_it_starts_is_rejected(warehouse: Warehouse, stage: Stage, calls) -> None:
    """ended_at before started_at is a reject; a call ending when it starts is staged."""
    stage(calls, "calls/a.csv", CONTACTS + call("k1", ended_at="2026-02-01 09:59:59")
          + call("k2", ended_at="2026-02-01 10:00:00"))
    assert rejects(warehouse) == {"k1": "ended_at before started_at"}
    assert accepted(warehouse) == [("k2",)]


def test_a_mapped_row_that_ends_before_its_time_is_rejected(warehouse: Warehouse, stage: Stage, source_config) -> None:
    """The same rule for a mapped source with an ended_at column."""
    source = source_config("kiosk", "mapped", "kiosk/*.csv", channel="kiosk", columns={
        "occurred_at": "ts", "ended_at": "te", "activity": "what", "identifiers": {"anonymous_id": "device"}})
    stage(source, "kiosk/a.csv", "ts,te,what,device\n2026-02-01T10:00:00Z,2026-02-01T09:00:00Z,Open,d1\n"
          "2026-02-01T10:00:00Z,2026-02-01T10:05:00Z,Open,d1\n")
    assert list(rejects(warehouse).values()) == ["ended_at before the time"]
    assert accepted(warehouse, "file_line, ended_at") == [(3, datetime(2026, 2, 1, 10, 5, tzinfo=UTC))]


def test_unusable_answer_and_end_times_are_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, calls) -> None:
    """An answered_at or ended_at that does not parse, an answer before the start or after the end,
    and an end beyond the window are dropped and counted; the call is kept."""
    counts = stage(calls, "calls/a.csv", CONTACTS
                   + call("k1", answered_at="soon", ended_at="2026-02-01 10:05:00")
                   + call("k2", answered_at="2026-02-01 09:00:00")
                   + call("k3", answered_at="2026-02-01 10:06:00", ended_at="2026-02-01 10:05:00")
                   + call("k4", ended_at="later")
                   + call("k5", ended_at="2099-02-01 10:00:00")
                   + call("k6", answered_at="2026-02-01 10:01:00", ended_at="2026-02-01 10:05:00"))
    assert [e for (e,) in accepted(warehouse)] == ["k1", "k2", "k3", "k4", "k5", "k6"]
    assert warnings(warehouse) == [
        (2, "answered_at", "answered_at unparseable"), (3, "answered_at", "answered_at before started_at"),
        (4, "answered_at", "answered_at after ended_at"), (5, "ended_at", "ended_at unparseable"),
        (6, "ended_at", "ended_at after the plausible window"),
    ]
    ended = dict(warehouse.rows("SELECT event_id, ended_at FROM staged.events"))
    assert ended["k4"] is None and ended["k5"] is None
    waits = dict(warehouse.rows("SELECT event_id, (attributes->>'wait_seconds')::DOUBLE FROM staged.events"))
    assert (waits["k1"], waits["k2"], waits["k3"], waits["k6"]) == (None, None, None, 60.0)
    assert counts.n_warnings == 5


# --- values that fail their type -------------------------------------------------------------


def test_csat_and_sentiment_that_fail_are_dropped_and_counted(warehouse: Warehouse, stage: Stage, calls) -> None:
    """A CSAT of 'abc' or 7 and a sentiment of 'very bad' or 1.7 are dropped with a warning each;
    the call is kept, and good values stay."""
    counts = stage(calls, "calls/a.csv", CONTACTS + call("k1", csat="abc", sentiment="very bad")
                   + call("k2", csat="7", sentiment="1.7") + call("k3", csat="4", sentiment="-0.5")
                   + call("k4", csat="nan", sentiment="inf"))
    assert accepted(warehouse, "event_id, csat, sentiment, attributes->>'csat'") == [
        ("k1", None, None, None), ("k2", None, None, None), ("k3", 4.0, -0.5, "4.0"), ("k4", None, None, None)]
    assert counts.warnings_by_reason == {
        "csat not a number": 2, "sentiment not a number": 2, "csat outside 1..5": 1, "sentiment outside -1..1": 1}
    assert counts.n_rejected == 0


def test_an_unknown_call_outcome_is_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, calls) -> None:
    """An outcome that is not one of the four codes is dropped and counted; a known one (any
    case) is kept."""
    counts = stage(calls, "calls/a.csv", CONTACTS + call("k1", outcome="hung up") + call("k2", outcome="Abandoned"))
    assert accepted(warehouse, "event_id, outcome") == [("k1", None), ("k2", "abandoned")]
    assert counts.warnings_by_reason == {"outcome not one of resolved, transferred, callback, abandoned": 1}


def test_a_caller_phone_that_is_not_a_phone_number_is_counted(warehouse: Warehouse, stage: Stage, calls) -> None:
    """A withheld number on a call with an account is not linked, and counted; a good one is not."""
    stage(calls, "calls/a.csv", CONTACTS + call("k1", caller_phone="withheld", customer_ref="C1") + call("k2"))
    assert warnings(warehouse) == [(2, "caller_phone", "caller_phone not a phone number (8-15 digits)")]
    kinds = dict(warehouse.rows("SELECT event_id, list_transform(identifiers, lambda i: i.kind) FROM staged.events"))
    assert kinds == {"k1": ["customer_ref"], "k2": ["phone"]}


def test_an_unknown_store_kind_is_rejected(warehouse: Warehouse, stage: Stage, store) -> None:
    """A kind outside purchase, return, pickup, visit is a reject naming the kinds expected."""
    stage(store, "store/a.csv", POS + sale("t1", kind="refnd") + sale("t2", kind="Return"))
    assert rejects(warehouse) == {"t1": "unknown kind 'refnd'; expected purchase, return, pickup or visit"}
    assert accepted(warehouse, "event_id, activity") == [("t2", "store: return")]


def test_a_row_with_several_faults_is_rejected_for_the_first_in_one_order(
    warehouse: Warehouse, stage: Stage, store, source_config
) -> None:
    """Every source checks in one order (one staging engine): the line, the id, the time, the
    identity, then the activity and the channel. A store row without a loyalty id and with an
    unknown kind is told about its identity; a mapped row without an identifier or an activity
    too."""
    stage(store, "store/a.csv", POS + "t1,store-1,,2026-02-01 10:00:00,refnd,1,o-1\n"
          + "t2,store-1,,2026-02-01 10:00:00,,1,o-1\n")
    assert rejects(warehouse) == {"t1": "no identifier (loyalty_id)", "t2": "no identifier (loyalty_id)"}
    kiosk = source_config("kiosk", "mapped", "kiosk/*.csv", channel="kiosk",
                          columns={"occurred_at": "ts", "activity": "what", "identifiers": {"email": "mail"}})
    stage(kiosk, "kiosk/a.csv", "ts,what,mail\n2026-02-01T10:00:00Z,,\n2026-02-01T10:00:00Z,,a@example.com\n")
    assert warehouse.rows("SELECT file_line, reason FROM staged.rejects WHERE source = 'kiosk' ORDER BY 1") == [
        (2, "no identifier"), (3, "missing activity"),
    ]


def test_amounts_that_fail_are_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, store) -> None:
    """An amount 'x' or negative on a purchase is dropped and counted, the purchase kept; a
    negative return and a good purchase keep their amounts."""
    counts = stage(store, "store/a.csv", POS + sale("t1", amount="x") + sale("t2", amount="-12.50")
                   + sale("t3", kind="return", amount="-12.50") + sale("t4", amount="12.50"))
    assert accepted(warehouse, "event_id, value") == [("t1", None), ("t2", None), ("t3", -12.5), ("t4", 12.5)]
    assert counts.warnings_by_reason == {"amount negative on a purchase": 1, "amount not a number": 1}
    assert counts.n_rejected == 0


def test_a_quoted_decimal_comma_is_a_warning_unless_the_source_says_so(
    warehouse: Warehouse, stage: Stage, store
) -> None:
    """'12,50' is read as 12.5 with decimal_separator ',', and is a counted warning with '.'; with
    ',' a decimal point is not accepted (it may be a thousands mark)."""
    text = POS + sale("t1", amount='"12,50"') + sale("t2", amount="12.50")
    counts = stage(store, "store/a.csv", text)
    assert accepted(warehouse, "event_id, value") == [("t1", None), ("t2", 12.5)]
    assert counts.warnings_by_reason == {"amount has a decimal comma": 1}
    comma = replace(store, name="store_eu", decimal_separator=",")
    counts = stage(comma, "store_eu/a.csv", text)
    assert warehouse.rows("SELECT event_id, value FROM staged.events WHERE source = 'store_eu' ORDER BY 1") == [
        ("t1", 12.5), ("t2", None)]
    assert counts.warnings_by_reason == {"amount has a decimal point": 1}


def test_a_decimal_comma_in_a_call_score_follows_the_source_setting(
    warehouse: Warehouse, stage: Stage, calls
) -> None:
    """csat and sentiment use the source's decimal separator too."""
    text = CONTACTS + call("k1", csat='"4,5"', sentiment='"-0,25"')
    assert stage(calls, "calls/a.csv", text).warnings_by_reason == {
        "csat has a decimal comma": 1, "sentiment has a decimal comma": 1}
    stage(replace(calls, name="calls_eu", decimal_separator=","), "calls_eu/a.csv", text)
    assert warehouse.rows("SELECT csat, sentiment FROM staged.events WHERE source = 'calls_eu'") == [(4.5, -0.25)]


def test_an_unquoted_decimal_comma_makes_a_row_of_too_many_columns(
    warehouse: Warehouse, stage: Stage, store
) -> None:
    """'12,50' unquoted in a ',' file splits into two columns: the row is rejected by the reader,
    and the reason says an unquoted delimiter (such as a decimal comma) is the likely cause."""
    counts = stage(store, "store/a.csv", POS + sale("t1", amount="12,50") + sale("t2"))
    assert accepted(warehouse) == [("t2",)]
    (reason,) = rejects(warehouse).values()
    assert reason.startswith("unreadable line: TOO MANY COLUMNS")
    assert reason.endswith("(an unquoted delimiter inside a value, such as a decimal comma, splits it)")
    assert counts.n_rejected == 1


def test_an_unquoted_decimal_comma_before_an_empty_last_column_is_rejected_too(
    warehouse: Warehouse, stage: Stage, store
) -> None:
    """'…,purchase,34,16,' (order_ref empty) has one column too many, like any other split row:
    it must not be read as amount 34, order_ref '16'."""
    stage(store, "store/a.csv", POS + sale("t1", amount="34,16", order_ref="") + sale("t2"))
    assert accepted(warehouse) == [("t2",)]


def test_segment_values_that_fail_are_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, web) -> None:
    """A revenue 'x' or '12,50', a CSAT 'abc' or 9 and an identify with a broken email are
    counted; a JSON number is a good value."""
    counts = stage(web, "web/a.jsonl",
                   message("m1", type="track", event="Order Completed", properties={"revenue": "x", "csat": "abc"})
                   + message("m2", type="track", event="Order Completed", properties={"revenue": "12,50", "csat": 9})
                   + message("m3", type="track", event="Order Completed", properties={"revenue": 54.9, "csat": 4})
                   + message("i1", type="identify", userId="c1", traits={"email": "jane at example", "phone": "123"}))
    assert accepted(warehouse, "event_id, value, csat") == [("m1", None, None), ("m2", None, None), ("m3", 54.9, 4.0)]
    assert counts.warnings_by_reason == {
        "csat not a number": 1, "csat outside 1..5": 1, "traits.email not an email address": 1,
        "traits.phone not a phone number (8-15 digits)": 1, "value has a decimal comma": 1, "value not a number": 1,
    }


def test_crm_values_that_fail_are_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, source_config) -> None:
    """A CRM email or phone that is not one, and a signup_date that is not a date, are counted; the
    record still links what it can, and a good signup date is kept as an ISO date."""
    crm = source_config("crm", "crm", "crm/*.csv")
    counts = stage(crm, "crm/a.csv", CRM + "C1,not-an-email,12,,gold,yesterday,gb\nC2,a@b.com,,,gold,2025-01-31,gb\n")
    assert warehouse.rows("SELECT attributes->>'signup_date' FROM staged.identity_records ORDER BY file_line") == [
        (None,), ("2025-01-31",)]
    assert counts.warnings_by_reason == {
        "email not an email address": 1, "phone not a phone number (8-15 digits)": 1, "signup_date not a date": 1}
    assert counts.n_identity_records == 2


def test_mapped_values_that_fail_are_dropped_with_a_warning(warehouse: Warehouse, stage: Stage, source_config) -> None:
    """A mapped source's sentiment, value and csat attribute are checked with its decimal separator."""
    source = source_config("kiosk", "mapped", "kiosk/*.csv", channel="kiosk", decimal_separator=",", columns={
        "occurred_at": "ts", "activity": "what", "identifiers": {"anonymous_id": "device"}, "sentiment": "score",
        "value": "amount"})
    counts = stage(source, "kiosk/a.csv", 'ts,what,device,score,amount,csat\n'
                   '2026-02-01T10:00:00Z,Open,d1,"0,5","3,25",4\n2026-02-01T10:00:00Z,Open,d1,2,x,"4,5"\n')
    assert accepted(warehouse, "sentiment, value, csat") == [(0.5, 3.25, 4.0), (None, None, 4.5)]
    assert counts.warnings_by_reason == {"sentiment outside -1..1": 1, "value not a number": 1}


def test_a_row_later_rejected_as_a_duplicate_loses_its_warnings(warehouse: Warehouse, stage: Stage, calls) -> None:
    """Warnings count accepted rows only: a repeated id moved to the rejects takes its warnings along."""
    stage(calls, "calls/a.csv", CONTACTS + call("k1", csat="abc") + call("k1", csat="abc"))
    reject_duplicates(warehouse, "calls", [1])
    counts = count_source(warehouse, "calls")
    assert (counts.n_events, counts.n_rejected, counts.warnings_by_reason) == (1, 1, {"csat not a number": 1})
