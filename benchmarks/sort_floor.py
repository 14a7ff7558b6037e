"""Benchmark: the floor under journeymine's mining at 10M events, on this machine.

Every directly-follows count, variant and performance time needs each case's events in
order: one sort of the whole log by (case, time, source order). This script times that sort
alone in DuckDB, on the generated log of benchmarks/mining.py, already loaded and already
reduced to integers (a 64-bit case key, a 32-bit activity code, microseconds, file order):

  * sort        CREATE TABLE … AS SELECT … ORDER BY case_key, time_us, event_seq
  * sort+lag    the window journeymine runs (row_number and lag per case), on the same ints
  * group       count(*) per case (a hash aggregate, for scale: no ordering at all)

and sets them against pm4py's DFG + variants + performance DFG as measured by
benchmarks/mining.py (the latest RESULTS.md row, or --pm4py-seconds): the 10x target
leaves pm4py's time / 10 for all of journeymine's mining.

    .venv/bin/python benchmarks/sort_floor.py                 # 10M events, best of 5, appends to RESULTS.md
    .venv/bin/python benchmarks/sort_floor.py --events 1000000 --no-record
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mining import generated_log, wait_until_quiet  # noqa: E402  (the same generated log)

QUERIES = {
    "group": "CREATE OR REPLACE TABLE out AS SELECT case_key, count(*) AS n FROM ints GROUP BY case_key",
    "sort": "CREATE OR REPLACE TABLE out AS SELECT * FROM ints ORDER BY case_key, time_us, event_seq",
    "sort+lag": (
        "CREATE OR REPLACE TABLE out AS SELECT case_key, row_number() OVER w AS step_number, code, "
        "lag(code) OVER w AS previous_code, time_us - lag(time_us) OVER w AS delta_us "
        "FROM ints WINDOW w AS (PARTITION BY case_key ORDER BY time_us, event_seq)"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pm4py-seconds", type=float, help="pm4py's mining time (default: latest RESULTS.md)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    log_path = generated_log(args.events, args.seed)
    con = duckdb.connect()
    con.execute("SET memory_limit = '4GB'")
    con.execute(
        "CREATE TABLE ints AS SELECT hash(\"case:concept:name\") AS case_key, "
        "dense_rank() OVER (ORDER BY \"concept:name\")::INTEGER AS code, "
        "epoch_us(\"time:timestamp\") AS time_us, file_row_number AS event_seq "
        "FROM read_parquet($path, file_row_number = true)",
        {"path": str(log_path)},
    ).fetchall()
    n_rows = con.execute("SELECT count(*) FROM ints").fetchall()[0][0]
    best: dict[str, float] = {}
    runs: dict[str, list[float]] = {}
    for name, query in QUERIES.items():
        for _ in range(args.repeats):
            wait_until_quiet()
            started = time.perf_counter()
            con.execute(query).fetchall()
            runs.setdefault(name, []).append(time.perf_counter() - started)
        best[name] = min(runs[name])
        print(f"{name:<9} best {best[name]:.2f} s   runs {', '.join(f'{s:.2f}' for s in runs[name])}")
    pm4py = args.pm4py_seconds or latest_pm4py_seconds()
    budget = pm4py / 10 if pm4py else None
    if budget:
        print(f"pm4py mining {pm4py:.2f} s → the 10x budget is {budget:.2f} s; the sort alone takes "
              f"{best['sort'] / budget:.0%} of it, the sort with its window {best['sort+lag'] / budget:.0%}")
    if not args.no_record:
        record(args, n_rows, best, runs, pm4py, budget)


def latest_pm4py_seconds() -> float | None:
    """pm4py's mine s on the generated 10M log, from the newest mining section of RESULTS.md."""
    text = (HERE / "RESULTS.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| generated 10,000,000 \| [\d,]+ \| [\d,]+ \| pm4py \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", text, re.M)
    return float(rows[-1]) if rows else None


def record(args: argparse.Namespace, n_rows: int, best: dict[str, float], runs: dict[str, list[float]],
           pm4py: float | None, budget: float | None) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "", f"## {now} — the sort floor at {n_rows:,} events: `benchmarks/sort_floor.py`", "",
        f"Machine: {os.cpu_count()} cores; duckdb {duckdb.__version__}, its default threads. The generated log "
        "of benchmarks/mining.py, loaded and reduced to integers first (not timed). Best of "
        f"{args.repeats}, each after the machine went quiet.", "",
        "| query | best s | all runs s | share of the 10x budget |", "|---|---:|---|---:|",
    ]
    for name in QUERIES:
        share = f"{best[name] / budget:.0%}" if budget else "—"
        lines.append(f"| {name} | {best[name]:.2f} | {', '.join(f'{s:.2f}' for s in runs[name])} | {share} |")
    if budget:
        lines += ["", f"pm4py's DFG + variants + performance DFG: {pm4py:.2f} s (latest benchmarks/mining.py row), "
                      f"so the 10x target leaves {budget:.2f} s for all of journeymine's mining."]
    with (HERE / "RESULTS.md").open("a", encoding="utf-8") as results:
        results.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
