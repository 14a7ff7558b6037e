"""Conformance to the designed journey map (src/journeymine/mining/conformance.py with
sql/journeys/int_journey_stages.sql, sql/marts/conformance.sql and
sql/marts/conformance_deviations.sql): journey steps in → rows out."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd
import pytest

from journeymine.config import JourneyMapConfig, JourneyStage
from journeymine.db import Warehouse
from journeymine.errors import JourneymineError
from journeymine.mining.conformance import (
    ConformanceResult,
    build_stage_net,
    check_conformance,
    list_stage_activities,
    replay_stage_paths,
)
from journeymine.mining.pm4py_lazy import import_pm4py

from .conftest import J

MAP = JourneyMapConfig(stages=(
    JourneyStage("awareness", ("Home", "Search Results")),
    JourneyStage("consideration", ("Product Detail", "Cart")),
    JourneyStage("purchase", ("Checkout Payment", "Order Completed")),
    JourneyStage("service", ("call: returns",)),
))
STAGES = [stage.name for stage in MAP.stages]
# one activity per stage, for journeys written as stage paths
ACTIVITY_OF = {stage.name: stage.activities[0] for stage in MAP.stages}


@pytest.fixture
def given_steps(given_journeys):
    """given_steps({journey_id: [activity, ...]}, outcomes={journey_id: outcome}): the journeys'
    events, steps (web, one minute apart, customer 'cu-<journey_id>') and marts.journeys
    (outcome 'open' unless given)."""

    def make(journeys: dict[str, list[str]], outcomes: dict[str, str] | None = None) -> None:
        outcomes = outcomes or {}
        given_journeys([
            J(journey_id, outcomes.get(journey_id, "open"), [f"web:{activity}" for activity in activities])
            for journey_id, activities in journeys.items()
        ])

    return make


def by_stages(*stages: str) -> list[str]:
    """A journey whose steps are one activity of each stage given, in that order."""
    return [ACTIVITY_OF[stage] for stage in stages]


def conformance(wh: Warehouse) -> dict[str, dict[str, Any]]:
    """marts.conformance as {journey_id: row}."""
    return {row["journey_id"]: row for row in wh.df("SELECT * FROM marts.conformance").to_dict("records")}


def pm4py_fitness(stage_path: list[str]) -> dict[str, Any]:
    """pm4py's own token-based replay of one stage path on the designed net, for comparison."""
    pm4py = import_pm4py()
    net, initial, final = build_stage_net(STAGES)
    log = pd.DataFrame({
        "case:concept:name": ["c"] * len(stage_path),
        "concept:name": stage_path,
        "time:timestamp": pd.date_range("2026-03-02", periods=len(stage_path), freq="min"),
    })
    [replayed] = pm4py.conformance_diagnostics_token_based_replay(
        log, net, initial, final, activity_key="concept:name", timestamp_key="time:timestamp",
        case_id_key="case:concept:name",
    )
    return replayed


# --- stage visits ------------------------------------------------------------------------


def test_stage_visits_collapse_steps_and_say_how_the_journey_moved(warehouse: Warehouse, given_steps) -> None:
    """Consecutive steps of one stage are one visit, and an unmapped step between them does not
    split it; each visit says how the journey came into it: enter, next, skip, backwards, revisit."""
    given_steps({"j1": [
        "Home", "Help", "Search Results",        # awareness (Help is unmapped)
        "Product Detail", "Cart",                # consideration
        "call: returns",                         # service: a skip over purchase
        "Order Completed",                       # purchase: backwards, first visit
        "Product Detail",                        # consideration again: revisit
    ]})
    params = {"stage_activities": list_stage_activities(MAP)}
    warehouse.build("temp.stage_visits", "journeys/int_journey_stages", params)
    warehouse.build("temp.conformance_stage_paths", "journeys/int_conformance_stage_paths", params)
    assert warehouse.rows(
        "SELECT visit_stage_numbers, n_unmapped_steps, unmapped_activities FROM temp.stage_visits"
    ) == [([1, 2, 4, 3, 2], 1, ["Help"])]
    assert warehouse.rows(
        "SELECT stage_path, visit_moves FROM temp.conformance_stage_paths"
    ) == [(["awareness", "consideration", "service", "purchase", "consideration"],
           ["enter", "next", "skip", "backwards", "revisit"])]


