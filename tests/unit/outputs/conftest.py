"""Fixtures of the outputs tests: a tiny published run folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from journeymine.outputs.publish import write_analytics_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PATHS = {  # journey → (customer, outcome, path)
    "c1-j1": ("c1", "abandoned", ["Home", "Product Detail", "Cart"]),
    "c1-j2": ("c1", "converted", ["Product Detail", "Cart", "Order Completed"]),
    "c2-j1": ("c2", "converted", ["Product Detail", "Cart", "Order Completed"]),
    "c3-j1": ("c3", "abandoned", ["Search", "Product Detail", "Help", "Product Detail"]),
}


def _write_outputs(folder: Path, journeys: dict[str, tuple[str, str, list[str]]] = PATHS,
                  names: tuple[str, ...] = ("journeys", "events", "journey_graph_edges")) -> Path:
    """Parquet outputs as a run writes them (only the columns the macros read), then
    analytics.duckdb over them, in `folder`; returns the database's path. Journey k of a
    customer starts k days after T0, its steps a minute apart."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE journeys (customer_id VARCHAR, journey_id VARCHAR, started_at TIMESTAMPTZ, "
                    "ended_at TIMESTAMPTZ, outcome VARCHAR, path VARCHAR[], drop_off_activity VARCHAR)")
        con.execute("CREATE TABLE events (event_id VARCHAR, source VARCHAR, customer_id VARCHAR, session_id VARCHAR, "
                    "journey_id VARCHAR, step_number BIGINT, channel VARCHAR, activity VARCHAR, "
                    "occurred_at TIMESTAMPTZ, sentiment DOUBLE, value DOUBLE, event_seq BIGINT)")
        seq = 0
        for k, (journey_id, (customer, outcome, path)) in enumerate(journeys.items()):
            start = T0 + timedelta(days=k)
            con.execute("INSERT INTO journeys VALUES (?, ?, ?, ?, ?, ?, ?)", [
                customer, journey_id, start, start + timedelta(minutes=len(path) - 1), outcome, path,
                path[-1] if outcome == "abandoned" else None,
            ])
            for n, activity in enumerate(path, start=1):
                seq += 1
                con.execute("INSERT INTO events VALUES (?, 'web', ?, ?, ?, ?, 'web', ?, ?, NULL, NULL, ?)", [
                    f"e{seq}", customer, f"{journey_id}-s1", journey_id, n, activity,
                    start + timedelta(minutes=n - 1), seq,
                ])
        con.execute("""
            CREATE TABLE journey_graph_edges AS
            SELECT source_activity, target_activity, 'web' AS source_channel, 'web' AS target_channel,
                   count(*) AS n_transitions, count(DISTINCT journey_id) AS n_journeys,
                   60.0 AS median_seconds, 60.0 AS p90_seconds, false AS is_channel_switch
            FROM (SELECT journey_id, activity AS source_activity,
                         lead(activity) OVER (PARTITION BY journey_id ORDER BY event_seq) AS target_activity
                  FROM events)
            WHERE target_activity IS NOT NULL
            GROUP BY ALL
        """)
        for name in names:
            con.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    return write_analytics_db(folder, names)


@pytest.fixture
def write_outputs() -> Callable[..., Path]:
    """write_outputs(folder, journeys=PATHS, names=(...)): Parquet outputs and analytics.duckdb
    over them in `folder`, as a run publishes them; returns the database's path."""
    return _write_outputs
