"""Read and check a journeymine YAML config.

`load_config(path)` returns a frozen `Config`. Unknown keys and bad values raise
`ConfigError` naming the key (as a dotted path) and what was expected. Relative paths in the
file are resolved against the folder of the config file, so a run does not depend on the
working folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from journeymine.errors import ConfigError
from journeymine.schema import (
    FORMATS, IDENTIFIER_KINDS, JOURNEY_ATTRIBUTES, MAPPED_FIELDS, PRESET_CHANNELS, PRESET_FORMATS,
)

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_TIME_FORMAT_SPECIALS = ("epoch", "epoch_ms")


@dataclass(frozen=True)
class ColumnMapping:
    """How a `mapped` source's columns become the event contract (column names of the file)."""

    occurred_at: str
    activity: str
    identifiers: dict[str, str]
    event_id: str | None = None
    ended_at: str | None = None
    channel: str | None = None
    sentiment: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    """One input: a glob of files read with a preset (or a column mapping)."""

    name: str
    path: str
    preset: str
    format: str
    channel: str | None = None
    time_format: str | None = None
    time_zone: str = "UTC"
    delimiter: str = ","
    user_id_kind: str = "customer_ref"
    columns: ColumnMapping | None = None


@dataclass(frozen=True)
class IdentityConfig:
    """Identifier normalisation, hashing and the over-merge guard of the identity graph."""

    salt: str = "journeymine"
    default_country_code: str = "44"
    # A customer (connected component) holding more identifiers of one kind than this is
    # implausible (a shared kiosk, a switchboard number) and is split, not merged.
    max_identifiers_per_kind: dict[str, int] = field(
        default_factory=lambda: {
            "customer_ref": 2,
            "loyalty_id": 3,
            "email": 3,
            "phone": 3,
            "anonymous_id": 25,
        }
    )


@dataclass(frozen=True)
class SessionConfig:
    """Inactivity timeouts per channel; 0 makes every event its own session (calls, store visits)."""

    timeout_minutes: dict[str, int] = field(
        default_factory=lambda: {"web": 30, "app": 30, "call_center": 0, "store": 0}
    )
    default_timeout_minutes: int = 30


@dataclass(frozen=True)
class JourneyConfig:
    """A journey ends at a goal activity, or after `window_days` without any event."""

    goal_activities: tuple[str, ...] = ()
    window_days: int = 30


@dataclass(frozen=True)
class FrictionConfig:
    """Thresholds of the friction signals (journeymine.friction; the rules are in
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
        _known_attributes(self.breakdown, "funnel.breakdown")
        if isinstance(self.min_journeys, bool) or not isinstance(self.min_journeys, int) or self.min_journeys < 1:
            raise ConfigError(f"funnel.min_journeys: expected a whole number >= 1, found {self.min_journeys!r}")
        object.__setattr__(self, "window_hours", float(hours))
        object.__setattr__(self, "breakdown", tuple(self.breakdown))


# journey attributes (sql/journeys/int_journey_attributes.sql) tested as drivers by default:
# not `channels`, which also records what the customer did after the friction
DRIVER_ATTRIBUTES = ("entry_channel", "platform", "device_type", "segment", "country")


@dataclass(frozen=True)
class DriverConfig:
    """Drivers of friction findings (journeymine.drivers): the findings explained, the least
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
        _known_attributes(self.attributes, "drivers.attributes")
        object.__setattr__(self, "attributes", tuple(self.attributes))


@dataclass(frozen=True)
class EmotionConfig:
    """The emotion curve (journeymine.emotion)."""

    # a touchpoint needs this many scored events to be on the touchpoint curve; points with
    # fewer are never valleys or peaks
    min_events: int = 10


@dataclass(frozen=True)
class ChangeConfig:
    """When a difference from the previous run is a change, and how many alerts to raise
    (journeymine.changes)."""

    alpha: float = 0.01  # two-proportion z-test: a change has p below this
    min_relative_change: float = 0.25  # a finding grew: its share of journeys rose by at least this, relative
    min_conversion_points: float = 0.02  # a stage's conversion moved by at least this, absolute
    top_findings: int = 10  # a new finding is an alert when it ranks in this top
    max_alerts: int = 5  # alerts in the run manifest and the report


