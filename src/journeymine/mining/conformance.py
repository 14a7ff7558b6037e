"""Conformance: each journey against the designed journey map (stages in their intended order).

The config's `journey_map` lists stages in intended order (awareness, consideration,
purchase, service, ...), each with the activities that belong to it. `check_conformance`
builds two tables from `marts.journeys` (each journey's steps, as touchpoint codes) and
`journeys.touchpoints`:

* `marts.conformance`, one row per journey: its stage path, the stages reached, skipped and
  revisited, its unmapped steps, its fitness against the map and its deviations;
* `marts.conformance_deviations`, one row per deviation ('skipped consideration',
  'revisited awareness after purchase', 'backwards purchase→consideration', 'no mapped
  activity'), most frequent first, with example journeys.

Rules (the SQL header comments say the same):

* Each step takes the stage of its activity. Activities not in the map are *unmapped*: they
  do not move the stage, and are counted and listed per journey (`n_unmapped_steps`,
  `unmapped_activities`), not dropped. Consecutive steps of one stage are one *stage visit*;
  the visits in order are the journey's *stage path*.
* A journey may enter at any stage (a returning customer goes straight to purchase) and end
  after any stage (ending early is a drop-off, not a deviation). So a stage is *skipped* only
  when it lies, in intended order, between the lowest and the highest stage the journey
  reached and was never visited. A stage is *revisited* when the journey comes back to it
  after leaving it; a move to an earlier stage not visited before is *backwards*.
* Fitness is token-based replay of the stage path on a Petri net built from the map
  (`build_stage_net`): one visible transition per stage, in sequence; an invisible transition
  to enter at each stage and one to leave after each stage. A contiguous run of stages in
  intended order, each visited once, replays with no missing and no remaining token: fitness
  1. A skip, a step back or a revisit finds no token before the stage it moves to (a missing
  token) and leaves the token of the stage it left (a remaining token):
  fitness = 0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced) < 1. A later
  move may use a token left behind (awareness, purchase, consideration misses one token, not
  two), so fitness measures how far the path is from the map, not the number of deviations.
  `is_fitting` (fitness = 1) holds exactly when the journey has no deviation.
* Journeys without any mapped step get fitness NULL and the deviation 'no mapped activity'.

Only the distinct stage paths are replayed (few, even for millions of journeys): SQL finds
them, `replay_stage_paths` replays them, SQL joins the fitness back by path. The replay plays
the token game of this one net directly (`replay_stage_paths` says how), giving exactly the
numbers of pm4py's token-based replay (`pm4py.conformance_diagnostics_token_based_replay` on
`build_stage_net`; the tests compare the two on every sequence of up to five stages) in
microseconds per path instead of about a millisecond, and without importing pm4py.
With an empty map both tables are created empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from journeymine.config import JourneyMapConfig
from journeymine.db import Warehouse
from journeymine.mining.pm4py_lazy import import_pm4py

if TYPE_CHECKING:
    from pm4py.objects.petri_net.obj import Marking, PetriNet

INPUT_TABLES = (("marts", "journeys"), ("journeys", "touchpoints"))
N_TOP = 10


@dataclass(frozen=True)
class ConformanceResult:
    """What conformance checking found, for the run manifest.

    Shares and means are over the journeys checked (at least one mapped step); None when
    no journey was checked.
    """

    n_stages: int
    n_journeys: int
    n_journeys_checked: int
    n_journeys_fitting: int
    share_fitting: float | None
    mean_fitness: float | None
    n_stage_paths: int
    n_unmapped_steps: int
    n_unmapped_activities: int
    top_unmapped_activities: tuple[str, ...]
    n_deviations: int
    top_deviations: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (lists instead of tuples)."""
        out = asdict(self)
        out["top_unmapped_activities"] = list(self.top_unmapped_activities)
        out["top_deviations"] = [{"deviation": d, "n_journeys": n} for d, n in self.top_deviations]
        return out


def check_conformance(wh: Warehouse, journey_map: JourneyMapConfig, *, n_examples: int = 5) -> ConformanceResult:
    """Build `marts.conformance` and `marts.conformance_deviations` from `marts.journeys` (each
    journey's steps as touchpoint codes) and `journeys.touchpoints`, checking each journey against
    `journey_map`, through the temporary tables `stage_visits` (each journey's stage visits) and
    `conformance_stage_paths` (each distinct stage path, checked once); return the summary.

    `n_examples` is the number of example journey ids per deviation.
    """
    wh.require_tables(INPUT_TABLES, "conformance", "build the journeys before checking them against the journey map")
    stage_names = [stage.name for stage in journey_map.stages]
    params: dict[str, Any] = {"stage_activities": list_stage_activities(journey_map)}
    wh.build("temp.stage_visits", "journeys/int_journey_stages", params)
    wh.build("temp.conformance_stage_paths", "journeys/int_conformance_stage_paths", params)
    paths = find_stage_paths(wh)
    params["path_fitness"] = replay_stage_paths(stage_names, paths)
    wh.build("marts.conformance", "marts/conformance", params)
    wh.build("marts.conformance_deviations", "marts/conformance_deviations", {"n_examples": n_examples})
    return summarize_conformance(wh, n_stages=len(stage_names), n_stage_paths=len(paths))


