"""Funnels over the designed journey map, and the paths around drop-offs.

`build_funnel` builds `marts.funnel` from the journeys' steps (each journey's touchpoints in
`marts.journeys`, their times in `journeys.step_codes`), `marts.journeys` and
`journeys.journey_attributes`: per stage of a funnel (the journey map's stages, or an ordered
list of activities, each its own stage, see `funnel_from_activities`), how many journeys
reached it, went on to the next stage, dropped out, or may still go on; the drop rate, the
conversion from the first stage and the median time to the next stage; for the whole funnel
and per segment of the journey attributes named in `FunnelConfig.breakdown`.

Ordering, as analysts know it from Amplitude and Mixpanel funnels (the SQL header comments
say the same):

* `loose` ("this order", the default): a journey enters at its first step of stage 1 and
  reaches stage k+1 at a step of stage k+1 after it reached stage k, within `window_hours`
  of entering; other steps may come in between.
* `strict` ("exact order"): in the journey's stage visits (consecutive steps of one stage are
  one visit; steps in no stage are left out), stage k+1 must directly follow stage k, within
  `window_hours` of entering.

A journey that has not reached the next stage but still may (it is open and entered less than
`window_hours` before the data ends) is pending, not dropped.

With the funnel, `follow_funnel` builds `marts.funnel_trend`: each stage's conversion per week
(or day) of reaching it, with the periods where it moved beyond noise flagged.

`build_dropoff_paths` builds `marts.dropoff_paths`: for the touchpoints where most abandoned
journeys end, the paths that led there and what the customers who came back did next.

`attach_run_outputs` makes a published run's analytics.duckdb the funnel's inputs (for
`journeymine funnel`), and `format_funnel` prints marts.funnel as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from journeymine.config import FunnelConfig, JourneyMapConfig, JourneyStage
from journeymine.db import Warehouse
from journeymine.errors import ConfigError, JourneymineError
from journeymine.insights.attributes import add_journey_attributes
from journeymine.insights.trend import compare_periods, stats_columns
from journeymine.mining.conformance import list_stage_activities

# the model that finds the stages each journey reached, per ordering
REACHED_MODELS = {
    "loose": "journeys/int_funnel_stages_reached_in_order",
    "strict": "journeys/int_funnel_stages_reached_in_exact_order",
}
FUNNEL_INPUTS = (
    ("journeys", "step_codes"), ("journeys", "touchpoints"), ("marts", "journeys"), ("journeys", "journey_attributes"),
)
DROPOFF_PATH_INPUTS = (("marts", "journeys"), ("journeys", "touchpoints"))




def funnel_from_activities(activities: Sequence[str]) -> tuple[JourneyStage, ...]:
    """A funnel of activities in order, each its own stage named after it."""
    if isinstance(activities, str):
        raise ConfigError(f"funnel stages: expected a list of activities in order, found the text {activities!r}")
    stages = tuple(JourneyStage(name=activity, activities=(activity,)) for activity in activities)
    check_stages(stages)
    return stages


def check_stages(stages: Sequence[JourneyStage]) -> None:
    """Raise ConfigError unless `stages` make a funnel: at least two, named once each, every
    stage with activities, no activity in two stages."""
    if len(stages) < 2:
        raise ConfigError(
            f"funnel stages: expected at least 2 stages in order, found {len(stages)}"
            + (f" ({stages[0].name!r})" if stages else "")
        )
    owner: dict[str, str] = {}
    for stage in stages:
        if not stage.name:
            raise ConfigError("funnel stages: a stage has an empty name")
        if not stage.activities or not all(isinstance(a, str) and a for a in stage.activities):
            raise ConfigError(
                f"funnel stage {stage.name!r}: expected a non-empty list of activity names, found {stage.activities!r}"
            )
        for activity in stage.activities:
            if activity in owner:
                where = ("twice" if owner[activity] == stage.name
                         else f"in stages {owner[activity]!r} and {stage.name!r}")
                raise ConfigError(f"funnel stages: activity {activity!r} is {where}; an activity belongs to one stage")
            owner[activity] = stage.name
    names = [stage.name for stage in stages]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise ConfigError(f"funnel stages: stage {twice!r} is named twice")


def build_funnel(wh: Warehouse, stages: Sequence[JourneyStage], settings: FunnelConfig) -> int:
    """Build `marts.funnel` (and, as temporary tables of this connection, `funnel_steps`, each
    entering journey's steps with their stages, and `funnel_stages_reached`, one row per journey
    and stage reached) for `stages` in order, counted as `settings` say; return the rows of
    marts.funnel.

    Activities are matched as the steps name them (after label hygiene). A breakdown attribute
    no journey has gives no rows (see `available_attributes`).
    """
    check_stages(stages)
    wh.require_tables(FUNNEL_INPUTS, "the funnel", "build the journeys (and their attributes) first")
    add_journey_attributes(wh, settings.breakdown)
    params: dict[str, Any] = {
        "stage_activities": list_stage_activities(JourneyMapConfig(stages=tuple(stages))),
        "window_hours": settings.window_hours,
        "breakdown": list(settings.breakdown),
        "min_journeys": settings.min_journeys,
    }
    wh.build("temp.funnel_steps", "journeys/int_funnel_steps_staged", params)
    wh.build("temp.funnel_stages_reached", REACHED_MODELS[settings.ordering], params)
    n_rows = wh.build("marts.funnel", "marts/funnel", params)
    follow_funnel(wh, params, settings)
    return n_rows


def follow_funnel(wh: Warehouse, params: dict[str, Any], settings: FunnelConfig) -> int:
    """Build `marts.funnel_trend` from the funnel just counted (temp.funnel_stages_reached): per
    stage but the last and per period (`settings.trend.period`) in which journeys reached it,
    reached / continued / dropped / pending, the conversion n_continued / (n_continued +
    n_dropped) against the other periods', and whether the period moved beyond noise (two-sided
    two-proportion z-test, Benjamini-Hochberg over all stages and periods, q <= trend.alpha, at
    least trend.min_conversion_points, at least `settings.min_journeys` decided journeys; see
    journeymine.insights.trend). A period that ended less than `settings.window_hours` before the
    data is counted but not tested (its slow journeys are still pending). Returns its rows."""
    trend = settings.trend
    wh.build("temp.funnel_trend_cells", "journeys/int_funnel_trend_cells", {**params, "period": trend.period})
    cells = wh.df("SELECT cell_id, series, n_continued, n_dropped, is_complete FROM temp.funnel_trend_cells "
                  "ORDER BY cell_id")
    # a period too recent for its journeys to have decided is counted, not tested
    complete = cells["is_complete"].to_numpy(dtype=bool)
    continued = cells["n_continued"].to_numpy() * complete
    decided = (cells["n_continued"] + cells["n_dropped"]).to_numpy() * complete
    stats = compare_periods(cells["series"].to_numpy(), continued, decided, alpha=trend.alpha,
                            min_points=trend.min_conversion_points, min_n=settings.min_journeys)
    wh.create_from_arrays("journeys.funnel_trend_stats", stats_columns(cells["cell_id"].to_numpy(), stats))
    return wh.build("marts.funnel_trend", "marts/funnel_trend", {"period": trend.period})


def choose_stages(
    journey_map: JourneyMapConfig, funnel_activities: Sequence[str], goal_activities: Sequence[str]
) -> tuple[JourneyStage, ...]:
    """The stages of a run's funnel: `funnel_activities` (funnel.stages, each its own stage) as
    given, or else the journey map's stages up to the first one holding a goal activity (a
    journey ends at its goal, so a later stage is reached only through a goal, as a pickup
    after a click-and-collect order, and would show as a drop of nearly everyone). Names are
    as the steps name them (label them with journeymine.journeys.labels first)."""
    if funnel_activities:
        return funnel_from_activities(funnel_activities)
    goals = set(goal_activities)
    ends = next((i for i, stage in enumerate(journey_map.stages) if goals & set(stage.activities)), None)
    return journey_map.stages if ends is None else journey_map.stages[: ends + 1]


def create_empty_funnel(wh: Warehouse) -> None:
    """An empty `marts.funnel` with the funnel's columns, for a run without funnel stages (so
    the output, the analysts' view and the report exist, saying there is no funnel)."""
    placeholder = (JourneyStage("-", ("\x00stage 1",)), JourneyStage("--", ("\x00stage 2",)))
    build_funnel(wh, placeholder, FunnelConfig(breakdown=()))
    wh.execute("DELETE FROM marts.funnel")
    wh.execute("DELETE FROM marts.funnel_trend")


