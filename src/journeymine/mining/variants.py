"""Process mining over journeys: variants, the directly-follows graph, drop-offs, and the
discovered process model.

Everything here counts in DuckDB SQL (the models under `sql/journeys` and `sql/marts`), on
the steps `journeymine.journeys.labels` builds (journeys.step_codes) and marts.journeys:

    step_codes, journeys → variants, journey_graph_nodes, journey_graph_edges → dropoffs

On a log whose timestamps do not tie, and with label hygiene off, the counts equal pm4py's
(`discover_dfg`, `get_variants`, `get_start_activities`, `get_end_activities`) and the
edge times its `discover_performance_dfg`; tests/unit/mining/test_mining_vs_pm4py.py checks it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from journeymine.config import MiningConfig
from journeymine.db import Warehouse
from journeymine.mining.discovery import ModelResult, discover_process_model
from journeymine.mining.graph import build_journey_graph, flatten_edges

log = logging.getLogger(__name__)


def build_process_marts(wh: Warehouse) -> dict[str, int]:
    """Variants, journey graph nodes and edges (with back edges from networkx), drop-offs.

    Reads journeys.step_codes and marts.journeys; returns the row counts.
    """
    wh.build("journeys.touchpoint_paths", "journeys/int_touchpoint_paths_counted")  # read by nodes and edges
    counts = {
        "n_variants": wh.build("marts.variants", "marts/variants"),
        "n_nodes": wh.build("marts.journey_graph_nodes", "marts/journey_graph_nodes"),
    }
    # counts and times come from SQL; networkx adds which edges point backwards
    wh.build("marts.journey_graph_edges", "marts/journey_graph_edges")
    graph = build_journey_graph(
        wh.df("SELECT * FROM marts.journey_graph_nodes"), wh.df("SELECT * FROM marts.journey_graph_edges")
    )
    edges = flatten_edges(graph)
    wh.execute("DELETE FROM marts.journey_graph_edges")
    wh.execute("ALTER TABLE marts.journey_graph_edges ADD COLUMN is_back_edge BOOLEAN")
    wh.execute("ALTER TABLE marts.journey_graph_edges ADD COLUMN is_self_loop BOOLEAN")
    if not edges.empty:
        wh.insert_frame("marts.journey_graph_edges", edges)
    counts["n_edges"] = len(edges)
    counts["n_back_edges"] = int(edges["is_back_edge"].sum()) if not edges.empty else 0
    counts["n_dropoff_rows"] = wh.build("marts.dropoffs", "marts/dropoffs")
    return counts


def discover_model(wh: Warehouse, settings: MiningConfig, out_dir: Path) -> ModelResult:
    """pm4py's inductive miner on the variants covering `settings.model_coverage` of the
    journeys (at most `settings.max_model_variants`): `process_model.bpmn` and
    `process_model.pnml` in `out_dir`, and the coverage reached."""
    variants = wh.df("SELECT variant, n_journeys FROM marts.variants")
    result = discover_process_model(
        variants, coverage=settings.model_coverage, noise_threshold=settings.noise_threshold, out_dir=out_dir,
        max_variants=settings.max_model_variants,
    )
    log.info(
        "process model: %d of %d variants, covering %.1f%% of journeys (target %.0f%%, noise threshold %.2f)",
        result.n_variants_used, result.n_variants_total, 100 * result.share_covered,
        100 * settings.model_coverage, settings.noise_threshold,
    )
    return result
