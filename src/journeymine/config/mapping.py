"""How a source's columns are read: a mapped source's column mapping, a preset's renames,
times composed from a date and a time column, value maps and the attributes kept.

Each parser checks one key of `sources.<name>` and raises `ConfigError` naming the key (a
dotted path) and what was expected. The preset data they check against is in
`journeymine.config.presets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeymine.config import checks as check
from journeymine.config.presets import CODED_ROLES, TIME_ROLES, Preset, coded_values
from journeymine.errors import ConfigError
from journeymine.schema import IDENTIFIER_KINDS

# the fields of a mapped source's `columns` (besides `identifiers`); os_name and device_type are
# kept as the attributes of those names (platform and device for funnels and drivers)
MAPPED_COLUMNS: tuple[str, ...] = (
    "event_id", "occurred_at", "ended_at", "activity", "channel", "sentiment", "value", "os_name", "device_type",
)


@dataclass(frozen=True)
class ColumnMapping:
    """How a `mapped` source's columns become the event contract (column names of the file).
    `occurred_at` is None when the time is composed from a date and a time column
    (`SourceConfig.times`) or the rows are identity records without one."""

    occurred_at: str | None = None
    activity: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    event_id: str | None = None
    ended_at: str | None = None
    channel: str | None = None
    sentiment: str | None = None
    value: str | None = None
    os_name: str | None = None
    device_type: str | None = None


def parse_mapped_columns(spec: Any, where: str, records: str) -> tuple[ColumnMapping, dict[str, tuple[str, str]]]:
    """A mapped source's `columns`: (the mapping, the times composed of a date and a time column by role)."""
    spec = check.mapping(spec, where)
    check.only(spec, where, set(MAPPED_COLUMNS) | {"identifiers"})
    identifiers = check.mapping(check.required(spec, "identifiers", where), f"{where}.identifiers")
    if not identifiers:
        raise ConfigError(f"{where}.identifiers: expected at least one identifier column")
    for kind, column in identifiers.items():
        check.choice(kind, f"{where}.identifiers", IDENTIFIER_KINDS)
        check.text(column, f"{where}.identifiers.{kind}")
    fields: dict[str, str] = {}
    times: dict[str, tuple[str, str]] = {}
    for key in MAPPED_COLUMNS:
        if key not in spec:
            continue
        if isinstance(spec[key], dict) and key in TIME_ROLES:
            times[key] = parse_composed_time(spec[key], f"{where}.{key}")
        else:
            fields[key] = check.text(spec[key], f"{where}.{key}")
    required = ("occurred_at", "activity") if records == "event" else ()
    for key in required:
        if key not in fields and key not in times:
            raise ConfigError(f"{where}: missing required key {key!r} (the column holding the {key})")
    if records == "identity" and "activity" in fields:
        raise ConfigError(f"{where}.activity: the rows of a source with records 'identity' are not events; "
                          "expected no activity column")
    return ColumnMapping(identifiers=dict(identifiers), **fields), times


def parse_preset_columns(spec: Any, where: str, preset: Preset) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """A preset source's `columns`: its columns as the file names them, {preset column: file
    column}, and the times composed of a date and a time column, by role."""
    spec = check.mapping(spec, where)
    renames: dict[str, str] = {}
    times: dict[str, tuple[str, str]] = {}
    for column, target in spec.items():
        if column not in preset.columns:
            raise ConfigError(
                f"{where}: unknown column {column!r} of the {preset.name} preset; expected one of "
                f"{', '.join(preset.columns)}"
            )
        role = preset.role_of(column)
        if isinstance(target, dict):
            if role not in TIME_ROLES:
                raise ConfigError(f"{where}.{column}: only a time column can be composed from a date and a time "
                                  f"column; expected the name of the file's column, found {target!r}")
            times[role] = parse_composed_time(target, f"{where}.{column}")
        else:
            renames[column] = check.text(target, f"{where}.{column}")
    return renames, times


def parse_composed_time(spec: Any, where: str) -> tuple[str, str]:
    """{date: column, time: column}: a time written in two columns, read as '<date> <time>'."""
    spec = check.mapping(spec, where)
    check.only(spec, where, {"date", "time"})
    return (check.text(check.required(spec, "date", where), f"{where}.date"),
            check.text(check.required(spec, "time", where), f"{where}.time"))