def list_stage_activities(journey_map: JourneyMapConfig) -> list[dict[str, Any]]:
    """The map as rows {activity, stage, stage_number}, stage_number counting from 1 in intended order."""
    return [
        {"activity": activity, "stage": stage.name, "stage_number": number}
        for number, stage in enumerate(journey_map.stages, start=1)
        for activity in stage.activities
    ]


def find_stage_paths(wh: Warehouse) -> list[tuple[str, ...]]:
    """The distinct stage paths (stage visits in journey order) in `temp.conformance_stage_paths`,
    sorted; journeys without a mapped step have none."""
    rows = wh.rows(
        "SELECT stage_path FROM temp.conformance_stage_paths WHERE len(stage_path) > 0 ORDER BY stage_path"
    )
    return [tuple(row[0]) for row in rows]


def build_stage_net(stage_names: Sequence[str]) -> tuple[PetriNet, Marking, Marking]:
    """The designed journey as a Petri net with its initial and final marking.

    Places p0 … pn: p(k-1) enables stage k, whose visible transition (labelled with the stage
    name) moves the token to pk. From `source`, an invisible `enter <stage>` puts the token
    before any stage; from after any stage, an invisible `leave <stage>` moves it to `sink`.
    Initial marking: one token in source; final marking: one token in sink.
    """
    import_pm4py()
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    net = PetriNet("designed journey")
    source, sink = PetriNet.Place("source"), PetriNet.Place("sink")
    between = [PetriNet.Place(f"p{k}") for k in range(len(stage_names) + 1)]
    for place in (source, sink, *between):
        net.places.add(place)
    for k, name in enumerate(stage_names):
        stage = PetriNet.Transition(f"stage {name}", name)
        enter = PetriNet.Transition(f"enter {name}", None)
        leave = PetriNet.Transition(f"leave {name}", None)
        for transition in (stage, enter, leave):
            net.transitions.add(transition)
        petri_utils.add_arc_from_to(between[k], stage, net)
        petri_utils.add_arc_from_to(stage, between[k + 1], net)
        petri_utils.add_arc_from_to(source, enter, net)
        petri_utils.add_arc_from_to(enter, between[k], net)
        petri_utils.add_arc_from_to(between[k + 1], leave, net)
        petri_utils.add_arc_from_to(leave, sink, net)
    return net, Marking({source: 1}), Marking({sink: 1})


def replay_stage_paths(stage_names: Sequence[str], paths: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """Token-based replay of each path on `build_stage_net(stage_names)`.

    Returns one {stage_path, fitness, n_missing_tokens, n_remaining_tokens} per path, in the
    order given, exactly as pm4py's token-based replay counts them on that net:

    * the first stage is enabled through its invisible `enter` transition (the token in
      `source`); every later stage consumes a token before it when there is one, else that
      token is missing (no invisible transition can bring it: only `source` feeds them);
      either way it puts a token after itself;
    * at the end one token leaves to `sink` through an invisible `leave`: the final marking;
      every other token left behind remains (so remaining = missing);
    * consumed = produced = the path's length + 3 (`enter`, `leave`, and the initial and
      final markings' tokens).
    """
    number_of = {name: number for number, name in enumerate(stage_names, start=1)}
    replayed = []
    for path in paths:
        tokens_after = [0] * (len(stage_names) + 1)  # tokens in the place after stage k (index k)
        missing = 0
        for position, name in enumerate(path):
            number = number_of[name]
            if position > 0 and tokens_after[number - 1] > 0:
                tokens_after[number - 1] -= 1
            elif position > 0:
                missing += 1
            tokens_after[number] += 1
        consumed = produced = len(path) + 3
        remaining = missing
        replayed.append({
            "stage_path": list(path),
            # pm4py's formula, computed as pm4py computes it
            "fitness": 0.5 * (1.0 - missing / consumed) + 0.5 * (1.0 - remaining / produced),
            "n_missing_tokens": missing,
            "n_remaining_tokens": remaining,
        })
    return replayed


def summarize_conformance(wh: Warehouse, *, n_stages: int, n_stage_paths: int) -> ConformanceResult:
    """Counts over `marts.conformance` and `marts.conformance_deviations`."""
    n_journeys, n_checked, n_fitting, mean_fitness, n_unmapped_steps = wh.rows(
        "SELECT count(*), count(fitness), count(*) FILTER (WHERE is_fitting), avg(fitness), "
        "coalesce(sum(n_unmapped_steps), 0) FROM marts.conformance"
    )[0]
    unmapped = wh.rows(
        "SELECT activity, count(*) AS n_journeys "
        "FROM (SELECT unnest(unmapped_activities) AS activity FROM marts.conformance) "
        "GROUP BY activity ORDER BY n_journeys DESC, activity"
    )
    deviations = wh.rows("SELECT deviation, n_journeys FROM marts.conformance_deviations ORDER BY deviation_rank")
    return ConformanceResult(
        n_stages=n_stages,
        n_journeys=int(n_journeys),
        n_journeys_checked=int(n_checked),
        n_journeys_fitting=int(n_fitting),
        share_fitting=n_fitting / n_checked if n_checked else None,
        mean_fitness=float(mean_fitness) if mean_fitness is not None else None,
        n_stage_paths=n_stage_paths,
        n_unmapped_steps=int(n_unmapped_steps),
        n_unmapped_activities=len(unmapped),
        top_unmapped_activities=tuple(activity for activity, _ in unmapped[:N_TOP]),
        n_deviations=len(deviations),
        top_deviations=tuple((deviation, int(n)) for deviation, n in deviations[:N_TOP]),
    )
