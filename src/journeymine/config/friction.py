"""The `friction` section: thresholds of the friction signals, the words that name an error, and
how findings are followed over time inside one run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import duckdb

from journeymine.config import checks as check
from journeymine.errors import ConfigError

PERIODS = ("week", "day")  # the time buckets of the trends (friction_trend, funnel_trend)

# Words that name an error event, matched as whole words of an activity label in any naming
# style: 'Payment Failed', 'payment_failed', 'paymentFailed', 'PAYMENT-FAILED', 'checkout.bug',
# 'APIException', 'Request Timed Out'. `friction.extra_error_words` adds to them.
ERROR_WORDS: tuple[str, ...] = (
    "error", "errors", "err", "fail", "fails", "failed", "failing", "failure", "failures",
    "declined", "denied", "rejected", "refused", "invalid", "bug", "bugs", "exception", "exceptions",
    "timeout", "timeouts", "timed out", "time out", "crash", "crashed", "crashes", "fatal", "broken",
    "unavailable", "not found",
)
# attributes of a call that may hold its time in the queue, in seconds (the first one given counts)
CALL_WAIT_ATTRIBUTES: tuple[str, ...] = ("wait_seconds", "queue_seconds", "wait_time_seconds", "answer_seconds")


def label_words(text: str) -> str:
    """An activity label (or an error word) as lower-case words separated by single spaces, as
    sql/journeys/int_friction_events_on_steps.sql splits labels: camelCase and ACRONYMWord
    boundaries, and anything but letters and digits, separate words ('paymentFailed' and
    'PAYMENT_FAILED' → 'payment failed', 'APIException' → 'api exception')."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text))
    return " ".join(re.sub(r"[^A-Za-z0-9]+", " ", spaced).lower().split())


def error_words_pattern(words: tuple[str, ...]) -> str:
    """The RE2 pattern matching a label (split into words by `label_words`) holding any of
    `words` as whole words; '' (matching nothing, see the SQL) for no words."""
    normalised = sorted({label_words(word) for word in words} - {""}, key=lambda w: (-len(w), w))
    return f"(^| )({'|'.join(normalised)})( |$)" if normalised else ""


@dataclass(frozen=True)
class FrictionTrendConfig:
    """Findings per period inside one run (marts.friction_trend): a period is flagged when a
    finding's rate there differs beyond noise from its rate in the other periods."""

    period: str = "week"  # or 'day'
    # two-proportion z-test against the other periods, Benjamini-Hochberg over every finding and
    # period of the run: flagged at q <= alpha ...
    alpha: float = 0.01
    # ... when the rate is at least this much higher (relative: 0.5 = 1.5x) or lower (0.5x) ...
    min_relative_change: float = 0.5
    # ... and the period holds at least this many affected journeys (a rise) or would have (a fall)
    min_journeys: int = 5


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
    # an event whose activity holds one of these words (whole words, any naming style) is an
    # error; extra_error_words adds to them without restating the list
    error_words: tuple[str, ...] = ERROR_WORDS
    extra_error_words: tuple[str, ...] = ()
    # ... and so is one whose activity matches this RE2 regular expression (as DuckDB runs it,
    # on the label as it is); '' for none
    error_pattern: str = ""
    # the call attributes holding the time a caller waited in the queue, in seconds
    call_wait_attributes: tuple[str, ...] = CALL_WAIT_ATTRIBUTES
    # the smallest finding reported, and the fewest transitions that give a transition a usual wait
    min_journeys: int = 10
    # example journey ids per finding
    n_examples: int = 5
    trend: FrictionTrendConfig = field(default_factory=FrictionTrendConfig)

    @property
    def error_words_pattern(self) -> str:
        """RE2 pattern of the error words (`error_words` and `extra_error_words`) over a label
        split into words ('' when there are none)."""
        return error_words_pattern((*self.error_words, *self.extra_error_words))


def parse_friction(spec: Any) -> FrictionConfig:
    where = "friction"
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(FrictionConfig)})
    defaults = FrictionConfig()

    pattern = spec.get("error_pattern", defaults.error_pattern)
    if pattern is None:
        pattern = ""
    if not isinstance(pattern, str):
        raise ConfigError(f"{where}.error_pattern: expected a regular expression (text), found {pattern!r}")
    if pattern:
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
        error_words=_words(spec.get("error_words", list(defaults.error_words)), f"{where}.error_words"),
        extra_error_words=_words(spec.get("extra_error_words", []), f"{where}.extra_error_words"),
        error_pattern=pattern,
        call_wait_attributes=_names(spec.get("call_wait_attributes", list(defaults.call_wait_attributes)),
                                    f"{where}.call_wait_attributes"),
        min_journeys=check.whole(spec.get("min_journeys", defaults.min_journeys), f"{where}.min_journeys", minimum=1),
        n_examples=check.whole(spec.get("n_examples", defaults.n_examples), f"{where}.n_examples", minimum=1),
        trend=parse_friction_trend(spec.get("trend", {}), f"{where}.trend"),
    )


def parse_friction_trend(spec: Any, where: str) -> FrictionTrendConfig:
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(FrictionTrendConfig)})
    defaults = FrictionTrendConfig()
    return FrictionTrendConfig(
        period=check.choice(spec.get("period", defaults.period), f"{where}.period", PERIODS),
        alpha=check.number_key(spec, defaults, where, "alpha", "a false discovery rate between 0 and 1",
                               above=0, below=1),
        min_relative_change=check.number_key(spec, defaults, where, "min_relative_change",
                                             "a relative change >= 0 (0.5: 1.5x or 0.5x)", minimum=0),
        min_journeys=check.whole(spec.get("min_journeys", defaults.min_journeys), f"{where}.min_journeys",
                                 minimum=1),
    )


def _words(value: Any, where: str) -> tuple[str, ...]:
    """A list of error words, each holding at least one letter or digit."""
    if not isinstance(value, list) or not all(isinstance(w, str) and label_words(w) for w in value):
        raise ConfigError(f"{where}: expected a list of words such as ['error', 'timed out'], found {value!r}")
    return tuple(value)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(n, str) and n for n in value):
        raise ConfigError(f"{where}: expected a list of attribute names, found {value!r}")
    return tuple(value)
