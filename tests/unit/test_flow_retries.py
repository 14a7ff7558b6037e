"""Retries only on I/O errors that may pass (issue 13, item 4): the flow's file loads retry on an
OSError or DuckDB's I/O error reaching a file, never on an error the same input raises again (a
JourneymineError: bad config, bad input), and no other task, nor the flow (so nor its nightly
deployment), retries at all. A run that fails on bad input in a deployment:
tests/integration/test_deployment.py."""

from __future__ import annotations

import gzip

import duckdb
import pytest
from prefect.states import Failed

from journeymine.errors import ConfigError, InputError, SourceError
from pipelines import journeymine_flow as flow_module
from pipelines.journeymine_flow import is_transient_io_error, journeymine_flow, retry_on_transient_io_error


@pytest.mark.parametrize(("error", "transient"), [
    (OSError("Resource temporarily unavailable"), True),
    (FileNotFoundError("web-2026-W08.jsonl.gz"), True),  # renamed into place a moment later
    (PermissionError("Permission denied"), True),
    (duckdb.IOException("IO Error: No files found that match the pattern \"web/*.jsonl\""), True),
    (duckdb.IOException("IO Error: Cannot open file \"pos.csv\": Permission denied"), True),
    (duckdb.IOException("IO Error: Could not set lock on file \"journeymine.duckdb\""), False),
    (SourceError("source 'web': no files match web/*.jsonl"), False),
    (InputError("source 'store': 20% of its rows were rejected (at most 1% allowed)"), False),
    (ConfigError("sources.web.preset: unknown value 'segmnt'"), False),
    (gzip.BadGzipFile("Not a gzipped file"), False),
    (IsADirectoryError("web-2026-W08.jsonl.gz"), False),
    (duckdb.BinderException("Binder Error: column \"userId\" not found"), False),
    (duckdb.ConversionException("Conversion Error: invalid timestamp"), False),
    (ValueError("a bug"), False),
])
def test_only_io_errors_that_may_pass_are_retried(error: BaseException, transient: bool) -> None:
    assert is_transient_io_error(error) is transient
    assert retry_on_transient_io_error(None, None, Failed(data=error)) is transient


def test_file_loads_are_the_only_retried_step() -> None:
    """load_source retries twice under the condition above; no other task and not the flow."""
    tasks = {name: value for name, value in vars(flow_module).items()
             if hasattr(value, "retries") and hasattr(value, "retry_condition_fn") and value is not journeymine_flow}
    assert {"load_source", "stitch", "mine", "publish"} <= set(tasks)
    retried = {name: (task.retries, task.retry_condition_fn) for name, task in tasks.items() if task.retries}
    assert retried == {"load_source": (2, retry_on_transient_io_error)}
    assert not journeymine_flow.retries
