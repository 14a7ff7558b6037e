"""Sessions: per customer and channel, a gap longer than the channel's timeout starts a new one."""

from __future__ import annotations

import pandas as pd

from journeymine.config import SessionConfig
from journeymine.db import Warehouse


def split_sessions(wh: Warehouse, sessions: SessionConfig) -> dict[str, int]:
    """journeys.events_sessionized from stitched.events: each event with its session_id.
    Returns the number of events and of sessions."""
    timeouts = pd.DataFrame(
        {"channel": list(sessions.timeout_minutes), "timeout_minutes": list(sessions.timeout_minutes.values())}
    )
    wh.register("cfg_session_timeouts", timeouts)
    n_events = wh.build(
        "journeys.events_sessionized", "journeys/int_events_sessionized",
        {"default_timeout_minutes": sessions.default_timeout_minutes},
    )
    n_sessions = int(wh.scalar("SELECT count(DISTINCT session_id) FROM journeys.events_sessionized"))
    return {"n_events": n_events, "n_sessions": n_sessions}
