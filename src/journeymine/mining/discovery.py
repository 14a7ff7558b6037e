"""A process model of the most common journeys, and top-k tables whose totals stay honest.

`discover_process_model` takes the variants table (one row per distinct path, with its
number of journeys), keeps the most frequent paths until they cover the requested share of
journeys, and mines them with pm4py's Inductive Miner, infrequent variant (IMf). Each path
reaches IMf once, with its number of journeys as its weight, so a variant table describing
millions of journeys costs no more than its number of rows. The model is written as PNML
(a Petri net) and BPMN; the result says how many journeys the model was mined from, so a
model of "the top 80 %" is never mistaken for a model of everything.

`cut_to_top` shortens a table shown to people (variants, graph edges) to its k largest
rows plus one "(other)" row holding the sums of the rest.
"""

from __future__ import annotations

import math
import os
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from journeymine.errors import JourneymineError
from journeymine.mining.pm4py_lazy import import_pm4py

if TYPE_CHECKING:  # only for type checkers: pm4py is imported when a model is mined
    from pm4py.objects.process_tree.obj import ProcessTree

JourneyPath = tuple[str, ...]
"""A journey's path: its activities in order."""

N_ROWS_GROUPED = "n_rows_grouped"


class DiscoveryError(JourneymineError, ValueError):
    """An argument or input table of process discovery or of a top-k cut is out of range."""


