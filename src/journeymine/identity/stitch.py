"""Stitch: one customer_id per person, from an identity graph of hashed identifiers.

Identifiers are the nodes; two identifiers seen on the same record (an identify call, a CRM
row, a call with a customer reference, a logged-in event) are an edge; each connected
component is one customer. A component holding more identifiers of one kind than a person
plausibly has (a shared in-store kiosk, a call-center default number) is split instead of
merged: the identifier linking the most identifiers of that kind is set aside as *shared*,
until every remaining part is plausible. Shared identifiers become pseudo-customers of their own.

The graph is held as arrays: identifiers get node numbers in SQL, scipy finds the connected
components of millions of nodes in C, and only the few implausible components are split with
networkx. Records are resolved per distinct identifier list (`stitched.identity_sets`), not
per event: every page view of a signed-in visit carries the same list.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from journeymine.config import IdentityConfig
from journeymine.db import Warehouse, model_sql
from journeymine.errors import JourneymineError
from journeymine.identity.audit import compare_identities
from journeymine.schema import IDENTIFIER_KINDS

log = logging.getLogger(__name__)


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
    # customers whose identity records (CRM rows) disagree on an attribute; the latest record wins
    conflicting_records: dict[str, int]
    # identifiers set aside as shared because they carry an implausible share of all records
    # (a default account, a switchboard), by kind
    over_share_identifiers: dict[str, int]
    # merges, splits and re-keyed customers since the previous published run (identity.audit)
    identity_changes: dict[str, Any]


def customer_id_for(identifier: str) -> str:
    """The customer_id of a component, from its anchor (anchor_key ranks them; stable across runs)."""
    return "cu_" + hashlib.md5(identifier.encode("utf-8")).hexdigest()[:16]


def anchor_key(identifier: str) -> tuple[int, str]:
    """How identifiers rank as a component's anchor, which names it: the strongest kind first
    (customer_ref > loyalty_id > email > phone > anonymous_id), then the smallest; as
    sql/stitched/int_identity_map.sql ranks them."""
    kind = identifier_kind(identifier)
    return (IDENTIFIER_KINDS.index(kind) if kind in IDENTIFIER_KINDS else len(IDENTIFIER_KINDS), identifier)


def identifier_kind(identifier: str) -> str:
    return identifier.split(":", 1)[0]


def component_parts(
    kinds: np.ndarray, node_a: np.ndarray, node_b: np.ndarray, max_identifiers_per_kind: Mapping[str, int],
    names: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The identity graph's components, implausible ones split.

    Nodes are 0 … n-1 with their kind in `kinds`; edges are (node_a[i], node_b[i]). Returns
    each node's part (nodes of one part are one customer), whether it was set aside as
    shared (a part of its own), and the number of components split. `names` (the identifiers)
    break ties when a component is split, as `split_implausible` says.
    """
    n = len(kinds)
    graph = coo_matrix((np.ones(len(node_a), dtype=np.int8), (node_a, node_b)), shape=(n, n))
    _, part = connected_components(graph, directed=False)
    part = part.astype(np.int64)
    shared = np.zeros(n, dtype=bool)
    suspects = _implausible_components(part, kinds, max_identifiers_per_kind)
    if not suspects.size:
        return part, shared, 0
    names = names if names is not None else np.array([f"{k}:{i}" for i, k in enumerate(kinds)], dtype=object)
    in_suspect = np.isin(part, suspects)
    nodes = np.flatnonzero(in_suspect)
    edge_mask = in_suspect[node_a]
    subgraph = nx.Graph()
    subgraph.add_nodes_from(names[nodes])
    subgraph.add_edges_from(zip(names[node_a[edge_mask]], names[node_b[edge_mask]], strict=True))
    node_of = {names[i]: i for i in nodes}
    next_part = int(part.max()) + 1
    n_split = 0
    for component in nx.connected_components(subgraph):
        pieces, set_aside = split_implausible(subgraph, component, max_identifiers_per_kind)
        if not set_aside:
            continue
        n_split += 1
        for piece in [*pieces, *({node} for node in set_aside)]:
            part[[node_of[name] for name in piece]] = next_part
            next_part += 1
        shared[[node_of[name] for name in set_aside]] = True
    return part, shared, n_split


def _implausible_components(part: np.ndarray, kinds: np.ndarray, limits: Mapping[str, int]) -> np.ndarray:
    """The components holding more identifiers of some kind than its limit."""
    suspects = []
    for kind, limit in limits.items():
        of_kind = part[kinds == kind]
        if of_kind.size:
            counts = np.bincount(of_kind)
            suspects.append(np.flatnonzero(counts > limit))
    return np.unique(np.concatenate(suspects)) if suspects else np.array([], dtype=np.int64)


def resolve_identities(
    links: pd.DataFrame, max_identifiers_per_kind: Mapping[str, int]
) -> tuple[pd.DataFrame, int]:
    """Connected components of the identity graph, with implausible components split.

    `links` has columns identifier_a, identifier_b ('kind:hash' strings). Returns a frame
    (identifier, customer_id, is_shared) for every identifier in a link, sorted by identifier,
    and the number of components that were split.
    """
    names = np.array(sorted(set(links["identifier_a"]) | set(links["identifier_b"])), dtype=object)
    position = {name: i for i, name in enumerate(names)}
    node_a = np.array([position[n] for n in links["identifier_a"]], dtype=np.int64)
    node_b = np.array([position[n] for n in links["identifier_b"]], dtype=np.int64)
    kinds = np.array([identifier_kind(n) for n in names], dtype=object)
    part, shared, n_split = component_parts(kinds, node_a, node_b, max_identifiers_per_kind, names)
    anchor: dict[int, str] = {}
    for name, p in zip(names, part, strict=True):
        anchor[int(p)] = min(anchor.get(int(p), name), name, key=anchor_key)
    frame = pd.DataFrame({
        "identifier": names,
        "customer_id": [customer_id_for(anchor[int(p)]) for p in part],
        "is_shared": shared,
    })
    return frame, n_split


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


