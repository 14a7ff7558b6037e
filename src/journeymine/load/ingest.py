"""Ingest: copy each source's files, row for row, into `raw.<source>`.

Every row read lands in the raw table with its file name and line number: rows the CSV
reader cannot split into the expected columns land too, with `load_error` set, so that
"rows read = rows accepted + rows rejected" can be checked downstream. A file whose content
was loaded before (same SHA-256) is skipped, so loading the same files twice adds nothing.
"""

from __future__ import annotations

import csv
import glob
import gzip
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from journeymine.config import SourceConfig
from journeymine.db import Warehouse, quote_ident, table_name
from journeymine.errors import SourceError
from journeymine.schema import PRESET_COLUMNS

log = logging.getLogger(__name__)

RAW_BASE_COLUMNS = ("file_name", "file_line", "raw_line", "load_error", "run_id")
# A byte that never occurs unescaped in valid JSON: splitting JSON lines on it keeps each line whole.
_LINE_DELIMITER = "\x1e"


@dataclass(frozen=True)
class FileLoad:
    """What happened to one file: loaded (with its row count) or skipped as already loaded."""

    file_name: str
    status: str
    n_rows: int
    n_load_errors: int


@dataclass(frozen=True)
class SourceLoad:
    """The files of one source this run."""

    source: str
    files: tuple[FileLoad, ...]

    @property
    def n_rows_loaded(self) -> int:
        return sum(f.n_rows for f in self.files)

    @property
    def n_files_loaded(self) -> int:
        return sum(f.status == "loaded" for f in self.files)

    @property
    def n_files_skipped(self) -> int:
        return sum(f.status == "skipped" for f in self.files)


def create_meta_tables(wh: Warehouse) -> None:
    """The file registry that makes loads idempotent."""
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS meta.loaded_files (
            source VARCHAR, file_name VARCHAR, file_path VARCHAR, size_bytes BIGINT,
            content_sha256 VARCHAR, n_rows BIGINT, n_load_errors BIGINT,
            run_id VARCHAR, loaded_at TIMESTAMPTZ
        )
        """
    )


def find_files(source: SourceConfig) -> list[Path]:
    """The files matching the source's glob, sorted; an error if there are none."""
    files = sorted(Path(p) for p in glob.glob(source.path, recursive=True) if Path(p).is_file())
    if not files:
        raise SourceError(f"source {source.name!r}: no files match {source.path}")
    return files


def load_source(wh: Warehouse, source: SourceConfig, *, run_id: str) -> SourceLoad:
    """Load the source's files not loaded before into `raw.<source>`; return what was done."""
    create_meta_tables(wh)
    files = find_files(source)
    root = _glob_root(source.path)
    results = []
    for i, path in enumerate(files, start=1):
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        digest = file_sha256(path)
        seen = wh.scalar(
            "SELECT count(*) FROM meta.loaded_files WHERE source = $source AND content_sha256 = $digest",
            {"source": source.name, "digest": digest},
        )
        if seen:
            results.append(FileLoad(name, "skipped", 0, 0))
            continue
        log.info("source %s: loading file %d/%d %s", source.name, i, len(files), name)
        results.append(_load_file(wh, source, path, name, digest, run_id))
    return SourceLoad(source.name, tuple(results))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_file(wh: Warehouse, source: SourceConfig, path: Path, name: str, digest: str, run_id: str) -> FileLoad:
    raw = table_name("raw", source.name)
    if _is_empty(path):
        # an empty export (no header, no rows) is a file with nothing in it, not an error
        _register_file(wh, source.name, name, path, digest, 0, 0, run_id)
        return FileLoad(name, "loaded", 0, 0)
    wh.execute("BEGIN TRANSACTION")
    try:
        if source.format == "jsonl":
            columns = _read_lines(wh, path)
        elif source.format == "csv":
            columns = _read_csv(wh, source, path)
        else:
            columns = _read_parquet(wh, path)
        _ensure_raw_table(wh, source.name, columns)
        wh.execute(
            f"INSERT INTO {raw} BY NAME SELECT $name AS file_name, $run_id AS run_id, * FROM _jm_numbered",
            {"name": name, "run_id": run_id},
        )
        n_rows = int(wh.scalar("SELECT count(*) FROM _jm_numbered"))
        n_errors = int(wh.scalar("SELECT count(*) FROM _jm_numbered WHERE load_error IS NOT NULL"))
        _register_file(wh, source.name, name, path, digest, n_rows, n_errors, run_id)
        wh.execute("COMMIT")
    except Exception:
        wh.execute("ROLLBACK")
        raise
    finally:
        for temp in ("_jm_numbered", "_jm_load", "_jm_rejects", "_jm_scans"):
            wh.execute(f"DROP TABLE IF EXISTS {temp}")
    return FileLoad(name, "loaded", n_rows, n_errors)


def _register_file(wh: Warehouse, source: str, name: str, path: Path, digest: str,
                   n_rows: int, n_errors: int, run_id: str) -> None:
    wh.execute(
        "INSERT INTO meta.loaded_files VALUES "
        "($source, $name, $path, $size, $digest, $n_rows, $n_errors, $run_id, now())",
        {
            "source": source, "name": name, "path": str(path), "size": path.stat().st_size,
            "digest": digest, "n_rows": n_rows, "n_errors": n_errors, "run_id": run_id,
        },
    )


def _is_empty(path: Path) -> bool:
    """True for a file with no bytes, or a gzip file that decompresses to none."""
    if path.stat().st_size == 0:
        return True
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as handle:
            return handle.read(1) == b""
    return False


