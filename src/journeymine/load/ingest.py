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
from journeymine.schema import IDENTIFIER_KINDS, PRESET_COLUMNS

# Columns of a numbered row that are not the file's own.
RAW_BASE_COLUMNS = ("file_line", "raw_line", "load_error")
# A byte that never occurs unescaped in valid JSON: splitting JSON lines on it keeps each line whole.
_LINE_DELIMITER = "\x1e"


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
    if _is_empty(path):
        # an empty export (no header, no rows) is a file with nothing in it, not an error
        wh.execute(
            "CREATE TEMP TABLE _jm_numbered "
            "(file_line BIGINT, raw_line VARCHAR, load_error VARCHAR)"
        )
        return []
    if source.format == "jsonl":
        return _read_lines(wh, path)
    if source.format == "csv":
        return _read_csv(wh, source, path)
    return _read_parquet(wh, path)


def drop_read_tables(wh: Warehouse) -> None:
    """Drop what reading a file left (`_jm_numbered` is a view or a table)."""
    for name, kind in wh.rows(
        "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND view_name LIKE '\_jm\_%' ESCAPE '\\' "
        "UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary "
        "AND list_contains(['_jm_numbered', '_jm_load', '_jm_rejects', '_jm_scans', '_jm_lines'], table_name)"
    ):
        if kind == "TABLE" or name == "_jm_numbered":
            wh.execute(f"DROP {kind} IF EXISTS {quote_ident(name)}")


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
    return []


def _read_csv(wh: Warehouse, source: SourceConfig, path: Path) -> list[str]:
    header = _csv_header(path, source.delimiter)
    _check_columns(source, path, header)
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_load AS SELECT * FROM read_csv($path, "
        "columns = $columns, header = true, delim = $delim, quote = '\"', escape = '\"', auto_detect = false, "
        "store_rejects = true, rejects_table = '_jm_rejects', rejects_scan = '_jm_scans')",
        {"path": str(path), "columns": {c: "VARCHAR" for c in header}, "delim": source.delimiter},
    )
    _number_csv_rows(wh, path, header, source.delimiter)
    return header


def _read_parquet(wh: Warehouse, path: Path) -> list[str]:
    names = [r[0] for r in wh.rows(
        "SELECT name FROM parquet_schema($path) WHERE num_children IS NULL OR num_children = 0", {"path": str(path)}
    )]
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
    if not wh.scalar("SELECT count(*) FROM _jm_rejects"):
        # the common case: every line was read, the k-th row is on line first_line + k (no copy)
        data = ", ".join(quote_ident(c) for c in data_columns)
        wh.execute(
            "CREATE OR REPLACE TEMP VIEW _jm_numbered AS SELECT rowid - (SELECT min(rowid) FROM _jm_load) "
            f"+ {int(first_line)} AS file_line, "
            f"NULL::VARCHAR AS load_error, {data}{'' if 'raw_line' in data_columns else ', NULL::VARCHAR AS raw_line'} "
            "FROM _jm_load"
        )
        return
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
    if "raw_line" not in data_columns:
        wh.execute("ALTER TABLE _jm_numbered ADD COLUMN IF NOT EXISTS raw_line VARCHAR")


