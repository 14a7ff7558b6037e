"""Benchmark: a whole `journeymine run` at 1M, 10M (and 100M) raw rows, beside the floor and a peer.

For each size, a seeded sample is generated once (`journeymine sample`, into benchmarks/data/),
with the bundled sample's config pointed at it. Then, in fresh child processes, one after
another on a quiet machine, best of --repeat:

  * floor: DuckDB reads every raw file of the config once into a table (read_json for the
    JSON-lines sources, read_csv for the CSV ones) — what any tool must at least spend;
  * journeymine: `journeymine run` (the Prefect flow, a temporary Prefect server) from an empty
    working database: wall seconds, the steps' own seconds (from the run manifest), peak RSS,
    bytes written to disk;
  * in process: the same steps without Prefect (journeymine.pipeline.run_in_process). Prefect's
    own share is the run's wall time less this; what the run does after the manifest's last
    timing (analytics.duckdb, the report, keeping the identity map) is this less its steps;
  * peer: sessions → journeys → variants of the same events written the plain pandas way.

--nightly (10M): the last day of data is held back, a full run loads the rest, then a run adds
the last day's files; its outputs are compared with a full rebuild from all files.
--huge: 100M raw rows with `memory_limit: 8GB` and `partitions: 10` (generating them takes about
10 minutes).

    make bench                                        # 1M and 10M, nightly
    .venv/bin/python benchmarks/scale.py --sizes 1M 10M --repeat 3 --nightly --huge

Results are printed and appended to benchmarks/RESULTS.md with the command used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "data"
BIN = Path(sys.executable).parent
CUSTOMERS = {"1M": 23_000, "10M": 230_000, "100M": 2_300_000}
DAYS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "10M"], choices=list(CUSTOMERS))
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs of each measurement")
    parser.add_argument("--nightly", action="store_true", help="also measure a nightly run adding one day at 10M")
    parser.add_argument("--huge", action="store_true", help="also run 100M raw rows with memory_limit 8GB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.config) | usage()))
        return
    sizes = list(args.sizes) + (["100M"] if args.huge and "100M" not in args.sizes else [])
    rows = []
    for size in sizes:
        config = prepare(size)
        row = {"size": size, **measure(config, args.repeat)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    nightly = measure_nightly(args.repeat) if args.nightly else None
    if nightly:
        print(json.dumps(nightly), flush=True)
    record(rows, nightly, " ".join(["benchmarks/scale.py", *sys.argv[1:]]))


# --- data and configs ----------------------------------------------------------------------


def prepare(size: str, *, folder_name: str | None = None, memory_limit: str | None = None) -> Path:
    """Generate the size's raw files once; write a config reading them (the sample's config,
    pointed at them; 100M with memory_limit 8GB)."""
    folder = WORK / (folder_name or f"c{CUSTOMERS[size]}_d{DAYS}")
    raw = WORK / f"c{CUSTOMERS[size]}_d{DAYS}" / "raw"
    if not (raw / "crm").is_dir():
        subprocess.run([str(BIN / "journeymine"), "sample", "--customers", str(CUSTOMERS[size]), "--days", str(DAYS),
                        "--seed", "1", "--out", str(raw)], check=True)
    config = yaml.safe_load((REPO / "journeymine.yaml").read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = source["path"].replace("data/sample/", f"{raw}/")
    config["output_dir"], config["database"] = f"{folder}/out", f"{folder}/jm.duckdb"
    if size == "100M" or memory_limit:
        # 100M: DuckDB within 8GB (it spills beyond), the journeys step in 10 parts of ~10M events
        config["memory_limit"] = memory_limit or "8GB"
        config["partitions"] = 10
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def fresh(config_path: Path) -> None:
    """An empty working database and output folder: a first run loads every file."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for path in (Path(config["output_dir"]), Path(config["database"]).with_suffix(".partitions")):
        shutil.rmtree(path, ignore_errors=True)
    for suffix in ("", ".wal"):
        Path(config["database"] + suffix).unlink(missing_ok=True)


# --- measurements (each in a child process of its own) ----------------------------------------


