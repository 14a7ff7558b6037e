"""The `sources` section: each input's glob, preset or column mapping, how to read its times and
numbers, which times are plausible, and how much bad input a run tolerates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from journeymine.config import checks as check
from journeymine.errors import ConfigError
from journeymine.schema import FORMATS, IDENTIFIER_KINDS, MAPPED_FIELDS, PRESET_CHANNELS, PRESET_FORMATS


@dataclass(frozen=True)
class ColumnMapping:
    """How a `mapped` source's columns become the event contract (column names of the file)."""

    occurred_at: str
    activity: str
    identifiers: dict[str, str]
    event_id: str | None = None
    ended_at: str | None = None
    channel: str | None = None
    sentiment: str | None = None
    value: str | None = None


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
        "max_rejected_share", "max_quarantined_files",
    })
    preset = check.choice(spec.get("preset", "mapped"), f"{where}.preset", tuple(PRESET_FORMATS))
    fmt = check.choice(spec.get("format", PRESET_FORMATS[preset]), f"{where}.format", FORMATS)
    if preset != "mapped" and fmt != PRESET_FORMATS[preset]:
        raise ConfigError(
            f"{where}.format: preset {preset!r} reads {PRESET_FORMATS[preset]} files, found format {fmt!r}"
        )
    channel = spec.get("channel", PRESET_CHANNELS[preset])
    if channel is not None:
        channel = check.text(channel, f"{where}.channel")
        if not check.NAME.match(channel):
            raise ConfigError(f"{where}.channel: expected a lower-case name such as 'web', found {channel!r}")
    columns = None
    if preset == "mapped":
        columns = parse_columns(check.required(spec, "columns", where), f"{where}.columns")
        if channel is None and columns.channel is None:
            raise ConfigError(f"{where}: a mapped source needs 'channel' or a 'columns.channel' column")
    elif "columns" in spec:
        raise ConfigError(f"{where}.columns: only a source with preset 'mapped' takes a column mapping")
    if preset == "segment" and channel is None:
        raise ConfigError(f"{where}.channel: a segment source needs its channel, e.g. 'web' or 'app'")

    time_format = spec.get("time_format")
    if time_format is not None:
        time_format = check.text(time_format, f"{where}.time_format")
        if time_format not in check.TIME_FORMAT_SPECIALS and "%" not in time_format:
            raise ConfigError(
                f"{where}.time_format: expected strptime codes such as '%d/%m/%Y %H:%M' or one of "
                f"{', '.join(check.TIME_FORMAT_SPECIALS)}, found {time_format!r}"
            )
    time_zone = check.text(spec.get("time_zone", "UTC"), f"{where}.time_zone")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}.time_zone: unknown time zone {time_zone!r}; expected an IANA name such as 'Europe/London'"
        ) from None
    delimiter = check.text(spec.get("delimiter", ","), f"{where}.delimiter")
    if len(delimiter) != 1:
        raise ConfigError(f"{where}.delimiter: expected one character, found {delimiter!r}")
    decimal_separator = check.choice(spec.get("decimal_separator", "."), f"{where}.decimal_separator",
                                     DECIMAL_SEPARATORS)
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
        user_id_kind=check.choice(spec.get("user_id_kind", "customer_ref"), f"{where}.user_id_kind", IDENTIFIER_KINDS),
        columns=columns,
        decimal_separator=decimal_separator,
        not_before=parse_not_before(spec.get("not_before", DEFAULT_NOT_BEFORE), f"{where}.not_before"),
        future_tolerance_hours=check.number(
            spec.get("future_tolerance_hours", 24), f"{where}.future_tolerance_hours",
            "a number of hours from 0 to 876000 (100 years), such as 24", minimum=0, maximum=876000,
        ),
        max_rejected_share=check.share(spec.get("max_rejected_share", 0.5), f"{where}.max_rejected_share",
                                       zero_ok=True),
        max_quarantined_files=check.whole(spec.get("max_quarantined_files", 2), f"{where}.max_quarantined_files",
                                          minimum=0),
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


def parse_columns(spec: Any, where: str) -> ColumnMapping:
    spec = check.mapping(spec, where)
    check.only(spec, where, set(MAPPED_FIELDS) | {"identifiers"})
    identifiers = check.mapping(check.required(spec, "identifiers", where), f"{where}.identifiers")
    if not identifiers:
        raise ConfigError(f"{where}.identifiers: expected at least one identifier column")
    for kind, column in identifiers.items():
        check.choice(kind, f"{where}.identifiers", IDENTIFIER_KINDS)
        check.text(column, f"{where}.identifiers.{kind}")
    fields = {key: check.text(spec[key], f"{where}.{key}") for key in MAPPED_FIELDS if key in spec}
    for key in ("occurred_at", "activity"):
        if key not in fields:
            raise ConfigError(f"{where}: missing required key {key!r} (the column holding the {key})")
    return ColumnMapping(identifiers=dict(identifiers), **fields)
