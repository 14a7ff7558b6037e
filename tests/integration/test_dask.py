"""The journeys step on a Dask cluster (prefect-dask's DaskTaskRunner on a 2-worker LocalCluster)
gives the same outputs as the single-process run of the same sample."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from .conftest import write_sample_config

pytestmark = pytest.mark.integration

RUN_COLUMNS = {"run_id", "previous_run_id"}


def rows(path: Path) -> list[dict[str, Any]]:
    table = pq.read_table(path)
    return table.select([c for c in table.column_names if c not in RUN_COLUMNS]).to_pylist()


def same(a: Any, b: Any) -> bool:
    """Equal values; floats within 1e-12 relative (parallel sums may add in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def test_journeys_on_a_two_worker_dask_cluster_equal_the_single_process_run(
    sample_run: dict, tmp_path: Path
) -> None:
    """Every Parquet output (the run manifest aside) has the same rows, in the same order."""
    from pipelines.journeymine_flow import journeymine_flow

    manifest = journeymine_flow(str(write_sample_config(tmp_path)), workers=2)
    assert manifest["timings"]["build_journeys"] > 0
    single, distributed = sample_run["out"], tmp_path / "out"
    outputs = sorted(p.name for p in single.glob("*.parquet") if p.stem != "run_manifest")
    assert outputs == sorted(p.name for p in distributed.glob("*.parquet") if p.stem != "run_manifest")
    assert len(outputs) >= 15
    for name in outputs:
        expected, got = rows(single / name), rows(distributed / name)
        assert len(got) == len(expected), name
        mismatch = next((i for i, (a, b) in enumerate(zip(expected, got, strict=True)) if not same(a, b)), None)
        assert mismatch is None, f"{name} row {mismatch}: {expected[mismatch]} != {got[mismatch]}"
