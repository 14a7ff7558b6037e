"""Export the stitched journeys for process-mining tools: XES and OCEL 2.0 JSON.

* `export_xes` writes `marts.events` as an XES 1.0 log (IEEE 1849) that Disco, ProM,
  Celonis and `pm4py.read_xes` open: one trace per journey, one event per stitched event.
* `export_ocel` writes the same events as an object-centric log (OCEL 2.0 JSON, read by
  `pm4py.read_ocel2_json` and other OCEL 2.0 tools): each event relates to its customer,
  session, journey and, when it names one, its order.

Both stream. DuckDB renders each event's XML element or JSON object (escaping included)
and hands them over in Arrow batches of `BATCH_ROWS`; Arrow joins a batch into one buffer
that goes to the file, so a log of 10M events never holds more than one batch in Python.
A file is written under a temporary name beside `path` and moved into place when complete;
a path ending in `.gz` is gzipped.

`export_run` writes both from a run's Parquet outputs: a run when `exports` asks, `journeymine
export` on demand (at millions of events they take longer than the rest of the run).

Orders: an event names an order when its `attributes` hold `order_id` (the properties of
Segment's 'Order Completed' and 'Click and Collect Order Placed') or `order_ref` (a POS row:
the web order a pickup collects or a return refunds); see docs/input-formats.md.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from journeymine.db import Warehouse
from journeymine.errors import JourneymineError

BATCH_ROWS = 50_000
GZIP_LEVEL = 6

# OCEL object types; an event's relation to each is qualified by the type's name.
OCEL_OBJECT_TYPES: tuple[str, ...] = ("customer", "session", "journey", "order")
OCEL_OBJECT_ATTRIBUTES: dict[str, tuple[str, ...]] = {"session": ("channel",), "journey": ("outcome",)}
OCEL_EVENT_ATTRIBUTES: tuple[str, ...] = ("channel", "event_id", "source")

# The order an event's attributes name, or NULL.
_ORDER_ID_SQL = "coalesce(nullif(trim(attributes->>'order_id'), ''), nullif(trim(attributes->>'order_ref'), ''))"
# Characters XML 1.0 cannot carry at all, not even as &#n; (they become U+FFFD), and the
# characters that need any escaping (those, markup, tabs and line breaks).
_XML_INVALID_CHARS = r"[\x{0}-\x{8}\x{B}\x{C}\x{E}-\x{1F}\x{FFFE}\x{FFFF}]"
_XML_SPECIAL_CHARS = r'[&<>"\x{0}-\x{1F}\x{FFFE}\x{FFFF}]'
_XML_ENTITIES: tuple[tuple[str, str], ...] = (
    ("'&'", "&amp;"), ("'<'", "&lt;"), ("'>'", "&gt;"), ("'\"'", "&quot;"),
    ("chr(9)", "&#9;"), ("chr(10)", "&#10;"), ("chr(13)", "&#13;"),
)

XES_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!-- journeymine: one trace per customer journey, one event per stitched event -->
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<string key="customer_id" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t\t<string key="lifecycle:transition" value="complete"/>
\t\t<string key="channel" value="__INVALID__"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
\t<classifier name="Touchpoint" keys="channel concept:name"/>
\t<classifier name="Event Name" keys="concept:name lifecycle:transition"/>
\t<string key="concept:name" value="journeymine journeys"/>
\t<string key="lifecycle:model" value="standard"/>
"""
XES_TRACE_CLOSE = "\t</trace>\n"
XES_FOOTER = "</log>\n"


# --- XES -----------------------------------------------------------------------------------


def export_xes(wh: Warehouse, path: Path) -> int:
    """Write `marts.events` to `path` as an XES 1.0 log (gzipped when `path` ends in `.gz`).

    In: a warehouse holding `marts.events` and `marts.journeys`. Out: the number of events
    written. Traces are journeys in order of their start (trace attributes `concept:name` =
    journey_id, `customer_id`, `outcome`). Events follow the journey's order (occurred_at,
    then event_seq: the step_number order), with `concept:name` = activity,
    `time:timestamp` (UTC, to the millisecond), `lifecycle:transition` = complete, the
    strings `channel`, `session_id`, `event_id`, `source`, and the floats `value` and
    `sentiment` where set.
    """
    require_marts(wh, ("events", "journeys"))
    with open_atomic(path) as out:
        out.write(XES_HEADER.encode())
        n_events = write_xes_traces(out, stream_batches(wh, xes_events_sql()))
        out.write(XES_FOOTER.encode())
    return n_events