def _read_lines(wh: Warehouse, path: Path) -> list[str]:
    """Each line of a JSON-lines file as text; splitting is left to staging."""
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_load AS SELECT * FROM read_csv($path, "
        "columns = {'raw_line': 'VARCHAR'}, header = false, delim = $delim, quote = '', escape = '', "
        "auto_detect = false, store_rejects = true, rejects_table = '_jm_rejects', rejects_scan = '_jm_scans')",
        {"path": str(path), "delim": _LINE_DELIMITER},
    )
    _number_rows(wh, first_line=1, data_columns=["raw_line"])
    return ["raw_line"]


def _read_csv(wh: Warehouse, source: SourceConfig, path: Path) -> list[str]:
    header = _csv_header(path, source.delimiter)
    _check_columns(source, path, header)
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_load AS SELECT * FROM read_csv($path, "
        "columns = $columns, header = true, delim = $delim, quote = '\"', escape = '\"', auto_detect = false, "
        "store_rejects = true, rejects_table = '_jm_rejects', rejects_scan = '_jm_scans')",
        {"path": str(path), "columns": {c: "VARCHAR" for c in header}, "delim": source.delimiter},
    )
    _number_rows(wh, first_line=2, data_columns=header)
    return header


def _read_parquet(wh: Warehouse, path: Path) -> list[str]:
    names = [r[0] for r in wh.rows("SELECT name FROM parquet_schema($path) WHERE num_children IS NULL OR num_children = 0", {"path": str(path)})]
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in names)
    wh.execute(
        f"CREATE OR REPLACE TEMP TABLE _jm_numbered AS SELECT file_row_number + 1 AS file_line, "
        f"NULL::VARCHAR AS raw_line, NULL::VARCHAR AS load_error, {casts} "
        "FROM read_parquet($path, file_row_number = true)",
        {"path": str(path)},
    )
    return names


def _number_rows(wh: Warehouse, *, first_line: int, data_columns: list[str]) -> None:
    """Give each parsed row its line in the file, and add the rows the reader rejected.

    The reader keeps rows in file order, so the k-th accepted row sits on line
    first_line + k + (rejected lines before it). Lines are exact unless a CSV file has blank
    lines (the CSV reader skips them) or a quoted value spanning several lines.
    """
    wh.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _jm_rejects "
        "(line BIGINT, csv_line VARCHAR, error_type VARCHAR, error_message VARCHAR)"
    )
    data = ", ".join(f"acc.{quote_ident(c)}" for c in data_columns)
    wh.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _jm_numbered AS
        WITH rejected AS (
            SELECT line, any_value(csv_line) AS csv_line,
                   min(error_type || ': ' || error_message) AS load_error
            FROM _jm_rejects GROUP BY line
        ),
        counted AS (
            SELECT *, row_number() OVER (ORDER BY line) AS n_rejected_so_far,
                   line - $first_line - (row_number() OVER (ORDER BY line) - 1) AS n_accepted_before
            FROM rejected
        ),
        -- adjacent rejected lines share n_accepted_before: keep the last of them
        steps AS (
            SELECT n_accepted_before, max(n_rejected_so_far) AS n_rejected_so_far
            FROM counted GROUP BY n_accepted_before
        ),
        accepted AS (SELECT rowid - min(rowid) OVER () AS k, * FROM _jm_load)
        SELECT $first_line + acc.k + coalesce(s.n_rejected_so_far, 0) AS file_line,
               NULL::VARCHAR AS load_error, {data}
        FROM accepted acc ASOF LEFT JOIN steps s ON acc.k >= s.n_accepted_before
        UNION ALL BY NAME
        SELECT line AS file_line, csv_line AS raw_line, load_error FROM counted
        """,
        {"first_line": first_line},
    )


def _ensure_raw_table(wh: Warehouse, source: str, columns: list[str]) -> None:
    """Create raw.<source> on first load; add columns a later file brings (nothing is dropped)."""
    raw = table_name("raw", source)
    if not wh.table_exists("raw", source):
        data = "".join(f", {quote_ident(c)} VARCHAR" for c in columns if c not in RAW_BASE_COLUMNS)
        wh.execute(
            f"CREATE TABLE {raw} (file_name VARCHAR, file_line BIGINT, raw_line VARCHAR, "
            f"load_error VARCHAR, run_id VARCHAR{data})"
        )
        return
    existing = set(wh.columns("raw", source))
    for column in columns:
        if column not in existing:
            wh.execute(f"ALTER TABLE {raw} ADD COLUMN {quote_ident(column)} VARCHAR")


def _csv_header(path: Path, delimiter: str) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(io.StringIO(handle.readline()), delimiter=delimiter), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the CSV header: {exc}") from exc
    header = [h.strip() for h in header]
    if not header or any(not h for h in header):
        raise SourceError(f"{path}: line 1 should be a header of column names, found {header!r}")
    if len(set(header)) != len(header):
        raise SourceError(f"{path}: the header repeats a column name: {header!r}")
    return header


def _check_columns(source: SourceConfig, path: Path, header: list[str]) -> None:
    if source.preset == "mapped":
        assert source.columns is not None
        mapping = source.columns
        required = [mapping.occurred_at, mapping.activity, *mapping.identifiers.values()]
        required += [c for c in (mapping.event_id, mapping.ended_at, mapping.channel, mapping.sentiment, mapping.value) if c]
        expected = f"the columns named in sources.{source.name}.columns"
    else:
        required = list(PRESET_COLUMNS[source.preset][0])
        expected = f"the {source.preset} preset's columns (docs/input-formats.md)"
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {expected}; the header has {', '.join(header)}"
        )


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
