"""The `funnel`, `drivers`, `emotion` and `changes` sections: how the insights built on the
journeys count, test and compare."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from typing import Any

import difflib

from journeymine.config import checks as check
from journeymine.config.friction import PERIODS
from journeymine.errors import ConfigError
from journeymine.schema import JOURNEY_ATTRIBUTES

ORDERINGS = ("loose", "strict")  # funnel orderings: "this order" and "exact order"


def check_attribute_names(names: Any, where: str, declared: Collection[str] = ()) -> None:
    """Journey attribute names: the built-in ones (schema.JOURNEY_ATTRIBUTES) or any other name,
    read from the events' and the CRM records' attributes (journeymine.insights.attributes); a
    name one typo away from a built-in one is taken for that typo, not for a custom attribute,
    unless a source declares it (`declared`: the names of the sources' `attributes`)."""
    for name in names:
        if name in JOURNEY_ATTRIBUTES or name in declared:
            continue
        close = difflib.get_close_matches(name, JOURNEY_ATTRIBUTES, n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                f"{where}: unknown journey attribute {name!r}; expected any of {', '.join(JOURNEY_ATTRIBUTES)} "
                f"or the name of an event or CRM attribute (did you mean {close[0]!r}?)"
            )


@dataclass(frozen=True)
class DropoffPathConfig:
    """The paths around drop-offs (marts.dropoff_paths)."""

    n_points: int = 10  # drop-off touchpoints, most abandoned first
    n_paths: int = 5  # paths per point and kind
    path_length: int = 3  # steps that led to the drop-off, the drop-off included
    n_examples: int = 5  # example abandoned journey ids per row


@dataclass(frozen=True)
class FunnelTrendConfig:
    """Stage conversion per period inside one run (marts.funnel_trend): a period is flagged when
    the conversion of the journeys that reached a stage in it differs beyond noise from the
    conversion of those that reached it in the other periods."""

    period: str = "week"  # or 'day'
    # two-proportion z-test against the other periods, Benjamini-Hochberg over every stage and
    # period: flagged at q <= alpha ...
    alpha: float = 0.01
    # ... when the conversion moved by at least this much (absolute: 0.05 = 5 points)
    min_conversion_points: float = 0.05


@dataclass(frozen=True)
class FunnelConfig:
    """How a funnel counts: the conversion window from entering, the ordering, the journey
    attributes to break it down by, and the fewest entering journeys a segment needs to be shown."""

    window_hours: float = 168.0
    ordering: str = "loose"
    breakdown: tuple[str, ...] = ("entry_channel", "platform", "segment")
    min_journeys: int = 10
    # activities in order, each its own stage; empty: the journey map's stages
    stages: tuple[str, ...] = ()
    dropoff_paths: DropoffPathConfig = field(default_factory=lambda: DropoffPathConfig())
    trend: FunnelTrendConfig = field(default_factory=FunnelTrendConfig)

    def __post_init__(self) -> None:
        hours = self.window_hours
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not hours > 0:
            raise ConfigError(f"funnel.window_hours: expected a positive number of hours, such as 72, found {hours!r}")
        if self.ordering not in ORDERINGS:
            raise ConfigError(
                f"funnel.ordering: unknown value {self.ordering!r}; expected one of {', '.join(ORDERINGS)} "
                "(loose: other steps may come in between; strict: each stage directly follows the one before)"
            )
        if isinstance(self.breakdown, str) or not all(isinstance(a, str) and a for a in self.breakdown):
            raise ConfigError(
                f"funnel.breakdown: expected a list of journey attribute names such as "
                f"['entry_channel', 'platform'], found {self.breakdown!r}"
            )
        if len(set(self.breakdown)) != len(self.breakdown):
            raise ConfigError(f"funnel.breakdown: an attribute is named twice in {list(self.breakdown)!r}")
        if isinstance(self.min_journeys, bool) or not isinstance(self.min_journeys, int) or self.min_journeys < 1:
            raise ConfigError(f"funnel.min_journeys: expected a whole number >= 1, found {self.min_journeys!r}")
        object.__setattr__(self, "window_hours", float(hours))
        object.__setattr__(self, "breakdown", tuple(self.breakdown))


# the built-in journey attributes (sql/journeys/int_journey_attributes.sql) drivers test; by
# default drivers test every journey attribute but those in NOT_DRIVERS
DRIVER_ATTRIBUTES = ("entry_channel", "platform", "device_type", "segment", "country")
# `channels` also records what the customer did after the friction (restates the outcome)
NOT_DRIVERS = ("channels",)
# attribute values that say the value is not known: left out like a missing value (compared
# lower-cased, trimmed; a value's last part after '/' too, so 'app/unknown' is unknown)
UNKNOWN_VALUES = ("unknown", "n/a", "na", "none", "null", "nil", "undefined", "(not set)", "not set", "-", "?", "")


@dataclass(frozen=True)
class DriverConfig:
    """Drivers of friction findings (journeymine.insights.drivers): the findings explained (None:
    all), the least number of affected journeys a value must hold, the false discovery rate of a
    significant driver, the journey attributes tested (None: every attribute the journeys have
    but NOT_DRIVERS) and the values that mean "not known"."""

    n_findings: int | None = None
    min_support: int = 10
    alpha: float = 0.05
    attributes: tuple[str, ...] | None = None
    unknown_values: tuple[str, ...] = UNKNOWN_VALUES

    def __post_init__(self) -> None:
        if self.n_findings is not None and (
            isinstance(self.n_findings, bool) or not isinstance(self.n_findings, int) or self.n_findings < 0
        ):
            raise ConfigError(f"drivers.n_findings: expected a whole number >= 0 or all, found {self.n_findings!r}")
        if isinstance(self.min_support, bool) or not isinstance(self.min_support, int) or self.min_support < 1:
            raise ConfigError(f"drivers.min_support: expected a whole number of journeys >= 1, found {self.min_support!r}")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            raise ConfigError(f"drivers.alpha: expected a false discovery rate between 0 and 1, found {self.alpha!r}")
        if self.attributes is not None:
            if isinstance(self.attributes, str) or not all(isinstance(a, str) and a for a in self.attributes):
                raise ConfigError(
                    f"drivers.attributes: expected a list of journey attribute names or all, found {self.attributes!r}"
                )
            object.__setattr__(self, "attributes", tuple(self.attributes))
        if isinstance(self.unknown_values, str) or not all(isinstance(v, str) for v in self.unknown_values):
            raise ConfigError(f"drivers.unknown_values: expected a list of values, found {self.unknown_values!r}")
        object.__setattr__(self, "unknown_values", tuple(v.strip().lower() for v in self.unknown_values))


@dataclass(frozen=True)
class EmotionConfig:
    """The emotion curve (journeymine.insights.emotion)."""

    # a touchpoint needs this many scored events to be on the touchpoint curve; points with
    # fewer are never valleys or peaks
    min_events: int = 10


@dataclass(frozen=True)
class ChangeConfig:
    """When a difference from the previous run is a change, and how many alerts to raise
    (journeymine.insights.changes)."""

    alpha: float = 0.01  # two-proportion z-test: a change has p below this
    min_relative_change: float = 0.25  # a finding grew: its share of journeys rose by at least this, relative
    min_conversion_points: float = 0.02  # a stage's conversion moved by at least this, absolute
    top_findings: int = 10  # a new finding is an alert when it ranks in this top
    max_alerts: int = 5  # alerts in the run manifest and the report


def parse_funnel(spec: Any) -> FunnelConfig:
    """The funnel section; FunnelConfig checks its own values (the CLI builds one too)."""
    where = "funnel"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"stages", "window_hours", "ordering", "breakdown", "min_journeys", "dropoff_paths", "trend"})
    defaults = FunnelConfig()
    stages = spec.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(a, str) and a for a in stages) or len(stages) == 1:
        raise ConfigError(f"{where}.stages: expected a list of at least 2 activity names in order, found {stages!r}")
    if len(set(stages)) != len(stages):
        twice = next(a for a in stages if stages.count(a) > 1)
        raise ConfigError(f"{where}.stages: activity {twice!r} is named twice; each stage is one activity, once")
    breakdown = spec.get("breakdown", list(defaults.breakdown))
    if not isinstance(breakdown, list):
        raise ConfigError(f"{where}.breakdown: expected a list of journey attribute names, found {breakdown!r}")
    paths = check.mapping(spec.get("dropoff_paths", {}), f"{where}.dropoff_paths")
    check.only(paths, f"{where}.dropoff_paths", {f.name for f in fields(DropoffPathConfig)})
    path_defaults = DropoffPathConfig()
    return FunnelConfig(
        window_hours=spec.get("window_hours", defaults.window_hours),
        ordering=spec.get("ordering", defaults.ordering),
        breakdown=tuple(breakdown),
        min_journeys=spec.get("min_journeys", defaults.min_journeys),
        stages=tuple(stages),
        dropoff_paths=DropoffPathConfig(**{
            f.name: check.whole(paths.get(f.name, getattr(path_defaults, f.name)), f"{where}.dropoff_paths.{f.name}",
                                minimum=1)
            for f in fields(DropoffPathConfig)
        }),
        trend=parse_funnel_trend(spec.get("trend", {}), f"{where}.trend"),
    )


