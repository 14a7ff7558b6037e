"""Formatting and writing: people → rows of one chunk → weekly files.

Generation runs in chunks of people (in worker processes when there are several CPUs).
`ChunkWriter` turns the records of one chunk into finished bytes per output file — a
complete gzip member for the JSON-lines files (a gzip file may hold several members one
after another; gzip, zcat, Python, pandas and DuckDB all read them as one stream), CSV
text for the rest. `SampleFiles` appends each chunk's bytes to the files in chunk order,
so the result does not depend on how many processes made it.

Ids are made from the person's number and a per-person counter (`web-00001234-0007`),
so they are unique without any state shared between chunks.

`ChunkWriter` also plants the deliberately bad rows (truncated JSON, a duplicate line, a
reused messageId, unparseable call times, calls without any identifier, a store line with
a wrong number of columns) on the first harmless rows of the chunks they are assigned to.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .clock import DAY_MS, London
from .records import Call, Record, StoreRow

CONTACTS_HEADER = ("contact_id", "caller_phone", "customer_ref", "started_at", "answered_at",
                   "ended_at", "queue", "reason", "outcome", "csat", "sentiment")
POS_HEADER = ("transaction_id", "store_id", "loyalty_id", "occurred_at", "kind", "amount", "order_ref")
CRM_HEADER = ("customer_ref", "email", "phone", "loyalty_id", "segment", "signup_date", "country")
SOURCES = ("web", "app", "calls", "store", "crm")
# Level 1 compresses about three times faster than the default 6 for files about 30 % larger;
# at tens of millions of lines compression would otherwise be a third of the run time.
GZIP_LEVEL = 1
_COUNTS = tuple("%04d" % n for n in range(10_000))  # zero-padded, without per-call formatting

# (fraction of the run, folder, defect): each defect is planted in the chunk holding that
# fraction of the people, on the first harmless row of that folder in the chunk.
PLANTED_DEFECTS: tuple[tuple[float, str, str], ...] = (
    (0.21, "web", "truncated_json"),
    (0.47, "web", "reused_message_id"),
    (0.73, "web", "truncated_json"),
    (0.39, "app", "duplicate_line"),
    (0.18, "calls", "bad_started_at:31/02/2026 25:61"),
    (0.52, "calls", "bad_started_at:n/a"),
    (0.86, "calls", "bad_started_at:2026-02-30 10:00:00"),
    (0.33, "calls", "no_identifier:"),
    (0.66, "calls", "no_identifier:withheld"),
    (0.58, "store", "wrong_column_count"),
)


def relative_path(folder: str, week: str) -> str:
    """The file of `folder` for an ISO week, e.g. `web/web-2026-W06.jsonl.gz`."""
    if folder in ("web", "app"):
        return f"{folder}/{folder}-{week}.jsonl.gz"
    if folder == "calls":
        return f"calls/calls-{week}.csv"
    return f"store/pos-{week}.csv"


@dataclass
class ChunkOutput:
    """Everything one chunk adds: bytes per relative file path, and counts."""

    data: dict[str, bytes] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    n_events: int = 0
    planted: dict[str, int] = field(default_factory=dict)
    people: int = 0


class ChunkWriter:
    """Collects the formatted rows of one chunk of people; `finish()` returns their bytes."""

    def __init__(self, clock: London, defects: list[tuple[str, str]]) -> None:
        self.clock = clock
        self.out = ChunkOutput()
        self._lines: dict[str, list[str]] = {}  # file path -> lines
        self._day_lines: dict[tuple[str, int], list[str]] = {}  # (folder, UTC day) -> lines of its file
        self._csv: dict[str, tuple[io.StringIO, Any]] = {}  # path -> (text, csv writer)
        self._defects = {folder: [d for f, d in defects if f == folder] for folder in ("web", "app", "calls", "store")}
        self._person = ""
        self._counters: dict[str, int] = {}

    def _csv_rows(self, path: str) -> Any:
        entry = self._csv.get(path)
        if entry is None:
            text = io.StringIO()
            entry = self._csv[path] = (text, csv.writer(text, lineterminator="\n"))
        return entry[1]

    def _next_id(self, folder: str) -> int:
        self._counters[folder] = count = self._counters.get(folder, 0) + 1
        return count

    def _take_defect(self, folder: str) -> str | None:
        pending = self._defects[folder]
        if not pending:
            return None
        defect = pending.pop(0)
        name = defect.partition(":")[0]
        self.out.planted[name] = self.out.planted.get(name, 0) + 1
        return defect

    def write(self, index: int, records: list[Record], crm_row: tuple[str, ...] | None) -> None:
        """Add one person's records (sorted by time) and their CRM row, if they have an account."""
        self._person = f"{index:08d}"
        self._counters.clear()
        self.out.people += 1
        for at_ms, folder, payload, harmless in records:
            if folder == "calls":
                self._write_call(at_ms, payload, harmless)
            elif folder == "store":
                self._write_store(at_ms, payload, harmless)
            else:
                self._write_message(at_ms, folder, payload, harmless)
        if crm_row is not None:
            self._csv_rows("crm/customers.csv").writerow(crm_row)
            self.out.rows["crm"] += 1

    def _write_message(self, at_ms: int, folder: str, body: str, harmless: bool) -> None:
        """A Segment line: `{"messageId":"web-00001234-0001` + the body the visit formatted."""
        self._counters[folder] = count = self._counters.get(folder, 0) + 1
        line = f'{{"messageId":"{folder}-{self._person}-{_COUNTS[count] if count < 10_000 else count}{body}'
        key = (folder, at_ms // DAY_MS)
        lines = self._day_lines.get(key)
        if lines is None:
            path = relative_path(folder, self.clock.week_of(at_ms, local=False))
            lines = self._day_lines[key] = self._lines.setdefault(path, [])
        out = self.out
        out.rows[folder] += 1
        if harmless:
            defect = self._take_defect(folder)
            if defect is not None:
                self._plant_message(defect, at_ms, folder, line, lines)
                return
        out.n_events += '"type":"identify"' not in line
        lines.append(line)

    def _plant_message(self, defect: str, at_ms: int, folder: str, line: str, lines: list[str]) -> None:
        """Write a harmless Product Detail line damaged by `defect`."""
        out = self.out
        out.n_events += 1
        if defect == "truncated_json":
            lines.append(line[: len(line) * 3 // 5] + "\n")  # a write cut short: the event is lost
            return
        lines.append(line)
        if defect == "duplicate_line":
            lines.append(line)  # delivered twice (at-least-once delivery)
        else:  # reused_message_id: another message, 1.5 s later, under the same messageId
            stamp = self.clock.iso_utc(at_ms)
            lines.append(line.replace(stamp, self.clock.iso_utc(at_ms + 1_500)).replace("ref=", "ref=recommendation&was="))
        out.rows[folder] += 1
        out.n_events += 1

    def _write_call(self, at_ms: int, call: Call, harmless: bool) -> None:
        clock = self.clock
        started = clock.local_iso(at_ms)
        phone, ref = call.caller_phone, call.customer_ref
        defect = self._take_defect("calls") if harmless else None
        if defect is not None:
            name, _, value = defect.partition(":")
            if name == "bad_started_at":
                started = value
            else:
                phone, ref = value, ""
        self._csv_rows(relative_path("calls", clock.week_of(at_ms, local=True))).writerow((
            f"CT-{self._person}-{self._next_id('calls'):03d}", phone, ref, started,
            clock.local_iso(call.answered_ms) if call.answered_ms is not None else "",
            clock.local_iso(call.ended_ms), call.queue, call.reason, call.outcome, call.csat, call.sentiment,
        ))
        self.out.rows["calls"] += 1
        self.out.n_events += 1

    def _write_store(self, at_ms: int, row: StoreRow, harmless: bool) -> None:
        clock = self.clock
        path = relative_path("store", clock.week_of(at_ms, local=True))
        transaction_id = f"TX-{self._person}-{self._next_id('store'):03d}"
        occurred = clock.local_dmy(at_ms)
        if harmless and self._take_defect("store"):
            # A till that wrote the amount with a decimal comma, unquoted: one column too many.
            self._csv_rows(path)  # make sure the file's buffer exists
            amount = row.amount.replace(".", ",")
            self._csv[path][0].write(
                f"{transaction_id},{row.store_id},{row.loyalty_id},{occurred},{row.kind},{amount},{row.order_ref}\n"
            )
        else:
            self._csv_rows(path).writerow((transaction_id, row.store_id, row.loyalty_id, occurred, row.kind, row.amount, row.order_ref))
        self.out.rows["store"] += 1
        self.out.n_events += 1

    def finish(self) -> ChunkOutput:
        """The chunk's bytes: one gzip member per JSON-lines file, UTF-8 text per CSV file."""
        for path, lines in self._lines.items():
            self.out.data[path] = gzip.compress("".join(lines).encode("utf-8"), GZIP_LEVEL, mtime=0)
        for path, (text, _) in self._csv.items():
            self.out.data[path] = text.getvalue().encode("utf-8")
        return self.out


class SampleFiles:
    """The output folder: opens each file on first use (CSV with its header) and appends chunks."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._open: dict[str, IO[bytes]] = {}
        for folder in SOURCES:
            (out_dir / folder).mkdir(parents=True, exist_ok=True)
        self._handle("crm/customers.csv")

    def _handle(self, path: str) -> IO[bytes]:
        handle = self._open.get(path)
        if handle is None:
            handle = self._open[path] = open(self.out_dir / path, "wb")
            header = {"calls": CONTACTS_HEADER, "store": POS_HEADER, "crm": CRM_HEADER}.get(path.split("/")[0])
            if header is not None:
                handle.write((",".join(header) + "\n").encode("utf-8"))
        return handle

    def append(self, chunk: ChunkOutput) -> None:
        """Append one chunk's bytes (chunks must come in order)."""
        for path in sorted(chunk.data):
            self._handle(path).write(chunk.data[path])

    def close(self) -> list[Path]:
        """Close every file; returns their paths, sorted."""
        for handle in self._open.values():
            handle.close()
        return sorted(self.out_dir / path for path in self._open)
