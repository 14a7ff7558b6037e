"""Row counts and content hashes of every Parquet output of a run, to prove a change left
the outputs as they were.

    python benchmarks/output_hashes.py out/sample                 # rows and hash per output
    python benchmarks/output_hashes.py before/ after/             # compare two runs' outputs
    python benchmarks/output_hashes.py before/ after/ --skip changes

A hash covers every value of every row in file order. Two folders are compared output by
output, row by row in file order: `identical` (same values), `equal within 1e-12` (only
floats differ, by at most that relative amount: parallel float sums may add in another
order) or `DIFFERENT` (with the first differing row). Columns that name the run itself (run
ids) are left out, and so is `run_manifest` as a whole (ids, timings, paths). DuckDB does the
work, so outputs of millions of rows compare in seconds.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import duckdb

RUN_COLUMNS = {"run_id", "previous_run_id"}
SKIP_OUTPUTS = {"run_manifest"}
REL_TOLERANCE = 1e-12
MAX_ROWS_CHECKED_IN_PYTHON = 100_000


def outputs(folder: Path, skip: set[str] = frozenset()) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("*.parquet")) if p.stem not in SKIP_OUTPUTS | skip}


def columns_of(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    described = con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()
    return [r[0] for r in described if r[0] not in RUN_COLUMNS]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def content_hash(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str]) -> tuple[int, str]:
    """Rows and an order-sensitive hash of every value (floats exact)."""
    values = ", ".join(quoted(c) for c in columns)
    n, digest = con.execute(
        f"SELECT count(*), sum(hash(file_row_number, {values})::HUGEINT) FROM read_parquet($p, file_row_number = true)",
        {"p": str(path)},
    ).fetchall()[0]
    return int(n), f"{(digest or 0) % (1 << 64):016x}"


def close(a: Any, b: Any) -> bool:
    """Equal, or floats within REL_TOLERANCE, recursively through lists and dicts."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return a == b


def show(folder: Path) -> int:
    found = outputs(folder)
    if not found:
        print(f"no Parquet outputs in {folder}", file=sys.stderr)
        return 1
    con = duckdb.connect()
    print(f"{'output':<28} {'rows':>10}  hash")
    for name, path in found.items():
        n, digest = content_hash(con, path, columns_of(con, path))
        print(f"{name:<28} {n:>10}  {digest}")
    return 0


def compare_one(con: duckdb.DuckDBPyConnection, left: Path, right: Path) -> str:
    cols_a, cols_b = columns_of(con, left), columns_of(con, right)
    if cols_a != cols_b:
        return f"DIFFERENT columns: {cols_a} vs {cols_b}"
    (n_a, hash_a), (n_b, hash_b) = content_hash(con, left, cols_a), content_hash(con, right, cols_b)
    if n_a != n_b:
        return f"DIFFERENT row counts: {n_a} vs {n_b}"
    if hash_a == hash_b:
        return "identical"
    differs = " OR ".join(f"a.{quoted(c)} IS DISTINCT FROM b.{quoted(c)}" for c in cols_a)
    select = ", ".join(f"a.{quoted(c)}" for c in cols_a) + ", " + ", ".join(f"b.{quoted(c)}" for c in cols_a)
    rows = con.execute(
        f"SELECT a.file_row_number, {select} FROM read_parquet($a, file_row_number = true) AS a "
        f"JOIN read_parquet($b, file_row_number = true) AS b USING (file_row_number) WHERE {differs} "
        f"ORDER BY a.file_row_number LIMIT {MAX_ROWS_CHECKED_IN_PYTHON + 1}",
        {"a": str(left), "b": str(right)},
    ).fetchall()
    if len(rows) > MAX_ROWS_CHECKED_IN_PYTHON:
        return f"DIFFERENT: more than {MAX_ROWS_CHECKED_IN_PYTHON:,} rows differ"
    k = len(cols_a)
    for row in rows:
        a, b = dict(zip(cols_a, row[1:1 + k], strict=True)), dict(zip(cols_a, row[1 + k:], strict=True))
        if not close(a, b):
            return f"DIFFERENT at row {row[0]}: {a} vs {b}"
    return f"equal within {REL_TOLERANCE:g}"


def compare(before: Path, after: Path, skip: set[str] = frozenset()) -> int:
    left, right = outputs(before, skip), outputs(after, skip)
    con = duckdb.connect()
    n_different = 0
    for name in sorted(left.keys() | right.keys()):
        if name not in left or name not in right:
            print(f"{name:<28} only in {before if name in left else after}")
            n_different += 1
            continue
        verdict = compare_one(con, left[name], right[name])
        n = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(left[name])}).fetchall()[0][0]
        n_different += verdict.startswith("DIFFERENT")
        print(f"{name:<28} {n:>10}  {verdict}"[:400])
    print(f"{n_different} output(s) differ" if n_different else "all outputs equal")
    return 1 if n_different else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="one output folder to hash, or two to compare")
    parser.add_argument("--skip", action="append", default=[], metavar="OUTPUT",
                        help="leave an output out of the comparison (e.g. changes, which depends on the run before)")
    args = parser.parse_args(argv)
    if len(args.folders) == 1:
        return show(args.folders[0])
    if len(args.folders) == 2:
        return compare(*args.folders, skip=set(args.skip))
    parser.error("give one folder to hash or two to compare")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