def parse_values(spec: Any, where: str, preset: Preset, coded: dict[str, str]) -> dict[str, dict[str, str]]:
    """`values`: per role, the codes of the file (matched trimmed and case-insensitively) and the
    value each one stands for. `coded` names the roles the source reads, by the key they may be
    given as (a role, or the preset's column of it: {'outcome': 'outcome', 'reason': 'activity'})."""
    spec = check.mapping(spec, where)
    maps: dict[str, dict[str, str]] = {}
    for key, codes in spec.items():
        if key not in coded:
            expected = ", ".join(coded) or "none (the source reads no coded column)"
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {expected}")
        role = coded[key]
        if role in maps:
            raise ConfigError(f"{where}.{key}: the codes of the {role} are given twice")
        maps[role] = _code_map(codes, f"{where}.{key}", coded_values(preset, role), role)
    return maps


def _code_map(spec: Any, where: str, allowed: tuple[str, ...], role: str) -> dict[str, str]:
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(f"{where}: expected a mapping of codes to values such as {{ABN: abandoned}}, found {spec!r}")
    codes: dict[str, str] = {}
    for code, value in spec.items():
        if isinstance(code, bool) or not isinstance(code, (str, int, float)) or not str(code).strip():
            raise ConfigError(f"{where}: expected codes as text (quote yes, no, on, off), found {code!r}")
        key = str(code).strip().lower()
        if key in codes:
            raise ConfigError(f"{where}: code {code!r} is given twice (codes are matched case-insensitively)")
        value = check.text(value, f"{where}.{code}")
        if allowed and value not in allowed:
            raise ConfigError(f"{where}.{code}: unknown value {value!r}; expected one of {', '.join(allowed)}")
        if role == "channel" and not check.NAME.match(value):
            raise ConfigError(f"{where}.{code}: expected a lower-case channel name such as 'app', found {value!r}")
        codes[key] = value
    return codes


def coded_keys(preset: Preset, has_channel_column: bool) -> dict[str, str]:
    """The keys `values` takes for a source of the preset, each mapped to its role: the coded
    roles it reads, also by the preset's column of each ('kind' for a pos source's activity), and
    the channel when a column holds it."""
    roles = ("activity",) if preset.name == "mapped" else tuple(r for r in CODED_ROLES if r in preset.roles)
    keys: dict[str, str] = {}
    for role in roles:
        keys[role] = role
        column = preset.roles.get(role)
        if column and column != role:
            keys[column] = role
    if has_channel_column:
        keys["channel"] = "channel"
    return keys


def parse_attributes(spec: Any, where: str, reserved: tuple[str, ...]) -> dict[str, str]:
    """`attributes`: columns kept as attributes, a list of names (`[plan, store_region]`) or a
    mapping {name: column} (the file's column, or a dotted path of a JSON-lines record). The
    names are what funnels break down by and drivers test; `reserved` are taken by the preset."""
    if isinstance(spec, list):
        pairs = []
        for name in spec:
            if not isinstance(name, str) or not check.NAME.match(name):
                raise ConfigError(
                    f"{where}: expected attribute names of lower-case letters, digits and '_' (use the mapping "
                    f"form {{name: column}} for other column names), found {name!r}"
                )
            pairs.append((name, name))
    elif isinstance(spec, dict):
        pairs = [(name, check.text(column, f"{where}.{name}")) for name, column in spec.items()]
    else:
        raise ConfigError(f"{where}: expected a list of column names or a mapping {{name: column}}, found {spec!r}")
    attributes: dict[str, str] = {}
    for name, column in pairs:
        if not isinstance(name, str) or not check.NAME.match(name):
            raise ConfigError(f"{where}: expected an attribute name of lower-case letters, digits and '_', "
                              f"found {name!r}")
        if name in attributes or name in reserved:
            raise ConfigError(f"{where}: attribute {name!r} is named twice (the preset keeps "
                              f"{', '.join(reserved) or 'no attribute'} itself)")
        attributes[name] = column
    return attributes
