"""The notebooks of notebooks/ run top to bottom, as an analyst would run them, against the
sample's published analytics.duckdb, and show what that database holds: every number checked
here is read from the published tables, not written into the test."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["introduction", "explore_paths"]


@pytest.fixture(scope="module")
def executed(sample_run: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Each notebook executed once, in a kernel of this interpreter (the project's environment),
    with JOURNEYMINE_OUTPUT naming the sample run's output folder."""
    kernels = tmp_path_factory.mktemp("jupyter")
    spec = kernels / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                "display_name": "Python 3 (journeymine)", "language": "python"}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(kernels))  # searched before the user's and the system's kernels
        env.setenv("JOURNEYMINE_OUTPUT", str(sample_run["out"]))
        notebooks = {}
        for name in NAMES:
            notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            # a cell that raises fails the test here (CellExecutionError, with the cell and traceback)
            NotebookClient(notebook, timeout=120, kernel_name="python3",
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            notebooks[name] = notebook
        yield notebooks


@pytest.fixture(scope="module")
def con(sample_run: dict) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(sample_run["out"] / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


def cell(notebook: Any, tag: str) -> Any:  # noqa: ANN401
    """The one code cell tagged `tag`."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def shown(code_cell: Any) -> str:  # noqa: ANN401
    """Everything a cell printed or displayed as text (stdout, tables as text and HTML)."""
    parts = []
    for output in code_cell.outputs:
        assert output.output_type != "error"
        if output.output_type == "stream":
            parts.append(output.text)
        for mime in ("text/plain", "text/html"):
            parts.append(output.get("data", {}).get(mime, ""))
    return "\n".join(parts)


def has_picture(code_cell: Any) -> bool:  # noqa: ANN401
    return any("image/png" in output.get("data", {}) for output in code_cell.outputs)


def test_notebooks_are_stored_without_outputs() -> None:
    """What is committed is code and text: no outputs, no execution counts (they would go stale)."""
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)
    for name in NAMES:
        notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code), name


def test_introduction_shows_the_runs_variants_flow_funnel_friction_and_emotion(
    executed: dict[str, Any], con: duckdb.DuckDBPyConnection
) -> None:
    """The introduction's tables hold the published top variants, funnel and top finding, and each
    of its pictures is drawn inline (a PNG output, no Graphviz)."""
    notebook = executed["introduction"]
    for tag in ("top-variants", "flow", "funnel", "friction", "emotion"):
        assert has_picture(cell(notebook, tag)), f"no picture in the {tag!r} cell"

    top = con.execute("SELECT array_to_string(variant, ' → '), n_journeys FROM variants "
                      "WHERE variant_rank <= 3 ORDER BY variant_rank").fetchall()
    variants = shown(cell(notebook, "top-variants"))
    for path, n_journeys in top:
        assert path[:60] in variants and str(n_journeys) in variants

    reached = con.execute("SELECT n_reached FROM funnel WHERE dimension = 'all' ORDER BY stage_number").fetchall()
    funnel = shown(cell(notebook, "funnel"))
    assert all(str(n) in funnel for (n,) in reached)

    touchpoint, n_affected = con.execute(
        "SELECT touchpoint, n_journeys_affected FROM friction ORDER BY friction_rank LIMIT 1").fetchone()
    friction = shown(cell(notebook, "friction"))
    assert touchpoint in friction and str(n_affected) in friction


def test_path_explorer_shows_before_after_by_segment_and_the_journeys_behind_a_number(
    executed: dict[str, Any], con: duckdb.DuckDBPyConnection
) -> None:
    """By default the explorer looks at the top finding's touchpoint: its ways in and out are the
    published macros' answers, and the journeys behind its largest abandonment count (by platform)
    are those the published journeys give, down to the one followed step by step."""
    notebook = executed["explore_paths"]
    activity = con.execute("SELECT activity FROM friction ORDER BY friction_rank LIMIT 1").fetchone()[0]
    n_reaching = con.execute("SELECT count(*) FROM journeys WHERE list_contains(path, ?)", [activity]).fetchone()[0]
    assert f"Exploring {activity!r}: {n_reaching:,} journeys reach it" in shown(cell(notebook, "activity"))

    before_after = cell(notebook, "before-after")
    assert has_picture(before_after)
    previous = con.execute("SELECT previous_activity FROM previous_steps(?) LIMIT 1", [activity]).fetchone()[0]
    following = con.execute("SELECT next_activity FROM next_steps(?) LIMIT 1", [activity]).fetchone()[0]
    assert previous in shown(before_after) and following in shown(before_after)
    assert has_picture(cell(notebook, "by-segment"))

    # journeys whose first visit of the activity was their last step, abandoned, by platform
    abandoned = con.execute("""
        SELECT coalesce(a.value, '(unknown)') AS platform, list(j.journey_id ORDER BY j.journey_id) AS journey_ids
        FROM journeys AS j
        LEFT JOIN journey_attributes AS a ON a.journey_id = j.journey_id AND a.attribute = 'platform'
        WHERE list_position(j.path, $activity) = len(j.path) AND j.outcome = 'abandoned'
        GROUP BY platform ORDER BY len(journey_ids) DESC, platform LIMIT 1
    """, {"activity": activity}).fetchone()
    platform, journey_ids = abandoned
    behind = shown(cell(notebook, "journeys-behind"))
    assert f"{len(journey_ids):,} journeys: platform = {platform}, {activity} → (end: abandoned)" in behind
    assert journey_ids[0] in behind
    timeline = shown(cell(notebook, "journey-timeline"))
    assert f"journey {journey_ids[0]} (abandoned)" in timeline
    assert activity in timeline
