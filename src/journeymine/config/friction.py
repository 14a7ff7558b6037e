"""The `friction` section: thresholds of the friction signals."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import duckdb

from journeymine.config import checks as check
from journeymine.errors import ConfigError


@dataclass(frozen=True)
class FrictionConfig:
    """Thresholds of the friction signals (journeymine.insights.friction; the rules are in
    sql/journeys/int_friction_hits.sql)."""

    # a call this soon after a web/app step is a switch from self-service to a call
    call_switch_window_hours: float = 24.0
    # a call about the same thing this soon after an earlier one is a repeat contact
    repeat_contact_window_days: float = 7.0
    # a wait is long above the transition's own p90 x this factor ...
    long_wait_factor: float = 1.0
    # ... and above this many minutes
    long_wait_min_minutes: float = 60.0
    # an event with a sentiment (-1..1) at or below this is negative ...
    negative_sentiment_threshold: float = -0.3
    # ... and so is one with a CSAT (attribute 'csat', 1..5) at or below this
    low_csat: float = 2.0
    # an event whose activity matches this (RE2 regular expression, as DuckDB runs it) is an
    # error; words are delimited by anything but a letter, so 'payment_declined' matches
    error_pattern: str = r"(?i)(^|[^a-z])(error|failed|failure|declined)([^a-z]|$)"
    # the smallest finding reported, and the fewest transitions that give a transition a usual wait
    min_journeys: int = 10
    # example journey ids per finding
    n_examples: int = 5


def parse_friction(spec: Any) -> FrictionConfig:
    where = "friction"
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(FrictionConfig)})
    defaults = FrictionConfig()

    pattern = check.text(spec.get("error_pattern", defaults.error_pattern), f"{where}.error_pattern")
    try:  # checked by the engine that runs it: DuckDB's RE2, not Python's re
        duckdb.connect().execute("SELECT regexp_matches('', $pattern)", {"pattern": pattern}).fetchall()
    except duckdb.Error as exc:
        raise ConfigError(
            f"{where}.error_pattern: not a valid RE2 regular expression ({str(exc).splitlines()[0]}): {pattern!r}"
        ) from exc
    return FrictionConfig(
        call_switch_window_hours=check.number_key(spec, defaults, where, "call_switch_window_hours",
                                             "a positive number of hours", above=0),
        repeat_contact_window_days=check.number_key(spec, defaults, where, "repeat_contact_window_days",
                                               "a positive number of days", above=0),
        long_wait_factor=check.number_key(spec, defaults, where, "long_wait_factor",
                                     "a positive factor of the transition's p90", above=0),
        long_wait_min_minutes=check.number_key(spec, defaults, where, "long_wait_min_minutes",
                                          "a number of minutes >= 0", minimum=0),
        negative_sentiment_threshold=check.number_key(spec, defaults, where, "negative_sentiment_threshold",
                                                 "a sentiment between -1 and 1", minimum=-1, maximum=1),
        low_csat=check.number_key(spec, defaults, where, "low_csat", "a CSAT score between 1 and 5",
                                  minimum=1, maximum=5),
        error_pattern=pattern,
        min_journeys=check.whole(spec.get("min_journeys", defaults.min_journeys), f"{where}.min_journeys", minimum=1),
        n_examples=check.whole(spec.get("n_examples", defaults.n_examples), f"{where}.n_examples", minimum=1),
    )
