"""Where a run's time goes, statement by statement: one in-process run (no Prefect) of a config,
with every SQL statement journeymine sends to DuckDB timed, then the steps' seconds and the
statements that cost most.

    .venv/bin/python benchmarks/profile_statements.py benchmarks/data/c230000_d60/journeymine.yaml
    .venv/bin/python benchmarks/profile_statements.py CONFIG --top 60

The run writes where the config says (use a copy of the config with its own output_dir and
database: the working database should start empty for a whole run). Statements are grouped by
their first 120 characters, so the 37 files' staging queries count as one line with n = 37.
Python time outside SQL is the run's time less the sum (py-spy shows where it goes). Measure on
a quiet machine: anything else running doubles the numbers.
"""

from __future__ import annotations

import argparse
import collections
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journeymine import db, pipeline
from journeymine.config import load_config

# the Warehouse methods that send SQL (build and select go through these)
TIMED = ("execute", "rows", "scalar", "df", "arrays", "create_from_arrays", "insert_frame")


def timing(seconds: dict[str, float], counts: collections.Counter) -> None:
    """Wrap the Warehouse's SQL methods so that each call adds its time under its statement."""
    for name in TIMED:
        original: Callable[..., Any] = getattr(db.Warehouse, name)

        def timed(self: db.Warehouse, sql: Any, *args: Any, _original: Callable[..., Any] = original,
                  _name: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(self, sql, *args, **kwargs)
            finally:
                key = f"{_name}: " + re.sub(r"\s+", " ", str(sql)).strip()[:120]
                seconds[key] += time.perf_counter() - started
                counts[key] += 1

        setattr(db.Warehouse, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--top", type=int, default=40, help="statements listed (default: 40)")
    args = parser.parse_args()
    seconds: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter = collections.Counter()
    timing(seconds, counts)
    started = time.perf_counter()
    manifest = pipeline.run_in_process(load_config(args.config))
    total = time.perf_counter() - started
    steps = manifest["timings"]
    print(f"in process: {total:.1f} s; steps {sum(steps.values()):.1f} s; SQL {sum(seconds.values()):.1f} s")
    for step, s in steps.items():
        print(f"  {step:<28} {s:8.2f}")
    print(f"\n{'seconds':>8} {'n':>5}  statement")
    for key, s in sorted(seconds.items(), key=lambda item: -item[1])[:args.top]:
        print(f"{s:8.2f} {counts[key]:5d}  {key}")


if __name__ == "__main__":
    main()
