"""The nightly schedule against a real Prefect server (issue 13, item 4), as the README sets it up:
`journeymine server` starts a Prefect server whose database is in the config's state folder,
`journeymine serve` registers the deployment journeymine/nightly with a cron schedule and runs
its runs. The server's scheduler creates the runs at the cron's times; a run started by hand
publishes; a run that fails on bad input fails once (no retry); logs reach the server (the UI).
Without a server, `serve` says what to start and exits 2 at once.

Everything runs in processes of their own, with an environment of their own (the session's
Prefect test harness is not theirs), and no process of theirs is left when the module ends.
One week of data/sample keeps a run to a few seconds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO, SAMPLE_CONFIG

pytestmark = pytest.mark.integration

JOURNEYMINE = Path(sys.executable).with_name("journeymine")  # the console script of this environment
WEEK = "W08"  # one week of the sample with every activity of its journey map
CRON = "30 2 * * *"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def write_config(folder: Path, **store: Any) -> Path:
    """The sample config on one week of data/sample, its state folder `state/` and outputs `out/`
    in `folder`; `store` overrides settings of the store source."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for name, source in config["sources"].items():
        pattern = Path(source["path"]).name
        source["path"] = str(REPO / "data" / "sample" / name / (pattern if name == "crm" else f"*{WEEK}*"))
    config["sources"]["store"].update(store)
    config["output_dir"] = "out"
    config["database"] = "state/journeymine.duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def environment(home: Path, **settings: str) -> dict[str, str]:
    """This environment without any Prefect setting, a Prefect home of its own (no user profile),
    no telemetry, and `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    return env | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"} | settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def api(url: str, method: str = "GET", body: dict | None = None) -> Any:
    """A call of the Prefect REST API; the decoded JSON answer. A 503 (the server's SQLite busy
    on a loaded machine) is tried again, as Prefect's own client does."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == 4:
                raise
            time.sleep(2)


