"""The command line: user errors are one clear line and exit code 2; `sample` writes every source."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeymine.cli import main


def test_a_missing_config_is_reported_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`journeymine run` on a config that does not exist says so and exits 2, before Prefect starts."""
    code = main(["run", "--config", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("journeymine: error: config file not found:") and "Traceback" not in err


def test_a_bad_config_key_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown key is named with its dotted path and the keys allowed there."""
    config = tmp_path / "bad.yaml"
    config.write_text("output_dir: o\ndatabase: d.duckdb\nsources:\n  web: {path: 'w/*', preset: segment, chanel: web}\n")
    assert main(["run", "--config", str(config)]) == 2
    assert "sources.web: unknown key 'chanel'; expected one of" in capsys.readouterr().err


def test_sample_writes_every_source_folder(tmp_path: Path) -> None:
    """`journeymine sample` writes web, app, calls, store and crm files."""
    assert main(["sample", "--customers", "30", "--days", "7", "--seed", "1", "--out", str(tmp_path)]) == 0
    for folder in ("web", "app", "calls", "store", "crm"):
        assert any((tmp_path / folder).iterdir()), folder
