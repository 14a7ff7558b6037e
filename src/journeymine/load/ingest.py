"""Ingest: find each source's new files and read one, row for row, into a numbered table.

A file is read into the temporary table `_jm_numbered`: every row with its line in the file,
rows the CSV reader cannot split included (with `load_error` set), so that "rows read = rows
accepted + rows rejected" holds downstream. Files are registered in `meta.loaded_files` by
content (SHA-256): a file whose content was loaded before is skipped, so loading the same
files twice adds nothing. Staging (`journeymine.load.stage`) turns the numbered rows into the
event contract; nothing of a file is kept but what staging makes of it.
"""

from __future__ import annotations

import csv
import glob
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from journeymine.config import SourceConfig
from journeymine.db import Warehouse, quote_ident
from journeymine.errors import SourceError
from journeymine.load.columns import check_header
from journeymine.load.lines import LINE_DELIMITER, number_csv_rows, number_rows

# Columns of a numbered row that are not the file's own.
RAW_BASE_COLUMNS = ("file_line", "raw_line", "load_error")
# A header longer than this is not a header (a binary file without line breaks).
_MAX_HEADER_BYTES = 1 << 20
@dataclass(frozen=True)
class SourceFile:
    """A file matching a source's glob: where it is, its name relative to the glob, its content hash."""

    path: Path
    name: str
    sha256: str


def create_meta_tables(wh: Warehouse) -> None:
    """The file registry that makes loads idempotent, and the staging settings of each source."""
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS meta.loaded_files (
            source VARCHAR, file_id INTEGER, file_name VARCHAR, file_path VARCHAR, size_bytes BIGINT,
            content_sha256 VARCHAR, n_rows BIGINT, n_load_errors BIGINT, run_id VARCHAR, loaded_at TIMESTAMPTZ,
            -- its rows' event_ids were checked against the source's other rows (load.source)
            is_checked BOOLEAN DEFAULT false
        )
        """
    )
    wh.execute("CREATE TABLE IF NOT EXISTS meta.sources (source VARCHAR, fingerprint VARCHAR, staged_at TIMESTAMPTZ)")
    wh.execute(
        "CREATE TABLE IF NOT EXISTS meta.quarantined_files (source VARCHAR, file_name VARCHAR, file_path VARCHAR, "
        "content_sha256 VARCHAR, reason VARCHAR, run_id VARCHAR, quarantined_at TIMESTAMPTZ)"
    )


def find_files(source: SourceConfig) -> list[SourceFile]:
    """The files matching the source's glob, sorted, with their content hashes; an error if there are none."""
    paths = sorted(Path(p) for p in glob.glob(source.path, recursive=True) if Path(p).is_file())
    if not paths:
        raise SourceError(f"source {source.name!r}: no files match {source.path}")
    root = _glob_root(source.path)
    return [
        SourceFile(path, str(path.relative_to(root)) if path.is_relative_to(root) else str(path), file_sha256(path))
        for path in paths
    ]


def new_files(wh: Warehouse, source: SourceConfig) -> tuple[list[SourceFile], list[SourceFile]]:
    """(files to load, files skipped because their content was loaded before) of a source."""
    loaded = {r[0] for r in wh.rows(
        "SELECT content_sha256 FROM meta.loaded_files WHERE source = $source", {"source": source.name}
    )}
    to_load: list[SourceFile] = []
    skipped: list[SourceFile] = []
    for file in find_files(source):
        if file.sha256 in loaded:
            skipped.append(file)
        else:
            loaded.add(file.sha256)  # the same content twice in one batch is loaded once
            to_load.append(file)
    return to_load, skipped


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def register_file(wh: Warehouse, source: str, file: SourceFile, *, n_rows: int, n_errors: int,
                  run_id: str) -> int:
    """Record a loaded file; returns its file_id (unique in the working database)."""
    file_id = int(wh.scalar("SELECT coalesce(max(file_id), 0) + 1 FROM meta.loaded_files"))
    wh.execute(
        "INSERT INTO meta.loaded_files VALUES "
        "($source, $file_id, $name, $path, $size, $digest, $n_rows, $n_errors, $run_id, now(), false)",
        {
            "source": source, "file_id": file_id, "name": file.name, "path": str(file.path),
            "size": file.path.stat().st_size, "digest": file.sha256, "n_rows": n_rows, "n_errors": n_errors,
            "run_id": run_id,
        },
    )
    return file_id


