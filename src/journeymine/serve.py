"""`journeymine server` and `journeymine serve`: the nightly run on the schedule of a Prefect server.

A schedule needs a Prefect server that stays up: its scheduler creates the runs (the temporary
server `journeymine run` starts for one run schedules nothing). `server` starts one with its
database in the config's state folder, `<database folder>/prefect` (PREFECT_HOME); `serve`
registers the deployment journeymine/nightly with the config and a cron schedule and runs its
runs (pipelines/nightly.py). Without a server that answers, `serve` says what to start and
exits with code 2 instead of waiting.

Prefect is imported only by the handlers, from pipelines/ (the library never imports it).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journeymine.config import Config, load_config
from journeymine.errors import JourneymineError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
DEFAULT_CRON = "0 2 * * *"
DEFAULT_NAME = "nightly"
FLOW_NAME = "journeymine"  # the flow's name in pipelines/journeymine_flow.py
QUIET_PREFECT = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # no telemetry (offline it only logs errors)


def prefect_home(config: Config) -> Path:
    """The Prefect server's home (its SQLite database prefect.db): `prefect` in the state folder,
    the folder of the working database."""
    return config.database.parent / "prefect"


def api_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api"


def server_answers(url: str, timeout_seconds: float = 5.0) -> bool:
    """Whether the Prefect API at `url` answers GET /health: 200, or 401/403 (Prefect Cloud wants
    the API key, which Prefect's client sends and this check does not)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout_seconds) as response:
            return response.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def no_server_message(url: str | None, config_path: Path, home: Path) -> str:
    """What `serve` says when there is no server to serve on: what to start, what to set."""
    if url is None:
        problem = ("PREFECT_API_URL is not set, and a schedule needs a Prefect server that stays up (a temporary one "
                   "schedules nothing)")
    else:
        problem = (f"the Prefect server at PREFECT_API_URL={url} does not answer (GET {url.rstrip('/')}/health); start "
                   "it, or point PREFECT_API_URL at one that runs")
    return (f"no Prefect server to serve on: {problem}. To start one here, in another terminal:\n"
            f"    journeymine server --config {config_path}\n"
            f"(its database goes to {home}; the same as PREFECT_HOME={home} prefect server start), then:\n"
            f"    export PREFECT_API_URL={api_url(DEFAULT_HOST, DEFAULT_PORT)}\n"
            f"    journeymine serve --config {config_path}")


def server_command(config: Config, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The `prefect server start` command of `journeymine server` and its environment."""
    env = {**QUIET_PREFECT, **os.environ, "PREFECT_HOME": str(prefect_home(config))}
    env.pop("PREFECT_API_URL", None)  # the server's own client settings are its own
    return [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)], env


def add_commands(commands: Any, command: Callable[[Any, str, str, str], argparse.ArgumentParser]) -> None:
    """The `server` and `serve` subcommands (`command` is the CLI's subcommand factory)."""
    server = command(
        commands, "server", "start a Prefect server for the nightly schedule, its database in the state folder",
        "Start a Prefect server (`prefect server start`) that keeps its database, prefect.db, in the config's state "
        "folder: prefect/ beside the working database (PREFECT_HOME). It runs until Ctrl-C; its UI is at "
        "http://HOST:PORT. Then, in another terminal: export PREFECT_API_URL=http://HOST:PORT/api and "
        "journeymine serve.\n\nWrites into <state folder>/prefect: the server's database.",
    )
    server.add_argument("--config", type=Path, default=Path("journeymine.yaml"),
                        help="config whose working database's folder holds the server's (default: journeymine.yaml)")
    server.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on; 0.0.0.0 opens the UI to other machines (default: {DEFAULT_HOST})")
    server.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port of the API and UI (default: {DEFAULT_PORT})")
    server.set_defaults(handler=start_server)

    serve = command(
        commands, "serve", "run a config nightly on a cron schedule of the Prefect server at PREFECT_API_URL",
        "Register the deployment journeymine/nightly (the flow of `journeymine run`, with this config) on the Prefect "
        "server at PREFECT_API_URL with a cron schedule, and run its runs, scheduled or started by hand (`prefect "
        "deployment run journeymine/nightly`, or the UI), in this process, one at a time, until Ctrl-C (which pauses "
        "the schedule until the next serve). File loads retry on transient I/O errors only; a run that fails on bad "
        "input or a bad config is not retried. Without PREFECT_API_URL or a server that answers, says what to "
        "start and exits with code 2.\n\n"
        "The command writes nothing itself; each run writes what `journeymine run` writes.",
    )
    serve.add_argument("--config", type=Path, default=Path("journeymine.yaml"),
                       help="config file (default: journeymine.yaml)")
    serve.add_argument("--cron", default=DEFAULT_CRON, help=f"when to run, in cron syntax (default: '{DEFAULT_CRON}', "
                       "02:00 every night)")
    serve.add_argument("--timezone", default="UTC", help="time zone of --cron, e.g. Europe/London (default: UTC)")
    serve.add_argument("--name", default=DEFAULT_NAME, help=f"the deployment's name (default: {DEFAULT_NAME})")
    serve.set_defaults(handler=serve_nightly)


def start_server(args: argparse.Namespace) -> int:
    """`journeymine server`: become `prefect server start` with PREFECT_HOME in the state folder."""
    config = load_config(args.config)
    with socket.socket() as probe:
        # as the server binds: a port whose last connections are still closing (TIME_WAIT, just after
        # a Ctrl-C) is free for it
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            answers = server_answers(api_url(args.host, args.port), timeout_seconds=1.0)
            taken = "a Prefect server answers there" if answers else exc.strerror
            raise JourneymineError(f"port {args.port} on {args.host} is taken ({taken}); choose another with --port")
    argv, env = server_command(config, args.host, args.port)
    prefect_home(config).mkdir(parents=True, exist_ok=True)  # Prefect creates its home, not the folders above
    print(f"journeymine server: Prefect server with its database in {prefect_home(config)}; UI at "
          f"http://{args.host}:{args.port}\nin another terminal:\n    export PREFECT_API_URL="
          f"{api_url(args.host, args.port)}\n    journeymine serve --config {args.config}", file=sys.stderr, flush=True)
    os.execve(argv[0], argv, env)
    return 0  # not reached


def serve_nightly(args: argparse.Namespace) -> int:
    """`journeymine serve`: check the server, then serve the deployment (blocks until stopped)."""
    config = load_config(args.config)  # a bad config fails here, not in the first nightly run
    for key, value in {**QUIET_PREFECT, "PREFECT_LOGGING_EXTRA_LOGGERS": "journeymine"}.items():
        os.environ.setdefault(key, value)  # before Prefect is imported; the runs inherit them
    from pipelines import nightly  # Prefect: only here

    schedule = nightly.nightly_schedule(args.cron, args.timezone)  # a bad --cron fails before anything is registered
    url = nightly.configured_api_url()
    if url is None or not server_answers(url):
        raise JourneymineError(no_server_message(url, args.config, prefect_home(config)))
    print(f"journeymine serve: deployment {FLOW_NAME}/{args.name} of {args.config.resolve()} on {url}, "
          f"'{schedule.cron}' ({schedule.timezone}); runs in the UI at {nightly.ui_url() or url}; Ctrl-C stops "
          "serving and pauses the schedule", file=sys.stderr, flush=True)
    nightly.serve_nightly(args.config.resolve(), name=args.name, cron=args.cron, timezone=args.timezone)
    return 0
