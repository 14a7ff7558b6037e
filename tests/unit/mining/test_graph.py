"""The journey graph (src/journeymine/mining/graph.py): back edges, self-loops and the flattened edge table."""

from __future__ import annotations

import random

import networkx as nx
import pandas as pd
import pytest

from journeymine.mining.graph import build_journey_graph, find_back_edges, flatten_edges, order_touchpoints


def graph_tables(
    starts: dict[str, int], transitions: list[tuple[str, str, int]], channel: str = "web"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables as the marts give them, for touchpoints of one channel.

    `starts` maps each activity to its n_starts; n_events is the weight flowing into the node."""
    activities = sorted(set(starts) | {a for s, t, _ in transitions for a in (s, t)})
    inflow = {a: starts.get(a, 0) + sum(n for _, t, n in transitions if t == a) for a in activities}
    nodes = pd.DataFrame(
        {"channel": channel, "activity": a, "n_starts": starts.get(a, 0), "n_events": inflow[a]} for a in activities
    )
    edges = pd.DataFrame(
        [
            {"source_channel": channel, "source_activity": s, "target_channel": channel, "target_activity": t,
             "n_transitions": n}
            for s, t, n in transitions
        ],
        columns=["source_channel", "source_activity", "target_channel", "target_activity", "n_transitions"],
    )
    return nodes, edges


def back_edges_of(nodes: pd.DataFrame, edges: pd.DataFrame) -> set[tuple[str, str]]:
    """(source_activity, target_activity) of the flattened back edges."""
    flat = flatten_edges(build_journey_graph(nodes, edges))
    if flat.empty:
        return set()
    back = flat[flat["is_back_edge"]]
    return set(zip(back["source_activity"], back["target_activity"], strict=True))


CHECKOUT = [
    ("Home", "Cart", 10),
    ("Cart", "Shipping", 9),
    ("Shipping", "Cart", 2),
    ("Shipping", "Payment", 7),
    ("Payment", "Order Completed", 6),
]


def test_the_lighter_direction_of_a_cycle_is_the_back_edge() -> None:
    """With Cart→Shipping heavy and Shipping→Cart light, Shipping→Cart goes against the flow."""
    assert back_edges_of(*graph_tables({"Home": 10}, CHECKOUT)) == {("Shipping", "Cart")}


def test_back_edge_follows_the_weights_not_the_names() -> None:
    """Swapping which direction is heavy swaps which one is the back edge."""
    flipped = [("Home", "Shipping", 10), ("Shipping", "Cart", 9), ("Cart", "Shipping", 2)]
    assert back_edges_of(*graph_tables({"Home": 10}, flipped)) == {("Cart", "Shipping")}


def test_the_lighter_direction_is_the_back_edge_when_the_search_meets_the_far_end_first() -> None:
    """Most journeys go Cart→Shipping (20 vs 2), so Shipping→Cart is the back edge even though
    more journeys skip the cart (Home→Shipping 30) than go through it (Home→Cart 20).
    (A depth-first search taking the heaviest edge first got this wrong.)"""
    transitions = [("Home", "Shipping", 30), ("Home", "Cart", 20), ("Cart", "Shipping", 20), ("Shipping", "Cart", 2)]
    assert back_edges_of(*graph_tables({"Home": 100}, transitions)) == {("Shipping", "Cart")}


def test_a_self_loop_is_a_back_edge_and_flagged() -> None:
    """A step repeated in place (Cart→Cart) is a back edge and is_self_loop; no other edge is a self-loop."""
    nodes, edges = graph_tables({"Home": 10}, [("Home", "Cart", 10), ("Cart", "Cart", 3), ("Cart", "Shipping", 8)])
    flat = flatten_edges(build_journey_graph(nodes, edges))
    by_edge = {(r.source_activity, r.target_activity): r for r in flat.itertuples()}
    assert by_edge[("Cart", "Cart")].is_back_edge and by_edge[("Cart", "Cart")].is_self_loop
    assert not by_edge[("Home", "Cart")].is_self_loop and not by_edge[("Cart", "Shipping")].is_self_loop
    assert {k for k, r in by_edge.items() if r.is_back_edge} == {("Cart", "Cart")}


def test_an_acyclic_graph_has_no_back_edges() -> None:
    """Without a cycle nothing goes against the flow."""
    transitions = [("Home", "Cart", 5), ("Home", "Search", 4), ("Search", "Cart", 3), ("Cart", "Shipping", 6)]
    nodes, edges = graph_tables({"Home": 5, "Search": 1}, transitions)
    graph = build_journey_graph(nodes, edges)
    assert find_back_edges(graph) == set()
    assert not flatten_edges(graph)["is_back_edge"].any()


def test_ties_are_broken_by_node_key() -> None:
    """Equal weights everywhere: the smaller key comes first, so the edge back to it is the back edge."""
    transitions = [("A", "B", 5), ("B", "A", 5)]
    assert back_edges_of(*graph_tables({"A": 3, "B": 3}, transitions)) == {("B", "A")}


def test_back_edges_do_not_depend_on_row_order() -> None:
    """The same tables with rows in another order give the same back edges and the same flat table."""
    transitions = [("A", "B", 4), ("B", "A", 4), ("B", "C", 4), ("C", "A", 4), ("C", "B", 4), ("A", "C", 4)]
    nodes, edges = graph_tables({"A": 2, "B": 2, "C": 2}, transitions)
    first = flatten_edges(build_journey_graph(nodes, edges))
    for seed in range(5):
        shuffled_nodes = nodes.sample(frac=1, random_state=seed).reset_index(drop=True)
        shuffled_edges = edges.sample(frac=1, random_state=seed).reset_index(drop=True)
        again = flatten_edges(build_journey_graph(shuffled_nodes, shuffled_edges))
        pd.testing.assert_frame_equal(first, again)


def test_removing_the_back_edges_leaves_no_cycle() -> None:
    """Every cycle has at least one back edge, including cycles the start node cannot reach."""
    rng = random.Random(7)
    names = [f"s{i:02d}" for i in range(15)]
    transitions = [(a, b, rng.randint(1, 20)) for a in names for b in names if rng.random() < 0.2]
    starts = {names[0]: 10}  # most nodes are only reachable through transitions, some not at all
    nodes, edges = graph_tables(starts, transitions)
    graph = build_journey_graph(nodes, edges)
    back = find_back_edges(graph)
    assert back  # the random graph does have cycles
    forward = nx.DiGraph([edge for edge in graph.edges if edge not in back])
    assert nx.is_directed_acyclic_graph(forward)


def test_a_cycle_nobody_starts_in_gets_its_lightest_edge_as_back_edge() -> None:
    """A cycle of touchpoints no journey starts at has exactly one back edge: its lightest."""
    nodes, edges = graph_tables({}, [("X", "Y", 5), ("Y", "Z", 5), ("Z", "X", 1)])
    graph = build_journey_graph(nodes, edges)
    assert find_back_edges(graph) == {(("web", "Z"), ("web", "X"))}


def test_order_puts_sources_first_and_sinks_last() -> None:
    """Where journeys start comes first and where they end comes last."""
    nodes, edges = graph_tables({"Home": 10}, CHECKOUT)
    order = [activity for _, activity in order_touchpoints(build_journey_graph(nodes, edges))]
    assert order[0] == "Home" and order[-1] == "Order Completed"
    assert order.index("Cart") < order.index("Shipping") < order.index("Payment")


def test_flat_edges_keep_the_counts() -> None:
    """flatten_edges gives one row per transition, heaviest first."""
    nodes, edges = graph_tables({"Home": 10}, CHECKOUT)
    flat = flatten_edges(build_journey_graph(nodes, edges))
    assert len(flat) == len(CHECKOUT)
    assert list(flat["n_transitions"]) == sorted((n for _, _, n in CHECKOUT), reverse=True)
    assert {"source_channel", "target_channel", "is_back_edge", "is_self_loop"} <= set(flat.columns)


def test_cross_channel_touchpoints_are_distinct_nodes() -> None:
    """A touchpoint is (channel, activity): the same activity name in two channels is two nodes."""
    nodes = pd.DataFrame([
        {"channel": "web", "activity": "Help", "n_starts": 5, "n_events": 5},
        {"channel": "app", "activity": "Help", "n_starts": 0, "n_events": 4},
    ])
    edges = pd.DataFrame([{"source_channel": "web", "source_activity": "Help", "target_channel": "app",
                           "target_activity": "Help", "n_transitions": 4}])
    flat = flatten_edges(build_journey_graph(nodes, edges))
    assert len(flat) == 1
    assert not flat["is_self_loop"].iloc[0] and not flat["is_back_edge"].iloc[0]


def _order_touchpoints_by_rescanning(graph: nx.DiGraph, weight: str = "n_transitions") -> list:
    """The textbook Eades–Lin–Smyth loop, rescanning every node per step: the reference."""
    remaining = nx.DiGraph(graph)
    remaining.remove_edges_from(list(nx.selfloop_edges(remaining)))
    front: list = []
    back: list = []
    while remaining:
        peeled = True
        while peeled:
            peeled = False
            for node in sorted(n for n in remaining if remaining.out_degree(n) == 0):
                back.append(node)
                remaining.remove_node(node)
                peeled = True
            for node in sorted(n for n in remaining if remaining.in_degree(n) == 0):
                front.append(node)
                remaining.remove_node(node)
                peeled = True
        if remaining:
            node = max(sorted(remaining), key=lambda n: remaining.out_degree(n, weight=weight) - remaining.in_degree(n, weight=weight))
            front.append(node)
            remaining.remove_node(node)
    return front + back[::-1]


@pytest.mark.parametrize("seed", range(40))
def test_fast_ordering_equals_the_rescanning_reference(seed: int) -> None:
    """The heap-based ordering gives exactly the order of the rescanning loop, ties included."""
    rng = random.Random(seed)
    n_nodes = rng.randint(1, 30)
    graph = nx.DiGraph()
    graph.add_nodes_from(("web", f"page {i:02d}") for i in range(n_nodes))
    nodes = sorted(graph)
    for _ in range(rng.randint(0, n_nodes * 4)):
        u, v = rng.choice(nodes), rng.choice(nodes)
        graph.add_edge(u, v, n_transitions=rng.choice([1, 1, 2, 3, 10]))
    assert order_touchpoints(graph) == _order_touchpoints_by_rescanning(graph)
