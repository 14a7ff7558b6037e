"""The Sankey of the top paths, laid out in `sankey_layout` (numbers only, testable) and
drawn by `sankey_svg`:
drawn by `sankey_svg`:
  * columns are step positions (step 1 … step N), then a '…' column for paths longer than N
    steps, then an outcome column (converted / still open / ended / abandoned);
  * nodes are (position, activity); every top path runs from its first step to an outcome,
    and all other journeys run from an 'other paths' node to theirs, so every column holds
    all journeys: a link that skips columns (a short path on its way to its outcome) passes
    through a 'pass' node in each column it crosses, which reserves its room there;
  * node order: barycentre sweeps (each node moves to the mean position of its neighbours,
    weighted by journeys), left to right and back, a few times; 'other paths' stays at the
    bottom and outcomes keep a fixed order;
  * node heights are proportional to journeys; vertical positions are relaxed towards the
    neighbours' (so straight flows look straight) and then pushed apart by a fixed padding;
  * links are cubic Béziers with a stroke as thick as their journeys, stacked at each node in
    the order of the nodes they lead to, which avoids crossings inside a node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pandas as pd

from journeymine.outputs.report.charts.svg import svg_open, svg_text
from journeymine.outputs.report.format import (
    ACCENT_DARK, INK, MUTED, OUTCOME_COLORS, OUTCOME_LABELS, OUTCOMES, esc, fmt_int, fmt_pct, is_missing, number,
    truncate,
)

NodeKey = tuple[Any, ...]


@dataclass
class SankeyNode:
    """A box in one column; kind is step, more ('…'), other, outcome, or pass (a link crossing)."""

    key: NodeKey
    column: int
    kind: str
    label: str
    value: float = 0.0
    y0: float = 0.0
    y1: float = 0.0

    @property
    def center(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class SankeyLink:
    """Journeys from one drawn node to the next: `route` is the source, the pass nodes it
    crosses and the target; `ys` the (leaving, arriving) y of each hop between them."""

    route: list[NodeKey]
    value: float
    outcome: str | None = None
    ys: list[tuple[float, float]] = field(default_factory=list)

    @property
    def source(self) -> NodeKey:
        return self.route[0]

    @property
    def target(self) -> NodeKey:
        return self.route[-1]


@dataclass
class SankeyLayout:
    """Nodes with y positions (px, from the top of the flow area), links with their hops, and
    the numbers the caption states. x positions follow from the column and the width."""

    nodes: dict[NodeKey, SankeyNode]
    links: list[SankeyLink]
    columns: list[list[NodeKey]]
    column_titles: list[str]
    total: float
    n_paths: int
    n_top: float
    width: float
    height: float
    scale: float
    node_width: float = 10.0
    label_margin: float = 160.0

    @property
    def coverage(self) -> float:
        return self.n_top / self.total if self.total else 0.0

    def column_values(self) -> list[float]:
        """Journeys in each column, pass nodes included: every one equals `total`."""
        return [sum(self.nodes[k].value for k in column) for column in self.columns]

    def x(self, column: int) -> float:
        step = (self.width - self.label_margin - self.node_width) / max(len(self.columns) - 1, 1)
        return column * step


def sankey_layout(variants: pd.DataFrame, *, top_k: int = 12, max_steps: int = 6, total: float | None = None,
                  width: float = 1120, flow_height: float = 340, padding: float = 14) -> SankeyLayout | None:
    """Lay out the top `top_k` variants (first `max_steps` steps each) and an 'other paths' flow.

    `variants` needs variant (list of activities) and n_journeys; n_converted, n_abandoned
    and n_open, when present, split each path's end into outcomes (the rest is 'ended').
    `total` (the run's journeys) defaults to the journeys of the whole table; journeys it has
    beyond the top paths go through 'other paths'. None when there is no path to draw.
    """
    flows = _sankey_flows(variants, top_k, max_steps, total)
    if flows is None:
        return None
    nodes, links = _build_graph(flows)
    columns = _order_columns(nodes, links, len(flows.titles))
    scale = flow_height / flows.total
    height = flow_height + padding * (max(len(c) for c in columns) - 1)
    _place_nodes(nodes, columns, links, height, padding, scale)
    _place_links(nodes, links, scale)
    return SankeyLayout(nodes, links, columns, flows.titles, flows.total, flows.n_paths, flows.n_top, width, height,
                        scale)


@dataclass
class _Flows:
    """Journeys from node to node (keys: ('step', position, activity), ('more',), ('other',),
    ('outcome', outcome)), each node's column, the column titles, and the caption's counts."""

    journeys: dict[tuple[NodeKey, NodeKey], float]
    columns: dict[NodeKey, int]
    titles: list[str]
    n_paths: int
    n_top: float
    total: float


def _outcome_counts(n: float, row: dict[str, Any]) -> dict[str, float]:
    """n journeys split by outcome; what the counts do not cover is 'ended'."""
    counts = {o: number(row.get(f"n_{o}")) for o in ("converted", "open", "abandoned")}
    counts["ended"] = max(n - sum(counts.values()), 0.0)
    return counts


def _sankey_flows(variants: pd.DataFrame, top_k: int, max_steps: int, total: float | None) -> _Flows | None:
    """The top paths, cut after `max_steps` steps, and the other-paths flow, as node-to-node journeys."""
    if variants.empty:
        return None
    top = variants[variants["variant"].map(len) > 0].sort_values("n_journeys", ascending=False, kind="stable")
    top = top.head(top_k)
    paths = [[str(a) for a in v] for v in top["variant"]]
    n_top = float(top["n_journeys"].sum())
    total = max(float(variants["n_journeys"].sum() if is_missing(total) else total), n_top)
    if not paths or total <= 0:
        return None
    flows: dict[tuple[NodeKey, NodeKey], float] = defaultdict(float)

    def add_route(keys: list[NodeKey], n: float, outcomes: dict[str, float]) -> None:
        for a, b in pairwise(keys):
            flows[a, b] += n
        for outcome, k in outcomes.items():
            if k > 0:
                flows[keys[-1], ("outcome", outcome)] += k

    for path, row in zip(paths, top.to_dict("records"), strict=True):
        keys: list[NodeKey] = [("step", i, a) for i, a in enumerate(path[:max_steps])]
        keys += [("more",)] if len(path) > max_steps else []
        add_route(keys, float(row["n_journeys"]), _outcome_counts(float(row["n_journeys"]), row))
    if total > n_top:
        rest = variants.drop(top.index).sum(numeric_only=True).to_dict()
        add_route([("other",)], total - n_top, _outcome_counts(total - n_top, rest))
    n_steps = min(max_steps, max(map(len, paths)))
    has_more = any(len(p) > max_steps for p in paths)
    fixed = {"more": n_steps, "other": 0, "outcome": n_steps + int(has_more)}
    columns = {k: k[1] if k[0] == "step" else fixed[k[0]] for pair in flows for k in pair}
    titles = [f"step {i + 1}" for i in range(n_steps)] + (["later steps"] if has_more else []) + ["outcome"]
    return _Flows(dict(flows), columns, titles, len(paths), n_top, total)


def _node_label(key: NodeKey) -> str:
    kind = key[0]
    if kind == "step":
        return str(key[2])
    return {"more": "… more steps", "other": "other paths", "pass": ""}.get(kind) or OUTCOME_LABELS[key[1]]


def _build_graph(flows: _Flows) -> tuple[dict[NodeKey, SankeyNode], list[SankeyLink]]:
    """Nodes (values = the larger of journeys in and out) and links. Flows that skip columns
    (a path that ended early, on its way to its outcomes) leave their node as one trunk of
    pass nodes, one per column crossed, and split into outcomes only at the last column."""
    inflow: dict[NodeKey, float] = defaultdict(float)
    outflow: dict[NodeKey, float] = defaultdict(float)
    for (a, b), n in flows.journeys.items():
        outflow[a] += n
        inflow[b] += n
    nodes = {k: SankeyNode(k, column, k[0], _node_label(k), max(inflow[k], outflow[k]))
             for k, column in flows.columns.items()}
    links, trunks = [], {}
    for (a, b), n in sorted(flows.journeys.items(), key=lambda item: (-item[1], str(item[0]))):
        source = a
        if nodes[b].column - nodes[a].column > 1:
            if a not in trunks:
                route = [a] + [("pass", c, a) for c in range(nodes[a].column + 1, nodes[b].column)]
                trunks[a] = SankeyLink(route, 0.0)
                links.append(trunks[a])
                nodes.update({k: SankeyNode(k, k[1], "pass", nodes[a].label) for k in route[1:]})
            trunks[a].value += n
            for key in trunks[a].route[1:]:
                nodes[key].value += n
            source = trunks[a].target
        links.append(SankeyLink([source, b], n, b[1] if b[0] == "outcome" else None))
    return nodes, links


def _hops(links: list[SankeyLink]) -> Iterable[tuple[NodeKey, NodeKey, float]]:
    for link in links:
        for a, b in pairwise(link.route):
            yield a, b, link.value


def _pin(node: SankeyNode) -> tuple[int, float]:
    """Fixed places: outcomes in OUTCOMES order; the other-paths flow at the bottom."""
    if node.kind == "outcome":
        return 0, OUTCOMES.index(node.key[1])
    on_other = node.kind == "other" or (node.kind == "pass" and node.key[2] == ("other",))
    return (1 if on_other else 0), 0.0


def _order_columns(nodes: dict[NodeKey, SankeyNode], links: list[SankeyLink], n_columns: int,
                   sweeps: int = 4) -> list[list[NodeKey]]:
    """Top-to-bottom order of each column by barycentre sweeps (see the module docstring)."""
    before: dict[NodeKey, list[tuple[NodeKey, float]]] = defaultdict(list)
    after: dict[NodeKey, list[tuple[NodeKey, float]]] = defaultdict(list)
    for a, b, n in _hops(links):
        before[b].append((a, n))
        after[a].append((b, n))
    columns: list[list[NodeKey]] = [[] for _ in range(n_columns)]
    for key in sorted(nodes, key=lambda k: (-nodes[k].value, str(k))):
        columns[nodes[key].column].append(key)
    columns[0].sort(key=lambda k: _pin(nodes[k]))

    def centres(column: list[NodeKey]) -> dict[NodeKey, float]:
        position, out = 0.0, {}
        for key in column:
            out[key] = position + nodes[key].value / 2
            position += nodes[key].value
        return out

    def reorder(index: int, neighbours: dict[NodeKey, list[tuple[NodeKey, float]]], reference: list[NodeKey]) -> None:
        at, own = centres(reference), centres(columns[index])

        def barycentre(key: NodeKey) -> float:
            near = [(at[k], n) for k, n in neighbours[key] if k in at]
            weight = sum(n for _, n in near)
            return sum(c * n for c, n in near) / weight if weight else own[key]

        columns[index].sort(key=lambda k: (*_pin(nodes[k]), barycentre(k)))

    for _ in range(sweeps):
        for i in range(1, n_columns):
            reorder(i, before, columns[i - 1])
        for i in range(n_columns - 2, -1, -1):
            reorder(i, after, columns[i + 1])
    return columns


def _place_nodes(nodes: dict[NodeKey, SankeyNode], columns: list[list[NodeKey]], links: list[SankeyLink],
                 height: float, padding: float, scale: float, iterations: int = 6) -> None:
    """y0/y1 of every node: heights ∝ journeys (`scale` px each), stacked in order, then
    relaxed towards the mean height of their neighbours and pushed apart again (as
    d3-sankey does)."""
    for column in columns:
        y = 0.0
        for key in column:
            nodes[key].y0, nodes[key].y1 = y, y + nodes[key].value * scale
            y = nodes[key].y1 + padding
    hops = list(_hops(links))
    for i in range(iterations):
        alpha = 0.99 ** i
        order = range(1, len(columns)) if i % 2 == 0 else range(len(columns) - 2, -1, -1)
        for index in order:
            for key in columns[index]:
                near = [(nodes[a if b == key else b].center, n) for a, b, n in hops if key in (a, b)]
                if near:
                    target = sum(c * n for c, n in near) / sum(n for _, n in near)
                    shift = (target - nodes[key].center) * alpha
                    nodes[key].y0 += shift
                    nodes[key].y1 += shift
            _resolve_collisions([nodes[k] for k in columns[index]], height, padding)


def _resolve_collisions(column: list[SankeyNode], height: float, padding: float) -> None:
    """Keep the column's order, at least `padding` apart, inside 0…height."""
    y = 0.0
    for node in column:
        if node.y0 < y:
            node.y1 += y - node.y0
            node.y0 = y
        y = node.y1 + padding
    y = height
    for node in reversed(column):
        if node.y1 > y:
            node.y0 -= node.y1 - y
            node.y1 = y
        y = node.y0 - padding


def _place_links(nodes: dict[NodeKey, SankeyNode], links: list[SankeyLink], scale: float) -> None:
    """Each hop's leaving and arriving y: bands stacked at each node in the order of the
    nodes at their other end, so bands do not cross inside a node."""
    hops = [(link, i, a, b) for link in links for i, (a, b) in enumerate(pairwise(link.route))]
    leaving: dict[tuple[int, int], float] = {}
    arriving: dict[tuple[int, int], float] = {}
    for at, other, store in ((2, 3, leaving), (3, 2, arriving)):  # hop = (link, i, from, to)
        by_node: dict[NodeKey, list[tuple[SankeyLink, int, NodeKey, NodeKey]]] = defaultdict(list)
        for hop in hops:
            by_node[hop[at]].append(hop)
        for key, group in by_node.items():
            group.sort(key=lambda h: (nodes[h[other]].center, nodes[h[0].target].center, -h[0].value))
            y = nodes[key].y0
            for link, i, _a, _b in group:
                band = link.value * scale
                store[id(link), i] = y + band / 2
                y += band
    for link in links:
        link.ys = [(leaving[id(link), i], arriving[id(link), i]) for i in range(len(link.route) - 1)]


STEP_LINK_COLOR, OTHER_LINK_COLOR = "#7f9cc0", "#c3ccd6"
NODE_COLORS = {"step": ACCENT_DARK, "more": "#7b8794", "other": "#bcc5ce"}


def sankey_svg(layout: SankeyLayout) -> str:
    """The laid-out Sankey as one <svg>: column titles, links (largest drawn first, so thin
    ones stay visible on top), nodes with a tooltip each, and labels with a white halo."""
    top = 30
    parts = [svg_open(layout.width, layout.height + top + 8, f"journey flow of the top {layout.n_paths} paths"),
             '<g class="sankey">']
    parts += [svg_text(layout.x(i), 10, title, size=11, fill=MUTED, weight=600)
              for i, title in enumerate(layout.column_titles)]
    parts.append(f'<g transform="translate(0,{top})">')
    parts += [_link_svg(layout, link) for link in sorted(layout.links, key=lambda link: -link.value)]
    drawn = [node for node in layout.nodes.values() if node.kind != "pass"]
    parts += [_node_svg(layout, node) for node in drawn]
    parts += [_node_label_svg(layout, node) for node in drawn]
    parts.append("</g></g></svg>")
    return "".join(parts)


def _node_name(node: SankeyNode) -> str:
    """How a tooltip names a node; a pass node by the node its journeys come from."""
    if node.kind == "pass":
        node = SankeyNode(node.key[2], node.key[2][1] if node.key[2][0] == "step" else 0, node.key[2][0], node.label)
    return f"step {node.column + 1}: {node.label}" if node.kind == "step" else node.label


def _link_svg(layout: SankeyLayout, link: SankeyLink) -> str:
    nodes = layout.nodes
    d = []
    for (a, b), (ya, yb) in zip(pairwise(link.route), link.ys, strict=True):
        xa = layout.x(nodes[a].column) + (layout.node_width if nodes[a].kind != "pass" else layout.node_width / 2)
        xb = layout.x(nodes[b].column) + (0 if nodes[b].kind != "pass" else layout.node_width / 2)
        xm = (xa + xb) / 2
        d.append(f"M{xa:.1f},{ya:.1f}" if not d else "")
        d.append(f"C{xm:.1f},{ya:.1f} {xm:.1f},{yb:.1f} {xb:.1f},{yb:.1f}")
    on_other = nodes[link.source].kind == "other"
    color = OUTCOME_COLORS[link.outcome] if link.outcome else OTHER_LINK_COLOR if on_other else STEP_LINK_COLOR
    opacity = 0.35 if link.outcome or on_other else 0.5
    target = "the path ends" if nodes[link.target].kind == "pass" else _node_name(nodes[link.target])
    title = (f"{_node_name(nodes[link.source])} → {target}: "
             f"{fmt_int(link.value)} journeys ({fmt_pct(link.value / layout.total)})")
    return (f'<path class="link" d="{"".join(d)}" fill="none" stroke="{color}" stroke-opacity="{opacity}" '
            f'stroke-width="{max(link.value * layout.scale, 1):.1f}"><title>{esc(title)}</title></path>')


def _node_svg(layout: SankeyLayout, node: SankeyNode) -> str:
    color = OUTCOME_COLORS[node.key[1]] if node.kind == "outcome" else NODE_COLORS[node.kind]
    title = f"{_node_name(node)}: {fmt_int(node.value)} journeys ({fmt_pct(node.value / layout.total)})"
    return (f'<rect class="node" x="{layout.x(node.column):.1f}" y="{node.y0:.1f}" width="{layout.node_width}" '
            f'height="{max(node.y1 - node.y0, 1):.1f}" rx="2" fill="{color}"><title>{esc(title)}</title></rect>')


def _node_label_svg(layout: SankeyLayout, node: SankeyNode) -> str:
    """Name and journeys right of the node, the name cut to fit before the next column
    (the node's tooltip has it in full)."""
    numbers = fmt_int(node.value)
    if node.kind in ("outcome", "other"):
        numbers += f" ({fmt_pct(node.value / layout.total)})"
    # the other-paths band spans the width: its label has room; others end before the next column
    room = {"other": layout.width, "outcome": layout.label_margin - 16}.get(
        node.kind, layout.x(1) - layout.node_width - 8)
    fits = max(int(room / 5.9) - len(numbers) - 1, 6)
    x = layout.x(node.column) + layout.node_width + 5
    return (f'<text x="{x:.1f}" y="{node.center:.1f}" dominant-baseline="central" font-size="10.5" '
            f'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
            f'<tspan fill="{INK}">{esc(truncate(node.label, fits))}</tspan>'
            f'<tspan fill="{MUTED}" dx="4">{esc(numbers)}</tspan></text>')