def wait_for(what: str, check: Any, timeout_seconds: float, logs: list[Path],
             processes: list[subprocess.Popen[bytes]] = ()) -> Any:  # type: ignore[assignment]
    """Poll `check()` until it returns something truthy; fail with the logs' tails after the
    timeout, or as soon as one of `processes` has ended."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        try:
            if found := check():
                return found
        except OSError:  # not up yet
            pass
        time.sleep(0.5)
    ended = [f"{' '.join(map(str, p.args[1:3]))} ended with {p.returncode}" for p in processes if p.poll() is not None]
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs if log.exists())
    pytest.fail(f"{what}: {'; '.join(ended) or f'not within {timeout_seconds} s'}\n{tails}")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGINT, wait_seconds: float = 20) -> None:
    """Ctrl-C to the process's session, then SIGKILL to what is left of it."""
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=wait_seconds)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def session_processes(session_id: int) -> list[str]:
    """The processes still alive in a session (Linux's /proc)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id and fields[0] != "Z":
                alive.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200])
        except (OSError, IndexError, ValueError):
            continue
    return alive


def run_deployment(url: str, deployment_id: str, logs: list[Path], **parameters: str) -> dict:
    """Start a run of the deployment (as `prefect deployment run` does) and wait for its end."""
    run = api(f"{url}/deployments/{deployment_id}/create_flow_run", "POST", {"parameters": parameters})
    return wait_for(f"flow run {run['name']} to end",
                    lambda: (r := api(f"{url}/flow_runs/{run['id']}"))["state_type"] in FINAL and r, 90, logs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`journeymine server` and `journeymine serve --cron CRON` on the one-week sample, as the
    README starts them; the API's URL, the deployment, the config's folder, the logs."""
    folder = tmp_path_factory.mktemp("nightly")
    config = write_config(folder / "project")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    logs = [folder / "server.log", folder / "serve.log"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(start([str(JOURNEYMINE), "server", "--config", str(config), "--port", str(port)],
                               environment(folder / "server-client-home"), logs[0]))
        wait_for("the Prefect server to answer", lambda: api(f"{url}/health"), 90, logs, processes)
        processes.append(start([str(JOURNEYMINE), "serve", "--config", str(config), "--cron", CRON],
                               environment(folder / "serve-home", PREFECT_API_URL=url,
                                           PREFECT_RUNNER_POLL_FREQUENCY="1"), logs[1]))
        deployment = wait_for("journeymine serve to register its deployment",
                              lambda: _deployment(url), 90, logs, processes)
        yield {"url": url, "deployment": deployment, "folder": config.parent, "logs": logs, "root": folder}
    finally:
        for process in reversed(processes):  # serve first: it pauses its schedule on the server
            stop(process)
        left = [p for process in processes for p in session_processes(process.pid)]
        assert left == [], f"processes left running: {left}"


def _deployment(url: str) -> dict | None:
    try:
        return api(f"{url}/deployments/name/journeymine/nightly")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def test_the_server_keeps_its_database_in_the_state_folder(served: dict) -> None:
    """`journeymine server` runs Prefect with PREFECT_HOME = <state folder>/prefect."""
    assert (served["folder"] / "state" / "prefect" / "prefect.db").is_file()


def test_the_deployment_runs_the_config_on_the_cron_schedule(served: dict) -> None:
    """The deployment has the config as its parameter and the cron schedule, and the server's
    scheduler creates its runs at the cron's times (02:30 UTC), not paused."""
    deployment = served["deployment"]
    assert deployment["parameters"] == {"config_path": str(served["folder"] / "journeymine.yaml")}
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == [CRON]
    assert not deployment["paused"]
    url = served["url"]
    scheduled = wait_for(
        "the scheduler to create the nightly runs (with SQLAlchemy 2.1, Prefect 3.8's scheduler fails: "
        "'Can't evaluate bulk DML statement' in the server log)",
        lambda: api(f"{url}/flow_runs/filter", "POST", {"flow_runs": {
            "deployment_id": {"any_": [deployment["id"]]}, "state": {"type": {"any_": ["SCHEDULED"]}}}}),
        60, served["logs"])
    times = [datetime.fromisoformat(run["expected_start_time"]) for run in scheduled]
    assert {(t.hour, t.minute, t.utcoffset().total_seconds()) for t in times} == {(2, 30, 0.0)}


def test_a_run_of_the_deployment_publishes_and_logs_to_the_server(served: dict) -> None:
    """A run started by hand runs the flow in `serve`'s process tree and publishes; its logs,
    journeymine's own lines included, are on the server (what the UI shows)."""
    url = served["url"]
    run = run_deployment(url, served["deployment"]["id"], served["logs"])
    assert run["state_type"] == "COMPLETED", run["state"]
    out = served["folder"] / "out"
    assert (out / "current").is_symlink() and (out / "current" / "events.parquet").is_file()
    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "succeeded"
    logs = api(f"{url}/logs/filter", "POST", {"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200})
    assert any(line["message"].startswith("source web: 1 files") for line in logs), [line["message"] for line in logs]


def test_a_run_that_fails_on_bad_input_is_not_retried(served: dict) -> None:
    """A config whose store rejects more rows than it allows (an InputError: exit code 3 on the
    command line) fails its run at the first try: the flow run and each task ran once."""
    url = served["url"]
    bad = write_config(served["root"] / "bad", max_rejected_share=0.01)
    run = run_deployment(url, served["deployment"]["id"], served["logs"], config_path=str(bad))
    assert run["state_type"] == "FAILED" and run["run_count"] == 1, run["state"]
    tasks = api(f"{url}/task_runs/filter", "POST", {"flow_runs": {"id": {"any_": [run["id"]]}}})
    failed = [t["name"] for t in tasks if t["state_type"] == "FAILED"]
    assert failed == ["load_source-store"]
    assert {t["name"]: t["run_count"] for t in tasks if t["run_count"] > 1} == {}
    assert not (bad.parent / "out" / "current").exists()


def test_serve_without_a_server_says_what_to_start(tmp_path: Path) -> None:
    """Without PREFECT_API_URL, `journeymine serve` exits 2 at once with the commands to run."""
    config = write_config(tmp_path)
    started = time.monotonic()
    done = subprocess.run([str(JOURNEYMINE), "serve", "--config", str(config)], env=environment(tmp_path / "home"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"journeymine server --config {config}" in done.stderr
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in done.stderr
    assert str(tmp_path / "state" / "prefect") in done.stderr
    assert time.monotonic() - started < 30