def available_attributes(wh: Warehouse) -> tuple[str, ...]:
    """The journey attributes a funnel can be broken down by (in journeys.journey_attributes), sorted."""
    return tuple(row[0] for row in wh.rows(
        "SELECT DISTINCT attribute FROM journeys.journey_attributes ORDER BY attribute"
    ))


def build_dropoff_paths(
    wh: Warehouse, *, n_points: int = 10, n_paths: int = 5, path_length: int = 3, n_examples: int = 5
) -> int:
    """Build `marts.dropoff_paths` from `marts.journeys` (and `journeys.touchpoints`); return its rows.

    For the `n_points` touchpoints where most abandoned journeys end: the `n_paths` most common
    last `path_length` steps that led there, and the `n_paths` most common first touchpoints of
    the customers' next journeys (plus how many did not come back); `n_examples` example
    abandoned journey ids per row.
    """
    for name, value in {"n_points": n_points, "n_paths": n_paths, "path_length": path_length,
                        "n_examples": n_examples}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"funnel.dropoff_paths.{name}: expected a whole number >= 1, found {value!r}")
    wh.require_tables(DROPOFF_PATH_INPUTS, "the drop-off paths", "build the journeys first")
    return wh.build("marts.dropoff_paths", "marts/dropoff_paths", {
        "n_points": n_points, "n_paths": n_paths, "path_length": path_length, "n_examples": n_examples,
    })


