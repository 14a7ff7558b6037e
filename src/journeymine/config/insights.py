"""The `funnel`, `drivers`, `emotion` and `changes` sections: how the insights built on the
journeys count, test and compare."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from journeymine.config import checks as check
from journeymine.errors import ConfigError

ORDERINGS = ("loose", "strict")  # funnel orderings: "this order" and "exact order"


@dataclass(frozen=True)
class DropoffPathConfig:
    """The paths around drop-offs (marts.dropoff_paths)."""

    n_points: int = 10  # drop-off touchpoints, most abandoned first
    n_paths: int = 5  # paths per point and kind
    path_length: int = 3  # steps that led to the drop-off, the drop-off included
    n_examples: int = 5  # example abandoned journey ids per row


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
        check.known_attributes(self.breakdown, "funnel.breakdown")
        if isinstance(self.min_journeys, bool) or not isinstance(self.min_journeys, int) or self.min_journeys < 1:
            raise ConfigError(f"funnel.min_journeys: expected a whole number >= 1, found {self.min_journeys!r}")
        object.__setattr__(self, "window_hours", float(hours))
        object.__setattr__(self, "breakdown", tuple(self.breakdown))


# journey attributes (sql/journeys/int_journey_attributes.sql) tested as drivers by default:
# not `channels`, which also records what the customer did after the friction
DRIVER_ATTRIBUTES = ("entry_channel", "platform", "device_type", "segment", "country")


@dataclass(frozen=True)
class DriverConfig:
    """Drivers of friction findings (journeymine.insights.drivers): the findings explained, the least
    number of affected journeys a value must hold, the false discovery rate of a significant
    driver and the journey attributes tested."""

    n_findings: int = 10
    min_support: int = 10
    alpha: float = 0.05
    attributes: tuple[str, ...] = DRIVER_ATTRIBUTES

    def __post_init__(self) -> None:
        if isinstance(self.n_findings, bool) or not isinstance(self.n_findings, int) or self.n_findings < 0:
            raise ConfigError(f"drivers.n_findings: expected a whole number >= 0, found {self.n_findings!r}")
        if isinstance(self.min_support, bool) or not isinstance(self.min_support, int) or self.min_support < 1:
            raise ConfigError(f"drivers.min_support: expected a whole number of journeys >= 1, found {self.min_support!r}")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            raise ConfigError(f"drivers.alpha: expected a false discovery rate between 0 and 1, found {self.alpha!r}")
        if isinstance(self.attributes, str) or not all(isinstance(a, str) and a for a in self.attributes):
            raise ConfigError(f"drivers.attributes: expected a list of journey attribute names, found {self.attributes!r}")
        check.known_attributes(self.attributes, "drivers.attributes")
        object.__setattr__(self, "attributes", tuple(self.attributes))


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
    check.only(spec, where, {"stages", "window_hours", "ordering", "breakdown", "min_journeys", "dropoff_paths"})
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
    )


def parse_drivers(spec: Any) -> DriverConfig:
    """The drivers section; DriverConfig checks its own values."""
    where = "drivers"
    spec = check.mapping(spec, where)
    check.only(spec, where, {f.name for f in fields(DriverConfig)})
    defaults = DriverConfig()
    attributes = spec.get("attributes", list(defaults.attributes))
    if not isinstance(attributes, list):
        raise ConfigError(f"{where}.attributes: expected a list of journey attribute names, found {attributes!r}")
    return DriverConfig(
        n_findings=spec.get("n_findings", defaults.n_findings),
        min_support=spec.get("min_support", defaults.min_support),
        alpha=spec.get("alpha", defaults.alpha),
        attributes=tuple(attributes),
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
