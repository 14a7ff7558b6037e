"""Read and check a journeymine YAML config.

`load_config(path)` returns a frozen `Config`. Unknown keys and bad values raise
`ConfigError` naming the key (as a dotted path) and what was expected. Relative paths in the
file are resolved against the folder of the config file, so a run does not depend on the
working folder.

One module per section of the file, each with its dataclass and the parser that checks it:
`sources`, `identity`, `journeys` (sessions, journeys, labels, journey_map), `friction`,
`insights` (funnel, drivers, emotion, changes) and `mining` (mining, exports); `checks`
holds the small value checkers they share. Everything a caller needs is importable from
`journeymine.config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from journeymine.config import checks as check
from journeymine.config.friction import FrictionConfig, parse_friction
from journeymine.config.identity import IdentityConfig, parse_identity
from journeymine.config.insights import (
    DRIVER_ATTRIBUTES, ORDERINGS, ChangeConfig, DriverConfig, DropoffPathConfig, EmotionConfig, FunnelConfig,
    check_attribute_names, parse_changes, parse_drivers, parse_emotion, parse_funnel,
)
from journeymine.config.journeys import (
    JourneyConfig, JourneyMapConfig, JourneyStage, LabelConfig, SessionConfig, parse_journey_map, parse_journeys,
    parse_labels, parse_sessions,
)
from journeymine.config.mining import ExportConfig, MiningConfig, parse_exports, parse_mining
from journeymine.config.sources import ColumnMapping, SourceConfig, parse_source
from journeymine.errors import ConfigError

__all__ = [
    "DRIVER_ATTRIBUTES", "ORDERINGS", "ChangeConfig", "ColumnMapping", "Config", "DriverConfig", "DropoffPathConfig",
    "EmotionConfig", "ExportConfig", "FrictionConfig", "FunnelConfig", "IdentityConfig", "JourneyConfig",
    "JourneyMapConfig", "JourneyStage", "LabelConfig", "MiningConfig", "SessionConfig", "SourceConfig",
    "load_config", "parse_config",
]


@dataclass(frozen=True)
class Config:
    """A whole run: sources, where results go, and the knobs of each step."""

    sources: tuple[SourceConfig, ...]
    output_dir: Path
    database: Path
    memory_limit: str = "4GB"
    threads: int | None = None
    # split the customers into this many parts for the journeys step (bounded memory, or Dask)
    partitions: int = 1
    # run folders kept under output_dir/runs/ (the published one included)
    keep_runs: int = 3
    # events that arrive up to this many days behind the data already staged are expected; older
    # ones are staged and placed at their own time all the same, but counted and alerted on
    late_lookback_days: int = 3
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
    top = check.mapping(data, "config")
    check.only(top, "config", {
        "sources", "output_dir", "database", "memory_limit", "threads", "partitions", "keep_runs", "late_lookback_days",
        "identity", "sessions", "journeys", "friction", "labels", "mining", "journey_map",
        "exports", "funnel", "drivers", "emotion", "changes",
    })
    sources_raw = check.mapping(check.required(top, "sources", "config"), "sources")
    if not sources_raw:
        raise ConfigError("sources: expected at least one source")
    sources = tuple(parse_source(name, spec, base_dir) for name, spec in sources_raw.items())

    memory_limit = check.text(top.get("memory_limit", "4GB"), "memory_limit")
    if not check.MEMORY.match(memory_limit):
        raise ConfigError(f"memory_limit: expected a size such as '2GB' or '512MiB', found {memory_limit!r}")
    threads = top.get("threads")
    if threads is not None:
        threads = check.whole(threads, "threads", minimum=1)
    # a name the sources declare is a custom attribute, however close to a built-in one
    declared = {name for source in sources for name in source.attributes}
    funnel, drivers = parse_funnel(top.get("funnel", {})), parse_drivers(top.get("drivers", {}))
    check_attribute_names(funnel.breakdown, "funnel.breakdown", declared)
    check_attribute_names(drivers.attributes or (), "drivers.attributes", declared)

    return Config(
        sources=sources,
        output_dir=check.resolve_path(check.required(top, "output_dir", "config"), "output_dir", base_dir),
        database=check.resolve_path(check.required(top, "database", "config"), "database", base_dir),
        memory_limit=memory_limit,
        threads=threads,
        partitions=check.whole(top.get("partitions", 1), "partitions", minimum=1),
        keep_runs=check.whole(top.get("keep_runs", 3), "keep_runs", minimum=1),
        late_lookback_days=check.whole(top.get("late_lookback_days", 3), "late_lookback_days", minimum=0),
        identity=parse_identity(top.get("identity", {})),
        sessions=parse_sessions(top.get("sessions", {})),
        journeys=parse_journeys(top.get("journeys", {})),
        friction=parse_friction(top.get("friction", {})),
        funnel=funnel,
        drivers=drivers,
        emotion=parse_emotion(top.get("emotion", {})),
        changes=parse_changes(top.get("changes", {})),
        labels=parse_labels(top.get("labels", {})),
        mining=parse_mining(top.get("mining", {})),
        journey_map=parse_journey_map(top.get("journey_map", {})),
        exports=parse_exports(top.get("exports", {})),
        path=path,
    )