def format_funnel(wh: Warehouse, dimension: str = "all") -> str:
    """marts.funnel as a readable table for one dimension: per segment, each stage with the
    journeys reached, continued, dropped (and pending), the drop rate and the median time to next."""
    rows = wh.rows(
        "SELECT segment, stage, n_reached, n_continued, n_dropped, n_pending, drop_rate, conversion_from_start, "
        "median_seconds_to_next FROM marts.funnel WHERE dimension = $dimension",
        {"dimension": dimension},
    )
    header = (f"{'stage':<24} {'reached':>9} {'continued':>9} {'dropped':>9} {'pending':>8} "
              f"{'drop rate':>9} {'of start':>8}  median time to next")
    lines: list[str] = []
    segment = None
    for seg, stage, reached, continued, dropped, pending, rate, conversion, seconds in rows:
        if seg != segment:
            segment = seg
            lines += ([""] if lines else []) + ([f"{dimension} = {seg}"] if dimension != "all" else []) + [header]
        lines.append(
            f"{stage[:24]:<24} {reached:>9,} {_count(continued):>9} {_count(dropped):>9} {_count(pending):>8} "
            f"{_share(rate):>9} {_share(conversion):>8}  {_duration(seconds)}"
        )
    return "\n".join(lines)


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _duration(seconds: float | None) -> str:
    """A duration as people read it: '45 s', '12.5 min', '3.2 h', '2.1 d'; '-' for none."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def attach_run_outputs(wh: Warehouse, output_dir: Path, *, template_urls: bool = True) -> tuple[str, ...]:
    """Make a run's published outputs (`output_dir/analytics.duckdb`, opened read-only) the
    funnel's inputs in `wh`: the view journeys.steps (over its events, one step per event) and
    the same steps on integer codes (journeys.touchpoints, journeys.journey_keys,
    journeys.step_codes), the view marts.journeys (with each journey's key and touchpoints) and
    journeys.journey_attributes (empty when the run did not publish it). With `template_urls`,
    activities get the URL templates the run's steps got. Returns the journey attributes
    available for a breakdown."""
    database = output_dir / "analytics.duckdb"
    if not database.is_file():
        raise JourneymineError(
            f"no analytics.duckdb in {output_dir}; run `journeymine run` first (the funnel reads a run's outputs)"
        )
    wh.execute("ATTACH $path AS run_outputs (READ_ONLY)", {"path": str(database)})
    published = {row[0] for row in wh.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'run_outputs'"
    )}
    for name in ("events", "journeys"):
        if name not in published:
            raise JourneymineError(
                f"{database} has no {name!r} output; the funnel needs the outputs of `journeymine run`"
            )
    activity = "jm_template_label(activity)" if template_urls else "activity"
    wh.execute(
        "CREATE OR REPLACE VIEW journeys.steps AS "
        f"SELECT journey_id, customer_id, step_number, channel, {activity} AS activity, occurred_at, event_seq "
        "FROM run_outputs.events WHERE journey_id IS NOT NULL"
    )
    # the steps on integer codes, as a run keeps them (journeys.touchpoints, journeys.step_codes and
    # each journey's key and list of touchpoints in marts.journeys): the funnel counts on these
    wh.execute(
        "CREATE OR REPLACE TABLE journeys.touchpoints AS "
        "SELECT (row_number() OVER (ORDER BY channel, activity))::INTEGER AS touchpoint, channel, activity "
        "FROM (SELECT DISTINCT channel, activity FROM journeys.steps)"
    )
    wh.execute(
        "CREATE OR REPLACE TABLE journeys.journey_keys AS "
        "SELECT (row_number() OVER (ORDER BY journey_id))::UBIGINT AS journey_key, journey_id "
        "FROM (SELECT DISTINCT journey_id FROM journeys.steps)"
    )
    wh.execute(
        "CREATE OR REPLACE TABLE journeys.step_codes AS "
        "SELECT journey_keys.journey_key, steps.step_number, touchpoints.touchpoint, steps.occurred_at "
        "FROM journeys.steps AS steps "
        "JOIN journeys.journey_keys AS journey_keys USING (journey_id) "
        "JOIN journeys.touchpoints AS touchpoints USING (channel, activity)"
    )
    wh.execute(
        "CREATE OR REPLACE VIEW marts.journeys AS "
        "SELECT journeys.*, paths.journey_key, paths.touchpoint_path "
        "FROM run_outputs.journeys AS journeys "
        "JOIN ("
        "  SELECT journey_keys.journey_id, steps.journey_key,"
        "         list(steps.touchpoint ORDER BY steps.step_number) AS touchpoint_path"
        "  FROM journeys.step_codes AS steps JOIN journeys.journey_keys AS journey_keys USING (journey_key)"
        "  GROUP BY ALL"
        ") AS paths USING (journey_id)"
    )
    attributes = (
        "SELECT journey_id, attribute, value FROM run_outputs.journey_attributes" if "journey_attributes" in published
        else "SELECT NULL::VARCHAR AS journey_id, NULL::VARCHAR AS attribute, NULL::VARCHAR AS value WHERE false"
    )
    wh.execute(f"CREATE OR REPLACE VIEW journeys.journey_attributes AS {attributes}")
    return available_attributes(wh)
