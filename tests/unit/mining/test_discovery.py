"""Process discovery on the top variants, and top-k cuts (src/journeymine/mining/discovery.py)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from journeymine.errors import JourneymineError
from journeymine.mining.discovery import (
    DiscoveryError, ModelResult, cut_to_top, discover_process_model, select_covering_variants,
)
from journeymine.mining.pm4py_lazy import import_pm4py


def variants_table(counts: dict[str, int]) -> pd.DataFrame:
    """A variants table from {"Home > Cart > Checkout": n_journeys, ...}, rows in the given order."""
    return pd.DataFrame({
        "variant": pd.Series([path.split(" > ") for path in counts], dtype=object),
        "n_journeys": list(counts.values()),
    })


def paths_of(frame: pd.DataFrame) -> list[str]:
    """The `variant` column back as "A > B" strings, in row order."""
    return [" > ".join(v) for v in frame["variant"]]


def discover(tmp_path: Path, counts: dict[str, int], coverage: float = 1.0, noise: float = 0.0) -> ModelResult:
    """discover_process_model on variants_table(counts), writing under tmp_path."""
    return discover_process_model(
        variants_table(counts), coverage=coverage, noise_threshold=noise, out_dir=tmp_path
    )


def fitting_paths(result: ModelResult, paths: list[str]) -> dict[str, bool]:
    """Whether each path replays on the written PNML without missing or remaining tokens."""
    pm4py = import_pm4py()
    net, initial, final = pm4py.read_pnml(str(result.pnml_path))
    diagnostics = pm4py.conformance_diagnostics_token_based_replay(
        event_log(paths), net, initial, final,
        case_id_key="case_id", activity_key="activity", timestamp_key="occurred_at",
    )
    return {path: d["trace_is_fit"] for path, d in zip(paths, diagnostics, strict=True)}


def event_log(paths: list[str]) -> pd.DataFrame:
    """One case per path ("c00", "c01", ... in path order), one event per activity, a second apart."""
    rows = [
        {"case_id": f"c{i:02d}", "activity": activity,
         "occurred_at": pd.Timestamp("2026-03-02 10:00:00") + pd.Timedelta(seconds=step)}
        for i, path in enumerate(paths)
        for step, activity in enumerate(path.split(" > "))
    ]
    return pd.DataFrame(rows)


def pnml_labels(path: Path) -> set[str]:
    """The labels of the visible transitions in a PNML file, read as plain XML.

    pm4py names silent transitions too ("skip_1") and marks them as ProM does, with
    <toolspecific activity="$invisible$">."""
    root = ET.parse(path).getroot()
    return {
        transition.findtext("{*}name/{*}text")
        for transition in root.iterfind(".//{*}transition")
        if not any(t.get("activity") == "$invisible$" for t in transition.iterfind("{*}toolspecific"))
    }


FUNNEL = {
    "Home > Listing > Product > Cart > Checkout": 50,
    "Home > Product > Cart > Checkout": 30,
    "Home > Listing > Product > Call": 15,
    "Search > Product > Store Visit": 5,
}


# ---- which variants are covered ----------------------------------------------------------

def test_coverage_takes_the_most_frequent_variants_until_the_share_is_reached(tmp_path: Path) -> None:
    """Counts 50/30/15/5 (rows shuffled): coverage 0.8 takes 2 variants covering exactly 0.8;
    0.81 needs a third, covering 0.95."""
    shuffled = dict(reversed(FUNNEL.items()))

    chosen = select_covering_variants(variants_table(shuffled), coverage=0.8)
    assert paths_of(chosen) == list(FUNNEL)[:2]
    assert chosen["cumulative_share"].tolist() == [0.5, 0.8]
    result = discover(tmp_path, shuffled, coverage=0.8)
    assert (result.n_variants_used, result.n_variants_total) == (2, 4)
    assert (result.n_journeys_covered, result.n_journeys_total, result.share_covered) == (80, 100, 0.8)

    assert paths_of(select_covering_variants(variants_table(shuffled), coverage=0.81)) == list(FUNNEL)[:3]
    result = discover(tmp_path, shuffled, coverage=0.81)
    assert (result.n_variants_used, result.n_journeys_covered, result.share_covered) == (3, 95, 0.95)
    assert result.coverage_target == 0.81


def test_a_variant_cap_stops_early_and_the_result_says_what_is_covered(tmp_path: Path) -> None:
    """max_variants=1 mines only the top variant even when the coverage asks for more; the
    result reports the share really covered (0.5), not the target (0.8)."""
    result = discover_process_model(
        variants_table(FUNNEL), coverage=0.8, noise_threshold=0.0, out_dir=tmp_path, max_variants=1
    )
    assert (result.n_variants_used, result.share_covered, result.coverage_target) == (1, 0.5, 0.8)
    with pytest.raises(JourneymineError, match="max_variants"):
        discover_process_model(variants_table(FUNNEL), coverage=0.8, noise_threshold=0.0, out_dir=tmp_path,
                               max_variants=0)


def test_at_least_one_variant_is_used_and_full_coverage_uses_all(tmp_path: Path) -> None:
    """A tiny coverage still mines the top variant; coverage 1 mines every variant."""
    assert discover(tmp_path, FUNNEL, coverage=0.01).n_variants_used == 1
    result = discover(tmp_path, FUNNEL, coverage=1.0)
    assert (result.n_variants_used, result.share_covered) == (4, 1.0)


def test_equal_counts_are_ranked_by_path_whatever_the_row_order() -> None:
    """Ties on n_journeys go to the path in ascending order, so the choice does not depend on row order."""
    tied = {"B > C": 10, "A > C": 10, "A > B": 10, "C": 5}
    for counts in (tied, dict(reversed(tied.items()))):
        chosen = select_covering_variants(variants_table(counts), coverage=0.5)
        assert paths_of(chosen) == ["A > B", "A > C"]


def test_rows_with_the_same_path_are_added_up() -> None:
    """Two rows for one path count as one variant with both rows' journeys."""
    table = pd.concat([variants_table({"A > B": 30, "A > C": 40}), variants_table({"A > B": 20})])
    chosen = select_covering_variants(table, coverage=0.5)
    assert paths_of(chosen) == ["A > B"] and chosen["n_journeys"].tolist() == [50]


