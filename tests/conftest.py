"""Shared fixtures for the unit and SQL tests: an in-memory warehouse, tiny tables and files.

Fixtures that build things are factories (they return a function), so a test can say in
one line which rows or which file it starts from.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from journeymine.config import ColumnMapping, IdentityConfig, SourceConfig
from journeymine.db import Warehouse, quote_ident, table_name
from journeymine.schema import PRESET_CHANNELS, PRESET_FORMATS


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    """An empty in-memory warehouse with journeymine's schemas and macros."""
    wh = Warehouse(":memory:")
    try:
        yield wh
    finally:
        wh.close()


@pytest.fixture
def make_table(warehouse: Warehouse) -> Callable[[str, dict[str, str], Sequence[Sequence[Any]]], None]:
    """make_table('schema.name', {column: sql_type}, rows): (re)create a table holding `rows`.

    Values are bound as parameters, so timestamps may be given as text ('2026-03-02 10:00:00',
    read as UTC) and lists as Python lists.
    """

    def make(table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]]) -> None:
        schema, name = table.split(".", 1)
        qualified = table_name(schema, name)
        spec = ", ".join(f"{quote_ident(column)} {sql_type}" for column, sql_type in columns.items())
        warehouse.execute(f"CREATE OR REPLACE TABLE {qualified} ({spec})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            warehouse.con.executemany(f"INSERT INTO {qualified} VALUES ({marks})", [tuple(r) for r in rows])

    return make


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """write_file('calls/a.csv', text): write a small raw file under tmp_path (gzipped for '.gz')."""

    def write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".gz":
            path.write_bytes(gzip.compress(text.encode("utf-8")))
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def source_config(tmp_path: Path) -> Callable[..., SourceConfig]:
    """source_config(name, preset, path_glob, **overrides): a SourceConfig as parse_config would build it.

    The glob is relative to tmp_path; format and channel default to the preset's.
    """

    def make(name: str, preset: str, glob: str, **overrides: Any) -> SourceConfig:
        fields: dict[str, Any] = {
            "name": name,
            "path": str(tmp_path / glob),
            "preset": preset,
            "format": PRESET_FORMATS[preset],
            "channel": PRESET_CHANNELS[preset],
        }
        if isinstance(overrides.get("columns"), dict):
            overrides["columns"] = ColumnMapping(**overrides["columns"])
        fields.update(overrides)
        return SourceConfig(**fields)

    return make


@pytest.fixture
def identity() -> IdentityConfig:
    """Identity settings with a known salt and the UK as the default phone country."""
    return IdentityConfig(salt="test-salt", default_country_code="44")
