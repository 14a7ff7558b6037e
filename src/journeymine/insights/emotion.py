"""The emotion curve: how the journey felt, stage by stage, touchpoint by touchpoint and week
by week (the peaks and valleys of a journey map).

`build_emotion_curve` builds `marts.emotion_curve` (sql/marts/emotion_curve.sql) from the
events' sentiment (-1..1, mostly on calls) and CSAT (`attributes ->> 'csat'`, 1..5), with
one row per point of three curves. The rated events come already placed on their steps in
`journeys.friction_events` (`insights.friction` builds it first), so the events' JSON is not
read twice:

* 'stage': one point per stage of the journey map, in intended order. An event takes the
  stage of its step's activity (as the steps name it, so pass the map through
  `mining.label_journey_map` when label hygiene is on). A stage without scored events (with a
  sentiment or a CSAT) still
  has its point, with NULL means: a gap in the curve, not a zero.
* 'touchpoint': one point per touchpoint with at least `min_events` scored events, ordered by
  where in journeys those events happen (mean relative position of their steps).
* 'week': one point per ISO week (its Monday) from the first to the last week with events.

Each point has the mean sentiment, the mean CSAT, the share of negative ratings (sentiment
below 0 or CSAT 2 or less) and an emotion_score putting both on -1..1. A point is a valley
(peak) when its emotion_score lies more than one standard deviation below (above) the mean
of its curve's points, counting only points with at least `min_events` scored events: the
threshold adapts to how much a curve moves, so a flat curve has no valley and a curve
with one deep dip has exactly that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from journeymine.config import JourneyStage
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError

INPUT_TABLES = (("journeys", "friction_events"), ("marts", "journeys"), ("journeys", "events_in_journeys"))


def build_emotion_curve(
    wh: Warehouse, stages: Sequence[JourneyStage], *, min_events: int = 10,
    negative_sentiment_threshold: float = -0.3, low_csat: float = 2.0,
) -> int:
    """Build `marts.emotion_curve` from the rated events on their steps (journeys.friction_events,
    built by `find_friction`), marts.journeys and journeys.events_in_journeys, with the stage
    curve over `stages` (in intended order); return its number of rows (points)."""
    if min_events < 1:
        raise JourneymineError(f"emotion curve: min_events must be at least 1, not {min_events}")
    wh.require_tables(INPUT_TABLES, "the emotion curve", "build the journeys and find the friction first")
    return wh.build(
        "marts.emotion_curve", "marts/emotion_curve",
        {"stages": list_stages(stages), "min_events": min_events,
         "negative_sentiment_threshold": negative_sentiment_threshold, "low_csat": low_csat},
    )


def list_stages(stages: Sequence[JourneyStage]) -> list[dict[str, Any]]:
    """The stages as rows {stage, stage_number, activities}, stage_number counting from 1 in intended order."""
    return [
        {"stage": stage.name, "stage_number": number, "activities": list(stage.activities)}
        for number, stage in enumerate(stages, start=1)
    ]
