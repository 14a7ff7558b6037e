"""The bad-input catalogue (issue 11, item 8): for each input kind, each case of bad input as the
bytes of a file, and what loading it must do. test_input_catalogue.py loads every case;
docs/bad-input.md lists the same cases with the place each outcome is reported.

Builders keep a case to one line of content: `calls(call("k1"), call("k2", csat="abc"))` is a
contacts CSV with its header and two rows, the second with a CSAT of 'abc'.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from typing import Any

EMAIL = "jane.doe@example.com"
PHONE = "07700 900123"
# the first bytes of a PNG image: its line 1 is '\x89PNG\r', then NUL bytes
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# in an expected reason: the end of the plausible window (the load's clock + 24 h), known once loaded
NOT_AFTER = "{not_after}"
SOURCE_OF_KIND = {"segment": "web", "contacts": "calls", "pos": "store", "crm": "crm", "mapped": "kiosk"}


@dataclass(frozen=True)
class Case:
    """A file of one input kind and what loading it must do: its rows accepted, rejected (file
    line, reason) or kept with values dropped (warnings by reason); or the file set aside
    (`quarantined`, the reason); and, when `stops` is set, the run stopping before it publishes
    with that message (InputError, exit code 3)."""

    kind: str
    name: str
    content: bytes
    accepted: int = 0
    rejects: tuple[tuple[int, str], ...] = ()
    warnings: dict[str, int] = field(default_factory=dict)
    quarantined: str | None = None
    stops: str | None = None
    # crm: the customer attributes its records disagree on, as stitching reports them (None: not stitched)
    conflicts: dict[str, int] | None = None
    # the source's settings that differ from the defaults (max_quarantined_files=0)
    settings: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    @property
    def file_name(self) -> str:
        return self.file or ("a.jsonl" if self.kind == "segment" else "a.csv")

    @property
    def reported_in(self) -> list[str]:
        """Where a user reads the outcome (the words docs/bad-input.md uses)."""
        places = {"rejects.parquet": self.rejects, "warnings_by_reason": self.warnings,
                  "quarantined": self.quarantined, "conflicting_records": self.conflicts, "exit code 3": self.stops}
        return [place for place, outcome in places.items() if outcome]


def lines(*rows: str | bytes) -> bytes:
    """A file of these lines, each ended by a line feed."""
    return b"".join((row if isinstance(row, bytes) else row.encode()) + b"\n" for row in rows)


def bom(content: bytes) -> bytes:
    return b"\xef\xbb\xbf" + content


def crlf(content: bytes) -> bytes:
    return content.replace(b"\n", b"\r\n")


def gz(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


def stop(source: str, detail: str) -> str:
    """The message of a run stopped by a source over its limits."""
    return f"source '{source}': {detail} (sources.{source}.max_rejected_share / max_quarantined_files set the limits)"


def csv_row(base: dict[str, str], drop: tuple[str, ...] = (), **values: str) -> str:
    return ",".join(v for k, v in {**base, **values}.items() if k not in drop)


def header(base: dict[str, str], drop: tuple[str, ...] = (), add: str = "") -> str:
    return ",".join([k for k in base if k not in drop] + ([add] if add else []))


def msg(message_id: str, **fields: Any) -> str:
    """A Segment line: a page view of Home by device dev1 unless `fields` say otherwise."""
    record = {"messageId": message_id, "type": "page", "anonymousId": "dev1", "userId": None,
              "timestamp": "2026-02-01T10:00:00.000Z", "name": "Home", **fields}
    return json.dumps({k: v for k, v in record.items() if v is not ...}, ensure_ascii=False)


def order(message_id: str, **properties: Any) -> str:
    """A Segment track of an order with these properties."""
    return msg(message_id, type="track", event="Order Completed", properties=properties)


CALL = {"contact_id": "k1", "caller_phone": PHONE, "customer_ref": "", "started_at": "2026-02-01 10:00:00",
        "answered_at": "", "ended_at": "", "queue": "billing", "reason": "payment_issue", "outcome": "resolved",
        "csat": "", "sentiment": ""}
SALE = {"transaction_id": "t1", "store_id": "store-1", "loyalty_id": "LY-1", "occurred_at": "2026-02-01 10:00:00",
        "kind": "purchase", "amount": "12.50", "order_ref": "o-1"}
PERSON = {"customer_ref": "C1", "email": EMAIL, "phone": PHONE, "loyalty_id": "LY-1", "segment": "gold",
          "signup_date": "2025-01-31", "country": "gb"}
VISIT = {"id": "e1", "ts": "2026-02-01T10:00:00Z", "te": "2026-02-01T10:05:00Z", "what": "Kiosk Login",
         "device": "d1", "mail": EMAIL, "score": "0.5", "amount": "3.25", "terminal": "T9"}
# the mapped source reads VISIT's columns; `terminal` (and any other column) becomes an attribute
MAPPING = {"event_id": "id", "occurred_at": "ts", "ended_at": "te", "activity": "what", "sentiment": "score",
           "value": "amount", "identifiers": {"anonymous_id": "device", "email": "mail"}}


def call(contact_id: str, drop: tuple[str, ...] = (), **values: str) -> str:
    return csv_row(CALL, drop, contact_id=contact_id, **values)


def sale(transaction_id: str, drop: tuple[str, ...] = (), **values: str) -> str:
    return csv_row(SALE, drop, transaction_id=transaction_id, **values)


def person(customer_ref: str, drop: tuple[str, ...] = (), **values: str) -> str:
    return csv_row(PERSON, drop, customer_ref=customer_ref, **values)


def visit(event_id: str, drop: tuple[str, ...] = (), **values: str) -> str:
    return csv_row(VISIT, drop, id=event_id, **values)


def calls(*rows: str | bytes) -> bytes:
    return lines(header(CALL), *rows)


def store(*rows: str | bytes) -> bytes:
    return lines(header(SALE), *rows)


def crm(*rows: str | bytes) -> bytes:
    return lines(header(PERSON), *rows)


def kiosk(*rows: str | bytes) -> bytes:
    return lines(header(VISIT), *rows)


def latin1(row: str) -> bytes:
    """A row written in Latin-1: its 'é' is the byte 0xE9, not UTF-8."""
    return row.encode("latin-1")


# --- reasons shared by the CSV kinds --------------------------------------------------------------

NOT_UTF8 = "unreadable line: INVALID ENCODING: the line is not UTF-8 text"
EMPTY = "unreadable line: empty"
OPEN_QUOTE = "unreadable line: UNQUOTED VALUE: Value with unterminated quote found."
SPLIT_HINT = " (an unquoted delimiter inside a value, such as a decimal comma, splits it)"
BINARY_CSV = "binary content, not UTF-8 text (a NUL byte at position 8); expected a CSV file"
NOT_GZIP = "not a gzip file (its name ends in .gz)"
NO_HEADER = "line 1 should be a header of column names, but column 3 of 11 has no name (is the header missing?)"


def too_many(n_columns: int, found: int) -> str:
    return f"unreadable line: TOO MANY COLUMNS: Expected Number of Columns: {n_columns} Found: {found}"


def too_few(n_columns: int, found: int) -> str:
    return f"unreadable line: MISSING COLUMNS: Expected Number of Columns: {n_columns} Found: {found}"


def after_window(field: str, value: str) -> str:
    return f"{field} '{value} UTC' is after the plausible window (the load time + 24 h, '{NOT_AFTER}')"


def before_window(field: str, value: str) -> str:
    return f"{field} '{value} UTC' is before the plausible window (not_before '2000-01-01 00:00:00 UTC')"


# --- the catalogue ----------------------------------------------------------------------------

SEGMENT = [
    Case("segment", "empty file", b""),
    Case("segment", "UTF-8 BOM", bom(lines(msg("m1"), msg("m2"))), accepted=2),
    Case("segment", "CRLF line ends", crlf(lines(msg("m1"), msg("m2"))), accepted=2),
    Case("segment", "extra field", lines(msg("m1", campaign={"id": 7}, sentAt="2026-02-01T10:00:01Z")), accepted=1),
    Case("segment", "missing optional field", lines(msg("m1", userId=..., context=...)), accepted=1),
    Case("segment", "missing required field (messageId)", lines(msg("m1"), msg(..., name="Cart"), msg("m3")),
         accepted=2, rejects=((2, "missing messageId"),)),
    Case("segment", "duplicate rows, same id same content", lines(msg("m1"), msg("m1"), msg("m2")), accepted=2,
         rejects=((2, "duplicate of a.jsonl:1 (same event_id, same content)"),)),
    Case("segment", "duplicate rows, same id different content", lines(msg("m1"), msg("m1", name="Cart"), msg("m2")),
         accepted=2, rejects=((2, "event_id 'm1' already used at a.jsonl:1 with different content"),)),
    Case("segment", "non-UTF-8 byte in a line", lines(msg("m1"), latin1(msg("m2", name="Café")), msg("m3")),
         accepted=2, rejects=((2, NOT_UTF8),)),
    Case("segment", "PNG renamed .jsonl", PNG,
         quarantined="binary content, not UTF-8 text (a NUL byte at position 8); expected JSON lines"),
    Case("segment", "unterminated quote", lines(msg("m1"), '{"messageId": "m2", "type": "page, "name": "Home"}',
                                                msg("m3")), accepted=2, rejects=((2, "not valid JSON"),)),
    Case("segment", "event dated 2099", lines(msg("m1"), msg("m2", timestamp="2099-01-01T10:00:00Z"), msg("m3")),
         accepted=2, rejects=((2, after_window("timestamp", "2099-01-01 10:00:00")),)),
    Case("segment", "event dated 1900", lines(msg("m1"), msg("m2", timestamp="1900-01-01T10:00:00Z"), msg("m3")),
         accepted=2, rejects=((2, before_window("timestamp", "1900-01-01 10:00:00")),)),
    Case("segment", "CSAT 'abc'", lines(order("m1", csat="abc")), accepted=1, warnings={"csat not a number": 1}),
    Case("segment", "revenue 'x'", lines(order("m1", revenue="x")), accepted=1, warnings={"value not a number": 1}),
    Case("segment", "revenue '12,50' (a JSON string)", lines(order("m1", revenue="12,50")), accepted=1,
         warnings={"value has a decimal comma": 1}),
    Case("segment", "unquoted decimal comma 12,50", lines(msg("m1"), order("m2", revenue=1).replace("1}", "12,50}"),
                                                         msg("m3")), accepted=2, rejects=((2, "not valid JSON"),)),
    Case("segment", "blank lines", lines(msg("m1"), "", msg("m2"), "   ", msg("m3"), msg("m4")), accepted=4,
         rejects=((2, "empty line"), (4, "empty line"))),
    Case("segment", "identifier-only garbage rows", lines(msg("m1"), EMAIL, json.dumps({"anonymousId": "07724657462"}),
                                                         msg("m2"), msg("m3")),
         accepted=3, rejects=((2, "not valid JSON"), (3, "missing messageId"))),
    Case("segment", "a CSV file renamed .jsonl", calls(call("k1"), call("k2")), rejects=(
        (1, "not valid JSON"), (2, "not valid JSON"), (3, "not valid JSON")),
         stops=stop("web", "100% of its 3 rows were rejected (at most 50% allowed); most often (3 rows) not valid "
                           "JSON, first at a.jsonl:1")),
    Case("segment", "gzip: lines as in a plain file", gz(lines(msg("m1"), msg("m1"), msg("m2"))), file="a.jsonl.gz",
         accepted=2, rejects=((2, "duplicate of a.jsonl.gz:1 (same event_id, same content)"),)),
    Case("segment", "gzip: empty file (gzip of nothing)", gz(b""), file="a.jsonl.gz"),
    Case("segment", "gzip: UTF-8 BOM", gz(bom(lines(msg("m1")))), file="a.jsonl.gz", accepted=1),
    Case("segment", "gzip: non-UTF-8 byte in a line", gz(lines(msg("m1"), latin1(msg("m2", name="Café")), msg("m3"))),
         file="a.jsonl.gz", accepted=2, rejects=((2, NOT_UTF8),)),
    Case("segment", "gzip: PNG renamed .jsonl.gz", PNG, file="a.jsonl.gz", quarantined=NOT_GZIP),
    Case("segment", "gzip: non-gzip file in a gzip source", lines(msg("m1")), file="a.jsonl.gz", quarantined=NOT_GZIP),
    Case("segment", "gzip: more unreadable files than allowed", PNG, file="a.jsonl.gz", quarantined=NOT_GZIP,
         settings={"max_quarantined_files": 0},
         stops=stop("web", f"1 file(s) could not be read (at most 0 allowed): a.jsonl.gz: {NOT_GZIP}")),
]

CONTACTS = [
    Case("contacts", "empty file", b""),
    Case("contacts", "header-only file", calls()),
    Case("contacts", "UTF-8 BOM", bom(calls(call("k1"), call("k2"))), accepted=2),
    Case("contacts", "CRLF line ends", crlf(calls(call("k1"), call("k2"))), accepted=2),
    Case("contacts", "no line feed after the last row", calls(call("k1"), call("k2"))[:-1], accepted=2),
    Case("contacts", "extra column", lines(header(CALL, add="agent"), call("k1") + ",A7"), accepted=1),
    Case("contacts", "missing optional columns (csat, sentiment)",
         lines(header(CALL, drop=("csat", "sentiment")), call("k1", drop=("csat", "sentiment"))), accepted=1),
    Case("contacts", "missing required column (reason)", lines(header(CALL, drop=("reason",)),
                                                             call("k1", drop=("reason",))),
         quarantined="missing column(s) reason; expected the contacts preset's columns (docs/input-formats.md); the "
                     "header has contact_id, caller_phone, customer_ref, started_at, answered_at, ended_at, queue, "
                     "outcome, csat, sentiment"),
    Case("contacts", "no identifier column", lines("contact_id,started_at,reason", "k1,2026-02-01 10:00:00,x"),
         quarantined="no identifier column, so its rows link nothing; expected at least one of caller_phone, "
                     "customer_ref; the header has contact_id, started_at, reason"),
    Case("contacts", "no header (line 1 is a data row)", lines(call("k1"), call("k2")), quarantined=NO_HEADER),
    Case("contacts", "repeated column name", lines(header(CALL, add="queue"), call("k1") + ",q2"),
         quarantined="the header repeats the column name 'queue' (columns 7 and 12)"),
    Case("contacts", "duplicate rows, same id same content", calls(call("k1"), call("k1"), call("k2")), accepted=2,
         rejects=((3, "duplicate of a.csv:2 (same event_id, same content)"),)),
    Case("contacts", "duplicate rows, same id different content", calls(call("k1"), call("k1", queue="sales"),
                                                                       call("k2")),
         accepted=2, rejects=((3, "event_id 'k1' already used at a.csv:2 with different content"),)),
    Case("contacts", "non-UTF-8 byte in a data row",
         calls(call("k1"), latin1(call("k2", queue="café")), "", call("k3")), accepted=2,
         rejects=((3, NOT_UTF8), (4, EMPTY))),
    Case("contacts", "non-UTF-8 byte in the header", lines(latin1(header(CALL) + ",café"), call("k1")),
         quarantined="line 1 (the header) is not UTF-8 text (byte b'\\xe9' at position 108); expected a CSV file"),
    Case("contacts", "PNG renamed .csv", PNG, quarantined=BINARY_CSV),
    Case("contacts", "non-gzip file in a gzip source", calls(call("k1")), file="a.csv.gz", quarantined=NOT_GZIP),
    Case("contacts", "unterminated quote on the last line", calls(call("k1"), call("k2"), call("k3", reason='"oops')),
         accepted=2, rejects=((4, OPEN_QUOTE),)),
    Case("contacts", "unterminated quote swallowing the lines after it",
         calls(call("k1"), call("k2", reason='"oops'), call("k3"), call("k4")), accepted=1, rejects=(
             (3, OPEN_QUOTE), (4, "unreadable line: swallowed by the unterminated quote on line 3"),
             (5, "unreadable line: swallowed by the unterminated quote on line 3")),
         stops=stop("calls", "75% of its 4 rows were rejected (at most 50% allowed); most often (2 rows) unreadable "
                             "line: swallowed by the unterminated quote on line 3, first at a.csv:4")),
    Case("contacts", "call dated 2099", calls(call("k1"), call("k2", started_at="2099-01-01 10:00:00"), call("k3")),
         accepted=2, rejects=((3, after_window("started_at", "2099-01-01 10:00:00")),)),
    Case("contacts", "call dated 1900", calls(call("k1"), call("k2", started_at="1900-01-01 10:00:00"), call("k3")),
         accepted=2, rejects=((3, before_window("started_at", "1900-01-01 10:00:00")),)),
    Case("contacts", "ended_at before started_at", calls(call("k1"), call("k2", ended_at="2026-02-01 09:59:00"),
                                                        call("k3")),
         accepted=2, rejects=((3, "ended_at before started_at"),)),
    Case("contacts", "CSAT 'abc'", calls(call("k1", csat="abc")), accepted=1, warnings={"csat not a number": 1}),
    Case("contacts", "sentiment 'very bad'", calls(call("k1", sentiment="very bad")), accepted=1,
         warnings={"sentiment not a number": 1}),
    Case("contacts", "quoted decimal comma '4,5'", calls(call("k1", csat='"4,5"')), accepted=1,
         warnings={"csat has a decimal comma": 1}),
    Case("contacts", "unquoted decimal comma 0,5", calls(call("k1", sentiment="0,5"), call("k2"), call("k3")),
         accepted=2, rejects=((2, too_many(11, 12) + SPLIT_HINT),)),
    Case("contacts", "blank lines", calls(call("k1"), "", call("k2"), "  ", call("k3"), ""), accepted=3,
         rejects=((3, EMPTY), (5, EMPTY), (7, EMPTY))),
    Case("contacts", "identifier-only garbage rows", calls(call("k1"), PHONE, "," + "07724657462" + "," * 9,
                                                          call("k2"), call("k3")),
         accepted=3, rejects=((3, too_few(11, 1)), (4, "missing contact_id"))),
]

POS = [
    Case("pos", "empty file", b""),
    Case("pos", "header-only file", store()),
    Case("pos", "UTF-8 BOM", bom(store(sale("t1"))), accepted=1),
    Case("pos", "CRLF line ends", crlf(store(sale("t1"), sale("t2"))), accepted=2),
    Case("pos", "extra column", lines(header(SALE, add="till"), sale("t1") + ",3"), accepted=1),
    Case("pos", "missing optional columns (amount, order_ref)",
         lines(header(SALE, drop=("amount", "order_ref")), sale("t1", drop=("amount", "order_ref"))), accepted=1),
    Case("pos", "missing required column (kind)", lines(header(SALE, drop=("kind",)), sale("t1", drop=("kind",))),
         quarantined="missing column(s) kind; expected the pos preset's columns (docs/input-formats.md); the header "
                     "has transaction_id, store_id, loyalty_id, occurred_at, amount, order_ref"),
    Case("pos", "no identifier column (loyalty_id)", lines(header(SALE, drop=("loyalty_id",)),
                                                          sale("t1", drop=("loyalty_id",))),
         quarantined="no identifier column, so its rows link nothing; expected at least one of loyalty_id; the "
                     "header has transaction_id, store_id, occurred_at, kind, amount, order_ref"),
    Case("pos", "duplicate rows, same id same content", store(sale("t1"), sale("t1"), sale("t2")), accepted=2,
         rejects=((3, "duplicate of a.csv:2 (same event_id, same content)"),)),
    Case("pos", "duplicate rows, same id different content", store(sale("t1"), sale("t1", amount="9.99"), sale("t2")),
         accepted=2, rejects=((3, "event_id 't1' already used at a.csv:2 with different content"),)),
    Case("pos", "non-UTF-8 byte in a data row", store(sale("t1"), latin1(sale("t2", store_id="Köln")), sale("t3")),
         accepted=2, rejects=((3, NOT_UTF8),)),
    Case("pos", "non-UTF-8 byte before other damage", store(
        sale("t1"), sale("t2"), latin1(sale("t3", store_id="Köln")), "", sale("t4", amount="34,16", order_ref=""),
        sale("t5"), sale("t6"), sale("t7"), sale("t8"), sale("t9", order_ref='"o-9'), sale("t10")), accepted=6,
         rejects=((4, NOT_UTF8), (5, EMPTY), (6, too_many(7, 8) + SPLIT_HINT), (11, OPEN_QUOTE),
                  (12, "unreadable line: swallowed by the unterminated quote on line 11"))),
    Case("pos", "PNG renamed .csv", PNG, quarantined=BINARY_CSV),
    Case("pos", "a stray NUL byte in a value", store(sale("t1", store_id="st\x00re-1"), sale("t2")), accepted=2),
    Case("pos", "unterminated quote on the last line", store(sale("t1"), sale("t2"), sale("t3", order_ref='"o-3')),
         accepted=2, rejects=((4, OPEN_QUOTE),)),
    Case("pos", "transaction dated 2099", store(sale("t1"), sale("t2", occurred_at="2099-01-01 10:00:00"), sale("t3")),
         accepted=2, rejects=((3, after_window("occurred_at", "2099-01-01 10:00:00")),)),
    Case("pos", "transaction dated 1900", store(sale("t1"), sale("t2", occurred_at="1900-01-01 10:00:00"), sale("t3")),
         accepted=2, rejects=((3, before_window("occurred_at", "1900-01-01 10:00:00")),)),
    Case("pos", "amount 'x'", store(sale("t1", amount="x")), accepted=1, warnings={"amount not a number": 1}),
    Case("pos", "quoted decimal comma '12,50'", store(sale("t1", amount='"12,50"')), accepted=1,
         warnings={"amount has a decimal comma": 1}),
    Case("pos", "unquoted decimal comma 12,50", store(sale("t1", amount="12,50"), sale("t2"), sale("t3")), accepted=2,
         rejects=((2, too_many(7, 8) + SPLIT_HINT),)),
    Case("pos", "unquoted decimal comma 12,50 before an empty last column",
         store(sale("t1", amount="12,50", order_ref=""), sale("t2"), sale("t3")), accepted=2,
         rejects=((2, too_many(7, 8) + SPLIT_HINT),)),
    Case("pos", "unknown store kind", store(sale("t1", kind="refnd"), sale("t2"), sale("t3")), accepted=2,
         rejects=((2, "unknown kind 'refnd'; expected purchase, return, pickup or visit"),)),
    Case("pos", "negative amount on a purchase", store(sale("t1", amount="-12.50"), sale("t2", kind="return",
                                                                                        amount="-12.50")),
         accepted=2, warnings={"amount negative on a purchase": 1}),
    Case("pos", "blank lines", store(sale("t1"), "", sale("t2"), sale("t3")), accepted=3, rejects=((3, EMPTY),)),
    Case("pos", "identifier-only garbage rows", store(sale("t1"), "LY-77", ",,LY-77,,,,", sale("t2"), sale("t3")),
         accepted=3, rejects=((3, too_few(7, 1)), (4, "missing transaction_id"))),
]

CRM = [
    Case("crm", "empty file", b""),
    Case("crm", "header-only file", crm()),
    Case("crm", "UTF-8 BOM", bom(crm(person("C1"))), accepted=1),
    Case("crm", "CRLF line ends", crlf(crm(person("C1"), person("C2"))), accepted=2),
    Case("crm", "extra column", lines(header(PERSON, add="tier"), person("C1") + ",3"), accepted=1),
    Case("crm", "missing optional columns", lines("customer_ref,email", f"C1,{EMAIL}"), accepted=1),
    Case("crm", "no identifier column", lines("segment,country", "gold,GB"),
         quarantined="no identifier column, so its rows link nothing; expected at least one of customer_ref, "
                     "loyalty_id, email, phone; the header has segment, country"),
    Case("crm", "duplicate rows, same content", crm(person("C1"), person("C1")), accepted=2, conflicts={}),
    Case("crm", "conflicting duplicate row", crm(person("C1"), person("C1", segment="silver")), accepted=2,
         conflicts={"segment": 1}),
    Case("crm", "non-UTF-8 byte in a data row", crm(person("C1"), latin1(person("C2", segment="élite")), person("C3")),
         accepted=2, rejects=((3, NOT_UTF8),)),
    Case("crm", "PNG renamed .csv", PNG, quarantined=BINARY_CSV),
    Case("crm", "unterminated quote on the last line", crm(person("C1"), person("C2"), person("C3", country='"gb')),
         accepted=2, rejects=((4, OPEN_QUOTE),)),
    Case("crm", "signup dated 2099", crm(person("C1", signup_date="2099-01-01")), accepted=1,
         warnings={"signup_date after the plausible window": 1}),
    Case("crm", "signup dated 1900 (plausible)", crm(person("C1", signup_date="1900-01-01")), accepted=1),
    Case("crm", "email and phone that are not ones", crm(person("C1", email="jane at example", phone="12")), accepted=1,
         warnings={"email not an email address": 1, "phone not a phone number (8-15 digits)": 1}),
    Case("crm", "unquoted delimiter in a value", crm(person("C1", segment="gold,plus"), person("C2"), person("C3")),
         accepted=2, rejects=((2, too_many(7, 8) + " (an unquoted delimiter inside a value splits it)"),)),
    Case("crm", "blank lines", crm(person("C1"), "", person("C2"), person("C3")), accepted=3, rejects=((3, EMPTY),)),
    Case("crm", "identifier-only garbage rows", crm(person("C1"), EMAIL, ",,,,gold,,", person("C2"), person("C3")),
         accepted=3, rejects=((3, too_few(7, 1)), (4, "no identifier (customer_ref, email, phone or loyalty_id)"))),
]

MAPPED = [
    Case("mapped", "empty file", b""),
    Case("mapped", "header-only file", kiosk()),
    Case("mapped", "UTF-8 BOM", bom(kiosk(visit("e1"))), accepted=1),
    Case("mapped", "CRLF line ends", crlf(kiosk(visit("e1"), visit("e2"))), accepted=2),
    Case("mapped", "extra column (an attribute)", lines(header(VISIT, add="lane"), visit("e1") + ",4"), accepted=1),
    Case("mapped", "missing unmapped column", lines(header(VISIT, drop=("terminal",)), visit("e1", drop=("terminal",))),
         accepted=1),
    Case("mapped", "missing mapped column (score)", lines(header(VISIT, drop=("score",)), visit("e1", drop=("score",))),
         quarantined="missing column(s) score; expected the columns named in sources.kiosk.columns; the header has "
                     "id, ts, te, what, device, mail, amount, terminal"),
    Case("mapped", "duplicate rows, same id same content", kiosk(visit("e1"), visit("e1"), visit("e2")), accepted=2,
         rejects=((3, "duplicate of a.csv:2 (same event_id, same content)"),)),
    Case("mapped", "duplicate rows, same id different content", kiosk(visit("e1"), visit("e1", what="Kiosk Logout"),
                                                                     visit("e2")),
         accepted=2, rejects=((3, "event_id 'e1' already used at a.csv:2 with different content"),)),
    Case("mapped", "non-UTF-8 byte in a data row", kiosk(visit("e1"), latin1(visit("e2", what="Café")), visit("e3")),
         accepted=2, rejects=((3, NOT_UTF8),)),
    Case("mapped", "PNG renamed .csv", PNG, quarantined=BINARY_CSV),
    Case("mapped", "unterminated quote on the last line", kiosk(visit("e1"), visit("e2"), visit("e3", terminal='"T9')),
         accepted=2, rejects=((4, OPEN_QUOTE),)),
    Case("mapped", "event dated 2099", kiosk(visit("e1"), visit("e2", ts="2099-01-01T10:00:00Z", te=""), visit("e3")),
         accepted=2, rejects=((3, after_window("time", "2099-01-01 10:00:00")),)),
    Case("mapped", "event dated 1900", kiosk(visit("e1"), visit("e2", ts="1900-01-01T10:00:00Z", te=""), visit("e3")),
         accepted=2, rejects=((3, before_window("time", "1900-01-01 10:00:00")),)),
    Case("mapped", "ended_at before the time", kiosk(visit("e1"), visit("e2", te="2026-02-01T09:00:00Z"), visit("e3")),
         accepted=2, rejects=((3, "ended_at before the time"),)),
    Case("mapped", "CSAT 'abc' (an attribute)", lines(header(VISIT, add="csat"), visit("e1") + ",abc"), accepted=1,
         warnings={"csat not a number": 1}),
    Case("mapped", "sentiment 'very bad'", kiosk(visit("e1", score="very bad")), accepted=1,
         warnings={"sentiment not a number": 1}),
    Case("mapped", "value 'x'", kiosk(visit("e1", amount="x")), accepted=1, warnings={"value not a number": 1}),
    Case("mapped", "unquoted decimal comma 12,50", kiosk(visit("e1", amount="12,50"), visit("e2"), visit("e3")),
         accepted=2, rejects=((2, too_many(9, 10) + SPLIT_HINT),)),
    Case("mapped", "blank lines", kiosk(visit("e1"), "", visit("e2"), visit("e3")), accepted=3, rejects=((3, EMPTY),)),
    Case("mapped", "identifier-only garbage rows", kiosk(visit("e1"), EMAIL, "," * 5 + EMAIL + ",,,", visit("e2"),
                                                         visit("e3")),
         accepted=3, rejects=((3, too_few(9, 1)), (4, "unparseable time (missing); expected ISO-8601"))),
    Case("mapped", "more unreadable files than allowed", PNG, quarantined=BINARY_CSV,
         settings={"max_quarantined_files": 0},
         stops=stop("kiosk", f"1 file(s) could not be read (at most 0 allowed): a.csv: {BINARY_CSV}")),
]

CASES = SEGMENT + CONTACTS + POS + CRM + MAPPED
