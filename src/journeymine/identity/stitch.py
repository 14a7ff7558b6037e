"""Stitch: one customer_id per person, from an identity graph of hashed identifiers.

Identifiers are the nodes; two identifiers seen on the same record (an identify call, a CRM
row, a call with a customer reference, a logged-in event) are an edge; each connected
component is one customer. A component holding more identifiers of one kind than a person
plausibly has (a shared in-store kiosk, a call-center default number) is split instead of
merged: the identifier linking the most identifiers of that kind is set aside as *shared*,
until every remaining part is plausible. Shared identifiers become pseudo-customers of their own.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from journeymine.config import IdentityConfig
from journeymine.db import Warehouse
from journeymine.schema import IDENTIFIER_KINDS


@dataclass(frozen=True)
class StitchResult:
    """What stitching found: customers, links, and the components it refused to merge."""

    n_identifiers: int
    n_links: int
    n_customers: int
    n_components_split: int
    n_shared_identifiers: int
    shared_identifier_kinds: dict[str, int]
    n_events: int


def customer_id_for(identifier: str) -> str:
    """The customer_id of a component, from its smallest identifier (stable across runs)."""
    return "cu_" + hashlib.md5(identifier.encode("utf-8")).hexdigest()[:16]


def identifier_kind(identifier: str) -> str:
    return identifier.split(":", 1)[0]


def resolve_identities(
    links: pd.DataFrame, max_identifiers_per_kind: Mapping[str, int]
) -> tuple[pd.DataFrame, int]:
    """Connected components of the identity graph, with implausible components split.

    `links` has columns identifier_a, identifier_b ('kind:hash' strings). Returns a frame
    (identifier, customer_id, is_shared) for every identifier in a link, and the number of
    components that were split.
    """
    graph = nx.Graph()
    graph.add_edges_from(zip(links["identifier_a"], links["identifier_b"], strict=True))
    identifiers: list[str] = []
    customers: list[str] = []
    shared: list[bool] = []
    n_split = 0
    for component in nx.connected_components(graph):
        parts, set_aside = split_implausible(graph, component, max_identifiers_per_kind)
        n_split += bool(set_aside)
        for part in parts:
            customer = customer_id_for(min(part))
            for node in sorted(part):
                identifiers.append(node)
                customers.append(customer)
                shared.append(False)
        for node in set_aside:
            identifiers.append(node)
            customers.append(customer_id_for(node))
            shared.append(True)
    frame = pd.DataFrame({"identifier": identifiers, "customer_id": customers, "is_shared": shared})
    return frame.sort_values("identifier", ignore_index=True), n_split


def split_implausible(
    graph: nx.Graph, component: Iterable[str], max_identifiers_per_kind: Mapping[str, int]
) -> tuple[list[set[str]], list[str]]:
    """Split one component until each part is plausible; return the parts and the identifiers set aside.

    The identifier linked to the most identifiers of an over-represented kind is set aside
    (a kiosk device linked to forty accounts, not the account with many devices); ties go to
    the most linked, then the largest key, so the result is deterministic. The rest falls
    apart into components, and each is checked again.
    """
    pending = [set(component)]
    parts: list[set[str]] = []
    set_aside: list[str] = []
    while pending:
        nodes = pending.pop()
        excess = over_represented_kinds(nodes, max_identifiers_per_kind)
        if not excess:
            parts.append(nodes)
            continue
        sub = graph.subgraph(nodes)

        def linking_power(node: str) -> tuple[int, int, str]:
            linked = sum(identifier_kind(n) in excess for n in sub.neighbors(node))
            return linked, sub.degree(node), node

        hub = max(sub.nodes, key=linking_power)
        set_aside.append(hub)
        pending.extend(set(c) for c in nx.connected_components(sub.subgraph(nodes - {hub})))
    return parts, sorted(set_aside)


def over_represented_kinds(nodes: Iterable[str], max_identifiers_per_kind: Mapping[str, int]) -> set[str]:
    """The identifier kinds that occur more often than one person plausibly has them."""
    counts = Counter(identifier_kind(node) for node in nodes)
    return {kind for kind, n in counts.items() if n > max_identifiers_per_kind.get(kind, n)}


def is_plausible(nodes: Iterable[str], max_identifiers_per_kind: Mapping[str, int]) -> bool:
    """True when no identifier kind occurs more often than one person plausibly has."""
    return not over_represented_kinds(nodes, max_identifiers_per_kind)


def stitch_identities(wh: Warehouse, identity: IdentityConfig) -> StitchResult:
    """Build `stitched.identity_map` and `stitched.events` from the staged layer."""
    links = wh.select("stitched/int_identifier_links")
    mapping, n_split = resolve_identities(links, identity.max_identifiers_per_kind)
    wh.execute(
        "CREATE OR REPLACE TABLE stitched.graph_identities (identifier VARCHAR, customer_id VARCHAR, is_shared BOOLEAN)"
    )
    wh.insert_frame("stitched.graph_identities", mapping)
    n_identifiers = wh.build("stitched.identity_map", "stitched/int_identity_map")
    n_events = wh.build(
        "stitched.events", "stitched/int_events_stitched_to_customers", {"kind_priority": list(IDENTIFIER_KINDS)}
    )
    shared = mapping.loc[mapping["is_shared"], "identifier"].map(identifier_kind).value_counts()
    return StitchResult(
        n_identifiers=n_identifiers,
        n_links=len(links),
        n_customers=int(wh.scalar("SELECT count(DISTINCT customer_id) FROM stitched.events")),
        n_components_split=n_split,
        n_shared_identifiers=int(mapping["is_shared"].sum()),
        shared_identifier_kinds={str(k): int(v) for k, v in shared.items()},
        n_events=n_events,
    )
