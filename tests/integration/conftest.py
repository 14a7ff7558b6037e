"""Fixtures for the whole-flow tests: one Prefect test harness per session, one sample run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

# Offline, the Prefect server's telemetry only logs errors; set before Prefect is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CONFIG = REPO / "journeymine.yaml"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


def write_sample_config(folder: Path) -> Path:
    """The bundled sample config, with its sources read in place and its outputs sent to `folder`."""
    config = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for source in config["sources"].values():
        source["path"] = str(REPO / source["path"])
    config["output_dir"] = str(folder / "out")
    config["database"] = str(folder / "journeymine.duckdb")
    path = folder / "journeymine.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_run(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the Prefect flow on data/sample once for the session; return the manifest and paths."""
    from pipelines.journeymine_flow import journeymine_flow

    folder = tmp_path_factory.mktemp("sample_run")
    config_path = write_sample_config(folder)
    manifest = journeymine_flow(str(config_path))
    return {"manifest": manifest, "config": config_path, "out": folder / "out", "database": folder / "journeymine.duckdb"}