def test_variants_read_back_from_parquet_are_accepted(tmp_path: Path) -> None:
    """variants.parquet gives paths back as numpy arrays; they rank like lists."""
    variants_table(FUNNEL).to_parquet(tmp_path / "variants.parquet")
    from_parquet = pd.read_parquet(tmp_path / "variants.parquet")
    assert paths_of(select_covering_variants(from_parquet, coverage=0.8)) == list(FUNNEL)[:2]


def test_no_variants_writes_nothing_and_reports_zeros(tmp_path: Path) -> None:
    """An empty variants table gives a result of zeros with no files, not an error."""
    empty = pd.DataFrame({"variant": pd.Series([], dtype=object), "n_journeys": pd.Series([], dtype="int64")})
    result = discover_process_model(empty, coverage=0.8, noise_threshold=0.2, out_dir=tmp_path / "model")
    assert result == ModelResult(0, 0, 0, 0, 0.0, 0.2, 0.8, None, None, 0)
    assert not (tmp_path / "model").exists()


# ---- the model ----------------------------------------------------------------------------

def test_with_zero_noise_every_covered_variant_fits_the_model(tmp_path: Path) -> None:
    """IMf with noise 0 is IM: the net replays every covered path (skips, repeats, a choice of ends)."""
    counts = {
        "Home > Listing > Product > Cart > Checkout": 40,
        "Home > Product > Cart > Checkout": 25,
        "Home > Listing > Product > Listing > Product > Cart > Checkout": 15,
        "Home > Listing > Product > Call": 12,
        "Home > Cart > Product > Checkout": 8,
    }
    result = discover(tmp_path, counts, noise=0.0)
    pm4py = import_pm4py()
    net, initial, final = pm4py.read_pnml(str(result.pnml_path))
    fitness = pm4py.fitness_token_based_replay(
        event_log(list(counts)), net, initial, final,
        case_id_key="case_id", activity_key="activity", timestamp_key="occurred_at",
    )
    assert fitness["log_fitness"] == 1.0 and fitness["perc_fit_traces"] == 100.0


