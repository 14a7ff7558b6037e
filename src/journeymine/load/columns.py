"""The columns a source reads, and the file's header matched to them case-insensitively.

A source names its columns in its preset (or its mapping), renamed by its config; a file's
header may spell them in any case (`Email` is `email`). Two header columns that differ only
by case cannot be told apart (and DuckDB cannot hold both): the file is set aside with a
`SourceError` saying so, as it is when a required column is missing or no identifier
column is there at all.
"""

from __future__ import annotations

from pathlib import Path

from journeymine.config import SourceConfig
from journeymine.config.presets import PRESETS
from journeymine.errors import SourceError


def column_of(source: SourceConfig, column: str) -> str:
    """The file's name of a preset's column (its rename, or itself)."""
    return source.renames.get(column, column)


def role_columns(source: SourceConfig) -> dict[str, tuple[str, ...]]:
    """role (or identifier slot, or 'attribute:<name>') → the file columns it reads (two for a
    time composed of a date and a time column); only the roles the source has."""
    preset = PRESETS[source.preset]
    found: dict[str, tuple[str, ...]] = {}
    if source.preset == "mapped":
        assert source.columns is not None
        mapping = source.columns
        for role in ("event_id", "occurred_at", "ended_at", "activity", "sentiment", "value"):
            if getattr(mapping, role):
                found[role] = (getattr(mapping, role),)
        found |= {kind: (column,) for kind, column in mapping.identifiers.items()}
        for name in ("os_name", "device_type"):
            if getattr(mapping, name):
                found[f"attribute:{name}"] = (getattr(mapping, name),)
        channel = mapping.channel or source.channel_from
    else:
        found |= {role: (column_of(source, column),) for role, column in preset.roles.items()}
        found |= {slot: (column_of(source, column),) for slot, column in preset.identifiers.items()}
        found |= {f"attribute:{name}": (column_of(source, column),)
                  for name, column in preset.attributes.items() if column}
        channel = source.channel_from
    found |= source.times
    if source.mint_ids:
        found.pop("event_id", None)
    if channel:
        found["channel"] = (channel,)
    found |= {f"attribute:{name}": (column,) for name, column in source.attributes.items()}
    return found


def required_columns(source: SourceConfig) -> list[str]:
    """The columns a file of the source must have: every column a mapped source names; a
    preset's required ones (as renamed, or the date and time a time is composed of), and every
    column the config names itself (renames, composed times, channel_from, attributes)."""
    if source.preset == "mapped":
        return list(dict.fromkeys(c for columns in role_columns(source).values() for c in columns))
    preset = PRESETS[source.preset]
    named: list[str] = []
    for column in preset.required:
        role = preset.role_of(column)
        if role in source.times:
            named += source.times[role]
        elif not (role == "event_id" and source.mint_ids):
            named.append(column_of(source, column))
    named += [column for preset_column, column in source.renames.items()
              if not (preset.role_of(preset_column) == "event_id" and source.mint_ids)]
    named += [c for pair in source.times.values() for c in pair]
    named += [source.channel_from] if source.channel_from else []
    named += list(source.attributes.values())
    return list(dict.fromkeys(named))


def identifier_columns(source: SourceConfig) -> list[str]:
    """The columns that may identify a row's person (a file needs one of them)."""
    preset = PRESETS[source.preset]
    if source.preset == "mapped":
        assert source.columns is not None
        return list(source.columns.identifiers.values())
    return [column_of(source, c) for c in preset.identifiers.values()]


def header_index(header: list[str], where: str) -> dict[str, str]:
    """casefolded name → the header's own spelling; a SourceError when two differ only by case."""
    index: dict[str, str] = {}
    for name in header:
        key = name.casefold()
        if key in index:
            raise SourceError(
                f"{where}: the header has columns that differ only by case, {index[key]!r} and {name!r}; "
                "column names are matched case-insensitively: rename one of them"
            )
        index[key] = name
    return index


def find_column(index: dict[str, str], column: str) -> str | None:
    """The header's spelling of `column`, matched case-insensitively (None when missing)."""
    return index.get(column.casefold())


def check_header(source: SourceConfig, path: Path, header: list[str]) -> None:
    """Set aside (SourceError) a CSV file whose header repeats a name in another case, lacks a
    column the source needs, or has no identifier column at all (its rows could link nothing)."""
    index = header_index(header, str(path))
    if source.preset == "segment" or source.format == "jsonl":
        return
    candidates = identifier_columns(source)
    if source.preset != "mapped" and candidates and not any(find_column(index, c) for c in candidates):
        raise SourceError(
            f"{path}: no identifier column, so its rows link nothing; expected at least one of "
            f"{', '.join(candidates)}; the header has {', '.join(header)}"
        )
    missing = [c for c in required_columns(source) if find_column(index, c) is None]
    if missing:
        expected = (f"the columns named in sources.{source.name}.columns" if source.preset == "mapped"
                    else f"the {source.preset} preset's columns (docs/input-formats.md)")
        raise SourceError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {expected}; the header has {', '.join(header)}"
        )

