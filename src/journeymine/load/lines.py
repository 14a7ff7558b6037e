"""Rows numbered by their physical line in the file, so that no line goes unaccounted for.

`number_rows` (JSON lines) and `number_csv_rows` (CSV) turn what DuckDB's reader returned
(`_jm_load`, and the lines it rejected in `_jm_rejects`) into `_jm_numbered`: every row with
its line, and a `load_error` for each line that is not a row (rejected by the reader, blank,
swallowed by an unterminated quote, a field too many). CSV lines are counted from the file
itself (`_jm_lines`), so rows read are the file's records, not what the reader returned.
"""

from __future__ import annotations

from pathlib import Path

from journeymine.db import Warehouse, quote_ident

# A byte that never occurs unescaped in valid JSON: splitting JSON lines on it keeps each line whole.
LINE_DELIMITER = "\x1e"
# A blank line of a CSV file (the reader skips an empty one and rejects one of spaces).
_BLANK = "coalesce(trim(text, ' ' || chr(9) || chr(13)), '') = ''"
# The load error of a line the reader rejected, from its rejects table: DuckDB's own words, but
# for a bad byte, where they say the whole file is not UTF-8 (the reader goes on past the line).
_LOAD_ERROR = (
    "CASE WHEN error_type = 'INVALID ENCODING' THEN 'INVALID ENCODING: the line is not UTF-8 text' "
    "ELSE error_type || ': ' || error_message END"
)


def number_rows(wh: Warehouse, *, first_line: int, data_columns: list[str]) -> None:
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
                   min({_LOAD_ERROR}) AS load_error
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


def number_csv_rows(wh: Warehouse, path: Path, header: list[str], delimiter: str) -> None:
    """Give each parsed CSV row its line, counting the file's physical lines, so that no line
    goes unaccounted for: the reader skips blank lines (they become 'empty line' rows) and an
    unterminated quote swallows the lines after it (they become 'not read' rows with their
    text). A quoted value spanning lines is one record of several lines; rows after one are
    numbered as if it were one line (their numbers drift by the extra lines)."""
    wh.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _jm_rejects "
        "(line BIGINT, csv_line VARCHAR, error_type VARCHAR, error_message VARCHAR)"
    )
    _read_physical_lines(wh, path)
    fields = " || ".join(f"coalesce({quote_ident(c)}, '')" for c in header)
    counts = wh.rows(
        f"""
        SELECT
            (SELECT count(*) FROM _jm_lines WHERE line > 1) AS data_lines,
            (SELECT count(*) FROM _jm_lines WHERE line > 1 AND {_BLANK}) AS blank_lines,
            (SELECT count(*) FROM _jm_load) AS accepted,
            -- a line of spaces is blank, though the reader rejects it (too few columns)
            (SELECT count(DISTINCT line) FROM _jm_rejects
             WHERE line NOT IN (SELECT line FROM _jm_lines WHERE line > 1 AND {_BLANK})) AS rejected,
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
        WITH blank AS (
            SELECT line, text FROM _jm_lines WHERE line > 1 AND {_BLANK}
        ),
        rejected AS (
            SELECT line, trim(any_value(csv_line), chr(13) || chr(10)) AS csv_line, min({_LOAD_ERROR}) AS load_error
            FROM _jm_rejects WHERE line NOT IN (SELECT line FROM blank) GROUP BY line
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
                   THEN 'TOO MANY COLUMNS: Expected Number of Columns: ' || $n_columns || ' Found: ' || kept.n_fields
                   WHEN kept.n_fields < $n_columns
                   THEN 'MISSING COLUMNS: Expected Number of Columns: ' || $n_columns || ' Found: ' || kept.n_fields
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
    _read_physical_lines(wh, path)
    try:
        rows = wh.rows("SELECT line, text FROM _jm_lines WHERE list_contains($lines, line)", {"lines": lines})
    finally:
        for name in ("_jm_lines", "_jm_line_rejects", "_jm_line_scans"):
            wh.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return {int(line): text for line, text in rows}


def _read_physical_lines(wh: Warehouse, path: Path) -> None:
    """Every physical line of a file as `_jm_lines` (line from 1, text), a line that is not UTF-8
    included (its bad bytes read as '?'). The reader leaves such a line out: numbering the lines
    it returns by their order would give every later line the number of the one before it."""
    for name in ("_jm_line_rejects", "_jm_line_scans"):  # a reader appends to a rejects table it finds
        wh.execute(f"DROP TABLE IF EXISTS temp.{name}")
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _jm_lines AS SELECT row_number() OVER () AS line, text FROM read_csv($path, "
        "columns = {'text': 'VARCHAR'}, header = false, delim = $delim, quote = '', escape = '', auto_detect = false, "
        "store_rejects = true, rejects_table = '_jm_line_rejects', rejects_scan = '_jm_line_scans')",
        {"path": str(path), "delim": LINE_DELIMITER},
    )
    wh.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _jm_line_rejects "
        "(line BIGINT, csv_line VARCHAR, error_type VARCHAR, error_message VARCHAR)"
    )
    if not wh.scalar("SELECT count(*) FROM _jm_line_rejects"):
        return
    # the k-th line read (k from 0) sits after the left-out lines r_i with r_i - i <= k (i from 1)
    wh.execute(
        """
        CREATE OR REPLACE TEMP TABLE _jm_lines AS
        WITH left_out AS (
            SELECT line, trim(any_value(csv_line), chr(13) || chr(10)) AS text,
                   row_number() OVER (ORDER BY line) AS n_left_out,
                   line - row_number() OVER (ORDER BY line) AS n_read_before
            FROM _jm_line_rejects GROUP BY line
        ),
        steps AS (
            SELECT n_read_before, max(n_left_out) AS n_left_out FROM left_out GROUP BY n_read_before
        )
        SELECT read.line + coalesce(steps.n_left_out, 0) AS line, read.text
        FROM _jm_lines AS read ASOF LEFT JOIN steps ON read.line - 1 >= steps.n_read_before
        UNION ALL
        SELECT line, text FROM left_out
        """
    )