@dataclass(frozen=True)
class ModelResult:
    """What a process model was mined from, and where it was written.

    `share_covered` = n_journeys_covered / n_journeys_total (0.0 when there were no
    journeys). When there were no journeys, no model is written and both paths are None.
    """

    n_variants_used: int
    n_variants_total: int
    n_journeys_covered: int
    n_journeys_total: int
    share_covered: float
    noise_threshold: float
    coverage_target: float
    pnml_path: Path | None
    bpmn_path: Path | None
    n_transitions_visible: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-friendly values (paths as str or None), for the run manifest."""
        fields = asdict(self)
        for key in ("pnml_path", "bpmn_path"):
            fields[key] = None if fields[key] is None else str(fields[key])
        return fields


def discover_process_model(
    variants: pd.DataFrame,
    *,
    coverage: float,
    noise_threshold: float,
    out_dir: Path,
    name: str = "process_model",
    max_variants: int | None = None,
) -> ModelResult:
    """Mine a process model from the top variants covering `coverage` of all journeys.

    `max_variants` caps the variants mined (IMf's time grows with them; a log with a long
    tail can need hundreds of thousands to reach the coverage): the result's share_covered
    then says how much the model really covers.

    `variants` needs `variant` (a list of activities) and `n_journeys`, in any row order;
    rows with the same path are added up, paths with 0 journeys left out. The most
    frequent paths (ties: by path, ascending) are taken until their journeys reach
    `coverage` (0 < coverage <= 1) of all journeys, and always at least one. They go to IMf
    with `noise_threshold` (0 <= noise <= 1; at 0 every covered path fits the model). Writes `out_dir/{name}.pnml` and
    `out_dir/{name}.bpmn` and returns what was covered. With no journeys at all, nothing
    is written and the result holds zeros and None paths. Raises DiscoveryError (a
    JourneymineError) for an argument out of range or a malformed variants table.
    """
    check_share("coverage", coverage, low_inclusive=False)
    check_share("noise_threshold", noise_threshold, low_inclusive=True)
    check_file_stem(name)
    ranked = rank_paths(variants)
    n_total = sum(n for _, n in ranked)
    if n_total == 0:
        return ModelResult(0, 0, 0, 0, 0.0, float(noise_threshold), float(coverage), None, None, 0)
    n_used = count_covering(ranked, coverage)
    if max_variants is not None:
        if max_variants < 1:
            raise DiscoveryError(f"max_variants: expected a whole number >= 1, found {max_variants!r}")
        n_used = min(n_used, max_variants)
    used = ranked[:n_used]
    n_covered = sum(n for _, n in used)
    tree = mine_process_tree(Counter(dict(used)), noise_threshold)
    pnml_path, bpmn_path, n_visible = write_model(tree, Path(out_dir), name)
    return ModelResult(
        n_variants_used=len(used),
        n_variants_total=len(ranked),
        n_journeys_covered=n_covered,
        n_journeys_total=n_total,
        share_covered=n_covered / n_total,
        noise_threshold=float(noise_threshold),
        coverage_target=float(coverage),
        pnml_path=pnml_path,
        bpmn_path=bpmn_path,
        n_transitions_visible=n_visible,
    )


def select_covering_variants(variants: pd.DataFrame, *, coverage: float) -> pd.DataFrame:
    """The variants `discover_process_model` mines for this `coverage`, most frequent first.

    Columns: `variant` (list of activities), `n_journeys`, `cumulative_share` (of all
    journeys, up to and including the row). Empty when there are no journeys.
    """
    check_share("coverage", coverage, low_inclusive=False)
    ranked = rank_paths(variants)
    n_total = sum(n for _, n in ranked)
    used = ranked[: count_covering(ranked, coverage)] if n_total else []
    counts = [n for _, n in used]
    return pd.DataFrame({
        "variant": pd.Series([list(path) for path, _ in used], dtype=object),
        "n_journeys": pd.Series(counts, dtype="int64"),
        "cumulative_share": pd.Series(np.cumsum(counts, dtype="int64") / max(n_total, 1), dtype="float64"),
    })


def rank_paths(variants: pd.DataFrame) -> list[tuple[JourneyPath, int]]:
    """(path, n_journeys) per distinct path that any journey took, by n_journeys desc then path asc.

    Paths are compared activity by activity, which is the order of the activities joined.
    Rows with the same path are added up; paths with 0 journeys are left out.
    Raises DiscoveryError for a missing column, a path that is not a list of strings, or a
    count that is not a whole number >= 0.
    """
    missing = [c for c in ("variant", "n_journeys") if c not in variants.columns]
    if missing:
        raise DiscoveryError(
            f"variants table: expected columns variant and n_journeys, missing {', '.join(missing)}"
            f" (found {', '.join(map(str, variants.columns)) or 'no columns'})"
        )
    counts = check_counts(variants["n_journeys"], "variants table: n_journeys")
    totals: Counter[JourneyPath] = Counter()
    for value, n in zip(variants["variant"], counts, strict=True):
        totals[to_path(value)] += n
    return sorted(((path, n) for path, n in totals.items() if n > 0), key=lambda item: (-item[1], item[0]))


def to_path(value: object) -> JourneyPath:
    """A variant cell (list, tuple or numpy array of activity names) as a tuple of str."""
    if not isinstance(value, (list, tuple, np.ndarray)) or not all(isinstance(a, str) for a in value):
        raise DiscoveryError(
            f"variants table: expected each variant to be a list of activity names, found {shown(value)}"
        )
    return tuple(str(a) for a in value)


def count_covering(ranked: Sequence[tuple[JourneyPath, int]], coverage: float) -> int:
    """How many of the leading `ranked` paths it takes for their journeys to reach `coverage`.

    At least 1. The share is compared as covered / total >= coverage: both sides are the
    nearest float to the same fraction when the coverage is exact (80 of 100 vs 0.8).
    """
    n_total = sum(n for _, n in ranked)
    covered = 0
    for i, (_, n) in enumerate(ranked, start=1):
        covered += n
        if covered / n_total >= coverage:
            return i
    return len(ranked)


def mine_process_tree(paths: Counter[JourneyPath], noise_threshold: float) -> ProcessTree:
    """IMf's process tree for `paths` (path -> number of journeys), folded and sorted.

    pm4py's public API (`pm4py.discover_process_tree_inductive`) takes only an event log,
    a DataFrame (one row per event) or a DFG (which runs IMd, not IMf). Its internal
    `inductive_miner.algorithm.apply` has a branch for a variant Counter (UVCL), but that
    branch is unreachable in pm4py 2.7: it tests `type(obj) in [UVCL]`, and UVCL is the
    alias `typing.Counter[Tuple[Any]]`, which no object's type equals; a Counter falls
    through to the DataFrame code and fails. So this does what that branch would do:
    IMFUVCL on IMDataStructureUVCL, then fold and tree_sort as `apply` does. The Counter's
    values are the weights IMf filters noise by, so no journey is replicated.
    """
    import_pm4py()  # first, so the licence banner stays quiet
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils.generic import fold, tree_sort

    # multiprocessing explicit: pm4py's default comes from an environment variable.
    parameters = {"noise_threshold": noise_threshold, "multiprocessing": False}
    tree = IMFUVCL(parameters).apply(IMDataStructureUVCL(paths), parameters)
    tree = fold(tree)
    tree_sort(tree)
    return tree


def write_model(tree: ProcessTree, out_dir: Path, name: str) -> tuple[Path, Path, int]:
    """Write `tree` as `{name}.pnml` and `{name}.bpmn` under `out_dir`.

    Returns both paths and the number of visible (labelled) transitions of the Petri net.
    The BPMN is written without auto layout: pm4py lays BPMN out by running Graphviz.
    """
    pm4py = import_pm4py()
    net, initial, final = pm4py.convert_to_petri_net(tree)
    bpmn = pm4py.convert_to_bpmn(tree)
    out_dir.mkdir(parents=True, exist_ok=True)
    pnml_path = out_dir / f"{name}.pnml"
    bpmn_path = out_dir / f"{name}.bpmn"
    write_atomically(pnml_path, lambda tmp: pm4py.write_pnml(net, initial, final, tmp))
    write_atomically(bpmn_path, lambda tmp: pm4py.write_bpmn(bpmn, tmp, auto_layout=False))
    n_visible = sum(1 for t in net.transitions if t.label is not None)
    return pnml_path, bpmn_path, n_visible


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """Call `write(tmp)` on a new file name beside `path`, then move that file onto `path`.

    The temporary name keeps `path`'s suffix: pm4py's writers append their extension to a
    path that does not end with it. The writer creates the file, so it gets the usual
    permissions. A failed write leaves `path` as it was.
    """
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp{path.suffix}")
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cut_to_top(
    frame: pd.DataFrame,
    *,
    k: int,
    count_columns: Sequence[str],
    label_columns: Sequence[str],
    other_label: str = "(other)",
) -> pd.DataFrame:
    """The k largest rows of `frame` and, if any were cut, one row for all the others.

    Rows are ordered by the first count column desc, then the label columns asc (lists
    compared item by item), and the first k kept. The "other" row comes last: its label
    columns hold `other_label` (`[other_label]` in a list column), its count columns the
    sums over the cut rows, its other columns NA (a rate or median of the cut rows cannot
    be derived from theirs). A column `n_rows_grouped` is 0 on kept rows and the number
    of cut rows on the other row. Every count column's total is unchanged. When nothing is
    cut, the result is `frame` in that order with `n_rows_grouped` 0.
    """
    check_cut_arguments(frame, k, count_columns, label_columns)
    ordered = order_rows(frame, count_columns[0], label_columns)
    kept = ordered.iloc[:k].assign(**{N_ROWS_GROUPED: 0})
    cut = ordered.iloc[k:]
    if cut.empty:
        return kept.reset_index(drop=True)
    labels = {c: [other_label] if is_list_column(frame[c]) else other_label for c in label_columns}
    kept = make_nullable(kept, exclude=[*count_columns, N_ROWS_GROUPED])
    other = build_other_row(kept, cut, count_columns, labels)
    return pd.concat([kept, other], ignore_index=True)


def order_rows(frame: pd.DataFrame, count_column: str, label_columns: Sequence[str]) -> pd.DataFrame:
    """`frame`'s rows by `count_column` desc, then the label columns asc, then original order."""
    counts = frame[count_column].to_numpy()
    labels = [frame[c].to_numpy(dtype=object) for c in label_columns]
    order = sorted(
        range(len(frame)),
        key=lambda i: (-counts[i], *(label_sort_key(column[i]) for column in labels), i),
    )
    return frame.iloc[order]