def write_xes_traces(out: BinaryIO, batches: Iterator[pa.RecordBatch]) -> int:
    """Write the `<trace>` elements for batches of (journey_id, trace_open, event_xml) rows,
    grouped by journey; return the number of events written.

    A row whose journey differs from the row before (across batches too) is preceded by the
    previous trace's closing tag, unless it is the first, and by its own trace's opening."""
    previous: str | None = None
    n_events = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        journey_ids, trace_opens, events = batch.columns
        before = pa.concat_arrays([pa.array([previous], journey_ids.type), journey_ids[:-1]])
        starts = pc.fill_null(pc.not_equal(journey_ids, before), True)
        closes = pc.if_else(pc.and_(starts, pc.is_valid(before)), XES_TRACE_CLOSE, "")
        out.write(joined_utf8(pc.binary_join_element_wise(closes, pc.if_else(starts, trace_opens, ""), events, "")))
        n_events += batch.num_rows
        previous = journey_ids[-1].as_py()
    if previous is not None:
        out.write(XES_TRACE_CLOSE.encode())
    return n_events


def xes_events_sql() -> str:
    """The query giving, per event in trace order: journey_id, the XML opening its trace
    (`<trace>` and the trace attributes) and the event's `<event>` element, one line each."""
    trace_open = _sql_concat(
        "'\t<trace>\n'",
        _xes_attribute("string", "concept:name", "events.journey_id", indent=2),
        _xes_attribute("string", "customer_id", "events.customer_id", indent=2),
        _xes_attribute("string", "outcome", "journeys.outcome", indent=2),
    )
    event = _sql_concat(
        "'\t\t<event>'",
        _xes_attribute("string", "concept:name", "events.activity"),
        _xes_attribute("date", "time:timestamp", "events.occurred_at"),
        "'<string key=\"lifecycle:transition\" value=\"complete\"/>'",
        _xes_attribute("string", "channel", "events.channel"),
        _xes_attribute("string", "session_id", "events.session_id"),
        _xes_attribute("string", "event_id", "events.event_id"),
        _xes_attribute("string", "source", "events.source"),
        _xes_attribute("float", "value", "events.value"),
        _xes_attribute("float", "sentiment", "events.sentiment"),
        "'</event>\n'",
    )
    return f"""
        select events.journey_id, {trace_open} as trace_open, {event} as event_xml
        from marts.events as events
        left join marts.journeys as journeys using (journey_id)
        order by journeys.started_at, events.journey_id, events.occurred_at, events.event_seq
    """


def _xes_attribute(kind: str, key: str, column: str, indent: int = 0) -> str:
    """SQL for the XES attribute element `<kind key="key" value="..."/>` of `column`; NULL
    when the column is NULL (or, for a float, not finite). `indent` > 0 puts it on a line of its own."""
    if kind == "date":
        value = f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%g') || '+00:00'"
    elif kind == "float":
        value = f"case when isfinite({column}) then {column}::VARCHAR end"
    else:
        value = _xml_escaped(column)
    prefix, suffix = ("\t" * indent, "\n") if indent else ("", "")
    return f"('{prefix}<{kind} key=\"{key}\" value=\"' || {value} || '\"/>{suffix}')"


def _xml_escaped(column: str) -> str:
    """SQL giving the text of `column` as an XML attribute value: markup characters, tabs and
    line breaks as entities (so they survive attribute normalisation), characters XML 1.0
    cannot hold as U+FFFD. Most values need none of it: one regexp test spares the replaces."""
    text = f"regexp_replace({column}::VARCHAR, '{_XML_INVALID_CHARS}', chr(65533), 'g')"
    for char, entity in _XML_ENTITIES:
        text = f"replace({text}, {char}, '{entity}')"
    return f"case when regexp_matches({column}::VARCHAR, '{_XML_SPECIAL_CHARS}') then {text} else {column}::VARCHAR end"


def _sql_concat(*parts: str) -> str:
    """SQL concatenating `parts`, a NULL part counting as empty."""
    return "concat(" + ", ".join(parts) + ")"


# --- OCEL 2.0 ------------------------------------------------------------------------------


