"""The `journeymine` command line: `run` a config (Prefect flow), `mine` a log, count a `funnel`,
`export` a run as XES/OCEL, query it with `sql`, `show` its story, write a `sample`; `server` and
`serve` run a config nightly on a Prefect server's schedule (journeymine.serve).

This is the edge where configuration enters: command-line flags and, for Prefect, a few
environment defaults. Errors a user can fix are printed as one line, without a traceback; each
outcome has its exit code (EXIT_CODES; an error's `exit_code`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import textwrap
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from journeymine import __version__
from journeymine.config import Config, load_config
from journeymine.errors import EXIT_CODES, EXIT_INTERNAL, JourneymineError, RunStopped
from journeymine.mining.eventlog import DEFAULT_ACTIVITY, DEFAULT_CASE, DEFAULT_TIMESTAMP, LOG_FORMATS
from journeymine.outputs.publish import MINE_OUTPUTS, RUN_OUTPUTS
from journeymine.outputs.summary import summarize_run
from journeymine.runcontrol import RunLock, database_in_use, hold_run_lock, lock_path, stop_on_signals
from journeymine.serve import add_commands as add_schedule_commands


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except JourneymineError as exc:
        print(f"journeymine: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except RunStopped as exc:
        print(f"journeymine: {exc}: the run did not finish; the outputs of the last run that finished are as "
              "they were", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # a command other than run
        print("journeymine: stopped by SIGINT", file=sys.stderr)
        return RunStopped(signal.SIGINT).exit_code
    except Exception as exc:
        if "No space left on device" in str(exc):  # the machine, not a bug: one line, no traceback
            print(f"journeymine: error: the disk is full ({str(exc).splitlines()[0]}); DuckDB spills beyond "
                  "memory_limit into <database>.spill beside the working database: free space there, or raise "
                  "memory_limit. The published outputs are as they were.", file=sys.stderr)
            return EXIT_INTERNAL
        traceback.print_exc()
        print(f"journeymine: internal error: {type(exc).__name__}: {exc}\n"
              "(a bug: please report it with the traceback above)", file=sys.stderr)
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journeymine", description=__doc__.split("\n\n")[0].replace("\n", " "), epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"journeymine {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = _command(
        commands, "run", "load, stitch and mine the sources of a config (Prefect flow)",
        "Load the config's new files, stitch, build the journeys, mine and publish: the Prefect flow "
        "pipelines/journeymine_flow.py, against PREFECT_API_URL or else a temporary Prefect server started for the "
        "run. One run at a time per working database (a lock file beside it). SIGTERM or Ctrl-C stops a run within "
        "seconds; the last published outputs stay as they were.\n\n"
        "Writes into the config's output_dir, a folder per run under runs/ (`current` links the published one): "
        f"{_parquet(RUN_OUTPUTS)}, run_manifest.parquet, analytics.duckdb (a table per output, `run` and the "
        "analysts' macros), run_manifest.json, friction_report.html, process_model.bpmn and process_model.pnml; "
        "the working database (`database`) keeps what was read, the identity map and the file registry.",
    )
    run.add_argument("--config", type=Path, default=Path("journeymine.yaml"), help="config file (default: journeymine.yaml)")
    scale = run.add_mutually_exclusive_group()
    scale.add_argument("--no-prefect", action="store_true",
                       help="run the same steps in this process without Prefect (no server to start, no flow run "
                       "recorded in Prefect, journeys not on Dask) (default: the Prefect flow)")
    scale.add_argument("--workers", type=_positive, metavar="N",
                       help="build the journeys on a Dask LocalCluster of N worker processes, the customers split "
                       "into max(N, config partitions) parts (default: in this process)")
    scale.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                       help="build the journeys on the existing Dask cluster at this address (its workers must "
                       "read and write the folder of the working database) (default: none)")
    run.set_defaults(handler=_run)

    mine = _command(
        commands, "mine", "mine any event log (XES, CSV, Parquet): one journey per case",
        "Mine a plain event log with the SQL of a full run, each case being a journey.\n\n"
        f"Writes into --out: {_parquet(MINE_OUTPUTS)} (rows without a case, an activity or a readable time, with "
        "their row number and reason), analytics.duckdb (a table per output, `run` and the analysts' macros), "
        "run_manifest.json, friction_report.html (the journey flow and the channel switches), process_model.bpmn "
        "and process_model.pnml (unless --no-model).",
    )
    mine.add_argument("log", type=Path, help="event log: .xes, .xes.gz, .csv(.gz), .tsv(.gz) or .parquet")
    mine.add_argument("--out", type=Path, required=True, help="folder for the outputs")
    mine.add_argument("--case", default=DEFAULT_CASE, help=f"case column (default: {DEFAULT_CASE})")
    mine.add_argument("--activity", default=DEFAULT_ACTIVITY, help=f"activity column (default: {DEFAULT_ACTIVITY})")
    mine.add_argument("--timestamp", default=DEFAULT_TIMESTAMP, help=f"time column (default: {DEFAULT_TIMESTAMP})")
    mine.add_argument("--channel", help="channel column (default: every event's channel is 'log')")
    mine.add_argument("--format", choices=LOG_FORMATS, help="file format (default: from the file name)")
    mine.add_argument("--sep", help="CSV delimiter (default: detected)")
    mine.add_argument("--time-format", help="strptime codes such as '%%Y/%%m/%%d %%H:%%M:%%S', or epoch / epoch_ms "
                      "(default: ISO 8601)")
    mine.add_argument("--time-zone", default="UTC", help="zone of times without an offset (default: UTC)")
    mine.add_argument("--goal", action="append", default=[], metavar="ACTIVITY",
                      help="a goal activity (repeatable): cases ending there are converted, the others abandoned "
                      "(default: none, every case is 'ended')")
    hygiene = mine.add_argument_group("label hygiene (off by default, so counts equal pm4py's)")
    hygiene.add_argument("--template-urls", action="store_true",
                         help="'/product/123?x=1' becomes '/product/{id}' (default: off)")
    hygiene.add_argument("--collapse-repeats", action="store_true",
                         help="consecutive repeats of an activity become one step (counted as rework) (default: off)")
    hygiene.add_argument("--rare-activity-share", type=float, default=0.0, metavar="SHARE",
                         help="activities below this share of events become 'Other' (default: 0, off)")
    model = mine.add_argument_group("process model (pm4py inductive miner, infrequent)")
    model.add_argument("--model-coverage", type=float, default=0.8, metavar="SHARE",
                       help="mine the model from the top variants covering this share of cases (default: 0.8)")
    model.add_argument("--noise-threshold", type=float, default=0.2, help="IMf noise threshold (default: 0.2)")
    model.add_argument("--max-model-variants", type=_positive, default=1000, metavar="N",
                       help="mine at most this many variants; the summary states the coverage reached (default: 1000)")
    model.add_argument("--no-model", action="store_true",
                       help="skip process discovery (no pm4py at all) (default: off, the model is mined)")
    mine.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit; it spills to disk beyond (default: 4GB)")
    mine.add_argument("--threads", type=_positive, help="DuckDB threads (default: all cores)")
    mine.set_defaults(handler=_mine)

    funnel = _command(
        commands, "funnel", "a funnel over the outputs of a run: stages reached, continued, dropped",
        "Count a funnel on an existing run's outputs (its analytics.duckdb, read-only): per stage, the journeys that "
        "reached it, went on to the next stage, dropped out or may still go on, and the median time to the next "
        "stage. Stages are activities in order (--stage, each its own stage) or the run's funnel (--config: its "
        "funnel stages or journey map, and its breakdown).\n\nPrints the funnel as a table; writes nothing.",
    )
    funnel.add_argument("--out", type=Path, help="a run's output folder (default: the config's output_dir)")
    funnel.add_argument("--stage", action="append", default=[], metavar="ACTIVITY",
                        help="an activity, in funnel order (repeat: at least 2) (default: the config's stages)")
    funnel.add_argument("--config", type=Path,
                        help="the run's config: the funnel of the run (its funnel stages or journey map up to the goal "
                        "stage, its label hygiene, and its funnel settings as defaults of the options below) "
                        "(default: none)")
    funnel.add_argument("--window-hours", type=float, metavar="HOURS",
                        help="a later stage counts when reached within this many hours of entering "
                        "(default: the config's, else 168)")
    funnel.add_argument("--ordering", choices=("loose", "strict"),
                        help="loose: other steps may come in between; strict: each stage directly follows the "
                        "one before (default: the config's, else loose)")
    funnel.add_argument("--by", action="append", default=[], metavar="ATTRIBUTE",
                        help="break down by a journey attribute, e.g. platform or segment (repeatable) "
                        "(default: the config's funnel.breakdown, else none)")
    funnel.add_argument("--min-journeys", type=_positive, metavar="N",
                        help="show a segment only when at least N of its journeys entered "
                        "(default: the config's, else 10)")
    funnel.set_defaults(handler=_funnel)

    export = _command(
        commands, "export", "write a run's journeys as XES and OCEL 2.0 for other process-mining tools",
        "Read a finished run's events.parquet and journeys.parquet. On demand: at millions of events these files "
        "take longer than the rest of the run (set exports.xes / exports.ocel in the config to write them on every "
        "run).\n\nWrites into the run's output folder: journeys.xes.gz (one trace per journey: Disco, ProM, "
        "Celonis, pm4py) and journeys.ocel.json.gz (OCEL 2.0: events with their customer, session, journey and "
        "order objects).",
    )
    export.add_argument("--out", type=Path, help="a run's output folder (default: the config's output_dir)")
    export.add_argument("--config", type=Path, default=Path("journeymine.yaml"),
                        help="config whose output_dir holds the run (default: journeymine.yaml)")
    export.add_argument("--format", choices=("xes", "ocel", "both"), default="both",
                        help="which file to write (default: both)")
    export.set_defaults(handler=_export)

    sample = _command(
        commands, "sample", "write seeded sample raw files with planted stories",
        "Generate synthetic raw files in every input format, with the stories of data/sample planted (a mobile "
        "checkout loop, payment errors that lead to calls, a drop-off at account creation, click-and-collect, a "
        "shared kiosk, negative sentiment on one call reason) and deliberately bad rows. Same seed, same bytes; "
        "`make sample` regenerates data/sample.\n\nWrites into --out, a file per week: web/*.jsonl.gz and "
        "app/*.jsonl.gz (Segment JSON lines), calls/*.csv (call-center contacts), store/*.csv (POS), and "
        "crm/*.csv (customer records).",
    )
    sample.add_argument("--customers", type=_positive, required=True, help="number of customers (and visitors)")
    sample.add_argument("--days", type=_positive, required=True, help="length of the period in days")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    sample.add_argument("--start", type=date.fromisoformat, default=date(2026, 2, 2),
                        help="first day, YYYY-MM-DD (default: 2026-02-02)")
    sample.add_argument("--out", type=Path, required=True, help="folder to write into")
    sample.set_defaults(handler=_sample)

    sql = _command(
        commands, "sql", "a SQL shell on the latest run's analytics.duckdb (read-only)",
        "Open the published analytics.duckdb of the latest run read-only: a prompt (statements end with ';', .help "
        "lists the dot commands, .tables the outputs, .macros and .queries the ready-made questions), or run the -c "
        "statements and then each FILE, and stop at the first error. Standard input that is not a terminal is run "
        "as one script.\n\nPrints the results; writes nothing.",
    )
    _run_folder_arguments(sql)
    sql.add_argument("-c", "--command", action="append", default=[], metavar="SQL",
                     help="statements to run before any FILE, e.g. \"FROM paths_from('Cart', 4)\" (repeatable) "
                     "(default: none)")
    sql.add_argument("file", nargs="*", type=Path, metavar="FILE",
                     help="a .sql file or the name of a query in sql/queries (default: none: a prompt)")
    sql.add_argument("--format", choices=("table", "csv"), default="table",
                     help="results as aligned tables, or CSV with every row (default: table)")
    sql.add_argument("--max-rows", type=int, default=40, metavar="N",
                     help="print at most N rows of a result as a table; 0: all (default: 40)")
    sql.set_defaults(handler=_sql)

    show = _command(
        commands, "show", "print the latest run's top paths, friction, funnel and alerts",
        "Print the story of the latest run from its analytics.duckdb (read-only): the top paths (variants), the "
        "friction findings with their evidence, the funnel and the alerts (changes since the previous run), as "
        "tables. Colour only on a terminal.\n\nPrints; writes nothing.",
    )
    _run_folder_arguments(show)
    show.add_argument("--top", type=_positive, default=10, metavar="N",
                      help="paths and friction findings to show (default: 10)")
    show.set_defaults(handler=_show)
    add_schedule_commands(commands, _command)  # server, serve
    return parser


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions wrapped to the terminal line by line (a line is a paragraph); indented lines,
    such as the exit codes, kept as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(line if not line or line.startswith(" ") else textwrap.fill(line, width, initial_indent=indent,
                                                                                    subsequent_indent=indent)
                         for line in text.splitlines())


def _command(commands: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    """A subcommand whose --help shows its description, its options' defaults and the exit codes."""
    return commands.add_parser(name, help=summary, description=description, epilog=EXIT_CODES, formatter_class=_Help)


