"""Personal data at staging: emails and phone numbers in free text are masked (jm_mask_pii in
sql/macros.sql), ids, prices and times are not, and no reject reason, warning or staged column
of any source kind holds a raw email, phone or the salt."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse
from journeymine.load.source import load_source
from journeymine.outputs.publish import OUTPUT_QUERIES

EMAIL = "jane.doe@example.com"
PHONES = ("+44 7700 900123", "07724657462", "(839) 663-6248")
# what must not be readable anywhere in an output: the values and their digit runs
SECRETS = ("jane.doe", "example.com", "7700 900123", "7700900123", "07724657462", "7724657462", "663-6248", "6636248")
CONTACTS = "contact_id,caller_phone,customer_ref,started_at,answered_at,ended_at,queue,reason,outcome,csat,sentiment\n"
POS = "transaction_id,store_id,loyalty_id,occurred_at,kind,amount,order_ref\n"
CRM = "customer_ref,email,phone,loyalty_id,segment,signup_date,country\n"


def masked(wh: Warehouse, text: str | None) -> str | None:
    return wh.scalar("SELECT jm_mask_pii($v)", {"v": text})


# --- the patterns, both ways ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("jane.doe@example.com", "<email>"),
    (" Jane.Doe@Example.COM", " <email>"),
    ("write to a.b+c@mail.example.co.uk!", "write to <email>!"),
    ("/account?email=jane.doe%40example.com&x=1", "/account?email=<email>&x=1"),
    ("+44 7700 900123", "<phone>"),
    ("+44 (0)7700 900123", "<phone>"),
    ("+447700900123", "<phone>"),
    ("call 0044-7700-900-123 now", "call <phone> now"),
    ("07724657462", "<phone>"),
    ("07700 900123", "<phone>"),
    ("020 7946 0000", "<phone>"),
    ("06 12 34 56 78", "<phone>"),
    ("(839) 663-6248", "<phone>"),
    ("+1-839-663-6248", "<phone>"),
    ("839.663.6248", "<phone>"),
    ("1 839 663 6248", "<phone>"),
    ("tel:+44 7700 900123", "tel:<phone>"),
    ("?p=%2B447700900123", "?p=<phone>"),
    ("07700900123,07700900124", "<phone>,<phone>"),
    ("Thanks jane.doe@example.com, we call (839) 663-6248", "Thanks <email>, we call <phone>"),
])
def test_emails_and_phone_numbers_are_masked(warehouse: Warehouse, text: str, expected: str) -> None:
    """Real formats of emails (also URL-encoded) and phone numbers (international, national,
    North American) become '<email>' and '<phone>', the text around them kept."""
    assert masked(warehouse, text) == expected


@pytest.mark.parametrize("text", [
    "2026-01-05T09:12:03.120Z", "2026-02-05 09:40:59", "01/02/2026 10:00", "01-02-2026 10:00",
    "01.02.2026 10:00:00", "2026-03-02T10:15:30+01:00", "1767225600000", "20260105091203",
    "o-00000020-01", "ORD-2026-000123", "ORD-0123456789", "C0000217", "CT-00000016-001", "TX-00000009-001",
    "Loy-194727", "kiosk-store-017", "3f9a1c2e-0123-4567-8901-cdef01234567", "00000123", "0000012345",
    "195.17", "1234567.89", "12,50", "€1.234,56", "5.2.1", "192.168.100.200", "978-0-306-40615-7",
    "/product/8392", "/search?q=backpack", '{"product_id":"8392","price":40.28,"quantity":1}',
    "user@host", "Checkout Shipping", "call: payment_issue", "0930-1730",
])
def test_ids_prices_times_and_labels_are_not_masked(warehouse: Warehouse, text: str) -> None:
    """Order numbers, account and loyalty ids, UUIDs, zero-padded numbers, prices, times and
    dates in common formats, versions and plain labels stay as they are."""
    assert masked(warehouse, text) == text


@pytest.mark.parametrize("value", [
    "line one\n07724657462", "tab\tjane.doe@example.com", 'quoted "jane.doe@example.com"', "back\\slash 07724657462",
    "\u0007jane.doe@example.com", "nbsp\u00a0+44 7700 900123", "back\\\\jane.doe@example.com",
])
def test_masked_json_is_still_json(warehouse: Warehouse, value: str) -> None:
    """Masking JSON text keeps a JSON escape before the match whole, so the result parses and holds
    no raw value."""
    text = json.dumps({"note": value})
    out = masked(warehouse, text)
    assert isinstance(json.loads(out)["note"], str)
    assert not any(s in out for s in SECRETS), out


def test_a_text_without_personal_data_is_left_as_it_is(warehouse: Warehouse) -> None:
    """NULL stays NULL, and a text with nothing to mask is returned unchanged."""
    assert masked(warehouse, None) is None
    assert masked(warehouse, "Order Completed") == "Order Completed"


# --- every source kind, through staging ------------------------------------------------------


@pytest.fixture
def load(warehouse: Warehouse, identity: IdentityConfig) -> Callable[[SourceConfig], Any]:
    def run(source: SourceConfig) -> Any:
        return load_source(warehouse, source, identity, run_id="r1").counts

    return run


def staged_text(wh: Warehouse) -> str:
    """Everything staging keeps that may reach an output: events and identity records (every
    column), reject reasons, warnings, and the published rejects output."""
    parts = [str(r) for table in ("staged.events", "staged.identity_records", "staged.identity_sets",
                                  "staged.warnings") for r in wh.rows(f"SELECT * FROM {table}")]
    parts += [r[0] for r in wh.rows("SELECT reason FROM staged.rejects")]
    parts += [str(r) for r in wh.rows(OUTPUT_QUERIES["rejects"])]
    return " ".join(parts)


def assert_no_personal_data(wh: Warehouse, identity: IdentityConfig) -> None:
    text = staged_text(wh)
    for secret in SECRETS:
        assert secret not in text.lower(), secret
    assert identity.salt not in text


def segment_line(message_id: str, **fields: Any) -> str:
    record: dict[str, Any] = {"messageId": message_id, "type": "page", "anonymousId": "dev1",
                              "timestamp": "2026-02-01T10:00:00Z", "name": "Home"}
    record.update(fields)
    return json.dumps(record) + "\n"


def test_segment_properties_labels_and_times_are_masked(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """Emails and phones in properties, a page name, an event name, a context path, a message type
    and a timestamp reach no staged column and no reason; the masks show where they were, and
    ids and prices in the same properties are kept."""
    write_file("web/a.jsonl",
               segment_line("m1", properties={"note": f"call me on {PHONES[1]}", "contact": EMAIL, "order_id": "o-1-2",
                                              "sku": "ORD-0123456789", "price": 40.28},
                            context={"page": {"path": "/account?email=jane.doe%40example.com"},
                                     "os": {"name": PHONES[0]}})
               + segment_line("m2", name=f"Thanks {EMAIL}")
               + segment_line("m3", type="track", name=None, event=f"Called {PHONES[2]}")
               + segment_line("m4", timestamp=PHONES[1])
               + segment_line("m5", type=EMAIL)
               + segment_line("i1", type="identify", userId="c1", traits={"email": EMAIL, "phone": PHONES[0]}))
    counts = load(source_config("web", "segment", "web/*.jsonl", channel="web"))
    assert (counts.n_events, counts.n_identity_records, counts.n_rejected) == (3, 1, 2)
    assert_no_personal_data(warehouse, identity)
    attributes = json.loads(warehouse.scalar("SELECT attributes FROM staged.events WHERE event_id = 'm1'"))
    assert attributes == {"note": "call me on <phone>", "contact": "<email>", "order_id": "o-1-2",
                          "sku": "ORD-0123456789", "price": 40.28, "os_name": "<phone>",
                          "page_path": "/account?email=<email>"}
    assert warehouse.rows("SELECT activity FROM staged.events ORDER BY file_line") == [
        ("Home",), ("Thanks <email>",), ("Called <phone>",)]
    assert dict(warehouse.rows("SELECT event_id, reason FROM staged.rejects")) == {
        "m4": "unparseable timestamp '<phone>'; expected ISO-8601",
        "m5": "unsupported message type '<email>'; expected track, page, screen, identify or alias",
    }
    # the raw row stays in the working database, to be looked at, and is not published
    assert EMAIL in warehouse.scalar("SELECT raw_record FROM staged.rejects WHERE event_id = 'm5'")


def test_call_free_text_and_times_are_masked(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """A contacts file with an email in the queue, a phone in the reason, personal data as the
    outcome and as started_at: none is staged raw or echoed by a reason or warning."""
    rows = [
        f"k1,07700 900123,,2026-02-01 10:00:00,,,vip {EMAIL},callback {PHONES[1]},{EMAIL},,",
        f"k2,07700 900123,,{PHONES[1]},,,billing,payment_issue,resolved,,",
        f"k3,{EMAIL},C1,2026-02-01 10:00:00,,,billing,payment_issue,resolved,,",
    ]
    write_file("calls/a.csv", CONTACTS + "\n".join(rows) + "\n")
    counts = load(source_config("calls", "contacts", "calls/*.csv", time_format="%Y-%m-%d %H:%M:%S"))
    assert (counts.n_events, counts.n_rejected) == (2, 1)
    assert_no_personal_data(warehouse, identity)
    assert warehouse.rows("SELECT activity, attributes->>'queue', outcome FROM staged.events ORDER BY file_line")[0] == (
        "call: callback <phone>", "vip <email>", None)
    assert warehouse.scalar("SELECT reason FROM staged.rejects") == (
        "unparseable started_at '<phone>'; expected time format %Y-%m-%d %H:%M:%S")
    assert counts.warnings_by_reason == {
        "caller_phone not a phone number (8-15 digits)": 1,
        "outcome not one of resolved, transferred, callback, abandoned": 1,
    }


def test_store_free_text_codes_and_times_are_masked(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """A POS file with personal data in store_id, order_ref, the kind and the time: masked where
    kept, masked in the reasons that echo the kind or the time."""
    write_file("store/a.csv", POS + f"t1,store {PHONES[2]},LY-1,2026-02-01 10:00:00,purchase,1.00,{EMAIL}\n"
               f"t2,s1,LY-1,2026-02-01 10:00:00,{EMAIL},1.00,\n" f't3,s1,LY-1,"{PHONES[0]}",visit,,\n')
    counts = load(source_config("store", "pos", "store/*.csv", time_format="%Y-%m-%d %H:%M:%S"))
    assert (counts.n_events, counts.n_rejected) == (1, 2)
    assert_no_personal_data(warehouse, identity)
    assert json.loads(warehouse.scalar("SELECT attributes FROM staged.events")) == {
        "store_id": "store <phone>", "order_ref": "<email>"}
    assert sorted(r for (r,) in warehouse.rows("SELECT reason FROM staged.rejects")) == [
        "unknown kind '<email>'; expected purchase, return, pickup or visit",
        "unparseable occurred_at '<phone>'; expected time format %Y-%m-%d %H:%M:%S",
    ]


def test_crm_attributes_are_masked(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """CRM identifiers are hashed, and an email or phone typed into segment or country is masked."""
    write_file("crm/a.csv", CRM + f"C1,{EMAIL},{PHONES[0]},LY-1,{EMAIL},2025-01-01,\"{PHONES[2]}\"\n")
    assert load(source_config("crm", "crm", "crm/*.csv")).n_identity_records == 1
    assert_no_personal_data(warehouse, identity)
    assert json.loads(warehouse.scalar("SELECT attributes FROM staged.identity_records")) == {
        "segment": "<email>", "signup_date": "2025-01-01", "country": "<phone>"}


def test_mapped_labels_attributes_and_times_are_masked(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """A mapped source's activity, attribute columns and an unparseable time are masked."""
    write_file("kiosk/a.csv", "ts,what,device,note\n"
               f"2026-02-01T10:00:00Z,Help for {EMAIL},d1,call {PHONES[0]}\n"
               f"{PHONES[1]},Open,d1,\n")
    source = source_config("kiosk", "mapped", "kiosk/*.csv", channel="kiosk",
                           columns={"occurred_at": "ts", "activity": "what", "identifiers": {"anonymous_id": "device"}})
    counts = load(source)
    assert (counts.n_events, counts.n_rejected) == (1, 1)
    assert_no_personal_data(warehouse, identity)
    assert warehouse.rows("SELECT activity, attributes->>'note' FROM staged.events") == [
        ("Help for <email>", "call <phone>")]
    assert warehouse.scalar("SELECT reason FROM staged.rejects") == "unparseable time '<phone>'; expected ISO-8601"


def test_a_duplicate_id_that_looks_like_an_email_is_masked_in_the_reason(
    warehouse: Warehouse, identity: IdentityConfig, load, write_file, source_config
) -> None:
    """The reason of a conflicting event id echoes the id, masked when it looks like an email."""
    write_file("web/a.jsonl", segment_line(EMAIL) + segment_line(EMAIL, name="Cart"))
    load(source_config("web", "segment", "web/*.jsonl", channel="web"))
    assert warehouse.scalar("SELECT reason FROM staged.rejects") == (
        "event_id '<email>' already used at a.jsonl:1 with different content")
