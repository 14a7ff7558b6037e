"""Row counts and content hashes of every Parquet output of a run, to prove a change left
the outputs as they were.

    python benchmarks/output_hashes.py out/sample                 # rows and hash per output
    python benchmarks/output_hashes.py before/ after/             # compare two runs' outputs

A hash covers every value of every row in file order. Two folders are compared output by
output: `identical` (same hash), `equal within 1e-12` (only floats differ, by at most that
relative amount: parallel float sums may add in another order) or `DIFFERENT` (with the first
differing row). Columns that name the run itself (run ids) are left out, and so is
`run_manifest` as a whole (ids, timings, paths).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

RUN_COLUMNS = {"run_id", "previous_run_id"}
SKIP_OUTPUTS = {"run_manifest"}
REL_TOLERANCE = 1e-12


def read_rows(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns (run columns left out) and rows of one Parquet file."""
    table = pq.read_table(path)
    keep = [name for name in table.column_names if name not in RUN_COLUMNS]
    return keep, table.select(keep).to_pylist()


def content_hash(columns: list[str], rows: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(repr(columns).encode())
    for row in rows:
        digest.update(repr(list(row.values())).encode())
    return digest.hexdigest()[:16]


def close(a: Any, b: Any) -> bool:
    """Equal, or floats within REL_TOLERANCE, recursively through lists and dicts."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return a == b


def outputs(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("*.parquet")) if p.stem not in SKIP_OUTPUTS}


def show(folder: Path) -> int:
    found = outputs(folder)
    if not found:
        print(f"no Parquet outputs in {folder}", file=sys.stderr)
        return 1
    print(f"{'output':<28} {'rows':>10}  hash")
    for name, path in found.items():
        columns, rows = read_rows(path)
        print(f"{name:<28} {len(rows):>10}  {content_hash(columns, rows)}")
    return 0


def compare(before: Path, after: Path) -> int:
    left, right = outputs(before), outputs(after)
    n_different = 0
    for name in sorted(left.keys() | right.keys()):
        if name not in left or name not in right:
            print(f"{name:<28} only in {before if name in left else after}")
            n_different += 1
            continue
        (cols_a, rows_a), (cols_b, rows_b) = read_rows(left[name]), read_rows(right[name])
        if cols_a != cols_b:
            verdict = f"DIFFERENT columns: {cols_a} vs {cols_b}"
        elif len(rows_a) != len(rows_b):
            verdict = f"DIFFERENT row counts: {len(rows_a)} vs {len(rows_b)}"
        elif content_hash(cols_a, rows_a) == content_hash(cols_b, rows_b):
            verdict = "identical"
        else:
            bad = next((i for i, (a, b) in enumerate(zip(rows_a, rows_b, strict=True)) if not close(a, b)), None)
            verdict = f"equal within {REL_TOLERANCE:g}" if bad is None else (
                f"DIFFERENT at row {bad}: {rows_a[bad]} vs {rows_b[bad]}"
            )
        n_different += verdict.startswith("DIFFERENT")
        print(f"{name:<28} {len(rows_a):>10}  {verdict}"[:400])
    print(f"{n_different} output(s) differ" if n_different else "all outputs equal")
    return 1 if n_different else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="one output folder to hash, or two to compare")
    args = parser.parse_args(argv)
    if len(args.folders) == 1:
        return show(args.folders[0])
    if len(args.folders) == 2:
        return compare(*args.folders)
    parser.error("give one folder to hash or two to compare")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
