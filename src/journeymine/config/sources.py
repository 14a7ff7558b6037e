"""The `sources` section: each input's glob, preset or column mapping, and how to read its times."""

from __future__ import annotations

from dataclasses import dataclass
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


def parse_source(name: Any, spec: Any, base_dir: Path) -> SourceConfig:
    where = f"sources.{name}"
    if not isinstance(name, str) or not check.NAME.match(name):
        raise ConfigError(
            f"{where}: a source name must be lower-case letters, digits and '_', starting with a letter"
        )
    spec = check.mapping(spec, where)
    check.only(spec, where, {
        "path", "preset", "format", "channel", "time_format", "time_zone", "delimiter",
        "user_id_kind", "columns",
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