def test_stage_paths_are_checked_once_per_distinct_path(warehouse: Warehouse, given_steps) -> None:
    """Journeys with the same stage path (whatever their steps) share one checked path; a journey
    without a mapped step has the empty path."""
    given_steps({
        "j1": by_stages("awareness", "purchase"),
        "j2": ["Home", "Search Results", "Help", "Order Completed"],
        "j3": ["Help"],
    })
    params = {"stage_activities": list_stage_activities(MAP)}
    warehouse.build("temp.stage_visits", "journeys/int_journey_stages", params)
    warehouse.build("temp.conformance_stage_paths", "journeys/int_conformance_stage_paths", params)
    assert warehouse.rows(
        "SELECT stage_path, stages_skipped, deviations FROM temp.conformance_stage_paths ORDER BY stage_path"
    ) == [([], [], ["no mapped activity"]),
          (["awareness", "purchase"], ["consideration"], ["skipped consideration"])]


# --- per journey -------------------------------------------------------------------------


def test_journey_rows_carry_path_reached_unmapped_and_outcome(warehouse: Warehouse, given_steps) -> None:
    """One row per journey with its customer and outcome; the stage path collapses repeated steps;
    unmapped activities are counted and listed, not dropped."""
    given_steps(
        {"j1": ["Home", "Help", "Home", "Product Detail", "Product Detail", "FAQ", "Order Completed"]},
        outcomes={"j1": "converted"},
    )
    check_conformance(warehouse, MAP)
    row = conformance(warehouse)["j1"]
    assert (row["customer_id"], row["outcome"], row["n_steps"]) == ("cu-j1", "converted", 7)
    assert list(row["stage_path"]) == ["awareness", "consideration", "purchase"]
    assert (row["n_stage_visits"], row["first_stage"], row["last_stage"]) == (3, "awareness", "purchase")
    assert list(row["stages_reached"]) == ["awareness", "consideration", "purchase"]
    assert (row["n_unmapped_steps"], list(row["unmapped_activities"])) == (2, ["FAQ", "Help"])
    assert (row["fitness"], row["is_fitting"], list(row["deviations"])) == (1.0, True, [])


def test_any_contiguous_run_of_stages_fits(warehouse: Warehouse, given_steps) -> None:
    """A journey may enter at any stage and end after any stage: every contiguous run of stages in
    intended order has fitness 1, is fitting, and has nothing skipped, revisited or deviating."""
    runs = [STAGES[i:j] for i in range(len(STAGES)) for j in range(i + 1, len(STAGES) + 1)]
    given_steps({f"j{k:02d}": by_stages(*run) for k, run in enumerate(runs)})
    check_conformance(warehouse, MAP)
    got = conformance(warehouse)
    assert len(got) == len(runs) == 10
    for row in got.values():
        assert (row["fitness"], row["is_fitting"]) == (1.0, True), row["stage_path"]
        assert list(row["stages_skipped"]) == list(row["stages_revisited"]) == list(row["deviations"]) == []


def test_skipping_a_middle_stage_costs_fitness(warehouse: Warehouse, given_steps) -> None:
    """A stage between the lowest and highest reached stage that was never visited is skipped;
    starting late (at consideration) or ending early (before service) is not a skip."""
    given_steps({
        "skip": by_stages("awareness", "purchase"),
        "late_start_early_end": by_stages("consideration", "purchase"),
        "two_skipped": by_stages("awareness", "service"),
    })
    check_conformance(warehouse, MAP)
    got = conformance(warehouse)
    assert list(got["skip"]["stages_skipped"]) == ["consideration"]
    assert list(got["skip"]["deviations"]) == ["skipped consideration"]
    assert got["skip"]["fitness"] < 1 and not got["skip"]["is_fitting"]
    assert list(got["late_start_early_end"]["stages_skipped"]) == []
    assert got["late_start_early_end"]["fitness"] == 1.0
    assert list(got["two_skipped"]["deviations"]) == ["skipped consideration", "skipped purchase"]