@dataclass(frozen=True)
class LabelConfig:
    """Label hygiene before mining: one activity per page template, repeats collapsed, rare ones grouped."""

    # '/product/123?ref=x' and '/product/456' become '/product/{id}'
    template_urls: bool = True
    # A→A→A becomes one step A; the repeats are counted as rework, not lost
    collapse_repeats: bool = True
    # activities with fewer than this share of all events become `other_label` (0: off)
    rare_activity_share: float = 0.0
    other_label: str = "Other"


@dataclass(frozen=True)
class MiningConfig:
    """Process discovery: pm4py's inductive miner on the top variants covering `model_coverage`."""

    model_coverage: float = 0.8
    noise_threshold: float = 0.2
    # at most this many variants go to the miner; the manifest states the coverage reached
    max_model_variants: int = 1000


@dataclass(frozen=True)
class ExportConfig:
    """Interchange files written with the outputs: XES (Disco, ProM, pm4py) and OCEL 2.0 JSON."""

    xes: bool = True
    ocel: bool = True


@dataclass(frozen=True)
class JourneyStage:
    """One stage of the designed journey map and the activities that belong to it."""

    name: str
    activities: tuple[str, ...]


@dataclass(frozen=True)
class JourneyMapConfig:
    """The designed (intended) journey: stages in their intended order. Empty: no conformance."""

    stages: tuple[JourneyStage, ...] = ()


@dataclass(frozen=True)
class Config:
    """A whole run: sources, where results go, and the knobs of each step."""

    sources: tuple[SourceConfig, ...]
    output_dir: Path
    database: Path
    memory_limit: str = "4GB"
    threads: int | None = None
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    sessions: SessionConfig = field(default_factory=SessionConfig)
    journeys: JourneyConfig = field(default_factory=JourneyConfig)
    friction: FrictionConfig = field(default_factory=FrictionConfig)
    funnel: FunnelConfig = field(default_factory=FunnelConfig)
    drivers: DriverConfig = field(default_factory=DriverConfig)
    emotion: EmotionConfig = field(default_factory=EmotionConfig)
    changes: ChangeConfig = field(default_factory=ChangeConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
    mining: MiningConfig = field(default_factory=MiningConfig)
    journey_map: JourneyMapConfig = field(default_factory=JourneyMapConfig)
    exports: ExportConfig = field(default_factory=ExportConfig)
    path: Path | None = None

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"no source named {name!r}; the config has {', '.join(self.source_names)}")

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources)


