"""The nightly deployment of the journeymine flow, served from one process (`journeymine serve`).

`serve_nightly` registers the deployment `journeymine/<name>` (the flow of
pipelines/journeymine_flow.py, the config path as its parameter, a cron schedule) on the
Prefect server at PREFECT_API_URL, and runs its flow runs (scheduled, or started by hand)
in subprocesses of this one, one at a time, until stopped. The server's scheduler creates
the runs, so the server must be a real one (`prefect server start`): a temporary one, as
`journeymine run` starts, schedules nothing. journeymine.serve checks that one answers first.

Retries stay those of the flow: file loads retry on transient I/O errors only; the flow and
its deployment have none, so a run that fails on bad input or a bad config fails once.
"""

from __future__ import annotations

from pathlib import Path

from prefect.client.schemas.schedules import CronSchedule
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL
from pydantic import ValidationError

from journeymine.errors import ConfigError


def configured_api_url() -> str | None:
    """PREFECT_API_URL as Prefect reads it (the environment, else the active profile), or None."""
    return PREFECT_API_URL.value() or None


def ui_url() -> str | None:
    """The Prefect UI of the configured server (PREFECT_UI_URL, by default the API's address)."""
    return PREFECT_UI_URL.value() or None


def nightly_schedule(cron: str, timezone: str) -> Cron:
    """The deployment's schedule; ConfigError naming the option for a cron string or a time zone
    that Prefect would reject."""
    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = "--timezone" if "timezone" in error.get("loc", ()) else "--cron"
        raise ConfigError(f"{option}: {error['msg'].removeprefix('Value error, ')}") from None
    return Cron(cron, timezone=timezone)


def serve_nightly(config_path: Path, *, name: str, cron: str, timezone: str) -> None:
    """Register the deployment `journeymine/<name>` of the flow with `config_path` as its
    parameter and the schedule `cron` in `timezone`, and run its flow runs here until stopped
    (Ctrl-C or SIGTERM, which also pause its schedule, as Prefect's serve does; serving again
    resumes it). Blocks."""
    from prefect.flows import EntrypointType

    from pipelines.journeymine_flow import journeymine_flow  # here: the server check before needs only the settings

    journeymine_flow.serve(
        name=name,
        schedule=nightly_schedule(cron, timezone),
        parameters={"config_path": str(config_path)},
        description=f"journeymine on {config_path}, {cron} ({timezone})",
        tags=["journeymine"],
        limit=1,  # one run at a time (a second would stop at the run lock anyway)
        # the runs import pipelines.journeymine_flow (installed with journeymine), whatever the working folder
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