def _parquet(names: tuple[str, ...]) -> str:
    return ", ".join(f"{name}.parquet" for name in names)


def _run_folder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="a run's output folder (default: the config's output_dir)")
    parser.add_argument("--config", type=Path, default=Path("journeymine.yaml"),
                        help="config whose output_dir holds the runs (default: journeymine.yaml)")


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)  # fail on a bad config before anything starts
    # SIGTERM / Ctrl-C from here on end in RunStopped; the lock is taken before anything is touched
    with stop_on_signals(final=True), hold_run_lock(lock_path(config.database)) as lock:
        if note := lock.take_note():
            print(f"journeymine: note: {note}", file=sys.stderr)
        manifest = _run_in_process(config) if args.no_prefect else _run_flow(args, lock)
    print(summarize_run(manifest, config.output_dir))
    return 0


def _run_flow(args: argparse.Namespace, lock: RunLock) -> dict[str, Any]:
    """The Prefect flow, against PREFECT_API_URL or a temporary server whose pid goes into the
    run lock (the next run stops it should this one be killed before it could)."""
    for key, value in {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "journeymine",
        "PREFECT_UI_ENABLED": "false",
    }.items():
        os.environ.setdefault(key, value)
    logging.getLogger("journeymine").setLevel(logging.INFO)  # shown through Prefect's log handlers
    from pipelines.journeymine_flow import journeymine_flow, prefect_api, quiet_console_errors  # Prefect: only here

    quiet_console_errors()
    with prefect_api(on_server_start=lambda pid: lock.record(prefect_server_pid=pid)):
        return journeymine_flow(str(args.config.resolve()), workers=args.workers, dask_address=args.dask_address)


