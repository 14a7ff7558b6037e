"""The activity names a config gives (goal activities, journey-map activities, funnel stages)
checked against the activities the events carry, before anything is built on them.

A name matches an activity exactly, as the events carry it or as label hygiene names it
(a goal '/thank-you?order=1' matches the step '/thank-you'). Matching is case-sensitive:
'store: SALE' does not match 'store: sale' (presets lower-case call reasons and store kinds).
A name that matches nothing would silently change results (a goal that never matches turns
every purchase into a drop-off), so it is a ConfigError listing the closest activities.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from journeymine.config import Config
from journeymine.db import Warehouse
from journeymine.errors import ConfigError
from journeymine.journeys.labels import label_activities

N_SUGGESTIONS = 3


def configured_activities(config: Config) -> list[tuple[str, str]]:
    """(config key, activity name) for every activity name the config gives."""
    names = [("journeys.goal_activities", name) for name in config.journeys.goal_activities]
    for i, stage in enumerate(config.journey_map.stages):
        names += [(f"journey_map.stages[{i}] ({stage.name}).activities", name) for name in stage.activities]
    names += [("funnel.stages", name) for name in config.funnel.stages]
    return names


def check_configured_activities(wh: Warehouse, config: Config, *, table: str = "journeys.activity_touchpoints") -> None:
    """ConfigError naming each configured activity that matches no activity of the events (in
    `table`: (channel, activity, label) rows, as label hygiene builds them), with the closest
    activities in the data."""
    configured = configured_activities(config)
    if not configured:
        return
    known = {name for row in wh.rows(f"SELECT DISTINCT activity, label FROM {table}") for name in row if name}
    labelled = label_activities(wh, [name for _, name in configured], config.labels)
    missing = [(key, name) for (key, name), label in zip(configured, labelled, strict=True)
               if name not in known and label not in known]
    if missing:
        raise ConfigError("; ".join(_describe(key, name, known) for key, name in missing)
                          + " (activity names match exactly, case included)")


def _describe(key: str, name: str, known: Iterable[str]) -> str:
    known = sorted(known)
    same_but_case = [k for k in known if k.casefold() == name.casefold()]
    closest = same_but_case or difflib.get_close_matches(name, known, n=N_SUGGESTIONS, cutoff=0.5)
    hint = f"closest in the data: {', '.join(map(repr, closest))}" if closest else "no similar activity in the data"
    return f"{key}: {name!r} matches no activity of the events; {hint}"
