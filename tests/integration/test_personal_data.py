"""No personal data in any output (issue 11, item 5): emails and phone numbers put into the
free text of every source kind (Segment properties, page and event names, timestamps; call
reason, queue and start time; store kind, store id and time; CRM segment and country; a
mapped source's activity and attribute columns) and into identifier fields reach no file of
the published run, no log line and no line of the run's summary, in any form (as given,
lower-cased, as digits); neither does the identity salt, nor the identifiers of the sample
itself. What the injected rows carried arrives masked (`<email>`, `<phone>`), and the reject
reasons of the rows that could not be staged say what was wrong without the value.

One run of `journeymine run --no-prefect` (the CLI, in this process) on a copy of data/sample
with a few files added beside it, with the XES and OCEL exports on."""

from __future__ import annotations

import contextlib
import csv
import gzip
import html
import io
import json
import logging
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from journeymine import cli

from .conftest import REPO, SAMPLE_CONFIG

pytestmark = pytest.mark.integration

EMAIL = "jane.doe@example.com"
EMAIL_ENCODED = "jane%40example.com"
PHONES = ("+44 7700 900123", "07724657462", "(839) 663-6248")
SALT = "pii-check-salt-5e1d9c7a"
N_PEOPLE = 30  # enough journeys for a finding (friction.min_journeys) and a variant in the process model
SAMPLE_IDENTIFIERS = 100  # CRM rows of the sample whose email and phone are looked for too
QUARANTINED = "calls-pii-header.csv"

CONTACTS = ["contact_id", "caller_phone", "customer_ref", "started_at", "answered_at", "ended_at", "queue", "reason",
            "outcome", "csat", "sentiment"]
POS = ["transaction_id", "store_id", "loyalty_id", "occurred_at", "kind", "amount", "order_ref"]
CRM = ["customer_ref", "email", "phone", "loyalty_id", "segment", "signup_date", "country"]
ORDERS = ["order_id", "created_at", "status", "total", "customer_no", "email", "note", "gift_message"]
ORDERS_SOURCE = {
    "preset": "mapped", "format": "csv", "channel": "web", "time_zone": "UTC",
    "columns": {"event_id": "order_id", "occurred_at": "created_at", "activity": "status", "value": "total",
                "identifiers": {"customer_ref": "customer_no", "email": "email"}},
}


# --- the injected files ---------------------------------------------------------------------


def person(i: int) -> str:
    return f"PII{i:04d}"


def at(i: int, minutes: int) -> tuple[int, int]:
    """(hour, minute) of a person's visit on 10 Feb 2026: person i starts at 08:00 + 10 min x i."""
    total = 8 * 60 + 10 * i + minutes
    return total // 60, total % 60


def iso(i: int, minutes: int) -> str:
    hour, minute = at(i, minutes)
    return f"2026-02-10T{hour:02d}:{minute:02d}:00.000Z"


