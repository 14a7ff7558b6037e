"""The journey graph as a networkx DiGraph: touchpoints as nodes, transitions as edges.

The counts come from SQL (`sql/marts/journey_graph_*.sql`); networkx adds what needs the
graph as a whole: which edges are *back edges*, i.e. go against the way most journeys flow.
They are found by a depth-first search from a virtual start node that always follows the
heaviest transition first; an edge into a touchpoint still on the search path closes a
cycle and is a back edge (Cart → Checkout Shipping is forward, Checkout Shipping → Cart
back). The graph is then flattened to one row per edge for Parquet.
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx
import pandas as pd

START = ("", "▶ start")
Touchpoint = tuple[str, str]  # (channel, activity)


def build_journey_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """A DiGraph from the node and edge tables; node keys are (channel, activity).

    `nodes` needs channel, activity, n_starts; `edges` needs source_channel,
    source_activity, target_channel, target_activity, n_transitions. Every other column
    becomes a node or edge attribute.
    """
    graph = nx.DiGraph()
    for row in nodes.to_dict("records"):
        graph.add_node((row["channel"], row["activity"]), **row)
    for row in edges.to_dict("records"):
        graph.add_edge((row["source_channel"], row["source_activity"]),
                       (row["target_channel"], row["target_activity"]), **row)
    for node, n_starts in zip(zip(nodes["channel"], nodes["activity"]), nodes["n_starts"], strict=True):
        if n_starts > 0:
            graph.add_edge(START, node, n_transitions=int(n_starts))
    back_edges = find_back_edges(graph, START)
    nx.set_edge_attributes(graph, {edge: edge in back_edges for edge in graph.edges}, "is_back_edge")
    return graph


def find_back_edges(graph: nx.DiGraph, root: Hashable, weight: str = "n_transitions") -> set[tuple[Hashable, Hashable]]:
    """Edges closing a cycle in a depth-first search from `root` that takes heavier edges first.

    Nodes the search from `root` cannot reach are searched from too, heaviest first, so every
    cycle of the graph has at least one back edge. Ties are broken by node key.
    """
    def successors(node: Hashable) -> list[Hashable]:
        return sorted(graph.successors(node), key=lambda child: (-graph[node][child].get(weight, 0), child))

    state: dict[Hashable, int] = {}  # 1: on the search path, 2: finished
    back: set[tuple[Hashable, Hashable]] = set()
    roots = [root] if root in graph else []
    roots += sorted((n for n in graph if n != root), key=lambda n: (-graph.nodes[n].get("n_events", 0), n))
    for start in roots:
        if start in state:
            continue
        state[start] = 1
        path = [(start, iter(successors(start)))]
        while path:
            node, children = path[-1]
            for child in children:
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    path.append((child, iter(successors(child))))
                    break
            else:
                state[node] = 2
                path.pop()
    return back


def flatten_edges(graph: nx.DiGraph) -> pd.DataFrame:
    """One row per transition between touchpoints (the virtual start node left out)."""
    rows = [
        {**attrs, "is_back_edge": bool(attrs["is_back_edge"]),
         "is_self_loop": source == target}
        for source, target, attrs in graph.edges(data=True)
        if source != START
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["n_transitions", "source_channel", "source_activity", "target_channel", "target_activity"],
        ascending=[False, True, True, True, True],
        ignore_index=True,
    )