def stitch_identities(wh: Warehouse, identity: IdentityConfig, sources: Iterable[str]) -> StitchResult:
    """Build the identity graph (`stitched.identifiers`, `stitched.identity_map`), resolve every
    identity set to its customer, compare who is who with the previous published run
    (`stitched.identity_changes`), and write `stitched.events` for the sources `sources` (in
    config order: it breaks timestamp ties)."""
    wh.build("stitched.identity_sets", "stitched/int_identity_sets")
    if wh.scalar("SELECT count(*) FROM stitched.identity_sets WHERE n_lists > 1"):
        raise JourneymineError("two different identifier lists share an identity key; report this as a bug")
    n_identifiers = wh.build("stitched.identifiers", "stitched/int_identifiers_numbered")
    n_links = wh.build("stitched.identifier_links", "stitched/int_identifier_links")
    nodes = wh.con.execute("SELECT kind, identifier FROM stitched.identifiers ORDER BY node").fetchnumpy()
    edges = wh.con.execute("SELECT node_a, node_b FROM stitched.identifier_links").fetchnumpy()
    kinds = np.asarray(nodes["kind"], dtype=object)
    node_a, node_b = np.asarray(edges["node_a"], dtype=np.int64), np.asarray(edges["node_b"], dtype=np.int64)
    heavy = over_share_nodes(wh, n_identifiers, identity.max_identifier_share)
    if heavy.any():  # set aside before the components: such an identifier links no one to anyone
        keep = ~(heavy[node_a] | heavy[node_b])
        node_a, node_b = node_a[keep], node_b[keep]
    part, shared, n_split = component_parts(
        kinds, node_a, node_b, identity.max_identifiers_per_kind, np.asarray(nodes["identifier"], dtype=object),
    )
    shared |= heavy  # each is a component of its own already (its links are gone)
    over_share = Counter(kinds[heavy])
    if over_share:
        log.warning("identifiers on more than %.1f%% of all records set aside as shared (not one person): %s",
                    100 * identity.max_identifier_share, ", ".join(f"{n} {kind}" for kind, n in over_share.items()))
    wh.register("_jm_graph", pd.DataFrame({"node": np.arange(n_identifiers, dtype=np.int32), "part": part,
                                           "is_shared": shared}))
    wh.execute("CREATE OR REPLACE TABLE stitched.graph_identities AS SELECT * FROM _jm_graph")
    wh.con.unregister("_jm_graph")
    wh.build("stitched.identity_map", "stitched/int_identity_map", {"kind_priority": list(IDENTIFIER_KINDS)})
    wh.build("stitched.identity_sets_resolved", "stitched/int_identity_sets_resolved",
             {"kind_priority": list(IDENTIFIER_KINDS)})
    # against the identity map the previous published run kept (identity.*, audit.keep_identity)
    changes = compare_identities(wh)
    n_events = wh.build("stitched.events", "stitched/int_events_stitched_to_customers", {"sources": list(sources)})
    shared_kinds = Counter(kinds[shared])
    conflicts = dict(wh.rows(model_sql("stitched/int_identity_conflicts")))
    if conflicts:
        log.warning("identity records disagree for some customers (the latest record wins): %s",
                    ", ".join(f"{attribute} for {n:,} customers" for attribute, n in conflicts.items()))
    return StitchResult(
        n_identifiers=n_identifiers,
        n_links=n_links,
        n_customers=int(wh.scalar("SELECT count(DISTINCT customer_id) FROM stitched.events")),
        n_components_split=n_split,
        n_shared_identifiers=int(shared.sum()),
        shared_identifier_kinds={str(k): int(v) for k, v in sorted(shared_kinds.items(), key=lambda kv: -kv[1])},
        n_events=n_events,
        conflicting_records={str(k): int(v) for k, v in conflicts.items()},
        over_share_identifiers={str(k): int(v) for k, v in sorted(over_share.items())},
        identity_changes=changes.to_dict(),
    )


# an identifier needs at least this many records before its share can make it implausible
MIN_RECORDS_FOR_SHARE = 1000


def over_share_nodes(wh: Warehouse, n_nodes: int, max_share: float) -> np.ndarray:
    """A mask over the identity graph's nodes: the identifiers carried by more than `max_share`
    of all records (events and identity records) and by at least MIN_RECORDS_FOR_SHARE."""
    rows = wh.rows(
        """
        WITH per_identifier AS (
            SELECT i.kind || ':' || i.id AS identifier, sum(n_records) AS n
            FROM (SELECT unnest(identifiers) AS i, n_records FROM staged.identity_sets)
            GROUP BY ALL
        )
        SELECT node FROM per_identifier JOIN stitched.identifiers USING (identifier)
        WHERE n >= $min_records AND n > $max_share * (SELECT sum(n_records) FROM staged.identity_sets)
        """,
        {"min_records": MIN_RECORDS_FOR_SHARE, "max_share": max_share},
    )
    mask = np.zeros(n_nodes, dtype=bool)
    mask[[int(node) for (node,) in rows]] = True
    return mask