def segment_lines(channel: str) -> tuple[list[dict], dict[int, str]]:
    """Segment messages of N_PEOPLE visitors whose names, properties and context hold personal
    data, and lines whose timestamp, type or identifiers do; with what the reject reason of each
    line that cannot be staged must say (by line number): the value it echoes, masked."""
    lines: list[dict] = []
    for i in range(1, N_PEOPLE + 1):
        ids = {"anonymousId": f"{channel}-pii-anon-{i:03d}", "userId": person(i)}
        msg = f"{channel}-pii-{i:03d}"
        if i <= len(PHONES):  # identifiers: only ever stored hashed
            lines.append({"messageId": f"{msg}-0", "type": "identify", **ids, "timestamp": iso(i, 0),
                          "traits": {"email": EMAIL if i == 1 else f"jane.doe+{i}@example.com", "phone": PHONES[i - 1]}})
        if channel == "web":
            lines += [
                {"messageId": f"{msg}-1", "type": "page", **ids, "timestamp": iso(i, 1), "name": "Home",
                 "properties": {"path": "/", "email": EMAIL, "note": f"call me on {PHONES[0]}"},
                 "context": {"page": {"path": f"/account?email={EMAIL_ENCODED}"}}},
                {"messageId": f"{msg}-2", "type": "page", **ids, "timestamp": iso(i, 2), "name": f"Account {EMAIL}",
                 "properties": {"path": f"/account/{EMAIL}", EMAIL: True}},
                {"messageId": f"{msg}-3", "type": "track", **ids, "timestamp": iso(i, 3),
                 "event": f"Callback requested {PHONES[1]}",
                 "properties": {"phone": PHONES[2], "contact": {"email": EMAIL_ENCODED, "tel": f"tel:{PHONES[0]}"}}},
                # no name: the activity is the path
                {"messageId": f"{msg}-4", "type": "page", **ids, "timestamp": iso(i, 4),
                 "properties": {"path": f"/profile/{PHONES[1]}?email=jane.doe%40example.com"}},
            ]
        else:
            lines += [
                {"messageId": f"{msg}-1", "type": "screen", **ids, "timestamp": iso(i, 1),
                 "name": f"Profile {PHONES[2]}", "properties": {"contact": f"{EMAIL} / {PHONES[0]}"},
                 "context": {"app": {"version": "4.12.0"}, "device": {"type": "ios"}, "os": {"name": "iOS"}}},
                {"messageId": f"{msg}-2", "type": "track", **ids, "timestamp": iso(i, 2),
                 "event": f"Message sent to {EMAIL}", "properties": {"to": EMAIL_ENCODED}},
            ]
    expected = {}
    for n, (field, value, reason) in enumerate([
        ("timestamp", PHONES[1], "timestamp '<phone>'"),
        ("timestamp", EMAIL, "timestamp '<email>'"),
        ("timestamp", f"2026-02-10 {PHONES[2]}", "timestamp '2026-02-10 <phone>'"),
        ("type", EMAIL, "type '<email>'"),
    ]):
        line = {"messageId": f"{channel}-pii-reject-{n}", "type": "page", "anonymousId": f"{channel}-pii-anon-001",
                "timestamp": iso(1, 5), "name": "Home"}
        line[field] = value
        lines.append(line)
        expected[len(lines)] = reason
    # identifiers that cannot be used: the reason never names them
    lines.append({"messageId": f"{channel}-pii-reject-ids", "type": "track", "anonymousId": " ", "userId": "",
                  "timestamp": iso(1, 5), "event": f"Home {EMAIL}"})
    expected[len(lines)] = "no identifier"
    lines.append({"messageId": f"{channel}-pii-bad-traits", "type": "identify", "anonymousId": f"{channel}-pii-anon-002",
                  "timestamp": iso(2, 5), "traits": {"email": "jane.doe at example.com", "phone": "+44 7700"}})
    return lines, expected


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def call_rows() -> tuple[list[list[str]], dict[int, str]]:
    rows = []
    for i in range(1, N_PEOPLE + 1):
        hour, minute = at(i, 30)
        start = f"2026-02-10 {hour:02d}:{minute:02d}:00"
        end = f"2026-02-10 {hour:02d}:{minute:02d}:40"
        phone = PHONES[i - 1] if i <= len(PHONES) else ""
        rows.append([f"CT-PII-{i:03d}", phone, person(i), start, start, end, f"callback {PHONES[0]}",
                     f"callback {EMAIL}", "resolved", "", ""])
    rows.append(["CT-PII-W01", "", person(1), "2026-02-10 09:00:00", "", PHONES[1], f"queue {EMAIL}",
                 f"callback {EMAIL}", EMAIL, PHONES[1], ""])  # warnings: ended_at, outcome, csat
    expected = {
        len(rows) + 2: "started_at '<phone>'",
        len(rows) + 3: "no identifier",
    }
    rows.append(["CT-PII-R01", "", person(1), PHONES[1], "", "", "sales", "product_question", "resolved", "", ""])
    rows.append(["CT-PII-R02", EMAIL, "", "2026-02-10 09:00:00", "", "", "sales", f"about {EMAIL}", "resolved", "", ""])
    return rows, expected


def store_rows() -> tuple[list[list[str]], dict[int, str]]:
    rows = []
    for i in range(1, N_PEOPLE + 1):
        hour, minute = at(i, 45)
        rows.append([f"TX-PII-{i:03d}", f"store {EMAIL}", f"PIILOY{i:04d}", f"10/02/2026 {hour:02d}:{minute:02d}",
                     "visit", "", PHONES[1]])
    expected = {
        len(rows) + 2: "kind '<email>'",
        len(rows) + 3: "occurred_at '<phone>'",
        len(rows) + 4: "no identifier",
    }
    rows.append(["TX-PII-R01", "store-001", "PIILOY0001", "10/02/2026 12:00", EMAIL, "", ""])
    rows.append(["TX-PII-R02", "store-001", "PIILOY0001", PHONES[2], "visit", "", ""])
    rows.append(["TX-PII-R03", f"store {PHONES[0]}", " - ", "10/02/2026 12:00", "visit", "", EMAIL])
    return rows, expected