def load_config(path: str | Path) -> Config:
    """Read the YAML file at `path` and return the checked `Config`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_config(data, base_dir=path.resolve().parent, path=path.resolve())


def parse_config(data: Any, *, base_dir: Path, path: Path | None = None) -> Config:
    """Check a config already read into Python objects; relative paths are taken from `base_dir`."""
    top = _mapping(data, "config")
    _only(top, "config", {
        "sources", "output_dir", "database", "memory_limit", "threads",
        "identity", "sessions", "journeys", "friction", "labels", "mining", "journey_map",
        "exports", "funnel", "drivers", "emotion", "changes",
    })
    sources_raw = _mapping(_required(top, "sources", "config"), "sources")
    if not sources_raw:
        raise ConfigError("sources: expected at least one source")
    sources = tuple(_source(name, spec, base_dir) for name, spec in sources_raw.items())

    memory_limit = _str(top.get("memory_limit", "4GB"), "memory_limit")
    if not _MEMORY.match(memory_limit):
        raise ConfigError(f"memory_limit: expected a size such as '2GB' or '512MiB', found {memory_limit!r}")
    threads = top.get("threads")
    if threads is not None:
        threads = _int(threads, "threads", minimum=1)

    return Config(
        sources=sources,
        output_dir=_path(_required(top, "output_dir", "config"), "output_dir", base_dir),
        database=_path(_required(top, "database", "config"), "database", base_dir),
        memory_limit=memory_limit,
        threads=threads,
        identity=_identity(top.get("identity", {})),
        sessions=_sessions(top.get("sessions", {})),
        journeys=_journeys(top.get("journeys", {})),
        friction=_friction(top.get("friction", {})),
        funnel=_funnel(top.get("funnel", {})),
        drivers=_drivers(top.get("drivers", {})),
        emotion=_emotion(top.get("emotion", {})),
        changes=_changes(top.get("changes", {})),
        labels=_labels(top.get("labels", {})),
        mining=_mining(top.get("mining", {})),
        journey_map=_journey_map(top.get("journey_map", {})),
        exports=_exports(top.get("exports", {})),
        path=path,
    )


def _source(name: Any, spec: Any, base_dir: Path) -> SourceConfig:
    where = f"sources.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: a source name must be lower-case letters, digits and '_', starting with a letter"
        )
    spec = _mapping(spec, where)
    _only(spec, where, {
        "path", "preset", "format", "channel", "time_format", "time_zone", "delimiter",
        "user_id_kind", "columns",
    })
    preset = _choice(spec.get("preset", "mapped"), f"{where}.preset", tuple(PRESET_FORMATS))
    fmt = _choice(spec.get("format", PRESET_FORMATS[preset]), f"{where}.format", FORMATS)
    if preset != "mapped" and fmt != PRESET_FORMATS[preset]:
        raise ConfigError(
            f"{where}.format: preset {preset!r} reads {PRESET_FORMATS[preset]} files, found format {fmt!r}"
        )
    channel = spec.get("channel", PRESET_CHANNELS[preset])
    if channel is not None:
        channel = _str(channel, f"{where}.channel")
        if not _NAME.match(channel):
            raise ConfigError(f"{where}.channel: expected a lower-case name such as 'web', found {channel!r}")
    columns = None
    if preset == "mapped":
        columns = _columns(_required(spec, "columns", where), f"{where}.columns")
        if channel is None and columns.channel is None:
            raise ConfigError(f"{where}: a mapped source needs 'channel' or a 'columns.channel' column")
    elif "columns" in spec:
        raise ConfigError(f"{where}.columns: only a source with preset 'mapped' takes a column mapping")
    if preset == "segment" and channel is None:
        raise ConfigError(f"{where}.channel: a segment source needs its channel, e.g. 'web' or 'app'")

    time_format = spec.get("time_format")
    if time_format is not None:
        time_format = _str(time_format, f"{where}.time_format")
        if time_format not in _TIME_FORMAT_SPECIALS and "%" not in time_format:
            raise ConfigError(
                f"{where}.time_format: expected strptime codes such as '%d/%m/%Y %H:%M' or one of "
                f"{', '.join(_TIME_FORMAT_SPECIALS)}, found {time_format!r}"
            )
    time_zone = _str(spec.get("time_zone", "UTC"), f"{where}.time_zone")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}.time_zone: unknown time zone {time_zone!r}; expected an IANA name such as 'Europe/London'"
        ) from None
    delimiter = _str(spec.get("delimiter", ","), f"{where}.delimiter")
    if len(delimiter) != 1:
        raise ConfigError(f"{where}.delimiter: expected one character, found {delimiter!r}")
    return SourceConfig(
        name=name,
        path=str(_path(_required(spec, "path", where), f"{where}.path", base_dir)),
        preset=preset,
        format=fmt,
        channel=channel,
        time_format=time_format,
        time_zone=time_zone,
        delimiter=delimiter,
        user_id_kind=_choice(spec.get("user_id_kind", "customer_ref"), f"{where}.user_id_kind", IDENTIFIER_KINDS),
        columns=columns,
    )


def _columns(spec: Any, where: str) -> ColumnMapping:
    spec = _mapping(spec, where)
    _only(spec, where, set(MAPPED_FIELDS) | {"identifiers"})
    identifiers = _mapping(_required(spec, "identifiers", where), f"{where}.identifiers")
    if not identifiers:
        raise ConfigError(f"{where}.identifiers: expected at least one identifier column")
    for kind, column in identifiers.items():
        _choice(kind, f"{where}.identifiers", IDENTIFIER_KINDS)
        _str(column, f"{where}.identifiers.{kind}")
    fields = {key: _str(spec[key], f"{where}.{key}") for key in MAPPED_FIELDS if key in spec}
    for key in ("occurred_at", "activity"):
        if key not in fields:
            raise ConfigError(f"{where}: missing required key {key!r} (the column holding the {key})")
    return ColumnMapping(identifiers=dict(identifiers), **fields)


def _identity(spec: Any) -> IdentityConfig:
    where = "identity"
    spec = _mapping(spec, where)
    _only(spec, where, {"salt", "default_country_code", "max_identifiers_per_kind"})
    defaults = IdentityConfig()
    limits = dict(defaults.max_identifiers_per_kind)
    for kind, value in _mapping(spec.get("max_identifiers_per_kind", {}), f"{where}.max_identifiers_per_kind").items():
        _choice(kind, f"{where}.max_identifiers_per_kind", IDENTIFIER_KINDS)
        limits[kind] = _int(value, f"{where}.max_identifiers_per_kind.{kind}", minimum=1)
    code = str(spec.get("default_country_code", defaults.default_country_code))
    if not re.fullmatch(r"\d{1,3}", code):
        raise ConfigError(f"{where}.default_country_code: expected 1-3 digits such as '44', found {code!r}")
    salt = _str(spec.get("salt", defaults.salt), f"{where}.salt")
    return IdentityConfig(salt=salt, default_country_code=code, max_identifiers_per_kind=limits)


def _sessions(spec: Any) -> SessionConfig:
    where = "sessions"
    spec = _mapping(spec, where)
    _only(spec, where, {"timeout_minutes", "default_timeout_minutes"})
    defaults = SessionConfig()
    timeouts = dict(defaults.timeout_minutes)
    for channel, value in _mapping(spec.get("timeout_minutes", {}), f"{where}.timeout_minutes").items():
        if not isinstance(channel, str) or not _NAME.match(channel):
            raise ConfigError(
                f"{where}.timeout_minutes: channel names are lower-case, such as 'web' or 'call_center', found {channel!r}"
            )
        timeouts[channel] = _int(
            value, f"{where}.timeout_minutes.{channel}", minimum=0
        )
    default = _int(spec.get("default_timeout_minutes", defaults.default_timeout_minutes),
                   f"{where}.default_timeout_minutes", minimum=0)
    return SessionConfig(timeout_minutes=timeouts, default_timeout_minutes=default)


def _journeys(spec: Any) -> JourneyConfig:
    where = "journeys"
    spec = _mapping(spec, where)
    _only(spec, where, {"goal_activities", "window_days"})
    goals = spec.get("goal_activities", [])
    if not isinstance(goals, list) or not all(isinstance(g, str) and g for g in goals):
        raise ConfigError(f"{where}.goal_activities: expected a list of activity names, found {goals!r}")
    window = _int(spec.get("window_days", 30), f"{where}.window_days", minimum=1)
    return JourneyConfig(goal_activities=tuple(goals), window_days=window)


def _friction(spec: Any) -> FrictionConfig:
    where = "friction"
    spec = _mapping(spec, where)
    _only(spec, where, {f.name for f in fields(FrictionConfig)})
    defaults = FrictionConfig()

    pattern = _str(spec.get("error_pattern", defaults.error_pattern), f"{where}.error_pattern")
    try:  # checked by the engine that runs it: DuckDB's RE2, not Python's re
        duckdb.connect().execute("SELECT regexp_matches('', $pattern)", {"pattern": pattern}).fetchall()
    except duckdb.Error as exc:
        raise ConfigError(
            f"{where}.error_pattern: not a valid RE2 regular expression ({str(exc).splitlines()[0]}): {pattern!r}"
        ) from exc
    return FrictionConfig(
        call_switch_window_hours=_number_key(spec, defaults, where, "call_switch_window_hours",
                                             "a positive number of hours", above=0),
        repeat_contact_window_days=_number_key(spec, defaults, where, "repeat_contact_window_days",
                                               "a positive number of days", above=0),
        long_wait_factor=_number_key(spec, defaults, where, "long_wait_factor",
                                     "a positive factor of the transition's p90", above=0),
        long_wait_min_minutes=_number_key(spec, defaults, where, "long_wait_min_minutes",
                                          "a number of minutes >= 0", minimum=0),
        negative_sentiment_threshold=_number_key(spec, defaults, where, "negative_sentiment_threshold",
                                                 "a sentiment between -1 and 1", minimum=-1, maximum=1),
        low_csat=_number_key(spec, defaults, where, "low_csat", "a CSAT score between 1 and 5", minimum=1, maximum=5),
        error_pattern=pattern,
        min_journeys=_int(spec.get("min_journeys", defaults.min_journeys), f"{where}.min_journeys", minimum=1),
        n_examples=_int(spec.get("n_examples", defaults.n_examples), f"{where}.n_examples", minimum=1),
    )


def _funnel(spec: Any) -> FunnelConfig:
    """The funnel section; FunnelConfig checks its own values (the CLI builds one too)."""
    where = "funnel"
    spec = _mapping(spec, where)
    _only(spec, where, {"stages", "window_hours", "ordering", "breakdown", "min_journeys", "dropoff_paths"})
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
    paths = _mapping(spec.get("dropoff_paths", {}), f"{where}.dropoff_paths")
    _only(paths, f"{where}.dropoff_paths", {f.name for f in fields(DropoffPathConfig)})
    path_defaults = DropoffPathConfig()
    return FunnelConfig(
        window_hours=spec.get("window_hours", defaults.window_hours),
        ordering=spec.get("ordering", defaults.ordering),
        breakdown=tuple(breakdown),
        min_journeys=spec.get("min_journeys", defaults.min_journeys),
        stages=tuple(stages),
        dropoff_paths=DropoffPathConfig(**{
            f.name: _int(paths.get(f.name, getattr(path_defaults, f.name)), f"{where}.dropoff_paths.{f.name}", minimum=1)
            for f in fields(DropoffPathConfig)
        }),
    )


def _drivers(spec: Any) -> DriverConfig:
    """The drivers section; DriverConfig checks its own values."""
    where = "drivers"
    spec = _mapping(spec, where)
    _only(spec, where, {f.name for f in fields(DriverConfig)})
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


def _emotion(spec: Any) -> EmotionConfig:
    where = "emotion"
    spec = _mapping(spec, where)
    _only(spec, where, {"min_events"})
    return EmotionConfig(
        min_events=_int(spec.get("min_events", EmotionConfig().min_events), f"{where}.min_events", minimum=1)
    )


def _changes(spec: Any) -> ChangeConfig:
    where = "changes"
    spec = _mapping(spec, where)
    _only(spec, where, {f.name for f in fields(ChangeConfig)})
    defaults = ChangeConfig()

    return ChangeConfig(
        alpha=_number_key(spec, defaults, where, "alpha", "a probability between 0 and 1", above=0, below=1),
        min_relative_change=_number_key(spec, defaults, where, "min_relative_change",
                                        "a relative change >= 0 (0.25: +25%)", minimum=0),
        min_conversion_points=_number_key(spec, defaults, where, "min_conversion_points",
                                          "a share >= 0 (0.02: 2 points)", minimum=0, maximum=1),
        top_findings=_int(spec.get("top_findings", defaults.top_findings), f"{where}.top_findings", minimum=1),
        max_alerts=_int(spec.get("max_alerts", defaults.max_alerts), f"{where}.max_alerts", minimum=0),
    )


def _labels(spec: Any) -> LabelConfig:
    where = "labels"
    spec = _mapping(spec, where)
    _only(spec, where, {"template_urls", "collapse_repeats", "rare_activity_share", "other_label"})
    defaults = LabelConfig()
    return LabelConfig(
        template_urls=_bool(spec.get("template_urls", defaults.template_urls), f"{where}.template_urls"),
        collapse_repeats=_bool(spec.get("collapse_repeats", defaults.collapse_repeats), f"{where}.collapse_repeats"),
        rare_activity_share=_share(
            spec.get("rare_activity_share", defaults.rare_activity_share), f"{where}.rare_activity_share", zero_ok=True
        ),
        other_label=_str(spec.get("other_label", defaults.other_label), f"{where}.other_label"),
    )


def _mining(spec: Any) -> MiningConfig:
    where = "mining"
    spec = _mapping(spec, where)
    _only(spec, where, {"model_coverage", "noise_threshold", "max_model_variants"})
    defaults = MiningConfig()
    return MiningConfig(
        model_coverage=_share(spec.get("model_coverage", defaults.model_coverage), f"{where}.model_coverage"),
        noise_threshold=_share(
            spec.get("noise_threshold", defaults.noise_threshold), f"{where}.noise_threshold", zero_ok=True
        ),
        max_model_variants=_int(
            spec.get("max_model_variants", defaults.max_model_variants), f"{where}.max_model_variants", minimum=1
        ),
    )


def _exports(spec: Any) -> ExportConfig:
    where = "exports"
    spec = _mapping(spec, where)
    _only(spec, where, {"xes", "ocel"})
    defaults = ExportConfig()
    return ExportConfig(
        xes=_bool(spec.get("xes", defaults.xes), f"{where}.xes"),
        ocel=_bool(spec.get("ocel", defaults.ocel), f"{where}.ocel"),
    )


def _journey_map(spec: Any) -> JourneyMapConfig:
    where = "journey_map"
    spec = _mapping(spec, where)
    _only(spec, where, {"stages"})
    stages_raw = spec.get("stages", [])
    if not isinstance(stages_raw, list):
        raise ConfigError(
            f"{where}.stages: expected a list of stages in their intended order, each "
            f"{{name: ..., activities: [...]}}, found {type(stages_raw).__name__}"
        )
    stages: list[JourneyStage] = []
    owner: dict[str, str] = {}
    for i, stage in enumerate(stages_raw):
        here = f"{where}.stages[{i}]"
        stage = _mapping(stage, here)
        _only(stage, here, {"name", "activities"})
        name = _str(_required(stage, "name", here), f"{here}.name")
        if any(s.name == name for s in stages):
            raise ConfigError(f"{here}.name: stage {name!r} is declared twice")
        activities = _required(stage, "activities", here)
        if not isinstance(activities, list) or not activities or not all(isinstance(a, str) and a for a in activities):
            raise ConfigError(f"{here}.activities: expected a non-empty list of activity names, found {activities!r}")
        for activity in activities:
            if activity in owner:
                raise ConfigError(
                    f"{here}.activities: {activity!r} already belongs to stage {owner[activity]!r}; "
                    "an activity belongs to one stage"
                )
            owner[activity] = name
        stages.append(JourneyStage(name=name, activities=tuple(activities)))
    return JourneyMapConfig(stages=tuple(stages))


# --- small checkers: each raises ConfigError naming the key and what was expected ---------


def _known_attributes(names: Any, where: str) -> None:
    unknown = [name for name in names if name not in JOURNEY_ATTRIBUTES]
    if unknown:
        raise ConfigError(
            f"{where}: unknown journey attribute {unknown[0]!r}; expected any of {', '.join(JOURNEY_ATTRIBUTES)}"
        )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, found {type(value).__name__}")
    return value


def _only(spec: dict[str, Any], where: str, allowed: set[str]) -> None:
    for key in spec:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")


def _required(spec: dict[str, Any], key: str, where: str) -> Any:
    if spec.get(key) is None:
        raise ConfigError(f"{where}: missing required key {key!r}")
    return spec[key]


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, found {value!r}")
    return value


def _number(value: Any, where: str, what: str, *, above: float | None = None, minimum: float | None = None,
            maximum: float | None = None, below: float | None = None) -> float:
    """A number within limits (above/below exclusive, minimum/maximum inclusive); `what` says
    what was expected ("a positive number of hours")."""
    if (
        isinstance(value, bool) or not isinstance(value, (int, float))
        or (above is not None and not value > above)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
        or (below is not None and not value < below)
    ):
        raise ConfigError(f"{where}: expected {what}, found {value!r}")
    return float(value)


def _number_key(spec: dict[str, Any], defaults: Any, where: str, key: str, what: str, **limits: float) -> float:
    """`_number` for `spec[key]` of the section `where`, or the section's default."""
    return _number(spec.get(key, getattr(defaults, key)), f"{where}.{key}", what, **limits)


def _int(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}: expected a whole number >= {minimum}, found {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, found {value!r}")
    return value


def _share(value: Any, where: str, *, zero_ok: bool = False) -> float:
    low_ok = (lambda v: v >= 0) if zero_ok else (lambda v: v > 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low_ok(value) or value > 1:
        bounds = "between 0 and 1" if zero_ok else "above 0 and at most 1"
        raise ConfigError(f"{where}: expected a share {bounds}, such as 0.8, found {value!r}")
    return float(value)


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: unknown value {value!r}; expected one of {', '.join(allowed)}")
    return value


def _path(value: Any, where: str, base_dir: Path) -> Path:
    path = Path(_str(value, where)).expanduser()
    return path if path.is_absolute() else base_dir / path