def export_ocel(wh: Warehouse, path: Path) -> dict[str, int]:
    """Write `marts.events` to `path` as an OCEL 2.0 JSON log (gzipped when `path` ends in `.gz`).

    In: a warehouse holding `marts.events` and `marts.journeys`. Objects (ids as in the
    marts): customers; sessions (attribute `channel`, related to their customer); journeys
    (attribute `outcome`, related to their customer); orders (the `order_id` or `order_ref`
    an event's attributes name). Event types are the activities. Each event, with id
    `<source>:<event_id>` (unique: event ids are unique per source) and attributes
    `channel`, `event_id`, `source`, relates to its customer, session, journey and order,
    qualified 'customer', 'session', 'journey', 'order'.
    Out: counts {"events", "objects", "customers", "sessions", "journeys", "orders",
    "relationships"} (relationships: event-to-object).
    """
    require_marts(wh, ("events", "journeys"))
    activities = [row[0] for row in wh.rows("SELECT DISTINCT activity FROM marts.events ORDER BY activity")]
    with open_atomic(path) as out:
        out.write(f'{{\n"objectTypes": {ocel_object_types_json()},\n"eventTypes": '.encode())
        out.write(f'{ocel_event_types_json(activities)},\n"objects": ['.encode())
        n_objects = write_json_items(out, stream_batches(wh, ocel_objects_sql()))
        out.write(b'\n],\n"events": [')
        n_events = write_json_items(out, stream_batches(wh, ocel_events_sql()))
        out.write(b"\n]\n}\n")
    counts = {"events": n_events.get("event", 0), "objects": sum(n_objects.values())}
    counts |= {f"{t}s": n_objects.get(t, 0) for t in OCEL_OBJECT_TYPES}
    counts["relationships"] = int(wh.scalar(
        f"SELECT count(customer_id) + count(session_id) + count(journey_id) + count({_ORDER_ID_SQL}) FROM marts.events"
    ))
    return counts


def ocel_object_types_json() -> str:
    """The `objectTypes` array: each object type with its (string) attributes."""
    return json.dumps([
        {"name": t, "attributes": [{"name": a, "type": "string"} for a in OCEL_OBJECT_ATTRIBUTES.get(t, ())]}
        for t in OCEL_OBJECT_TYPES
    ])


def ocel_event_types_json(activities: list[str]) -> str:
    """The `eventTypes` array: one type per activity, each with the string attributes
    channel, event_id and source."""
    attributes = [{"name": a, "type": "string"} for a in OCEL_EVENT_ATTRIBUTES]
    return json.dumps([{"name": a, "attributes": attributes} for a in activities], ensure_ascii=False)


def write_json_items(out: BinaryIO, batches: Iterator[pa.RecordBatch]) -> dict[str, int]:
    """Write batches of (kind, json_text) rows as the items of a JSON array (the brackets
    are the caller's); return how many items of each kind were written."""
    counts: dict[str, int] = {}
    separator = b"\n"
    for batch in batches:
        if batch.num_rows == 0:
            continue
        kinds, items = batch.columns
        for entry in kinds.value_counts().to_pylist():
            counts[entry["values"]] = counts.get(entry["values"], 0) + entry["counts"]
        out.write(separator)
        out.write(joined_utf8(items, ",\n"))
        separator = b",\n"
    return counts


def ocel_objects_sql() -> str:
    """The query giving one (object type, OCEL object JSON) row per customer, session,
    journey and order that an event of `marts.events` names, ordered by type and id."""
    return f"""
        with events as (
            select customer_id, session_id, journey_id, channel, {_ORDER_ID_SQL} as order_id
            from marts.events
        ),

        objects as (
            select 1 as type_rank, 'customer' as type, customer_id as id,
                []::JSON[] as attributes, []::JSON[] as relationships
            from events where customer_id is not null group by customer_id
            union all
            select 2, 'session', session_id,
                [{_ocel_static_attribute('channel', 'min(channel)')}],
                [{_ocel_relationship('min(customer_id)', 'customer')}]
            from events where session_id is not null group by session_id
            union all
            select 3, 'journey', journey_id,
                [{_ocel_static_attribute('outcome', 'min(journeys.outcome)')}],
                [{_ocel_relationship('min(events.customer_id)', 'customer')}]
            from events left join marts.journeys as journeys using (journey_id)
            where journey_id is not null group by journey_id
            union all
            select 4, 'order', order_id, []::JSON[], []::JSON[]
            from events where order_id is not null group by order_id
        )

        select type, json_object(
            'id', id,
            'type', type,
            'attributes', list_filter(attributes, lambda a: a is not null),
            'relationships', list_filter(relationships, lambda r: r is not null)
        )::VARCHAR as item
        from objects
        order by type_rank, id
    """


def ocel_events_sql() -> str:
    """The query giving one ('event', OCEL event JSON) row per event of `marts.events`, in the
    total event order (event_seq)."""
    attributes = ", ".join(_ocel_event_attribute(a, a) for a in OCEL_EVENT_ATTRIBUTES)
    relationships = ", ".join(
        _ocel_relationship(column, qualifier)
        for column, qualifier in (("customer_id", "customer"), ("session_id", "session"),
                                  ("journey_id", "journey"), (_ORDER_ID_SQL, "order"))
    )
    return f"""
        select 'event' as kind, json_object(
            'id', source || ':' || event_id,
            'type', activity,
            'time', strftime(timezone('UTC', occurred_at), '%Y-%m-%dT%H:%M:%S.%g') || 'Z',
            'attributes', list_filter([{attributes}], lambda a: a is not null),
            'relationships', list_filter([{relationships}], lambda r: r is not null)
        )::VARCHAR as item
        from marts.events
        order by event_seq
    """