def test_files_are_xml_and_the_net_has_exactly_the_covered_activities(tmp_path: Path) -> None:
    """The PNML and BPMN parse as XML; the net's transition labels are the activities of the
    covered variants (Search and Store Visit occur only in the uncovered 5 %)."""
    result = discover_process_model(
        variants_table(FUNNEL), coverage=0.95, noise_threshold=0.2, out_dir=tmp_path, name="top_paths"
    )
    assert result.pnml_path == tmp_path / "top_paths.pnml" and result.bpmn_path == tmp_path / "top_paths.bpmn"
    ET.parse(result.bpmn_path)
    covered = {"Home", "Listing", "Product", "Cart", "Checkout", "Call"}
    assert pnml_labels(result.pnml_path) == covered
    assert result.n_transitions_visible == len(covered)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["top_paths.bpmn", "top_paths.pnml"]


def test_frequencies_decide_what_noise_filters(tmp_path: Path) -> None:
    """Skipping Cart in 1 journey of 101 is noise at threshold 0.3, so the model makes Cart
    mandatory; at threshold 0 Cart is optional. The same two paths with 1 journey each keep
    Cart optional at 0.3 (half the traces skip it), so this fails if counts are ignored."""
    usual, rare = "Home > Cart > Checkout", "Home > Checkout"

    filtered = discover(tmp_path / "noisy", {usual: 100, rare: 1}, noise=0.3)
    assert fitting_paths(filtered, [usual, rare]) == {usual: True, rare: False}

    exact = discover(tmp_path / "exact", {usual: 100, rare: 1}, noise=0.0)
    assert fitting_paths(exact, [usual, rare]) == {usual: True, rare: True}

    unweighted = discover(tmp_path / "unweighted", {usual: 1, rare: 1}, noise=0.3)
    assert fitting_paths(unweighted, [usual, rare]) == {usual: True, rare: True}


def test_result_is_json_friendly(tmp_path: Path) -> None:
    """to_dict gives plain values with the paths as str, ready for the run manifest."""
    result = discover(tmp_path, FUNNEL, coverage=0.8)
    as_dict = json.loads(json.dumps(result.to_dict()))
    assert as_dict["pnml_path"] == str(tmp_path / "process_model.pnml")
    assert as_dict["n_journeys_covered"] == 80 and as_dict["share_covered"] == 0.8


def test_importing_discovery_does_not_import_pm4py() -> None:
    """pm4py (slow, prints a banner) is imported only when a model is mined."""
    code = "import sys, journeymine.mining.discovery; print('pm4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- cut_to_top ---------------------------------------------------------------------------

def variant_rows() -> pd.DataFrame:
    """Five variants with two counts, a list label, a rate and a rank, already in count order."""
    return pd.DataFrame({
        "variant_rank": [1, 2, 3, 4, 5],
        "variant": pd.Series([["A", "B"], ["A", "C"], ["B"], ["A"], ["C"]], dtype=object),
        "n_journeys": [40, 30, 20, 7, 3],
        "n_conversions": [10, 9, 4, 2, 1],
        "conversion_rate": [0.25, 0.3, 0.2, 2 / 7, 1 / 3],
    })


def test_cut_keeps_the_top_rows_and_one_other_row_with_the_sums() -> None:
    """k=2 keeps the two largest variants; one "(other)" row holds the sums of the three cut,
    so every count column's total is unchanged; the rate of the other row is left empty."""
    frame = variant_rows()
    cut = cut_to_top(frame.iloc[::-1], k=2, count_columns=["n_journeys", "n_conversions"], label_columns=["variant"])
    assert cut["variant"].tolist() == [["A", "B"], ["A", "C"], ["(other)"]]
    assert cut["n_journeys"].tolist() == [40, 30, 30]
    assert cut["n_rows_grouped"].tolist() == [0, 0, 3]
    for column in ("n_journeys", "n_conversions"):
        assert cut[column].sum() == frame[column].sum()
    assert math.isnan(cut["conversion_rate"].iloc[2]) and pd.isna(cut["variant_rank"].iloc[2])


