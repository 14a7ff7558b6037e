"""Fixtures for the SQL model tests: tiny journeys written inline, built into the tables the
mining marts read (journeys.events_in_journeys, journeys.steps,
marts.journeys, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from journeymine.db import Warehouse
from journeymine.journeys.labels import NO_LABEL_HYGIENE, build_steps

# stitched.events (sql/stitched/int_events_stitched_to_customers.sql), as the journeys layer reads it
STITCHED_EVENTS = {
    "event_key": "BIGINT", "customer_id": "VARCHAR", "customer_no": "INTEGER", "is_shared_customer": "BOOLEAN",
    "channel": "VARCHAR", "activity": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "ended_at": "TIMESTAMPTZ",
    "sentiment": "DOUBLE", "value": "DOUBLE", "csat": "DOUBLE", "outcome": "VARCHAR", "error": "VARCHAR",
    "os_name": "VARCHAR", "device_type": "VARCHAR", "event_seq": "BIGINT",
}
EVENTS_IN_JOURNEYS = {
    "event_id": "VARCHAR", "journey_key": "UBIGINT", "customer_id": "VARCHAR", "session_id": "VARCHAR", "journey_id": "VARCHAR",
    "step_number": "BIGINT", "channel": "VARCHAR", "activity": "VARCHAR", "occurred_at": "TIMESTAMPTZ",
    "ended_at": "TIMESTAMPTZ", "sentiment": "DOUBLE", "value": "DOUBLE", "event_seq": "BIGINT",
    "source": "VARCHAR", "csat": "DOUBLE", "outcome": "VARCHAR", "error": "VARCHAR", "os_name": "VARCHAR",
    "device_type": "VARCHAR",
}
# the event attributes the journeys layer carries as columns (the rest stays in staged.events)
TYPED_ATTRIBUTES = ("csat", "outcome", "error", "os_name", "device_type")
JOURNEYS = {
    "customer_id": "VARCHAR", "journey_id": "VARCHAR", "started_at": "TIMESTAMPTZ", "ended_at": "TIMESTAMPTZ",
    "duration_seconds": "DOUBLE", "n_steps": "BIGINT", "channels": "VARCHAR[]", "path": "VARCHAR[]",
    "outcome": "VARCHAR", "drop_off_activity": "VARCHAR", "drop_off_channel": "VARCHAR",
    "first_activity": "VARCHAR", "first_channel": "VARCHAR", "last_activity": "VARCHAR", "last_channel": "VARCHAR",
}
GRAPH_EDGES = {
    "source_channel": "VARCHAR", "source_activity": "VARCHAR", "target_channel": "VARCHAR",
    "target_activity": "VARCHAR", "is_back_edge": "BOOLEAN",
}
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class J:
    """A journey for the marts: its id, outcome, steps as 'channel:activity' and their offsets in minutes
    from the journey's start (default 0, 1, 2, ...)."""

    journey_id: str
    outcome: str
    steps: list[str]
    minutes: list[float] = field(default_factory=list)
    # per step (None: none): the event's sentiment (-1..1) and its attributes (e.g. {"csat": 1},
    # {"outcome": "abandoned"} for a call abandoned in the queue, {"os_name": "Android"})
    sentiments: list[float | None] = field(default_factory=list)
    attributes: list[dict[str, Any] | None] = field(default_factory=list)
    customer_id: str | None = None  # default: a customer of its own, 'cu-<journey_id>'
    start: datetime | None = None  # default: k days after T0 for the k-th journey given


@pytest.fixture
def given_journeys(make_table, warehouse: Warehouse):
    """given_journeys(journeys): journeys.events_in_journeys, journeys.steps (label hygiene off),
    and marts.journeys for these journeys (journey k starts k days after T0, or at its `start`:
    give them in time order, so event_seq follows time)."""

    def make(journeys: list[J]) -> None:
        events, rows, seq = [], [], 0
        for k, j in enumerate(journeys):
            start = j.start or T0 + timedelta(days=k)
            minutes = j.minutes or list(range(len(j.steps)))
            touchpoints = [tuple(step.split(":", 1)) for step in j.steps]
            times = [start + timedelta(minutes=m) for m in minutes]
            customer = j.customer_id or f"cu-{j.journey_id}"
            sentiments = j.sentiments or [None] * len(j.steps)
            attributes = j.attributes or [None] * len(j.steps)
            for n, ((channel, activity), at) in enumerate(zip(touchpoints, times, strict=True), start=1):
                seq += 1
                typed = [(attributes[n - 1] or {}).get(name) for name in TYPED_ATTRIBUTES]
                events.append((f"{j.journey_id}-e{n}", None, customer, f"s-{j.journey_id}", j.journey_id, n,
                               channel, activity, at, None, sentiments[n - 1], None, seq, channel, *typed))
            (first_channel, first_activity), (last_channel, last_activity) = touchpoints[0], touchpoints[-1]
            abandoned = j.outcome == "abandoned"
            rows.append((customer, j.journey_id, times[0], times[-1],
                         (times[-1] - times[0]).total_seconds(), len(j.steps),
                         list(dict.fromkeys(c for c, _ in touchpoints)), [a for _, a in touchpoints], j.outcome,
                         last_activity if abandoned else None, last_channel if abandoned else None,
                         first_activity, first_channel, last_activity, last_channel))
        make_table("journeys.events_in_journeys", EVENTS_IN_JOURNEYS, events)
        make_table("marts.journeys", JOURNEYS, rows)
        build_steps(warehouse, NO_LABEL_HYGIENE)
        # the code columns marts/journeys.sql adds, which the mining marts group by
        warehouse.execute(
            "CREATE OR REPLACE TABLE marts.journeys AS "
            "SELECT journeys.*, codes.journey_key, codes.touchpoint_path, "
            "       list_transform(journeys.path, lambda a: list_position(names.activity_of, a)) AS activity_code_path "
            "FROM marts.journeys AS journeys JOIN ("
            "  SELECT journey_key, journey_id, list(touchpoint ORDER BY step_number) AS touchpoint_path"
            "  FROM journeys.step_codes JOIN journeys.journey_keys USING (journey_key) GROUP BY ALL"
            ") AS codes USING (journey_id) "
            "CROSS JOIN (SELECT list(DISTINCT activity ORDER BY activity) AS activity_of FROM journeys.touchpoints) AS names"
        )
        warehouse.build("journeys.touchpoint_paths", "journeys/int_touchpoint_paths_counted")

    return make