def _ocel_event_attribute(name: str, value: str) -> str:
    """SQL for the event attribute {"name", "value"}; NULL when the value is NULL."""
    return f"case when ({value}) is not null then json_object('name', '{name}', 'value', {value}) end"


def _ocel_static_attribute(name: str, value: str) -> str:
    """SQL for an object attribute that never changes (OCEL's epoch time); NULL when the value is NULL."""
    return (f"case when ({value}) is not null then "
            f"json_object('name', '{name}', 'time', '1970-01-01T00:00:00Z', 'value', {value}) end")


def _ocel_relationship(object_id: str, qualifier: str) -> str:
    """SQL for the relationship {"objectId", "qualifier"}; NULL when the object id is NULL."""
    return f"case when ({object_id}) is not null then json_object('objectId', {object_id}, 'qualifier', '{qualifier}') end"


# --- files and batches ---------------------------------------------------------------------


XES_FILE, OCEL_FILE = "journeys.xes.gz", "journeys.ocel.json.gz"


def export_run(output_dir: Path, *, xes: bool = True, ocel: bool = True) -> dict[str, int]:
    """Write journeys.xes.gz and/or journeys.ocel.json.gz in `output_dir` from the run's
    events.parquet and journeys.parquet; return what was written (events, objects)."""
    missing = [name for name in ("events", "journeys") if not (output_dir / f"{name}.parquet").is_file()]
    if missing:
        raise JourneymineError(
            f"cannot export: {', '.join(m + '.parquet' for m in missing)} not found in {output_dir}; "
            "expected the output folder of a finished `journeymine run`"
        )
    counts: dict[str, int] = {}
    with Warehouse(":memory:") as wh:
        for name in ("events", "journeys"):
            parquet = str((output_dir / f"{name}.parquet").resolve()).replace("'", "''")
            wh.execute(f"CREATE VIEW marts.{name} AS SELECT * FROM read_parquet('{parquet}')")
        if xes:
            counts["xes_events"] = export_xes(wh, output_dir / XES_FILE)
        if ocel:
            written = export_ocel(wh, output_dir / OCEL_FILE)
            counts |= {"ocel_events": written["events"], "ocel_objects": written["objects"]}
    return counts


def require_marts(wh: Warehouse, tables: tuple[str, ...]) -> None:
    """Raise JourneymineError unless every `marts.<table>` exists in `wh`."""
    missing = [t for t in tables if not wh.table_exists("marts", t)]
    if missing:
        raise JourneymineError(
            f"cannot export: {', '.join('marts.' + t for t in missing)} not found in "
            f"{wh.path or 'the in-memory warehouse'}; expected a warehouse the pipeline has run on"
        )


def stream_batches(wh: Warehouse, sql: str) -> Iterator[pa.RecordBatch]:
    """The rows of `sql` as Arrow record batches of at most BATCH_ROWS rows, read on a
    cursor of their own so the warehouse's connection stays free for other statements."""
    cursor = wh.con.cursor()
    try:
        # `sql(...).to_arrow_reader` streams; `execute(...).to_arrow_reader` collects every row first.
        yield from cursor.sql(sql).to_arrow_reader(BATCH_ROWS)
    finally:
        cursor.close()


def joined_utf8(strings: pa.Array, separator: str = "") -> pa.Buffer:
    """The UTF-8 bytes of a string array's values joined by `separator`, built by Arrow
    without a Python string per value."""
    if not pa.types.is_string(strings.type):
        strings = strings.cast(pa.string())
    one_list = pa.ListArray.from_arrays(pa.array([0, len(strings)], pa.int32()), strings)
    return pc.binary_join(one_list, separator)[0].as_buffer()


@contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` only once the block completes: written to a
    temporary file beside it, then moved over it (on an error, the temporary file is removed
    and `path` left as it was). Gzipped, with no time stamp, when `path` ends in `.gz`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    raw = open(temp, "xb")  # noqa: SIM115  # closed below, on success or failure
    try:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(filename=path.name, mode="wb", compresslevel=GZIP_LEVEL, fileobj=raw, mtime=0) as zipped:
                yield zipped  # type: ignore[misc]
        else:
            yield raw
        raw.close()
        os.replace(temp, path)
    except BaseException:
        raw.close()
        temp.unlink(missing_ok=True)
        raise
