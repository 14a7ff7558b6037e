"""Benchmark: journeymine's run on generated data, side by side with a plain-pandas peer.

For each size, a seeded sample is generated (`journeymine sample`), then in fresh child
processes (so peak memory is each one's own):
  * journeymine: every step of a run, without Prefect (ingest → publish);
  * pandas peer: the same sessions → journeys → variants from journeymine's stitched
    events, written the straightforward pandas way (sort, diff, cumsum, groupby).
Wall seconds and peak RSS are appended to benchmarks/RESULTS.md with the command used.

    make bench                                   # sizes 2,500 and 25,000 customers
    .venv/bin/python benchmarks/run.py --customers 2500 25000 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[2500, 25000])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--child", choices=["journeymine", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_journeymine(args.config) if args.child == "journeymine" else run_pandas(args.config)
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return
    rows = []
    for customers in args.customers:
        config = prepare(customers, args.days)
        for tool in ("journeymine", "pandas"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", tool, "--config", str(config)],
                check=True, capture_output=True, text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append({"customers": customers, "tool": tool, **result})
            print(rows[-1], flush=True)
    record(rows, " ".join(sys.argv))


def prepare(customers: int, days: int) -> Path:
    """Generate the raw files (once per size) and a config that reads them."""
    folder = WORK / f"c{customers}_d{days}"
    if not (folder / "raw" / "crm").is_dir():
        from journeymine.sample import write_sample

        write_sample(folder / "raw", customers=customers, days=days, seed=1)
    config = yaml.safe_load((REPO / "journeymine.yaml").read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = source["path"].replace("data/sample/", f"{folder}/raw/")
    config["output_dir"], config["database"] = f"{folder}/out", f"{folder}/jm.duckdb"
    # label hygiene off: the peer counts every event as a step, so variants must too
    config["labels"] = {"template_urls": False, "collapse_repeats": False}
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run_journeymine(config_path: Path) -> dict:
    from journeymine import pipeline
    from journeymine.config import load_config

    config = load_config(config_path)
    config.database.unlink(missing_ok=True)  # measure a first run: every file loaded
    started = time.perf_counter()
    manifest = pipeline.run_in_process(config)
    timings = manifest["timings"]
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "n_events": manifest["counts"]["events"],
        "sessions_journeys_seconds": round(timings["split_sessions"] + timings["build_journeys"], 2),
        "mining_seconds": timings["mine_journeys"],
        "n_journeys": manifest["counts"]["journeys"],
        "n_variants": manifest["counts"]["variants"],
    }


def run_pandas(config_path: Path) -> dict:
    """The peer: sessions, journeys and variants from the stitched events with plain pandas."""
    import duckdb
    import pandas as pd

    from journeymine.config import load_config

    config = load_config(config_path)
    con = duckdb.connect(str(config.database), read_only=True)
    events = con.execute(
        "SELECT customer_id, channel, activity, occurred_at, ended_at, event_seq FROM stitched.events"
    ).df()
    con.close()
    started = time.perf_counter()
    timeouts = {k: pd.Timedelta(minutes=v) for k, v in config.sessions.timeout_minutes.items()}
    events = events.sort_values(["customer_id", "occurred_at", "event_seq"], ignore_index=True)
    ends = events["ended_at"].fillna(events["occurred_at"])
    # sessions: per customer and channel
    by_channel = events.sort_values(["customer_id", "channel", "occurred_at", "event_seq"])
    previous_end = ends.loc[by_channel.index].groupby([by_channel["customer_id"], by_channel["channel"]]).shift()
    timeout = by_channel["channel"].map(timeouts).fillna(pd.Timedelta(minutes=config.sessions.default_timeout_minutes))
    new_session = previous_end.isna() | (timeout == pd.Timedelta(0)) | (by_channel["occurred_at"] - previous_end > timeout)
    events.loc[by_channel.index, "session_number"] = new_session.groupby(
        [by_channel["customer_id"], by_channel["channel"]]).cumsum()
    # journeys: per customer, split after a goal or a long gap
    goals = set(config.journeys.goal_activities)
    previous_activity = events.groupby("customer_id")["activity"].shift()
    previous_ended = ends.groupby(events["customer_id"]).shift()
    new_journey = (previous_activity.isna() | previous_activity.isin(goals)
                   | (events["occurred_at"] - previous_ended > pd.Timedelta(days=config.journeys.window_days)))
    events["journey_number"] = new_journey.groupby(events["customer_id"]).cumsum()
    journeys = events.groupby(["customer_id", "journey_number"], sort=False)["activity"].agg(tuple)
    variants = journeys.value_counts()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "n_events": len(events),
        "sessions_journeys_seconds": round(time.perf_counter() - started, 2),
        "mining_seconds": None,
        "n_journeys": len(journeys),
        "n_variants": len(variants),
    }


def record(rows: list[dict], command: str) -> None:
    lines = [
        f"\n## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — `{command}`\n",
        "Machine: 2 cores, 24 GiB. journeymine = a whole first run without Prefect (ingest, stage, "
        "stitch, sessions, journeys, mining, publish with XES/OCEL exports), label hygiene off so that "
        "every event is a step, as in the peer; sessions+journeys = its split_sessions + build_journeys "
        "steps (sessions, journeys, steps, the journeys mart); mining = mine_journeys (variants, graph, "
        "drop-offs, friction, customers, conformance, process model). pandas = sessions → journeys → "
        "variants only, from journeymine's stitched events (the part both do).\n",
        "| customers | events | tool | whole run s | sessions+journeys s | mining s | journeys | variants | peak RSS MB |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        whole = f"{r['seconds']}" if r["tool"] == "journeymine" else "—"
        lines.append(
            f"| {r['customers']:,} | {r['n_events']:,} | {r['tool']} | {whole} | {r['sessions_journeys_seconds']} "
            f"| {r['mining_seconds'] if r['mining_seconds'] is not None else '—'} "
            f"| {r['n_journeys']:,} | {r['n_variants']:,} | {r['peak_rss_mb']:,} |"
        )
    path = HERE / "RESULTS.md"
    if not path.exists():
        path.write_text("# Benchmark results\n\nAppended by `make bench` (benchmarks/run.py).\n", encoding="utf-8")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