def label_sort_key(value: object) -> tuple[int, tuple[Hashable, ...]]:
    """A key ordering label values: lists item by item, scalars as one item, missing last."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return (0, tuple(value))
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return (1, ())
    return (0, (value,))


def build_other_row(
    kept: pd.DataFrame,
    cut: pd.DataFrame,
    count_columns: Sequence[str],
    labels: dict[str, object],
) -> pd.DataFrame:
    """The one-row frame standing for `cut`: `labels` (column -> value), counts summed, the rest NA.

    Each column keeps `kept`'s dtype where the value fits it, so the concatenation does too.
    """
    row: dict[str, object] = {column: None for column in kept.columns}
    row.update(labels)
    for column in count_columns:
        row[column] = cut[column].sum()
    row[N_ROWS_GROUPED] = len(cut)
    other = pd.DataFrame({column: pd.Series([value], dtype=object) for column, value in row.items()})
    for column in other.columns:
        if not isinstance(row[column], list):
            try:
                other[column] = other[column].astype(kept[column].dtype)
            except (TypeError, ValueError):
                pass  # e.g. other_label in a numeric label column: the column becomes object
    return other


def make_nullable(frame: pd.DataFrame, exclude: Sequence[str]) -> pd.DataFrame:
    """`frame` with plain integer and bool columns (other than `exclude`) as nullable Int64 / boolean.

    The other row leaves those columns NA: Int64 keeps them integers instead of floats, and
    a NA in a plain bool column would turn into False.
    """
    widened = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if column in exclude or isinstance(dtype, pd.api.extensions.ExtensionDtype):
            continue
        if pd.api.types.is_bool_dtype(dtype):
            widened[column] = frame[column].astype("boolean")
        elif pd.api.types.is_integer_dtype(dtype):
            widened[column] = frame[column].astype("Int64")
    return frame.assign(**widened) if widened else frame


def is_list_column(column: pd.Series) -> bool:
    """Whether the column's values are lists (or tuples, arrays): the first non-missing value decides."""
    for value in column:
        if isinstance(value, (list, tuple, np.ndarray)):
            return True
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return False
    return False