def parse_funnel_trend(spec: Any, where: str) -> FunnelTrendConfig:
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(FunnelTrendConfig)})
    defaults = FunnelTrendConfig()
    return FunnelTrendConfig(
        period=check.choice(spec.get("period", defaults.period), f"{where}.period", PERIODS),
        alpha=check.number_key(spec, defaults, where, "alpha", "a false discovery rate between 0 and 1",
                               above=0, below=1),
        min_conversion_points=check.number_key(spec, defaults, where, "min_conversion_points",
                                               "a share >= 0 (0.05: 5 points)", minimum=0, maximum=1),
    )


def parse_drivers(spec: Any) -> DriverConfig:
    """The drivers section; DriverConfig checks its own values."""
    where = "drivers"
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(DriverConfig)})
    defaults = DriverConfig()
    attributes = spec.get("attributes", "all")
    if attributes != "all" and not isinstance(attributes, list):
        raise ConfigError(f"{where}.attributes: expected a list of journey attribute names or all, found {attributes!r}")
    n_findings = spec.get("n_findings", "all")
    unknown = spec.get("unknown_values", list(defaults.unknown_values))
    if not isinstance(unknown, list):
        raise ConfigError(f"{where}.unknown_values: expected a list of values, found {unknown!r}")
    return DriverConfig(
        n_findings=None if n_findings == "all" else n_findings,
        min_support=spec.get("min_support", defaults.min_support),
        alpha=spec.get("alpha", defaults.alpha),
        attributes=None if attributes == "all" else tuple(attributes),
        unknown_values=tuple(unknown),
    )


def parse_emotion(spec: Any) -> EmotionConfig:
    where = "emotion"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"min_events"})
    return EmotionConfig(
        min_events=check.whole(spec.get("min_events", EmotionConfig().min_events), f"{where}.min_events", minimum=1)
    )


def parse_changes(spec: Any) -> ChangeConfig:
    where = "changes"
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(ChangeConfig)})
    defaults = ChangeConfig()

    return ChangeConfig(
        alpha=check.number_key(spec, defaults, where, "alpha", "a probability between 0 and 1", above=0, below=1),
        min_relative_change=check.number_key(spec, defaults, where, "min_relative_change",
                                        "a relative change >= 0 (0.25: +25%)", minimum=0),
        min_conversion_points=check.number_key(spec, defaults, where, "min_conversion_points",
                                          "a share >= 0 (0.02: 2 points)", minimum=0, maximum=1),
        top_findings=check.whole(spec.get("top_findings", defaults.top_findings), f"{where}.top_findings", minimum=1),
        max_alerts=check.whole(spec.get("max_alerts", defaults.max_alerts), f"{where}.max_alerts", minimum=0),
    )