def crm_rows() -> tuple[list[list[str]], dict[int, str]]:
    rows = []
    for i in range(1, N_PEOPLE + 1):
        email = EMAIL if i == 1 else ""
        phone = PHONES[i - 1] if 2 <= i <= len(PHONES) else ""
        signup = PHONES[1] if i == 4 else "2025-12-01"
        rows.append([person(i), email, phone, f"PIILOY{i:04d}", f"vip {EMAIL}", signup, f"GB {PHONES[0]}"])
    expected = {len(rows) + 2: "no identifier"}
    rows.append(["", "jane.doe at example.com", "+44 7700", "", f"vip {EMAIL}", "", PHONES[1]])
    return rows, expected


def order_rows() -> tuple[list[list[str]], dict[int, str]]:
    rows = []
    for i in range(1, N_PEOPLE + 1):
        rows.append([f"ORD-PII-{i:03d}", iso(i, 6), f"Order note {EMAIL}", "12.50", person(i), EMAIL if i == 1 else "",
                     f"deliver to {EMAIL_ENCODED} or call {PHONES[1]}", PHONES[2]])
    expected = {
        len(rows) + 2: "time '<phone>'",
        len(rows) + 3: "no identifier",
    }
    rows.append(["ORD-PII-R01", PHONES[0], "Order note", "1", person(1), "", "", ""])
    rows.append(["ORD-PII-R02", iso(1, 7), "Order note", "1", "", "jane.doe at example.com", EMAIL, ""])
    return rows, expected


def write_inputs(data: Path) -> dict[tuple[str, str], dict[int, str]]:
    """Copy data/sample to `data` and add a file with personal data to each source, and a
    mapped source `orders`; return what the reject reasons must say, by (source, file) and line."""
    shutil.copytree(REPO / "data" / "sample", data)
    expected: dict[tuple[str, str], dict[int, str]] = {}
    for channel in ("web", "app"):
        lines, reasons = segment_lines(channel)
        name = f"{channel}-pii.jsonl.gz"
        with gzip.open(data / channel / name, "wt", encoding="utf-8") as handle:
            handle.writelines(json.dumps(line) + "\n" for line in lines)
        expected[(channel, name)] = reasons
    (data / "orders").mkdir()
    for source, folder, name, header, (rows, reasons) in (
        ("calls", "calls", "calls-pii.csv", CONTACTS, call_rows()),
        ("store", "store", "pos-pii.csv", POS, store_rows()),
        ("crm", "crm", "customers-pii.csv", CRM, crm_rows()),
        ("orders", "orders", "orders-pii.csv", ORDERS, order_rows()),
    ):
        (data / folder / name).write_text(csv_text(header, rows), encoding="utf-8")
        expected[(source, name)] = reasons
    # a line that is not UTF-8 text (the reader cannot split it) ...
    with (data / "calls" / "calls-pii.csv").open("ab") as handle:
        handle.write(f"CT-PII-R03,{PHONES[1]},,2026-02-10 09:00:00,,,sales,pay\xff {EMAIL},resolved,,\n".encode("latin-1"))
    expected[("calls", "calls-pii.csv")][len(call_rows()[0]) + 2] = "unreadable line"
    # ... and a file whose header holds personal data: set aside (QUARANTINED), the run goes on
    (data / "calls" / QUARANTINED).write_text(",".join([*CONTACTS[:4], EMAIL, PHONES[1]]) + "\nx,y,z,w,v,u\n",
                                              encoding="utf-8")
    return expected


