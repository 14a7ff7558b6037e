"""The `sources` section: each input's glob, preset (a named default mapping) or column mapping,
its renames, value maps and attributes, how to read its times and numbers, which times are
plausible, and how much bad input a run tolerates."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from journeymine.config import checks as check
from journeymine.config.mapping import (
    ColumnMapping, coded_keys, parse_attributes, parse_mapped_columns, parse_preset_columns, parse_values,
)
from journeymine.config.presets import PRESETS, RECORD_KINDS
from journeymine.errors import ConfigError
from journeymine.schema import FORMATS, IDENTIFIER_KINDS, PRESET_CHANNELS, PRESET_FORMATS


# a time before this is implausible unless the source says otherwise (sources.<name>.not_before)
DEFAULT_NOT_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)
DECIMAL_SEPARATORS = (".", ",")
# the keys that do not decide how rows are staged (a change to them stages nothing again)
NOT_STAGING_KEYS = ("path", "max_rejected_share", "max_quarantined_files")


@dataclass(frozen=True)
class SourceConfig:
    """One input: a glob of files read with a preset (or a column mapping)."""

    name: str
    path: str
    preset: str
    format: str
    channel: str | None = None
    time_format: str | None = None
    time_zone: str = "UTC"
    delimiter: str = ","
    user_id_kind: str = "customer_ref"
    columns: ColumnMapping | None = None
    # the decimal mark of numbers in a CSV source's text columns ('12,50' with ',')
    decimal_separator: str = "."
    # the plausible window of its times: from not_before (UTC) to the load's clock + the tolerance
    not_before: datetime = DEFAULT_NOT_BEFORE
    future_tolerance_hours: float = 24.0
    # how much bad input a run accepts before it stops without publishing (journeymine.load.source)
    max_rejected_share: float = 0.5
    max_quarantined_files: int = 2
    # a preset's columns as the file names them ({started_at: call_start}); a mapped source's are in `columns`
    renames: dict[str, str] = field(default_factory=dict)
    # times written in two columns, by role: occurred_at → (date column, time column)
    times: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a column (a dotted path for JSON lines) that sets the channel of each row
    channel_from: str | None = None
    # codes of the file → the values the preset knows, by role (activity, outcome, channel)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    # more columns kept as attributes, {name: column}: funnels break down by them, drivers test them
    attributes: dict[str, str] = field(default_factory=dict)
    # the source's ids are not unique: each row's id is its file and line
    mint_ids: bool = False
    # a mapped source's rows: events, or identity records (identifier links and attributes)
    records: str = "event"

    @property
    def record_kind(self) -> str:
        """'event', 'identity' or 'message' (a Segment message: its type decides)."""
        return self.records if self.preset == "mapped" else PRESETS[self.preset].record


# SourceConfig's defaults by key: what a key left out of the config gives
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(SourceConfig) if f.default is not MISSING}


def parse_source(name: Any, spec: Any, base_dir: Path) -> SourceConfig:
    where = f"sources.{name}"
    if not isinstance(name, str) or not check.NAME.match(name):
        raise ConfigError(
            f"{where}: a source name must be lower-case letters, digits and '_', starting with a letter"
        )
    spec = check.mapping(spec, where)
    check.only(spec, where, {
        "path", "preset", "format", "channel", "time_format", "time_zone", "delimiter",
        "user_id_kind", "columns", "decimal_separator", "not_before", "future_tolerance_hours",
        "max_rejected_share", "max_quarantined_files", "channel_from", "values", "attributes", "mint_ids", "records",
    })
    preset = check.choice(spec.get("preset", "mapped"), f"{where}.preset", tuple(PRESET_FORMATS))
    fmt = check.choice(spec.get("format", PRESET_FORMATS[preset]), f"{where}.format", FORMATS)
    if preset != "mapped" and fmt != PRESET_FORMATS[preset]:
        raise ConfigError(
            f"{where}.format: preset {preset!r} reads {PRESET_FORMATS[preset]} files, found format {fmt!r}"
        )
    records = spec.get("records", _DEFAULTS["records"])
    if "records" in spec and preset != "mapped":
        raise ConfigError(f"{where}.records: only a mapped source takes 'records' (a {preset} source's rows are "
                          f"{'identity records' if preset == 'crm' else 'events'})")
    records = check.choice(records, f"{where}.records", RECORD_KINDS)
    is_identity = records == "identity" or preset == "crm"
    channel = spec.get("channel", PRESET_CHANNELS[preset])
    if channel is not None:
        channel = check.text(channel, f"{where}.channel")
        if not check.NAME.match(channel):
            raise ConfigError(f"{where}.channel: expected a lower-case name such as 'web', found {channel!r}")
    channel_from = spec.get("channel_from")
    if channel_from is not None:
        channel_from = check.text(channel_from, f"{where}.channel_from")
        if is_identity:
            raise ConfigError(f"{where}.channel_from: the rows of this source are identity records, not events; "
                              "expected no channel")
    columns = None
    renames: dict[str, str] = {}
    times: dict[str, tuple[str, str]] = {}
    if preset == "mapped":
        columns, times = parse_mapped_columns(check.required(spec, "columns", where), f"{where}.columns", records)
        if columns.channel is not None and channel_from is not None:
            raise ConfigError(f"{where}.channel_from: the channel column is already columns.channel; give it once")
        if channel is None and columns.channel is None and channel_from is None and not is_identity:
            raise ConfigError(f"{where}: a mapped source needs 'channel' or a 'columns.channel' column")
    elif "columns" in spec:
        renames, times = parse_preset_columns(spec["columns"], f"{where}.columns", PRESETS[preset])
    if preset == "segment" and channel is None:
        raise ConfigError(f"{where}.channel: a segment source needs its channel, e.g. 'web' or 'app'")
    has_channel_column = channel_from is not None or (columns is not None and columns.channel is not None)
    values = parse_values(spec.get("values", {}), f"{where}.values", PRESETS[preset],
                          coded_keys(PRESETS[preset], has_channel_column))
    attributes = parse_attributes(spec.get("attributes", []), f"{where}.attributes",
                                  tuple(PRESETS[preset].attributes))
    mint_ids = check.boolean(spec.get("mint_ids", _DEFAULTS["mint_ids"]), f"{where}.mint_ids")
    if mint_ids and is_identity:
        raise ConfigError(f"{where}.mint_ids: the rows of this source are identity records, which need no ids")

    time_format = spec.get("time_format")
    if time_format is not None:
        time_format = check.text(time_format, f"{where}.time_format")
        if time_format not in check.TIME_FORMAT_SPECIALS and "%" not in time_format:
            raise ConfigError(
                f"{where}.time_format: expected strptime codes such as '%d/%m/%Y %H:%M' or one of "
                f"{', '.join(check.TIME_FORMAT_SPECIALS)}, found {time_format!r}"
            )
    time_zone = check.text(spec.get("time_zone", _DEFAULTS["time_zone"]), f"{where}.time_zone")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}.time_zone: unknown time zone {time_zone!r}; expected an IANA name such as 'Europe/London'"
        ) from None
    delimiter = check.text(spec.get("delimiter", _DEFAULTS["delimiter"]), f"{where}.delimiter")
    if len(delimiter) != 1:
        raise ConfigError(f"{where}.delimiter: expected one character, found {delimiter!r}")
    decimal_separator = check.choice(spec.get("decimal_separator", _DEFAULTS["decimal_separator"]),
                                     f"{where}.decimal_separator", DECIMAL_SEPARATORS)
    if decimal_separator != "." and fmt != "csv":
        raise ConfigError(
            f"{where}.decimal_separator: only a CSV source takes a decimal separator (numbers in {fmt} files "
            f"are written with '.'), found {decimal_separator!r}"
        )
    return SourceConfig(
        name=name,
        path=str(check.resolve_path(check.required(spec, "path", where), f"{where}.path", base_dir)),
        preset=preset,
        format=fmt,
        channel=channel,
        time_format=time_format,
        time_zone=time_zone,
        delimiter=delimiter,
        user_id_kind=check.choice(spec.get("user_id_kind", _DEFAULTS["user_id_kind"]), f"{where}.user_id_kind",
                                  IDENTIFIER_KINDS),
        columns=columns,
        decimal_separator=decimal_separator,
        not_before=parse_not_before(spec.get("not_before", _DEFAULTS["not_before"]), f"{where}.not_before"),
        future_tolerance_hours=check.number(
            spec.get("future_tolerance_hours", _DEFAULTS["future_tolerance_hours"]), f"{where}.future_tolerance_hours",
            "a number of hours from 0 to 876000 (100 years), such as 24", minimum=0, maximum=876000,
        ),
        max_rejected_share=check.share(spec.get("max_rejected_share", _DEFAULTS["max_rejected_share"]),
                                       f"{where}.max_rejected_share", zero_ok=True),
        max_quarantined_files=check.whole(spec.get("max_quarantined_files", _DEFAULTS["max_quarantined_files"]),
                                          f"{where}.max_quarantined_files", minimum=0),
        renames=renames,
        times=times,
        channel_from=channel_from,
        values=values,
        attributes=attributes,
        mint_ids=mint_ids,
        records=records,
    )


def parse_not_before(value: Any, where: str) -> datetime:
    """The earliest plausible time, in UTC: a date (midnight UTC) or an ISO-8601 time (without
    an offset: UTC). YAML reads an unquoted 2000-01-01 as a date already."""
    found = value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ConfigError(
        f"{where}: expected a date such as 2000-01-01 or an ISO-8601 time such as 2000-01-01T00:00:00Z, "
        f"found {found!r}"
    )