def _run_in_process(config: Config) -> dict[str, Any]:
    """journeymine.pipeline.run_in_process: the flow's steps in this process, logged to stderr
    in Prefect's format."""
    from journeymine.pipeline import run_in_process

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s",
                                           "%H:%M:%S"))
    logger = logging.getLogger("journeymine")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return run_in_process(config)
    except duckdb.IOException as exc:
        raise (database_in_use(exc, config.database) or exc) from None
    finally:
        logger.removeHandler(handler)


def _mine(args: argparse.Namespace) -> int:
    from journeymine.config import LabelConfig, MiningConfig
    from journeymine.mine import MineOptions, mine_event_log, summarize_mine
    from journeymine.mining.eventlog import LogSpec

    if not 0 <= args.rare_activity_share < 1:
        raise JourneymineError(f"--rare-activity-share: expected a share from 0 to 1, found {args.rare_activity_share}")
    if not 0 < args.model_coverage <= 1:
        raise JourneymineError(f"--model-coverage: expected a share above 0 and at most 1, found {args.model_coverage}")
    if not 0 <= args.noise_threshold <= 1:
        raise JourneymineError(f"--noise-threshold: expected a number from 0 to 1, found {args.noise_threshold}")
    spec = LogSpec(
        path=args.log, case=args.case, activity=args.activity, timestamp=args.timestamp, channel=args.channel,
        format=args.format, delimiter=args.sep, time_format=args.time_format, time_zone=args.time_zone,
    )
    options = MineOptions(
        goal_activities=tuple(args.goal),
        labels=LabelConfig(
            template_urls=args.template_urls, collapse_repeats=args.collapse_repeats,
            rare_activity_share=args.rare_activity_share,
        ),
        model=None if args.no_model else MiningConfig(
            model_coverage=args.model_coverage, noise_threshold=args.noise_threshold,
            max_model_variants=args.max_model_variants,
        ),
        memory_limit=args.memory_limit,
        threads=args.threads,
    )
    print(f"journeymine mine {args.log}", file=sys.stderr)
    manifest = mine_event_log(spec, args.out, options, progress=lambda line: print(line, file=sys.stderr))
    print(summarize_mine(manifest, args.out))
    return 0