def read_file(wh: Warehouse, source: SourceConfig, path: Path) -> list[str]:
    """Read one file into the temporary table `_jm_numbered` (file_line, raw_line, load_error and
    the file's columns as text); returns the file's column names."""
    drop_read_tables(wh)
    head = _head(path)
    if not head:
        # an empty export (no header, no rows) is a file with nothing in it, not an error
        wh.execute(
            "CREATE TEMP TABLE _jm_numbered "
            "(file_line BIGINT, raw_line VARCHAR, load_error VARCHAR)"
        )
        return []
    if source.format != "parquet" and head.count(b"\x00") > max(1, len(head) // 100):
        # an image, an archive, a UTF-16 export: no line of it can be read as UTF-8 text (one stray
        # NUL in a text file is only a byte of a value)
        raise SourceError(
            f"{path}: binary content, not UTF-8 text (a NUL byte at position {head.index(0)}); expected "
            f"{'a CSV file' if source.format == 'csv' else 'JSON lines'}"
        )
    if source.format == "jsonl":
        return _read_lines(wh, path)
    if source.format == "csv":
        return _read_csv(wh, source, path)
    return _read_parquet(wh, source, path)


def drop_read_tables(wh: Warehouse) -> None:
    """Drop what reading a file left (`_jm_numbered` is a view or a table)."""
    for name, kind in wh.rows(
        "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND view_name LIKE '\_jm\_%' ESCAPE '\\' "
        "UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary "
        "AND list_contains(['_jm_numbered', '_jm_load', '_jm_rejects', '_jm_scans', '_jm_lines', '_jm_line_rejects', "
        "'_jm_line_scans'], table_name)"
    ):
        if kind == "TABLE" or name == "_jm_numbered":
            wh.execute(f"DROP {kind} IF EXISTS {quote_ident(name)}")


def _head(path: Path, n_bytes: int = 8192) -> bytes:
    """The first bytes of a file's content (decompressed for '.gz'): none for an empty file or a
    gzip file of nothing."""
    if path.stat().st_size == 0:
        return b""
    with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as handle:
        return handle.read(n_bytes)


def _read_lines(wh: Warehouse, path: Path) -> list[str]:
    """Each line of a JSON-lines file as text; splitting is left to staging."""
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_load AS SELECT * FROM read_csv($path, "
        "columns = {'raw_line': 'VARCHAR'}, header = false, delim = $delim, quote = '', escape = '', "
        "auto_detect = false, store_rejects = true, rejects_table = '_jm_rejects', rejects_scan = '_jm_scans')",
        {"path": str(path), "delim": LINE_DELIMITER},
    )
    number_rows(wh, first_line=1, data_columns=["raw_line"])
    return []


def _read_csv(wh: Warehouse, source: SourceConfig, path: Path) -> list[str]:
    header = _csv_header(path, source.delimiter)
    check_header(source, path, header)
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_load AS SELECT * FROM read_csv($path, "
        "columns = $columns, header = true, delim = $delim, quote = '\"', escape = '\"', auto_detect = false, "
        "store_rejects = true, rejects_table = '_jm_rejects', rejects_scan = '_jm_scans')",
        {"path": str(path), "columns": {c: "VARCHAR" for c in header}, "delim": source.delimiter},
    )
    number_csv_rows(wh, path, header, source.delimiter)
    return header


def _read_parquet(wh: Warehouse, source: SourceConfig, path: Path) -> list[str]:
    names = [r[0] for r in wh.rows(
        "SELECT name FROM parquet_schema($path) WHERE num_children IS NULL OR num_children = 0", {"path": str(path)}
    )]
    check_header(source, path, names)
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in names)
    wh.execute(
        f"CREATE OR REPLACE TEMP TABLE _jm_numbered AS SELECT file_row_number + 1 AS file_line, "
        f"NULL::VARCHAR AS raw_line, NULL::VARCHAR AS load_error, {casts} "
        "FROM read_parquet($path, file_row_number = true)",
        {"path": str(path)},
    )
    return names


def _csv_header(path: Path, delimiter: str) -> list[str]:
    """The column names on line 1. Only line 1 is decoded: a bad byte in a later line is that
    line's reject, not a fault of the header (a text reader decodes a block ahead of the line)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            first = handle.readline(_MAX_HEADER_BYTES)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the CSV header: {exc}") from exc
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: line 1 (the header) is not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at "
            f"position {exc.start}); expected a CSV file"
        ) from exc
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    header = [h.strip() for h in header]
    # an empty name quotes no value: line 1 may be a data row (a file without its header)
    if not header:
        raise SourceError(f"{path}: line 1 should be a header of column names, found an empty line")
    if not all(header):
        raise SourceError(
            f"{path}: line 1 should be a header of column names, but column {header.index('') + 1} of "
            f"{len(header)} has no name (is the header missing?)"
        )
    if len(set(header)) != len(header):
        repeated = next(i for i, h in enumerate(header) if h in header[:i])
        raise SourceError(
            f"{path}: the header repeats the column name {header[repeated]!r} (columns "
            f"{header.index(header[repeated]) + 1} and {repeated + 1})"
        )
    return header


def _glob_root(pattern: str) -> Path:
    """The folder part of a glob before its first wildcard, used to name files relative to it."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    root = Path(*fixed) if fixed else Path(".")
    return root if root.is_dir() else root.parent