def _number_csv_rows(wh: Warehouse, path: Path, header: list[str], delimiter: str) -> None:
    """Give each parsed CSV row its line, counting the file's physical lines, so that no line
    goes unaccounted for: the reader skips blank lines (they become 'empty line' rows) and an
    unterminated quote swallows the lines after it (they become 'not read' rows with their
    text). A quoted value spanning lines is one record of several lines; rows after one are
    numbered as if it were one line (their numbers drift by the extra lines)."""
    wh.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _jm_rejects "
        "(line BIGINT, csv_line VARCHAR, error_type VARCHAR, error_message VARCHAR)"
    )
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_lines AS SELECT row_number() OVER () AS line, text FROM read_csv($path, "
        "columns = {'text': 'VARCHAR'}, header = false, delim = $delim, quote = '', escape = '', auto_detect = false, "
        "ignore_errors = true)",
        {"path": str(path), "delim": _LINE_DELIMITER},
    )
    fields = " || ".join(f"coalesce({quote_ident(c)}, '')" for c in header)
    counts = wh.rows(
        f"""
        SELECT
            (SELECT count(*) FROM _jm_lines WHERE line > 1) AS data_lines,
            (SELECT count(*) FROM _jm_lines WHERE line > 1 AND coalesce(trim(text), '') = '') AS blank_lines,
            (SELECT count(*) FROM _jm_load) AS accepted,
            (SELECT count(DISTINCT line) FROM _jm_rejects) AS rejected,
            (SELECT coalesce(sum(length({fields}) - length(replace({fields}, chr(10), ''))), 0) FROM _jm_load)
                AS embedded_newlines,
            (SELECT max(line) FROM _jm_rejects WHERE error_type = 'UNQUOTED VALUE') AS open_quote_line
        """
    )[0]
    data_lines, blank_lines, accepted, rejected, embedded, open_quote = counts
    swallowed = max(int(data_lines - blank_lines - accepted - rejected - embedded), 0)
    data = ", ".join(f"acc.{quote_ident(c)}" for c in header)
    wh.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _jm_numbered AS
        WITH rejected AS (
            SELECT line, any_value(csv_line) AS csv_line, min(error_type || ': ' || error_message) AS load_error
            FROM _jm_rejects GROUP BY line
        ),
        blank AS (
            SELECT line, text FROM _jm_lines WHERE line > 1 AND coalesce(trim(text), '') = ''
        ),
        candidates AS (
            -- the lines that hold a record the reader returned, in order
            SELECT line, text, row_number() OVER (ORDER BY line DESC) AS from_end
            FROM _jm_lines
            WHERE line > 1 AND line NOT IN (SELECT line FROM rejected) AND line NOT IN (SELECT line FROM blank)
        ),
        swallowed AS (
            SELECT line, text FROM candidates WHERE from_end <= $swallowed
        ),
        kept AS (
            SELECT line, row_number() OVER (ORDER BY line) - 1 AS k,
                   -- a line without quotes has exactly one delimiter fewer than the header has columns:
                   -- the reader pads a short line and drops an extra empty last field ('…,34,16,'),
                   -- which hides a value split by an unquoted delimiter (a decimal comma)
                   CASE WHEN NOT contains(text, '"') THEN length(text) - length(replace(text, $delim, '')) + 1
                   END AS n_fields
            FROM candidates WHERE from_end > $swallowed
        ),
        accepted AS (SELECT rowid - min(rowid) OVER () AS k, * FROM _jm_load)
        SELECT coalesce(kept.line, 1 + $data_lines + acc.k) AS file_line,
               CASE WHEN kept.n_fields > $n_columns
                   THEN 'TOO MANY COLUMNS: expected ' || $n_columns || ' fields, found ' || kept.n_fields
                   WHEN kept.n_fields < $n_columns
                   THEN 'TOO FEW COLUMNS: expected ' || $n_columns || ' fields, found ' || kept.n_fields
               END AS load_error,
               CASE WHEN kept.n_fields <> $n_columns THEN kept_text.text END AS raw_line, {data}
        FROM accepted acc LEFT JOIN kept USING (k) LEFT JOIN candidates kept_text ON kept_text.line = kept.line
        UNION ALL BY NAME
        SELECT line AS file_line, csv_line AS raw_line, load_error FROM rejected
        UNION ALL BY NAME
        SELECT line AS file_line, text AS raw_line, 'empty' AS load_error FROM blank
        UNION ALL BY NAME
        SELECT line AS file_line, text AS raw_line,
               CASE WHEN $open_quote IS NOT NULL
                   THEN 'swallowed by the unterminated quote on line ' || $open_quote
                   ELSE 'not read (the CSV reader returned fewer records than the file has lines)' END AS load_error
        FROM swallowed
        """,
        {"swallowed": swallowed, "data_lines": int(data_lines), "open_quote": open_quote, "delim": delimiter,
         "n_columns": len(header)},
    )
    wh.execute("ALTER TABLE _jm_numbered ADD COLUMN IF NOT EXISTS raw_line VARCHAR")


def read_lines(wh: Warehouse, path: Path, lines: list[int]) -> dict[int, str]:
    """The text of some physical lines of a file (numbered from 1), read again: the raw record of
    a row that became a reject after it was staged (a duplicate id found in a later load)."""
    rows = wh.rows(
        "SELECT line, raw FROM (SELECT row_number() OVER () AS line, raw FROM read_csv($path, "
        "columns = {'raw': 'VARCHAR'}, header = false, delim = $delim, quote = '', escape = '', auto_detect = false, "
        "ignore_errors = true)) WHERE list_contains($lines, line)",
        {"path": str(path), "delim": _LINE_DELIMITER, "lines": lines},
    )
    return {int(line): raw for line, raw in rows}


def _csv_header(path: Path, delimiter: str) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(io.StringIO(handle.readline()), delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: line 1 (the header) is not UTF-8 text (byte {exc.object[exc.start:exc.start + 1]!r} at "
            f"position {exc.start}); expected a CSV file"
        ) from exc
    except OSError as exc:
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
    if source.preset == "crm" and not set(IDENTIFIER_KINDS) & set(header):
        raise SourceError(
            f"{path}: no identifier column, so its rows link nothing; expected at least one of "
            f"{', '.join(k for k in IDENTIFIER_KINDS if k != 'anonymous_id')}; the header has {', '.join(header)}"
        )
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