def write_config(folder: Path, data: Path) -> Path:
    """The sample config on the copy in `data`, with the mapped source, its own salt and the
    XES and OCEL exports on."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = str(data / Path(source["path"]).relative_to("data/sample"))
    config["sources"]["orders"] = {"path": str(data / "orders" / "*.csv"), **ORDERS_SOURCE}
    config["identity"]["salt"] = SALT
    config["exports"] = {"xes": True, "ocel": True}
    config["output_dir"] = str(folder / "out")
    config["database"] = str(folder / "journeymine.duckdb")
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


# --- what must not be found -----------------------------------------------------------------


def phone_digits(phone: str) -> set[str]:
    """The digit runs a phone number may leak as: as written, without its trunk 0 or its
    country code, in E.164 (with the sample's country code 44)."""
    digits = re.sub(r"\D", "", phone)
    forms = {digits}
    if digits.startswith("0"):
        forms |= {digits[1:], "44" + digits[1:], "0044" + digits[1:]}
    if digits.startswith("44"):
        forms |= {digits[2:], "0" + digits[2:], "00" + digits}
    if len(digits) == 10 and not digits.startswith("0"):  # North American
        forms |= {"1" + digits, "001" + digits}
    return {form for form in forms if len(form) >= 8}


def sample_identifiers() -> tuple[list[str], list[str]]:
    """Emails and phone numbers of the sample's first CRM rows."""
    with (REPO / "data" / "sample" / "crm" / "customers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:SAMPLE_IDENTIFIERS]
    return [r["email"].strip() for r in rows if r["email"].strip()], [r["phone"] for r in rows if r["phone"].strip()]


class Needles:
    """What a leak would look like: texts (found in lower-cased text) and digit runs (a whole
    run of digits once spaces, brackets and dashes are taken out: not part of a longer number)."""

    def __init__(self) -> None:
        emails, phones = sample_identifiers()
        texts = {EMAIL, EMAIL_ENCODED, "jane.doe", "jane%40", "example.com", SALT, *PHONES, *emails}
        self.texts = sorted(t.lower() for t in texts)
        self.digits = sorted({d for phone in (*PHONES, *phones) for d in phone_digits(phone)})
        # RE2 (DuckDB's): one scan for all of them
        self.text_pattern = "|".join(re.escape(t) for t in self.texts)
        self.digit_pattern = r"(^|[^0-9])(" + "|".join(self.digits) + r")([^0-9]|$)"

    def found_in(self, text: str) -> list[str]:
        """The needles in `text` (in Python: for the few texts that hold one)."""
        lowered = text.lower()
        runs = set(re.findall(r"[0-9]+", squeeze(text)))
        return [t for t in self.texts if t in lowered] + sorted(runs.intersection(self.digits))


def squeeze(text: str) -> str:
    return re.sub(r"[\s()\-]", "", text)


def leaks_in_rows(con: duckdb.DuckDBPyConnection, relation: str, needles: Needles, params: dict | None = None) -> list[str]:
    """Every value of every row of `relation` (a table, a read_parquet call, a VALUES list),
    cast to text: the needles found, with the row they are in."""
    rows = con.execute(
        f"SELECT t::VARCHAR AS text FROM {relation} AS t "
        "WHERE regexp_matches(lower(t::VARCHAR), $texts) "
        "OR regexp_matches(regexp_replace(t::VARCHAR, '[\\s()\\-]', '', 'g'), $digits) LIMIT 5",
        {**(params or {}), "texts": needles.text_pattern, "digits": needles.digit_pattern},
    ).fetchall()
    return [f"{needles.found_in(text)} in {text[:300]}" for (text,) in rows]


def leaks_in_text(text: str, needles: Needles) -> list[str]:
    """The needles in a text (a file, the log), found by DuckDB first: texts are megabytes."""
    con = duckdb.connect()
    try:
        hit = con.execute(
            "SELECT regexp_matches(lower($text), $texts) "
            "OR regexp_matches(regexp_replace($text, '[\\s()\\-]', '', 'g'), $digits)",
            {"text": text, "texts": needles.text_pattern, "digits": needles.digit_pattern},
        ).fetchall()[0][0]
    finally:
        con.close()
    if not hit:
        return []
    found = needles.found_in(text)
    where = max(text.lower().find(found[0]) if found else 0, 0)
    return [f"{found}, e.g. ...{text[max(where - 80, 0):where + 120]}..."]


def file_text(path: Path) -> str:
    """A text output as a reader sees it: gunzipped, with XML / HTML entities resolved."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return html.unescape(raw.decode("utf-8"))


def leaks_in_file(path: Path, needles: Needles) -> list[str]:
    if path.suffix == ".parquet":
        con = duckdb.connect()
        try:
            return leaks_in_rows(con, "read_parquet($path)", needles, {"path": str(path)})
        finally:
            con.close()
    if path.suffix == ".duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
            return [f"table {t}: {leak}" for t in tables for leak in leaks_in_rows(con, f'"{t}"', needles)]
        finally:
            con.close()
    if path.name.endswith((".json", ".html", ".bpmn", ".pnml", ".xes.gz", ".ocel.json.gz")):
        return leaks_in_text(file_text(path), needles)
    raise AssertionError(f"{path.name}: an output of a kind this test does not read; teach it to")


def test_the_scan_finds_a_leak_in_any_form_and_any_file(tmp_path: Path) -> None:
    """The scan below would see a leak: an email in another case or URL-encoded, a phone number
    written another way, the salt, a sample identifier; in a Parquet value nested in a list, a
    table of a DuckDB file, a gzipped text file; and it leaves ids and times alone."""
    needles = Needles()
    emails, phones = sample_identifiers()
    for leak in ("Jane.Doe@Example.COM", "x?e=jane%40example.com", "+447700900123", "0044 7700 900 123",
                 "tel:07700-900123", "+1 (839) 663-6248", "077 2465 7462", SALT, emails[0].upper(),
                 phones[0].replace(" ", "")):
        assert leaks_in_text(f"before {leak} after", needles), leak
    for innocent in ("CT-00000016-001 2026-02-10 09:00:00 o-00000020-01 195.17 17724657462 77009001234",
                     "cu_08ea0fb997ee03dd-j1 <email> <phone> call: callback"):
        assert not leaks_in_text(innocent, needles), innocent
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    con.execute("CREATE TABLE t AS SELECT 1 AS n, ['a', 'call +44 7700 900123'] AS path, {'x': 'y'} AS s")
    con.execute(f"COPY t TO '{tmp_path / 'a.parquet'}' (FORMAT parquet)")
    con.close()
    (tmp_path / "a.xes.gz").write_bytes(gzip.compress(b"<string value=\"jane.doe&#64;example.com\"/>"))
    for name in ("a.duckdb", "a.parquet", "a.xes.gz"):
        assert leaks_in_file(tmp_path / name, needles), name


# --- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log record (journeymine's from INFO, any other library's from WARNING) and every
    Python warning raised in the block, formatted with its traceback if it has one."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield lines
        lines += [f"warning: {w.category.__name__}: {w.message}" for w in caught]
    finally:
        root.removeHandler(handler)


@pytest.fixture(scope="module")
def pii_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`journeymine run --no-prefect` (in this process) on the sample with the injected files;
    its exit code, stdout (the summary), stderr and log lines, and the reject reasons expected."""
    folder = tmp_path_factory.mktemp("personal_data")
    expected = write_inputs(folder / "data")
    config_path = write_config(folder, folder / "data")
    stdout, stderr = io.StringIO(), io.StringIO()
    with captured_logs() as logs, contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        exit_code = cli.main(["run", "--no-prefect", "--config", str(config_path)])
    return {"exit_code": exit_code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(), "logs": logs,
            "out": folder / "out", "expected_rejects": expected}


def output_files(out: Path) -> list[Path]:
    """Every file under the output folder (the run folders' files: the names at the top are
    links to them)."""
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.is_symlink())


INJECTED_LABELS = ("Account <email>", "Callback requested <phone>", "/profile/<phone>", "Profile <phone>",
                   "Message sent to <email>", "call: callback <email>", "Order note <email>", "vip <email>")


def test_the_run_published_with_the_injected_rows(pii_run: dict) -> None:
    """The run succeeded and the injected rows reached the outputs: masked labels in events,
    variants, the journey graph, the process model, the exports and the report; masked
    attributes in events; masked segment and country in customers; the file set aside in the
    manifest, the report and the summary."""
    assert pii_run["exit_code"] == 0, pii_run["stderr"][-3000:]
    out = pii_run["out"]
    names = {p.name for p in output_files(out)}
    assert {"journeys.xes.gz", "journeys.ocel.json.gz", "process_model.bpmn", "process_model.pnml",
            "friction_report.html", "analytics.duckdb", "run_manifest.json", "events.parquet"} <= names
    con = duckdb.connect(str(out / "analytics.duckdb"), read_only=True)
    try:
        labels = {r[0] for r in con.execute(
            "SELECT DISTINCT activity FROM events WHERE event_id LIKE '%PII%' OR event_id LIKE '%-pii-%'").fetchall()}
        assert {"Account <email>", "Callback requested <phone>", "/profile/<phone>?email=<email>", "Profile <phone>",
                "Message sent to <email>", "call: callback <email>", "store: visit", "Order note <email>"} <= labels
        attributes = " ".join(r[0] for r in con.execute(
            "SELECT attributes::VARCHAR FROM events WHERE event_id LIKE '%PII%' OR event_id LIKE '%-pii-%'").fetchall())
        assert attributes.count("<email>") >= N_PEOPLE and attributes.count("<phone>") >= N_PEOPLE, attributes[:500]
        variants = " ".join(str(r[0]) for r in con.execute("SELECT variant FROM variants").fetchall())
        assert "Account <email>" in variants and "/profile/<phone>" in variants  # a templated path too
        assert con.execute("SELECT count(*) FROM journey_graph_nodes WHERE activity = 'Account <email>'").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM customers WHERE segment = 'vip <email>' AND country = 'GB <phone>'"
                           ).fetchall()[0][0] >= N_PEOPLE - 3
    finally:
        con.close()
    folder = (out / "current").resolve()
    for name in ("process_model.bpmn", "process_model.pnml", "journeys.xes.gz", "journeys.ocel.json.gz"):
        assert "Account <email>" in file_text(folder / name), name
    report = file_text(folder / "friction_report.html")  # e.g. a finding on the injected journeys, their segment
    assert [label for label in INJECTED_LABELS if label in report], report[-2000:]
    manifest = json.loads((folder / "run_manifest.json").read_text(encoding="utf-8"))
    calls = next(source for source in manifest["inputs"] if source["source"] == "calls")
    assert [q["file"] for q in calls["quarantined"]] == [QUARANTINED]  # its reason quotes the header
    assert QUARANTINED in report and QUARANTINED in pii_run["stdout"]


