"""The role view: one file's rows with their columns in the roles the staging engine reads.

Every source is staged by one model, `sql/staged/stg_source__records.sql`. What differs between
sources is where each role comes from, and that is data: the source's preset
(`journeymine.config.presets`), renamed, composed and extended by its config. This module
turns it into `src_roles`, a view over the numbered rows of one file (`_jm_numbered`) with a
fixed set of columns, text as the file has it (NULL where the source has no such role):

    file_id, file_name, file_line, load_error, raw_record
    format_problem     why a line is no record at all (an empty line, not valid JSON)
    record_kind        'event' or 'identity'; kind_problem: why it is neither (a Segment type)
    event_id           the row's id (file:line when the source mints ids)
    time_text, answered_at_text, ended_at_text, signup_date_text
    activity_text      the activity before its prefix; activity_fallback: a page view may be
                       named by its path (attributes path / page_path)
    channel_text, outcome_text, csat_text, sentiment_text, value_text
    id_<slot>          the raw identifiers (config.presets.IDENTIFIER_SLOTS)
    named_attributes   a preset's attributes read from columns (queue, store_id, ...), a struct
    attributes_json    the attributes a record carries whole (Segment properties and context,
                       a mapped file's other columns)

with `role_params`, the labels, reasons and rules the engine binds as parameters, and
`attributes_sql`, a preset's attributes in its order over the engine's output (its named
attributes trimmed and masked, with the values the engine derives: outcome, csat, wait_seconds,
...). A CSV or Parquet column is found by name, case-insensitively; a JSON-lines field by its
dotted path.
"""

from __future__ import annotations

import json

from journeymine.config import SourceConfig
from journeymine.config.presets import IDENTIFIER_SLOTS, PRESETS, Preset, english_list
from journeymine.db import quote_ident
from journeymine.errors import SourceError
from journeymine.load.columns import column_of, find_column, header_index, role_columns

