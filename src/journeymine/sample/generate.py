"""`write_sample`: generate the seeded sample world and stream it to disk, chunk by chunk."""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from .clock import DAY_MS, London, day_to_ms
from .records import Period
from .stories import live
from .world import crm_row, make_person
from .writers import PLANTED_DEFECTS, SOURCES, ChunkOutput, ChunkWriter, SampleFiles

OUTAGE_FIRST_DAY = 30  # story 2: payments fail from start + 30 days ...
OUTAGE_DAYS = 5  # ... for 5 days
# People per chunk. It fixes where gzip members start, so it is part of the output format:
# changing it changes the bytes (not the content) of the JSON-lines files.
CHUNK_PEOPLE = 500
MAX_WORKERS = 8
# Files a previous run may have left; only these are removed before writing.
_OWN_FILES = ("web/web-*.jsonl.gz", "app/app-*.jsonl.gz", "calls/calls-*.csv", "store/pos-*.csv", "crm/customers.csv")


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample` wrote.

    `rows`: data rows (lines) per source folder (web, app, calls, store, crm), planted bad
    rows included, headers excluded; `files`: every file written, sorted; `n_events`: rows
    that describe an event (page/screen/track lines, calls, store rows; not identify calls
    nor CRM rows); `planted`: how many bad rows of each kind were planted.
    """

    rows: dict[str, int]
    files: tuple[Path, ...]
    n_events: int
    planted: dict[str, int]


@dataclass(frozen=True)
class _Chunk:
    """The people [first, last) of one run, and the defects to plant among them."""

    seed: int
    start: date
    days: int
    total: int
    first: int
    last: int
    defects: tuple[tuple[str, str], ...]


@lru_cache(maxsize=4)
def _setting(start: date, days: int) -> tuple[London, Period]:
    """The clock and the period of a run (cached: every chunk of a run shares them)."""
    clock = London(start.year - 1, (start + timedelta(days=days)).year + 1)
    first_ms = day_to_ms(start)
    period = Period(
        start=start,
        days=days,
        start_ms=clock.local_to_utc(first_ms),
        end_ms=clock.local_to_utc(first_ms + days * DAY_MS),
        outage_start_ms=clock.local_to_utc(first_ms + OUTAGE_FIRST_DAY * DAY_MS),
        outage_end_ms=clock.local_to_utc(first_ms + (OUTAGE_FIRST_DAY + OUTAGE_DAYS) * DAY_MS),
    )
    return clock, period


def make_chunk(chunk: _Chunk) -> ChunkOutput:
    """Generate and format the people of one chunk (runs in a worker process)."""
    clock, period = _setting(chunk.start, chunk.days)
    writer = ChunkWriter(clock, list(chunk.defects))
    for index in range(chunk.first, chunk.last):
        # One generator per person, seeded by (seed, person): a person's life does not
        # depend on the people before them, nor on which process generates them.
        rng = random.Random(f"journeymine-sample/{chunk.seed}/{index}")
        person = make_person(index, chunk.total, rng, chunk.start)
        records = live(person, rng, period, clock, chunk.total)
        writer.write(index, records, crm_row(person, rng) if person.ref is not None else None)
    return writer.finish()


def _plan_chunks(customers: int, days: int, seed: int, start: date) -> list[_Chunk]:
    """Cut people 1..customers into chunks, each with the defects that fall in it."""
    chunks = []
    for first in range(1, customers + 1, CHUNK_PEOPLE):
        last = min(first + CHUNK_PEOPLE, customers + 1)
        defects = tuple(
            (folder, defect) for fraction, folder, defect in PLANTED_DEFECTS
            if first <= 1 + int(fraction * (customers - 1)) < last
        )
        chunks.append(_Chunk(seed, start, days, customers, first, last, defects))
    return chunks


def _start_method() -> str:
    """How to start worker processes.

    "fork" needs no `if __name__ == "__main__":` guard in the calling script, but forking a
    process that runs threads (DuckDB, Prefect) or on macOS is unsafe; "spawn" is then used.
    """
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def _run_chunks(chunks: list[_Chunk], workers: int) -> Iterator[ChunkOutput]:
    """Chunk outputs in chunk order; with workers > 1 at most 2 per worker are in flight."""
    if workers <= 1:
        yield from map(make_chunk, chunks)
        return
    with multiprocessing.get_context(_start_method()).Pool(workers) as pool:
        pending = deque(pool.apply_async(make_chunk, (chunk,)) for chunk in chunks[: 2 * workers])
        queued = len(pending)
        while pending:
            done = pending.popleft().get()
            if queued < len(chunks):
                pending.append(pool.apply_async(make_chunk, (chunks[queued],)))
                queued += 1
            yield done


def write_sample(
    out_dir: Path,
    *,
    customers: int,
    days: int,
    seed: int,
    start: date = date(2026, 2, 2),
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> SampleSummary:
    """Write a synthetic sample of `customers` people over `days` days from `start` into `out_dir`.

    Same arguments give byte-identical files, whatever `workers` is. People are generated
    in chunks of 500 and each chunk is written as soon as it is ready, so memory stays
    bounded however large the sample. `workers`: processes generating chunks (default: the
    CPU count, at most 8; 1 for runs of up to 4 chunks). `progress(done, total)` is called
    after each chunk with the number of people written so far.
    Files of a previous sample in `out_dir` are replaced; nothing else there is touched.
    """
    if customers < 1 or days < 1:
        raise ValueError(f"customers and days must be at least 1, found customers={customers}, days={days}")
    out_dir = Path(out_dir)
    for pattern in _OWN_FILES:
        for old in sorted(out_dir.glob(pattern)):
            old.unlink()
    chunks = _plan_chunks(customers, days, seed, start)
    if workers is None:
        workers = 1 if len(chunks) <= 4 else min(os.cpu_count() or 1, MAX_WORKERS)
    files = SampleFiles(out_dir)
    rows = dict.fromkeys(SOURCES, 0)
    planted: dict[str, int] = {}
    n_events = done = 0
    for output in _run_chunks(chunks, min(workers, len(chunks))):
        files.append(output)
        for source, n in output.rows.items():
            rows[source] += n
        for defect, n in output.planted.items():
            planted[defect] = planted.get(defect, 0) + n
        n_events += output.n_events
        done += output.people
        if progress is not None:
            progress(done, customers)
    return SampleSummary(rows=rows, files=tuple(files.close()), n_events=n_events, planted=planted)
