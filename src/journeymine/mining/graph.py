"""The journey graph as a networkx DiGraph: touchpoints as nodes, transitions as edges.

The counts come from SQL (`sql/marts/journey_graph_*.sql`); networkx adds what needs the
graph as a whole: which edges are *back edges*, i.e. go against the way most journeys flow.
Touchpoints are put in the order that leaves the least transition weight pointing
backwards (the Eades–Lin–Smyth heuristic for a minimum feedback arc set); an edge to a
touchpoint earlier in that order is a back edge (Checkout Shipping → Cart, when most
journeys go Cart → Checkout Shipping). The graph is then flattened to one row per edge.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable

import networkx as nx
import pandas as pd


def build_journey_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """A DiGraph from the node and edge tables; node keys are (channel, activity).

    `nodes` needs channel and activity; `edges` needs source_channel, source_activity,
    target_channel, target_activity and n_transitions. Every column becomes a node or edge
    attribute, and each edge gets `is_back_edge`.
    """
    graph = nx.DiGraph()
    for row in nodes.to_dict("records"):
        graph.add_node((row["channel"], row["activity"]), **row)
    for row in edges.to_dict("records"):
        graph.add_edge((row["source_channel"], row["source_activity"]),
                       (row["target_channel"], row["target_activity"]), **row)
    back_edges = find_back_edges(graph)
    nx.set_edge_attributes(graph, {edge: edge in back_edges for edge in graph.edges}, "is_back_edge")
    return graph


def order_touchpoints(graph: nx.DiGraph, weight: str = "n_transitions") -> list[Hashable]:
    """Nodes in an order where the edges pointing backwards carry as little weight as possible.

    Eades, Lin & Smyth (1993): peel off sinks (to the end) and sources (to the front); when
    neither is left, move to the front the node whose outgoing weight most exceeds its
    incoming weight. Self-loops are ignored; ties go to the smallest node key. Degrees are
    kept up to date as nodes leave, and the largest surplus comes from a heap, so this takes
    O(E log V) rather than rescanning every node per step (thousands of page templates).
    """
    successors = {n: {v: d.get(weight, 1) or 0 for v, d in graph.succ[n].items() if v != n} for n in graph}
    predecessors = {n: {u: d.get(weight, 1) or 0 for u, d in graph.pred[n].items() if u != n} for n in graph}
    surplus = {n: sum(successors[n].values()) - sum(predecessors[n].values()) for n in graph}
    remaining = set(graph)
    sinks = {n for n in remaining if not successors[n]}
    sources = {n for n in remaining if not predecessors[n]}
    heap = [(-surplus[n], n) for n in remaining]
    heapq.heapify(heap)
    front: list[Hashable] = []
    back: list[Hashable] = []

    def remove(node: Hashable) -> None:
        remaining.discard(node)
        sinks.discard(node)
        sources.discard(node)
        for succ, w in successors[node].items():
            del predecessors[succ][node]
            surplus[succ] += w
            heapq.heappush(heap, (-surplus[succ], succ))
            if not predecessors[succ]:
                sources.add(succ)
        for pred, w in predecessors[node].items():
            del successors[pred][node]
            surplus[pred] -= w
            heapq.heappush(heap, (-surplus[pred], pred))
            if not successors[pred]:
                sinks.add(pred)

    while remaining:
        peeled = True
        while peeled:
            peeled = False
            for node in sorted(sinks):
                back.append(node)
                remove(node)
                peeled = True
            for node in sorted(sources):
                front.append(node)
                remove(node)
                peeled = True
        while remaining:
            negative, node = heapq.heappop(heap)
            if node in remaining and -negative == surplus[node]:  # skip stale heap entries
                front.append(node)
                remove(node)
                break
    return front + back[::-1]


def find_back_edges(graph: nx.DiGraph, weight: str = "n_transitions") -> set[tuple[Hashable, Hashable]]:
    """Edges to a node earlier in `order_touchpoints`, and self-loops."""
    position = {node: i for i, node in enumerate(order_touchpoints(graph, weight))}
    return {(u, v) for u, v in graph.edges if position[v] <= position[u]}


def flatten_edges(graph: nx.DiGraph) -> pd.DataFrame:
    """One row per transition between touchpoints, with `is_back_edge` and `is_self_loop`."""
    rows = [
        {**attrs, "is_back_edge": bool(attrs["is_back_edge"]), "is_self_loop": source == target}
        for source, target, attrs in graph.edges(data=True)
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["n_transitions", "source_channel", "source_activity", "target_channel", "target_activity"],
        ascending=[False, True, True, True, True],
        ignore_index=True,
    )