def test_cut_labels_plain_columns_with_the_other_label() -> None:
    """A text label column gets other_label itself (not a list); ties on the count go by label."""
    edges = pd.DataFrame(
        {"source": ["b", "a", "c", "a"], "target": ["x", "y", "x", "x"], "n_transitions": [5, 5, 2, 5]}
    )
    cut = cut_to_top(edges, k=2, count_columns=["n_transitions"], label_columns=["source", "target"], other_label="…")
    assert list(zip(cut["source"], cut["target"], strict=True)) == [("a", "x"), ("a", "y"), ("…", "…")]
    assert cut["n_transitions"].tolist() == [5, 5, 7]


def test_no_other_row_when_nothing_is_cut() -> None:
    """k >= the number of rows returns the frame unchanged (n_rows_grouped all 0, no other row)."""
    frame = variant_rows()
    for k in (5, 6):
        cut = cut_to_top(frame, k=k, count_columns=["n_journeys"], label_columns=["variant"])
        pd.testing.assert_frame_equal(cut.drop(columns="n_rows_grouped"), frame)
        assert cut["n_rows_grouped"].tolist() == [0] * 5


# ---- bad arguments ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"coverage": 0}, r"coverage: expected a number in \(0, 1\], found 0"),
        ({"coverage": 1.5}, r"coverage: expected a number in \(0, 1\], found 1.5"),
        ({"coverage": float("nan")}, r"coverage: .* found nan"),
        ({"coverage": True}, r"coverage: .* found True"),
        ({"noise_threshold": -0.1}, r"noise_threshold: expected a number in \[0, 1\], found -0.1"),
        ({"noise_threshold": 2}, r"noise_threshold: expected a number in \[0, 1\], found 2"),
        ({"name": "../model"}, r"name: expected a plain file name .* found '../model'"),
    ],
)
def test_bad_discovery_arguments_name_the_argument(tmp_path: Path, arguments: dict, message: str) -> None:
    """A coverage outside (0, 1], a noise threshold outside [0, 1] or a name with folders is refused."""
    call = {"coverage": 0.8, "noise_threshold": 0.2, "out_dir": tmp_path, **arguments}
    with pytest.raises(DiscoveryError, match=message):
        discover_process_model(variants_table(FUNNEL), **call)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"variant": [["A"]]}), "expected columns variant and n_journeys, missing n_journeys"),
        (pd.DataFrame({"variant": [["A"]], "n_journeys": [-1]}), "n_journeys: expected whole numbers >= 0, found -1"),
        (pd.DataFrame({"variant": [["A"]], "n_journeys": [1.5]}), "n_journeys: expected whole numbers >= 0, found 1.5"),
        (pd.DataFrame({"variant": ["A > B"], "n_journeys": [1]}), "expected each variant to be a list .*'A > B'"),
    ],
)
def test_bad_variants_tables_are_refused(tmp_path: Path, table: pd.DataFrame, message: str) -> None:
    """Missing columns, negative or fractional counts and paths that are not lists are user errors."""
    with pytest.raises(JourneymineError, match=message):
        discover_process_model(table, coverage=0.8, noise_threshold=0.2, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": -1}, r"k: expected a whole number of rows >= 0, found -1"),
        ({"k": 2.5}, r"k: expected a whole number of rows >= 0, found 2.5"),
        ({"count_columns": ["n_sessions"]}, r"expected columns n_sessions in the table"),
        ({"label_columns": []}, r"expected at least one of each"),
    ],
)
def test_bad_cut_arguments_name_the_argument(arguments: dict, message: str) -> None:
    """A negative or fractional k, an unknown column or no label column is refused."""
    call = {"k": 2, "count_columns": ["n_journeys"], "label_columns": ["variant"], **arguments}
    with pytest.raises(DiscoveryError, match=message):
        cut_to_top(variant_rows(), **call)