def test_backwards_journey_fitness_is_pm4pys_token_replay(warehouse: Warehouse, given_steps) -> None:
    """Going backwards costs fitness, and the value is pm4py's token-based replay on the same net.

    Replaying purchase, consideration: produced p = 5 (the initial token in source, then one each
    from 'enter purchase', 'purchase', 'consideration', 'leave consideration'); consumed c = 5
    ('enter purchase', 'purchase', 'consideration', 'leave consideration', and the final token
    in sink); 'consideration' finds no token before it: missing m = 1; the token 'purchase' left
    after itself is never consumed: remaining r = 1.
    fitness = 0.5 * (1 - m/c) + 0.5 * (1 - r/p) = 0.5 * 4/5 + 0.5 * 4/5 = 0.8.
    """
    given_steps({"back": by_stages("purchase", "consideration")})
    check_conformance(warehouse, MAP)
    row = conformance(warehouse)["back"]
    replayed = pm4py_fitness(["purchase", "consideration"])
    m, c, r, p = (replayed[k] for k in ("missing_tokens", "consumed_tokens", "remaining_tokens", "produced_tokens"))
    assert (m, c, r, p) == (1, 5, 1, 5)
    formula = 0.5 * (1 - m / c) + 0.5 * (1 - r / p)
    assert row["fitness"] == pytest.approx(replayed["trace_fitness"]) == pytest.approx(formula) == pytest.approx(0.8)
    assert (row["n_missing_tokens"], row["n_remaining_tokens"]) == (1, 1)
    assert list(row["deviations"]) == ["backwards purchase→consideration"]
    assert list(row["stages_skipped"]) == list(row["stages_revisited"]) == []


def test_revisits_are_listed_in_intended_order_and_named_in_journey_order(warehouse: Warehouse, given_steps) -> None:
    """A stage the journey comes back to after leaving it is revisited ('revisited X after Y', Y the
    stage just left); a deviation that happens twice is listed once."""
    given_steps({"j1": by_stages("awareness", "consideration", "awareness", "consideration", "awareness",
                                 "consideration", "purchase")})
    check_conformance(warehouse, MAP)
    row = conformance(warehouse)["j1"]
    assert list(row["stages_revisited"]) == ["awareness", "consideration"]
    assert list(row["deviations"]) == [
        "revisited awareness after consideration", "revisited consideration after awareness",
    ]
    assert row["fitness"] < 1


def test_fitting_means_no_deviation_and_fitness_matches_pm4py(warehouse: Warehouse, given_steps) -> None:
    """For every stage path of up to three visits: is_fitting holds exactly when there is no
    deviation, and the fitness is what pm4py's replay gives for that path alone."""
    paths = [p for n in (1, 2, 3) for p in itertools.product(STAGES, repeat=n)
             if all(a != b for a, b in itertools.pairwise(p))]
    given_steps({f"j{k:03d}": by_stages(*path) for k, path in enumerate(paths)})
    check_conformance(warehouse, MAP)
    for row in conformance(warehouse).values():
        assert row["is_fitting"] == (len(row["deviations"]) == 0), row["stage_path"]
    sample = {tuple(row["stage_path"]): row["fitness"] for row in conformance(warehouse).values()}
    checked = [("awareness", "service"), ("service", "awareness", "consideration"),
               ("consideration", "awareness", "consideration"), ("awareness", "purchase", "consideration")]
    for path in checked:
        assert sample[path] == pytest.approx(pm4py_fitness(list(path))["trace_fitness"])


def test_journey_without_mapped_step_has_no_fitness(warehouse: Warehouse, given_steps) -> None:
    """A journey with no mapped activity is kept: fitness and is_fitting NULL, empty lists, and the
    deviation 'no mapped activity'."""
    given_steps({"j1": ["Help", "FAQ", "Help"]})
    check_conformance(warehouse, MAP)
    row = conformance(warehouse)["j1"]
    assert pd.isna(row["fitness"]) and pd.isna(row["is_fitting"])
    assert (list(row["stage_path"]), row["n_stage_visits"], row["n_unmapped_steps"]) == ([], 0, 3)
    assert list(row["unmapped_activities"]) == ["FAQ", "Help"]
    assert list(row["deviations"]) == ["no mapped activity"]


def test_replay_gives_pm4pys_numbers_on_every_short_path() -> None:
    """replay_stage_paths plays the token game of the designed net directly; on every sequence of
    up to five stages (repeats included) it gives exactly what pm4py's token-based replay gives:
    the same fitness (to the bit), missing and remaining tokens."""
    paths = [path for n in range(1, 6) for path in itertools.product(STAGES, repeat=n)]
    pm4py = import_pm4py()
    net, initial, final = build_stage_net(STAGES)
    log = pd.DataFrame([
        {"case:concept:name": str(i), "concept:name": stage,
         "time:timestamp": pd.Timestamp("2026-03-02") + pd.Timedelta(minutes=j)}
        for i, path in enumerate(paths) for j, stage in enumerate(path)
    ])
    diagnostics = pm4py.conformance_diagnostics_token_based_replay(
        log, net, initial, final, activity_key="concept:name", timestamp_key="time:timestamp",
        case_id_key="case:concept:name", return_diagnostics_dataframe=True,
        opt_parameters={"show_progress_bar": False},
    ).set_index("case_id")
    expected = [
        {"stage_path": list(path), "fitness": float(diagnostics.at[str(i), "trace_fitness"]),
         "n_missing_tokens": int(diagnostics.at[str(i), "missing"]),
         "n_remaining_tokens": int(diagnostics.at[str(i), "remaining"])}
        for i, path in enumerate(paths)
    ]
    assert replay_stage_paths(STAGES, paths) == expected