# the roles read as text from one column (or a composed date and time), by their view column
TEXT_ROLES: dict[str, str] = {
    "time_text": "occurred_at", "answered_at_text": "answered_at", "ended_at_text": "ended_at",
    "signup_date_text": "signup_date", "activity_text": "activity", "channel_text": "channel",
    "outcome_text": "outcome", "csat_text": "csat", "sentiment_text": "sentiment", "value_text": "value",
}
SEGMENT_TYPES = ("track", "page", "screen", "identify", "alias")
# the Segment message types that are events (the others link identifiers)
SEGMENT_EVENTS = ("track", "page", "screen")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Fields:
    """Where the role view finds a field: a column of the file (found case-insensitively) or a
    dotted path of a JSON-lines record (parsed once into `m`)."""

    def __init__(self, source: SourceConfig, columns: list[str]) -> None:
        self.is_json = source.format == "jsonl"
        self.index = header_index(columns, f"source {source.name!r}")
        self.paths: dict[str, str] = {}  # path → json_transform type

    def ref(self, column: str | tuple[str, ...] | None) -> str:
        if column is None:
            return "NULL::VARCHAR"
        if isinstance(column, tuple):
            if len(column) == 1:
                return self.ref(column[0])
            # a time written in two columns: '<date> <time>' (NULL when either is missing)
            return f"(trim({self.ref(column[0])}) || ' ' || trim({self.ref(column[1])}))"
        if self.is_json:
            self.paths.setdefault(column, "VARCHAR")
            return "m." + ".".join(quote_ident(part) for part in column.split("."))
        found = find_column(self.index, column)
        return quote_ident(found) if found else "NULL::VARCHAR"

    def json_ref(self, path: str) -> str:
        """A field kept as JSON (Segment properties)."""
        self.paths[path] = "JSON"
        return "m." + ".".join(quote_ident(part) for part in path.split("."))

    def transform(self) -> str:
        """The json_transform of the line into the fields read (one parse per line)."""
        tree: dict[str, object] = {}
        for path, kind in sorted(self.paths.items()):
            node = tree
            parts = path.split(".")
            for part in parts[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise SourceError(f"the JSON field {path!r} lies inside {part!r}, which is read whole")
                node = child
            if isinstance(node.get(parts[-1]), dict):
                raise SourceError(f"the JSON field {path!r} is read whole and holds other fields read")
            node[parts[-1]] = kind
        return f"try(json_transform(raw_line, {_literal(json.dumps(tree, separators=(',', ':')))}))"


def role_view(source: SourceConfig, columns: list[str], file_id: int, file_name: str) -> str:
    """The SELECT of `src_roles` over `_jm_numbered` for one file of the source."""
    preset = PRESETS[source.preset]
    fields = _Fields(source, columns)
    roles = role_columns(source)
    head = f"{int(file_id)} AS file_id, {_literal(file_name)} AS file_name, file_line, load_error"
    minted = f"{_literal(file_name)} || ':' || file_line"
    if source.preset == "segment":
        return _segment_view(source, preset, fields, roles, head, minted)
    data = [c for c in columns if c not in ("file_line", "raw_line", "load_error")]
    select = {
        "raw_record": ("raw_line" if fields.is_json else
                       "coalesce(raw_line, to_json(struct_pack("
                       + (", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in data) or "x := NULL")
                       + "))::VARCHAR)"),
        "format_problem": (_json_problem() if fields.is_json else "NULL::VARCHAR"),
        "record_kind": _literal(source.record_kind),
        "kind_problem": "NULL::VARCHAR",
    }
    if source.mint_ids or (source.preset == "mapped" and "event_id" not in roles):
        select["event_id"] = minted
    elif source.preset == "mapped":
        select["event_id"] = f"coalesce(nullif(trim({fields.ref(roles['event_id'])}), ''), {minted})"
    else:
        select["event_id"] = f"nullif(trim({fields.ref(roles.get('event_id'))}), '')"
    select |= {name: fields.ref(roles.get(role)) for name, role in TEXT_ROLES.items()}
    select["activity_fallback"] = "false"
    select |= {f"id_{slot}": fields.ref(roles.get(slot)) for slot in IDENTIFIER_SLOTS}
    if source.preset == "mapped":
        select["named_attributes"] = "NULL::VARCHAR"
        select["attributes_json"] = _carried_columns(source, fields, roles, data)
    else:
        texts = {name: fields.ref((column_of(source, column),)) for name, column in preset.attributes.items() if column}
        texts |= {name: fields.ref((column,)) for name, column in source.attributes.items()}
        select["named_attributes"] = "struct_pack(" + ", ".join(
            f"{quote_ident(name)} := {f'upper({ref})' if name in preset.upper_attributes else ref}"
            for name, ref in texts.items()
        ) + ")" if texts else "NULL::VARCHAR"
        select["attributes_json"] = "NULL::JSON"
    body = ", ".join(f"{expression} AS {quote_ident(name)}" for name, expression in select.items())
    numbered = f"(SELECT *, {fields.transform()} AS m FROM _jm_numbered)" if fields.is_json else "_jm_numbered"
    return f"SELECT {head}, {body} FROM {numbered}"


def _json_problem() -> str:
    return ("CASE WHEN raw_line IS NULL OR trim(raw_line) = '' THEN 'empty line' "
            "WHEN m IS NULL THEN 'not valid JSON' END")


def _carried_columns(source: SourceConfig, fields: _Fields, roles: dict[str, tuple[str, ...]],
                     data: list[str]) -> str:
    """A mapped source's attributes: its other columns (attributes renamed as the config says),
    or for JSON lines the attributes it names."""
    renamed = {f"attribute:{name}": name for name in ("os_name", "device_type", *source.attributes)}
    named = {key.split(":", 1)[1]: columns for key, columns in roles.items() if key in renamed}
    if fields.is_json:
        pairs = [(name, fields.ref(columns)) for name, columns in named.items()]
        return ("json_object(" + ", ".join(f"{_literal(n)}, {r}" for n, r in pairs) + ")") if pairs else "'{}'::JSON"
    new_name = {}
    for name, (column,) in named.items():
        found = find_column(fields.index, column)
        if found:
            new_name[found] = name
    used = {find_column(fields.index, c) for key, columns in roles.items() if key not in renamed for c in columns}
    kept = [(new_name.get(c, c), c) for c in data if c not in used]
    names = [name.casefold() for name, _ in kept]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise SourceError(f"source {source.name!r}: two columns would both be the attribute {twice!r}; "
                          f"rename one in sources.{source.name}.attributes")
    if not kept:
        return "'{}'::JSON"
    return "to_json(struct_pack(" + ", ".join(f"{quote_ident(n)} := {quote_ident(c)}" for n, c in kept) + "))"


def _segment_view(source: SourceConfig, preset: Preset, fields: _Fields, roles: dict[str, tuple[str, ...]],
                  head: str, minted: str) -> str:
    """A Segment message: its type decides whether it is an event (track, page, screen) or an
    identity record (identify, alias); a track is named by its event, a page or screen by its
    name (a page by its path when it has none); an alias links its previousId."""
    kinds = ", ".join(_literal(t) for t in SEGMENT_TYPES)
    events = ", ".join(_literal(t) for t in SEGMENT_EVENTS)
    context = {name: fields.ref(roles[f"attribute:{name}"]) for name in (*preset.attributes, *source.attributes)}
    select = {
        "raw_record": "raw_line",
        "format_problem": _json_problem(),
        "record_kind": f"CASE WHEN message_type IN ({events}) THEN 'event' ELSE 'identity' END",
        "kind_problem": (
            f"CASE WHEN message_type IS NULL THEN 'missing type' WHEN message_type NOT IN ({kinds}) "
            f"THEN 'unsupported message type ''' || jm_mask_pii(message_type) || '''; expected "
            f"{english_list(SEGMENT_TYPES).replace(chr(39), chr(39) * 2)}' END"
        ),
        "event_id": minted if source.mint_ids else fields.ref(roles["event_id"]),
        "time_text": fields.ref(roles["occurred_at"]),
        "answered_at_text": "NULL::VARCHAR",
        "ended_at_text": "NULL::VARCHAR",
        "signup_date_text": "NULL::VARCHAR",
        "activity_text": (f"CASE WHEN message_type = 'track' THEN {fields.ref(roles['event'])} "
                          f"ELSE {fields.ref(roles['name'])} END"),
        "activity_fallback": "message_type = 'page'",
        "channel_text": fields.ref(roles.get("channel")),
        "outcome_text": "NULL::VARCHAR",
        "csat_text": "NULL::VARCHAR",
        "sentiment_text": "NULL::VARCHAR",
        "value_text": "NULL::VARCHAR",
    }
    for slot in IDENTIFIER_SLOTS:
        ref = fields.ref(roles.get(slot))
        select[f"id_{slot}"] = f"CASE WHEN message_type = 'alias' THEN {ref} END" if slot == "previous" else ref
    select["named_attributes"] = "NULL::VARCHAR"
    # the properties and the context fields kept, as one JSON (a context field replaces a
    # property of its name; a NULL one removes it)
    properties = fields.json_ref(column_of(source, preset.roles["properties"]))
    select["attributes_json"] = (
        f"json_merge_patch(coalesce({properties}, '{{}}'::JSON), json_object("
        + ", ".join(f"{_literal(name)}, {ref}" for name, ref in context.items()) + "))"
    )
    body = ", ".join(f"{expression} AS {quote_ident(name)}" for name, expression in select.items())
    type_ref = fields.ref(roles["type"])
    return (f"SELECT {head}, {body} FROM (SELECT *, lower({type_ref}) AS message_type FROM "
            f"(SELECT *, {fields.transform()} AS m FROM _jm_numbered))")


def role_params(source: SourceConfig) -> dict[str, object]:
    """The engine's parameters that come from the source's preset and config: how reasons name
    its columns, the values it knows, its value maps and the rules of its preset."""
    preset = PRESETS[source.preset]
    roles = role_columns(source)

    def label(role: str) -> str:
        if role in source.times:
            return " + ".join(source.times[role])
        if role in preset.labels:
            return preset.labels[role]
        column = preset.roles.get(role) or preset.identifiers.get(role)
        return column_of(source, column) if column else role

    # a CSV line split by an unquoted delimiter: in a source of events, most often a decimal comma
    numbers = source.record_kind != "identity"
    identified_by = [column_of(source, c) for c in preset.identified_by]
    texts = {
        "id": label("event_id"),
        "time": label("occurred_at"),
        "answered": label("answered_at"),
        "ended": label("ended_at"),
        "ended_before": f"{label('ended_at')} before "
                        + ("the time" if source.preset == "mapped" else label("occurred_at")),
        "signup": label("signup_date"),
        "activity": label("activity"),
        "activities": english_list(preset.activities) if preset.activities else "",
        "outcome": label("outcome"),
        "outcomes": ", ".join(preset.outcomes),
        "csat": label("csat"),
        "sentiment": label("sentiment"),
        "value": label("value"),
        "email": label("email"),
        "phone": label("phone"),
        "channel": label("channel"),
        "no_identifier": f"no identifier ({english_list(identified_by)})" if identified_by else "no identifier",
        "split_hint": " (an unquoted delimiter inside a value"
                      + (", such as a decimal comma," if numbers else "") + " splits it)",
    }
    return {
        "texts": texts,
        "requires_id": source.preset != "mapped" and not source.mint_ids and "event_id" in preset.roles,
        "has_time": "occurred_at" in roles,
        "lower_activity": preset.lower_activity,
        "activity_prefix": preset.activity_prefix,
        "known_activities": list(preset.activities),
        "known_outcomes": list(preset.outcomes),
        "has_negative_rule": preset.negative_value_on is not None,
        "negative_value_on": list(preset.negative_value_on or ()),
        "value_from_attributes": source.preset == "segment",
        "activity_codes": _codes(source, "activity"),
        "outcome_codes": _codes(source, "outcome"),
        "channel_codes": _codes(source, "channel"),
    }


def _codes(source: SourceConfig, role: str) -> list[dict[str, str]]:
    return [{"code": code, "value": value} for code, value in source.values.get(role, {}).items()]


def attributes_sql(source: SourceConfig) -> str:
    """The event's attributes over the engine's output: a preset's attributes in its order (a
    column's text trimmed and masked, a derived value as the engine keeps it, the source's own
    attributes after them), or, for a source whose records carry their attributes (Segment, a
    mapped file), those (`attributes`)."""
    preset = PRESETS[source.preset]
    if source.preset in ("segment", "mapped"):
        return "attributes"
    names = [*preset.attributes, *source.attributes]
    text = "jm_mask_pii(nullif(trim(named_attributes.{}), ''))"
    pairs = [
        f"{_literal(name)}, " + (name if preset.attributes.get(name, "") is None else text.format(quote_ident(name)))
        for name in names
    ]
    return f"json_object({', '.join(pairs)})"