def test_no_output_file_holds_personal_data_or_the_salt(pii_run: dict) -> None:
    """Every value of every Parquet file and of every table of analytics.duckdb, and the text of
    run_manifest.json, the report, the process model and the XES / OCEL exports: none holds an
    injected email or phone number (in any form), a sample identifier or the salt."""
    assert pii_run["exit_code"] == 0, pii_run["stderr"][-3000:]
    needles = Needles()
    files = output_files(pii_run["out"])
    assert len(files) >= 25, [p.name for p in files]
    con = duckdb.connect(str(pii_run["out"] / "analytics.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0] >= 20
    finally:
        con.close()
    leaks = {p.name: found for p in files if (found := leaks_in_file(p, needles))}
    assert leaks == {}


def test_no_log_line_or_summary_line_holds_personal_data_or_the_salt(pii_run: dict) -> None:
    """The log records (every logger), the warnings, what the CLI printed on stderr (the log as
    the user sees it) and the summary on stdout hold none of it either."""
    needles = Needles()
    assert len(pii_run["logs"]) >= 10 and "source orders" in "\n".join(pii_run["logs"])
    assert "journeymine run" in pii_run["stdout"] and "report:" in pii_run["stdout"]
    leaks = {where: found for where, text in (
        ("logs", "\n".join(pii_run["logs"])), ("stderr", pii_run["stderr"]), ("stdout", pii_run["stdout"]),
    ) if (found := leaks_in_text(text, needles))}
    assert leaks == {}


def test_reject_reasons_name_the_problem_never_the_value(pii_run: dict) -> None:
    """Each injected row that cannot be staged is rejected, and its reason says why without the
    value: a value it echoes (a time, a kind, a message type) masked, an identifier never named;
    the injected files have no other rejects."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT source, file_name, file_line, reason FROM read_parquet($p) WHERE file_name LIKE '%pii%'",
            {"p": str(pii_run["out"] / "rejects.parquet")},
        ).fetchall()
    finally:
        con.close()
    expected = pii_run["expected_rejects"]
    found: dict[tuple[str, str], dict[int, str]] = {key: {} for key in expected}
    for source, file_name, line, reason in rows:
        found.setdefault((source, file_name), {})[line] = reason
    assert {key: sorted(lines) for key, lines in found.items()} == {key: sorted(lines) for key, lines in expected.items()}
    wrong = {(key, line): reason for key, lines in found.items() for line, reason in lines.items()
             if expected[key][line] not in reason or leaks_in_text(reason, Needles())}
    assert wrong == {}
