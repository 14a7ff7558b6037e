"""The timeline pass: sessions, journeys and steps from events already in order, as arrays.

Splitting a customer's events into sessions and journeys, and a journey's events into steps,
is a walk along each timeline comparing an event with the one before it. In SQL that is a
window function per comparison, and each window sorts every row again; at millions of events
those sorts were most of a run. Here the rows are sorted once (by DuckDB) and every rule is a
vectorised comparison of an array with itself shifted by one, numbers are cumulative sums,
and per-step values are reductions over contiguous runs (numpy's `reduceat`). The rules are
the ones the SQL models stated; tests/sql/test_sessions.py, test_journeys.py and
test_labels.py check them on tiny inline tables.

Arrays are one entry per event; NULL is NaN for floats and a separate mask elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _shifted(values: np.ndarray, fill: object) -> np.ndarray:
    """`values` moved one place later: out[i] = values[i - 1], out[0] = fill."""
    out = np.empty_like(values)
    if len(values):
        out[0] = fill
        out[1:] = values[:-1]
    return out


def starts_of(keys: np.ndarray) -> np.ndarray:
    """True where a new group begins in an array sorted by group."""
    out = np.ones(len(keys), dtype=bool)
    if len(keys):
        out[1:] = keys[1:] != keys[:-1]
    return out


def number_within(group_start: np.ndarray, item_start: np.ndarray) -> np.ndarray:
    """1, 2, … for the items (rows where `item_start`) within each group, on every row; both
    arrays mark starts in the same order (a group start is always an item start)."""
    index = np.cumsum(item_start)
    first = np.maximum.accumulate(np.where(group_start, np.arange(len(index)), 0))
    return index - index[first] + 1 if len(index) else index


@dataclass(frozen=True)
class Placement:
    """Each event's session (numbered per customer and channel), journey (numbered per
    customer) and position in its journey."""

    session_number: np.ndarray
    journey_number: np.ndarray
    step_number: np.ndarray
    n_sessions: int
    n_journeys: int


def place_events(
    customer: np.ndarray, channel: np.ndarray, occurred_us: np.ndarray, last_us: np.ndarray, is_goal: np.ndarray,
    timeout_us_by_channel: np.ndarray, window_us: int, is_shared: np.ndarray | None = None,
) -> Placement:
    """Sessions and journeys of events sorted by customer, then time (and source order).

    A session: per customer and channel, a gap from the previous event's end (its end time,
    or its time) to this event longer than the channel's timeout starts a new one; a timeout
    of 0 makes every event its own session. A journey: per customer across channels, the
    event after a goal, or after a gap longer than the journey window, starts a new one; for
    a shared identifier's pseudo-customer (`is_shared`: a kiosk, a switchboard number, used by
    many people), also a change of channel or a gap longer than the channel's timeout: each
    visit is someone's journey. `channel` holds small integer codes indexing
    `timeout_us_by_channel`.
    """
    n = len(customer)
    new_customer = starts_of(customer)
    gap = occurred_us - _shifted(last_us, 0)
    journey_start = new_customer | _shifted(is_goal, False) | (gap > window_us)
    if is_shared is not None and is_shared.any():
        timeout = timeout_us_by_channel[channel]
        new_visit = (channel != _shifted(channel, -1)) | (timeout == 0) | (gap > timeout)
        journey_start |= is_shared & new_visit
    journey_number = number_within(new_customer, journey_start)
    step_number = np.arange(n) - np.maximum.accumulate(np.where(journey_start, np.arange(n), 0)) + 1

    # sessions: the same comparison within (customer, channel), time order kept by a stable sort
    by_channel = np.argsort(customer.astype(np.int64) * (len(timeout_us_by_channel) + 1) + channel, kind="stable")
    group_start = starts_of((customer[by_channel].astype(np.int64) << 16) | channel[by_channel])
    timeout = timeout_us_by_channel[channel[by_channel]]
    channel_gap = occurred_us[by_channel] - _shifted(last_us[by_channel], 0)
    session_start = group_start | (timeout == 0) | (channel_gap > timeout)
    session_number = np.empty(n, dtype=np.int64)
    session_number[by_channel] = number_within(group_start, session_start)
    return Placement(session_number, journey_number, step_number, int(session_start.sum()), int(journey_start.sum()))


@dataclass(frozen=True)
class Steps:
    """One entry per step: a run of consecutive events at the same touchpoint of a journey
    (or each event, when repeats are not collapsed)."""

    first_event: np.ndarray  # index of the step's first event in the input
    step_number: np.ndarray
    previous_touchpoint: np.ndarray
    has_previous: np.ndarray
    last_us: np.ndarray  # latest end (or time) of the step's events
    sentiment: np.ndarray  # mean of the events' sentiments (NaN: none)
    value: np.ndarray  # sum of the events' values (NaN: none)
    n_repeats: np.ndarray


def collapse_steps(
    journey: np.ndarray, touchpoint: np.ndarray, last_us: np.ndarray, sentiment: np.ndarray, value: np.ndarray,
    *, collapse_repeats: bool,
) -> Steps:
    """Steps of events sorted by journey, then time (and source order).

    With `collapse_repeats`, consecutive events of a journey at the same touchpoint are one
    step that counts the others as repeats; the step keeps its first event's time, its
    latest end, the mean sentiment and the summed value of its events.
    """
    n = len(journey)
    new_journey = starts_of(journey)
    if collapse_repeats and n:
        step_start = new_journey | (touchpoint != _shifted(touchpoint, touchpoint[0]))
    else:
        step_start = np.ones(n, dtype=bool)
    first = np.flatnonzero(step_start)
    if not len(first):
        empty = np.array([], dtype=np.int64)
        return Steps(empty, empty, empty, empty.astype(bool), empty, empty.astype(float), empty.astype(float), empty)
    step_journey_start = new_journey[first]
    rated = ~np.isnan(sentiment)
    valued = ~np.isnan(value)
    n_rated = np.add.reduceat(rated, first)
    n_valued = np.add.reduceat(valued, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_sentiment = np.add.reduceat(np.where(rated, sentiment, 0.0), first) / n_rated
    total_value = np.add.reduceat(np.where(valued, value, 0.0), first)
    steps_touchpoint = touchpoint[first]
    return Steps(
        first_event=first,
        step_number=number_within(step_journey_start, np.ones(len(first), dtype=bool)),
        previous_touchpoint=_shifted(steps_touchpoint, 0),
        has_previous=~step_journey_start,
        last_us=np.maximum.reduceat(last_us, first),
        sentiment=np.where(n_rated > 0, mean_sentiment, np.nan),
        value=np.where(n_valued > 0, total_value, np.nan),
        n_repeats=np.diff(np.append(first, n)) - 1,
    )