def check_cut_arguments(
    frame: pd.DataFrame, k: int, count_columns: Sequence[str], label_columns: Sequence[str]
) -> None:
    """Raise DiscoveryError unless k is an int >= 0 and the named columns exist and make sense."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise DiscoveryError(f"k: expected a whole number of rows >= 0, found {shown(k)}")
    if isinstance(count_columns, str) or isinstance(label_columns, str):
        raise DiscoveryError("count_columns and label_columns: expected sequences of column names, found a str")
    if not count_columns or not label_columns:
        raise DiscoveryError(
            f"count_columns and label_columns: expected at least one of each, "
            f"found {list(count_columns)} and {list(label_columns)}"
        )
    missing = [c for c in [*count_columns, *label_columns] if c not in frame.columns]
    if missing:
        raise DiscoveryError(
            f"cut_to_top: expected columns {', '.join(missing)} in the table, "
            f"found {', '.join(map(str, frame.columns)) or 'no columns'}"
        )
    if N_ROWS_GROUPED in frame.columns:
        raise DiscoveryError(f"cut_to_top: the table already has {N_ROWS_GROUPED}; expected a table not cut before")
    for column in count_columns:
        check_counts(frame[column], f"cut_to_top: count column {column}")


def check_counts(column: pd.Series, what: str) -> pd.Series:
    """`column` as int64, or DiscoveryError naming `what` if a value is not a whole number >= 0."""
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers % 1 != 0)
    if bad.any():
        raise DiscoveryError(f"{what}: expected whole numbers >= 0, found {shown(column[bad].iloc[0])}")
    return numbers.astype("int64")


def check_share(argument: str, value: float, *, low_inclusive: bool) -> None:
    """Raise DiscoveryError unless `value` is a number in [0, 1] (or (0, 1] without low_inclusive)."""
    interval = "[0, 1]" if low_inclusive else "(0, 1]"
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or math.isnan(value) or value > 1 or value < 0 or (value == 0 and not low_inclusive):
        raise DiscoveryError(f"{argument}: expected a number in {interval}, found {shown(value)}")


def check_file_stem(name: str) -> None:
    """Raise DiscoveryError unless `name` can be a file name in out_dir (no folders, not hidden)."""
    if not isinstance(name, str) or not name or Path(name).name != name or name.startswith("."):
        raise DiscoveryError(f"name: expected a plain file name such as 'process_model', found {name!r}")


def shown(value: object) -> str:
    """`value` as an error message shows it: repr, with numpy scalars as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)