def child(name: str, config: Path) -> dict:
    """Run the measurement `name` in a fresh process; it reports its own peak RSS and the bytes
    it (and the processes it started) wrote."""
    out = subprocess.run([sys.executable, __file__, "--child", name, "--config", str(config)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def usage() -> dict:
    """Peak RSS (the largest of this process and the ones it waited for) and bytes written."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_rss_mb": round(max(me.ru_maxrss, children.ru_maxrss) / 1024),
            "written_mb": round((me.ru_oublock + children.ru_oublock) * 512 / 1e6)}


def best(name: str, config: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        if name in ("journeymine", "in_process"):
            fresh(config)
        runs.append(child(name, config))
    return min(runs, key=lambda r: r["seconds"])


def measure(config: Path, repeat: int) -> dict:
    floor = best("floor", config, repeat)
    run = best("journeymine", config, repeat)
    in_process = best("in_process", config, repeat)
    peer = best("peer", config, repeat)
    raw_mb = sum(p.stat().st_size for p in raw_files(config)) / 1e6
    return {
        "raw_rows": floor["rows"], "raw_mb": round(raw_mb), "floor_s": floor["seconds"],
        "run_s": run["seconds"], "run_steps_s": run["steps_seconds"],
        # Prefect's own share: the same work with and without it; after the steps: what publishing
        # does once the manifest (which holds the steps' times) is written
        "prefect_s": round(run["seconds"] - in_process["seconds"], 2),
        "after_steps_s": round(in_process["seconds"] - in_process["steps_seconds"], 2),
        "run_x_floor": round(run["seconds"] / floor["seconds"], 1), "run_rss_mb": run["peak_rss_mb"],
        "run_written_mb": run["written_mb"], "steps": run["timings"],
        "in_process_s": in_process["seconds"], "in_process_rss_mb": in_process["peak_rss_mb"],
        "peer_s": peer["seconds"], "peer_rss_mb": peer["peak_rss_mb"], "events": run["events"],
    }


def raw_files(config_path: Path) -> list[Path]:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    return sorted(p for s in config["sources"].values() for p in Path(s["path"]).parent.glob(Path(s["path"]).name))


def child_floor(config_path: Path) -> dict:
    """DuckDB reading every raw file once into a table: the floor under any run."""
    import duckdb

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    con = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for name, source in config["sources"].items():
        if source.get("preset") == "segment":
            reader = "read_json($path, format = 'newline_delimited', ignore_errors = true)"
        else:
            reader = "read_csv($path, all_varchar = true, ignore_errors = true, delim = ',', quote = '\"')"
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}", {"path": source["path"]})
        rows += con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    return {"seconds": round(time.perf_counter() - started, 2), "rows": rows}


def child_journeymine(config_path: Path) -> dict:
    """`journeymine run` as a user runs it (the Prefect flow); the manifest gives the steps' time."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    started = time.perf_counter()
    subprocess.run([str(BIN / "journeymine"), "run", "--config", str(config_path)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    manifest = json.loads((Path(config["output_dir"]) / "run_manifest.json").read_text(encoding="utf-8"))
    timings = manifest["timings"]
    return {"seconds": round(seconds, 2), "steps_seconds": round(sum(timings.values()), 2),
            "timings": {k: round(v, 1) for k, v in timings.items()}, "events": manifest["counts"]["events"]}


def child_in_process(config_path: Path) -> dict:
    from journeymine import pipeline
    from journeymine.config import load_config

    started = time.perf_counter()
    manifest = pipeline.run_in_process(load_config(config_path))
    return {"seconds": round(time.perf_counter() - started, 2), "events": manifest["counts"]["events"],
            "steps_seconds": round(sum(manifest["timings"].values()), 2)}


def child_peer(config_path: Path) -> dict:
    """The peer: sessions, journeys and variants of the run's events with plain pandas (sort,
    diff, cumsum, groupby), timed from the events in memory."""
    import pandas as pd

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    events = pd.read_parquet(Path(config["output_dir"]) / "events.parquet",
                             columns=["customer_id", "channel", "activity", "occurred_at", "ended_at", "event_seq"])
    started = time.perf_counter()
    timeouts = {k: pd.Timedelta(minutes=v) for k, v in config["sessions"]["timeout_minutes"].items()}
    events = events.sort_values(["customer_id", "occurred_at", "event_seq"], ignore_index=True)
    ends = events["ended_at"].fillna(events["occurred_at"])
    by_channel = events.sort_values(["customer_id", "channel", "occurred_at", "event_seq"])
    previous_end = ends.loc[by_channel.index].groupby([by_channel["customer_id"], by_channel["channel"]]).shift()
    timeout = by_channel["channel"].map(timeouts).fillna(pd.Timedelta(minutes=30))
    new_session = previous_end.isna() | (timeout == pd.Timedelta(0)) | (by_channel["occurred_at"] - previous_end > timeout)
    events.loc[by_channel.index, "session_number"] = new_session.groupby(
        [by_channel["customer_id"], by_channel["channel"]]).cumsum()
    goals = set(config["journeys"]["goal_activities"])
    previous_activity = events.groupby("customer_id")["activity"].shift()
    previous_ended = ends.groupby(events["customer_id"]).shift()
    new_journey = (previous_activity.isna() | previous_activity.isin(goals)
                   | (events["occurred_at"] - previous_ended > pd.Timedelta(days=config["journeys"]["window_days"])))
    events["journey_number"] = new_journey.groupby(events["customer_id"]).cumsum()
    journeys = events.groupby(["customer_id", "journey_number"], sort=False)["activity"].agg(tuple)
    variants = journeys.value_counts()
    return {"seconds": round(time.perf_counter() - started, 2), "journeys": len(journeys), "variants": len(variants)}


CHILDREN = {"floor": child_floor, "journeymine": child_journeymine, "in_process": child_in_process,
            "peer": child_peer}


# --- a nightly run -------------------------------------------------------------------------------


def measure_nightly(repeat: int) -> dict:
    """Hold back the last day of the 10M data, run on the rest, add the last day and run again;
    compare with a full rebuild from all files."""
    prepare("10M")
    raw = WORK / f"c{CUSTOMERS['10M']}_d{DAYS}" / "raw"
    split = WORK / f"c{CUSTOMERS['10M']}_d{DAYS}_nightly" / "raw"
    last_day = hold_back_last_day(raw, split)
    nightly = prepare("10M", folder_name=f"c{CUSTOMERS['10M']}_d{DAYS}_nightly")
    config = yaml.safe_load(nightly.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = source["path"].replace(str(raw), str(split / "base"))
    rebuild_config = json.loads(json.dumps(config))
    nightly.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    fresh(nightly)
    full = child("journeymine", nightly)
    # the night: the last day's files arrive next to the others
    for source_dir in (split / "last_day").iterdir():
        for file in source_dir.iterdir():
            shutil.copy(file, split / "base" / source_dir.name / file.name)
    night = child("journeymine", nightly)
    rebuild = WORK / f"c{CUSTOMERS['10M']}_d{DAYS}_rebuild"
    rebuild.mkdir(exist_ok=True)
    rebuild_config["output_dir"], rebuild_config["database"] = f"{rebuild}/out", f"{rebuild}/jm.duckdb"
    (rebuild / "journeymine.yaml").write_text(yaml.safe_dump(rebuild_config, sort_keys=False), encoding="utf-8")
    fresh(rebuild / "journeymine.yaml")
    whole = child("journeymine", rebuild / "journeymine.yaml")
    # `changes` and `identity_changes` compare with the run before, which a rebuild does not have: left out
    compared = subprocess.run([sys.executable, str(HERE / "output_hashes.py"), config["output_dir"],
                               rebuild_config["output_dir"], "--skip", "changes", "--skip", "identity_changes"],
                              capture_output=True, text=True)
    # put the held-back files back where the next measurement expects them
    for source_dir in (split / "last_day").iterdir():
        for file in source_dir.iterdir():
            (split / "base" / source_dir.name / file.name).unlink(missing_ok=True)
    return {"last_day": last_day, "first_run_s": full["seconds"], "night_s": night["seconds"],
            "night_steps": night["timings"], "rebuild_s": whole["seconds"],
            "night_share": round(night["seconds"] / whole["seconds"], 2),
            "equal_to_rebuild": compared.returncode == 0, "comparison": compared.stdout.strip().splitlines()[-1]}


def hold_back_last_day(raw: Path, split: Path) -> str:
    """Copy the raw files to split/base, but the events of the last day, which go to
    split/last_day (one file per source, named so it sorts after the others)."""
    marker = split / "last_day.txt"
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip()
    shutil.rmtree(split, ignore_errors=True)
    last_day = None
    for source_dir in sorted(raw.iterdir()):
        if not source_dir.is_dir():
            continue
        (split / "base" / source_dir.name).mkdir(parents=True, exist_ok=True)
        (split / "last_day" / source_dir.name).mkdir(parents=True, exist_ok=True)
        files = sorted(source_dir.iterdir())
        for file in files[:-1]:
            shutil.copy(file, split / "base" / source_dir.name / file.name)
        last = files[-1]
        if source_dir.name == "crm":  # customer records have no day: they stay
            shutil.copy(last, split / "base" / source_dir.name / last.name)
            continue
        day = _last_day(last)
        last_day = max(last_day or day, day)
        _split_file(last, day, split / "base" / source_dir.name / last.name,
                    split / "last_day" / source_dir.name / last.name.replace(".", "-z-last-day.", 1))
    marker.write_text(str(last_day), encoding="utf-8")
    return str(last_day)


def _day_of(line: str, is_json: bool) -> str | None:
    if is_json:
        try:
            return json.loads(line).get("timestamp", "")[:10]
        except ValueError:
            return None
    for field in line.split(","):  # the first field that looks like a date, YYYY-MM-DD or DD/MM/YYYY
        if len(field) >= 10 and field[4] == "-" and field[7] == "-":
            return field[:10]
        if len(field) >= 10 and field[2] == "/" and field[5] == "/":
            return f"{field[6:10]}-{field[3:5]}-{field[0:2]}"
    return None


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.readlines()


def _last_day(path: Path) -> str:
    is_json = ".jsonl" in path.name
    return max(d for line in _lines(path)[0 if is_json else 1:] if (d := _day_of(line, is_json)))


def _split_file(path: Path, day: str, base: Path, held: Path) -> None:
    is_json = ".jsonl" in path.name
    lines = _lines(path)
    header = [] if is_json else lines[:1]
    body = lines[len(header):]
    keep = header + [line for line in body if _day_of(line, is_json) != day]
    late = header + [line for line in body if _day_of(line, is_json) == day]
    for target, content in ((base, keep), (held, late)):
        opener = gzip.open if target.suffix == ".gz" else open
        with opener(target, "wt", encoding="utf-8") as handle:
            handle.writelines(content)


# --- the record ----------------------------------------------------------------------------


def record(rows: list[dict], nightly: dict | None, command: str) -> None:
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — `{command}`\n",
        "Machine: 2 cores, 24 GiB, nothing else running. Each number is the best of the runs, each run a "
        "fresh process from an empty working database. floor = DuckDB reading every raw file once into a "
        "table; run = `journeymine run` (Prefect flow, temporary Prefect server) end to end, and its "
        "steps' own seconds from the run manifest; in process = the same steps without Prefect; Prefect = "
        "run less in process; after steps = in process less its steps' seconds (publishing after the "
        "manifest: analytics.duckdb, the report, the identity map kept); peer = pandas sessions → "
        "journeys → variants of the same events.\n",
        "| raw rows | raw MB | floor s | run s | steps s | after steps s | Prefect s | run / floor | peak RSS MB "
        "| written MB | in process s | peer s | peer RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['raw_rows']:,} | {r['raw_mb']:,} | {r['floor_s']} | {r['run_s']} | {r['run_steps_s']} "
            f"| {r['after_steps_s']} | {r['prefect_s']} | {r['run_x_floor']} | {r['run_rss_mb']:,} | {r['run_written_mb']:,} "
            f"| {r['in_process_s']} | {r['peer_s']} | {r['peer_rss_mb']:,} |"
        )
    lines.append("\nSteps of the run (seconds, from the manifest):\n")
    names = list(rows[0]["steps"]) if rows else []
    lines.append("| raw rows | " + " | ".join(names) + " |")
    lines.append("|---:|" + "---:|" * len(names))
    for r in rows:
        lines.append(f"| {r['raw_rows']:,} | " + " | ".join(str(r["steps"].get(n, "")) for n in names) + " |")
    by_size = {r["size"]: r for r in rows}
    if "1M" in by_size and "10M" in by_size:
        lines.append(f"\nLinear growth: run(10M) / run(1M) = {by_size['10M']['run_s'] / by_size['1M']['run_s']:.1f}; "
                     f"steps only: {by_size['10M']['run_steps_s'] / by_size['1M']['run_steps_s']:.1f}.")
    if nightly:
        lines.append(
            f"\nNightly (10M, the last day {nightly['last_day']} held back): first run {nightly['first_run_s']} s; "
            f"the night adding that day {nightly['night_s']} s = {nightly['night_share']:.0%} of a full rebuild "
            f"({nightly['rebuild_s']} s); outputs equal to the rebuild (all but `changes` and `identity_changes`, which compare with "
            f"the run before): {nightly['equal_to_rebuild']} ({nightly['comparison']}). Night steps: "
            f"{nightly['night_steps']}."
        )
    text = "\n".join(lines) + "\n"
    print(text)
    with (HERE / "RESULTS.md").open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
