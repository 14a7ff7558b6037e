"""The `sessions`, `journeys`, `labels` and `journey_map` sections: how events become
sessions, journeys and steps, and the designed journey they are compared with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeymine.config import checks as check
from journeymine.errors import ConfigError


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
class JourneyStage:
    """One stage of the designed journey map and the activities that belong to it."""

    name: str
    activities: tuple[str, ...]


@dataclass(frozen=True)
class JourneyMapConfig:
    """The designed (intended) journey: stages in their intended order. Empty: no conformance."""

    stages: tuple[JourneyStage, ...] = ()



def parse_sessions(spec: Any) -> SessionConfig:
    where = "sessions"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"timeout_minutes", "default_timeout_minutes"})
    defaults = SessionConfig()
    timeouts = dict(defaults.timeout_minutes)
    for channel, value in check.mapping(spec.get("timeout_minutes", {}), f"{where}.timeout_minutes").items():
        if not isinstance(channel, str) or not check.NAME.match(channel):
            raise ConfigError(
                f"{where}.timeout_minutes: channel names are lower-case, such as 'web' or 'call_center', found {channel!r}"
            )
        timeouts[channel] = check.whole(
            value, f"{where}.timeout_minutes.{channel}", minimum=0
        )
    default = check.whole(spec.get("default_timeout_minutes", defaults.default_timeout_minutes),
                   f"{where}.default_timeout_minutes", minimum=0)
    return SessionConfig(timeout_minutes=timeouts, default_timeout_minutes=default)


def parse_journeys(spec: Any) -> JourneyConfig:
    where = "journeys"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"goal_activities", "window_days"})
    goals = spec.get("goal_activities", [])
    if not isinstance(goals, list) or not all(isinstance(g, str) and g for g in goals):
        raise ConfigError(f"{where}.goal_activities: expected a list of activity names, found {goals!r}")
    window = check.whole(spec.get("window_days", 30), f"{where}.window_days", minimum=1)
    return JourneyConfig(goal_activities=tuple(goals), window_days=window)


def parse_labels(spec: Any) -> LabelConfig:
    where = "labels"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"template_urls", "collapse_repeats", "rare_activity_share", "other_label"})
    defaults = LabelConfig()
    return LabelConfig(
        template_urls=check.boolean(spec.get("template_urls", defaults.template_urls), f"{where}.template_urls"),
        collapse_repeats=check.boolean(spec.get("collapse_repeats", defaults.collapse_repeats), f"{where}.collapse_repeats"),
        rare_activity_share=check.share(
            spec.get("rare_activity_share", defaults.rare_activity_share), f"{where}.rare_activity_share", zero_ok=True
        ),
        other_label=check.text(spec.get("other_label", defaults.other_label), f"{where}.other_label"),
    )


def parse_journey_map(spec: Any) -> JourneyMapConfig:
    where = "journey_map"
    spec = check.mapping(spec, where)
    check.only(spec, where, {"stages"})
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
        stage = check.mapping(stage, here)
        check.only(stage, here, {"name", "activities"})
        name = check.text(check.required(stage, "name", here), f"{here}.name")
        if any(s.name == name for s in stages):
            raise ConfigError(f"{here}.name: stage {name!r} is declared twice")
        activities = check.required(stage, "activities", here)
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
