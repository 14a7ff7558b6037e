"""`journeymine serve` without a Prefect server says what to start and stops (exit 2) instead of
waiting; a bad schedule is named; `journeymine server` keeps Prefect's database in the config's
state folder and names a port that is taken. (The deployment on a real server:
tests/integration/test_deployment.py.)"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from journeymine.cli import main
from journeymine.config import load_config
from journeymine.serve import no_server_message, server_command


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "journeymine.yaml"
    path.write_text("output_dir: out\ndatabase: state/journeymine.duckdb\n"
                    "sources:\n  web: {path: 'web/*.jsonl', preset: segment, channel: web}\n", encoding="utf-8")
    return path


@pytest.fixture
def api_url(monkeypatch: pytest.MonkeyPatch) -> object:
    """Set the PREFECT_API_URL that `serve` finds (whatever this session's Prefect settings are)."""
    from pipelines import nightly

    def set_url(url: str | None) -> None:
        monkeypatch.setattr(nightly, "configured_api_url", lambda: url)

    return set_url


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_without_prefect_api_url_says_what_to_start(config_path: Path, api_url, capsys) -> None:
    """No PREFECT_API_URL: exit 2 with the server command, the state folder and the variable to set."""
    api_url(None)
    assert main(["serve", "--config", str(config_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journeymine: error: no Prefect server to serve on: PREFECT_API_URL is not set")
    assert f"journeymine server --config {config_path}" in err
    assert f"PREFECT_HOME={config_path.parent / 'state' / 'prefect'} prefect server start" in err
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in err
    assert "Traceback" not in err


def test_serve_with_a_server_that_does_not_answer_names_it(config_path: Path, api_url, capsys) -> None:
    """PREFECT_API_URL set, nothing listening there: exit 2 naming the URL that did not answer."""
    url = f"http://127.0.0.1:{closed_port()}/api"
    api_url(url)
    assert main(["serve", "--config", str(config_path)]) == 2
    err = capsys.readouterr().err
    assert f"the Prefect server at PREFECT_API_URL={url} does not answer (GET {url}/health)" in err
    assert f"journeymine server --config {config_path}" in err


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--cron", "0 25 * * *", "--cron: Invalid cron string"),
    ("--timezone", "Mars/Olympus", "--timezone: Invalid timezone"),
])
def test_a_bad_schedule_is_named_before_anything_else(config_path: Path, api_url, capsys, option: str, value: str,
                                                        expected: str) -> None:
    api_url(None)
    assert main(["serve", "--config", str(config_path), option, value]) == 2
    assert expected in capsys.readouterr().err


def test_the_server_keeps_its_database_in_the_state_folder(config_path: Path, monkeypatch) -> None:
    """`journeymine server` is `prefect server start` with PREFECT_HOME = <database folder>/prefect."""
    monkeypatch.setenv("PREFECT_API_URL", "http://elsewhere:4200/api")
    argv, env = server_command(load_config(config_path), "127.0.0.1", 4321)
    assert argv == [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", "4321"]
    assert env["PREFECT_HOME"] == str(config_path.parent / "state" / "prefect")
    assert "PREFECT_API_URL" not in env


def test_server_on_a_taken_port_says_so(config_path: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["server", "--config", str(config_path), "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is taken" in capsys.readouterr().err


def test_the_message_says_what_to_start_either_way(tmp_path: Path) -> None:
    for url in (None, "http://127.0.0.1:1/api"):
        message = no_server_message(url, Path("my.yaml"), tmp_path / "prefect")
        assert "journeymine server --config my.yaml" in message and "journeymine serve --config my.yaml" in message