# --- deviations --------------------------------------------------------------------------


def test_deviations_ranked_by_journeys_then_text(warehouse: Warehouse, given_steps) -> None:
    """One row per deviation, most journeys first, ties by the deviation's text; share over the
    journeys with a mapped step (NULL for 'no mapped activity'); conversion rate without open
    journeys; example ids are the smallest ones, sorted, at most n_examples."""
    skip = by_stages("awareness", "purchase")
    back = by_stages("purchase", "consideration")
    browse_back = by_stages("consideration", "awareness")
    given_steps(
        {"j7": skip, "j2": skip, "j5": skip, "j4": back, "j1": back, "j9": browse_back, "j8": browse_back,
         "j3": by_stages("awareness"), "j6": ["Help"]},
        outcomes={"j7": "converted", "j2": "abandoned", "j5": "open", "j1": "converted", "j4": "converted",
                  "j8": "abandoned", "j9": "abandoned"},
    )
    check_conformance(warehouse, MAP, n_examples=2)
    got = warehouse.rows(
        "SELECT deviation_rank, deviation, n_journeys, share, conversion_rate, example_journey_ids "
        "FROM marts.conformance_deviations ORDER BY deviation_rank"
    )
    # 8 journeys have a mapped step; the two backwards deviations tie on 2 journeys
    assert got == [
        (1, "skipped consideration", 3, 3 / 8, 0.5, ["j2", "j5"]),
        (2, "backwards consideration→awareness", 2, 2 / 8, 0.0, ["j8", "j9"]),
        (3, "backwards purchase→consideration", 2, 2 / 8, 1.0, ["j1", "j4"]),
        (4, "no mapped activity", 1, None, None, ["j6"]),
    ]


def test_summary_counts_journeys_fitness_and_unmapped(warehouse: Warehouse, given_steps) -> None:
    """The result counts the journeys checked and fitting, the mean fitness over checked journeys,
    the distinct stage paths replayed and the unmapped activities (most journeys first)."""
    given_steps({
        "j1": by_stages("awareness", "consideration") + ["Help"],
        "j2": by_stages("awareness", "consideration"),
        "j3": by_stages("purchase", "consideration") + ["FAQ", "Help"],
        "j4": ["FAQ"] * 3,
    })
    result = check_conformance(warehouse, MAP)
    assert result == ConformanceResult(
        n_stages=4, n_journeys=4, n_journeys_checked=3, n_journeys_fitting=2, share_fitting=pytest.approx(2 / 3),
        mean_fitness=pytest.approx((1 + 1 + 0.8) / 3), n_stage_paths=2, n_unmapped_steps=6,
        n_unmapped_activities=2, top_unmapped_activities=("FAQ", "Help"), n_deviations=2,
        top_deviations=(("backwards purchase→consideration", 1), ("no mapped activity", 1)),
    )
    assert result.to_dict()["top_deviations"][0] == {"deviation": "backwards purchase→consideration", "n_journeys": 1}


# --- edges -------------------------------------------------------------------------------


def test_empty_map_creates_both_tables_empty_with_their_columns(warehouse: Warehouse, given_steps) -> None:
    """No stages declared: nothing is checked, but both tables exist, empty, with the same columns
    as when a map is given."""
    given_steps({"j1": by_stages("awareness", "purchase")})
    check_conformance(warehouse, MAP)
    columns = {t: warehouse.columns("marts", t) for t in ("conformance", "conformance_deviations")}
    result = check_conformance(warehouse, JourneyMapConfig())
    for table, expected in columns.items():
        assert warehouse.columns("marts", table) == expected
        assert warehouse.scalar(f"SELECT count(*) FROM marts.{table}") == 0
    assert (result.n_journeys, result.mean_fitness, result.share_fitting, result.n_stage_paths) == (0, None, None, 0)


def test_missing_journeys_table_is_a_typed_error(warehouse: Warehouse) -> None:
    """Checking before the journeys exist says which table is missing."""
    with pytest.raises(JourneymineError, match="marts.journeys"):
        check_conformance(warehouse, MAP)