def _funnel(args: argparse.Namespace) -> int:
    from journeymine.outputs.analyst import funnel_of_run

    if args.stage and args.config:
        raise JourneymineError("give the stages either with --stage or from --config (the run's funnel), not both")
    print(funnel_of_run(args.out, load_config(args.config) if args.config else None, stages=args.stage,
                        window_hours=args.window_hours, ordering=args.ordering, by=args.by,
                        min_journeys=args.min_journeys))
    return 0


def _export(args: argparse.Namespace) -> int:
    from journeymine.outputs.export import export_run

    out = args.out if args.out is not None else load_config(args.config).output_dir
    counts = export_run(out, xes=args.format in ("xes", "both"), ocel=args.format in ("ocel", "both"))
    written = []
    if "xes_events" in counts:
        written.append(f"{out / 'journeys.xes.gz'} ({counts['xes_events']:,} events)")
    if "ocel_events" in counts:
        written.append(f"{out / 'journeys.ocel.json.gz'} ({counts['ocel_events']:,} events, "
                       f"{counts['ocel_objects']:,} objects)")
    print("journeymine export: " + "; ".join(written))
    return 0


def _sample(args: argparse.Namespace) -> int:
    from journeymine.sample import write_sample

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    step = max(1, args.customers // 20)

    def progress(done: int, total: int) -> None:
        if done == total or done % step == 0:
            print(f"  {done:,}/{total:,} customers", file=sys.stderr)

    summary = write_sample(args.out, customers=args.customers, days=args.days, seed=args.seed,
                           start=args.start, progress=progress)
    rows = ", ".join(f"{source} {n:,}" for source, n in summary.rows.items())
    print(f"sample written to {args.out}: {len(summary.files)} files, {summary.n_events:,} events; rows: {rows}")
    return 0


def _sql(args: argparse.Namespace) -> int:
    from journeymine.outputs.shell import run_sql
    from journeymine.outputs.show import terminal

    out = args.out if args.out is not None else load_config(args.config).output_dir
    run_sql(out, commands=args.command, files=args.file, console=terminal(), output_format=args.format,
            max_rows=args.max_rows, history=Path.home() / ".journeymine_sql_history")
    return 0


def _show(args: argparse.Namespace) -> int:
    from journeymine.outputs.show import show_run, terminal

    show_run(args.out if args.out is not None else load_config(args.config).output_dir, terminal(), top=args.top)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
