"""Inline SVG charts for the friction report: plain strings, every text escaped, no scripts.

Each builder takes numbers and labels and returns one `<svg>` element drawn in its own
viewBox, so it scales to the width of its container and prints sharp. Charts carry the
class `chart`; the small bars inside table cells carry `spark`.

The Sankey of the top paths is laid out in `sankey_layout` (numbers only, testable) and
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

import html
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pandas as pd

INK, MUTED, GRID = "#1f2933", "#616e7c", "#e4e7eb"
ACCENT, ACCENT_DARK = "#3b6fb6", "#334e68"
GOOD, BAD, NEUTRAL = "#2f9e6e", "#d0483f", "#9aa5b1"
OUTCOMES = ("converted", "open", "ended", "abandoned")  # top to bottom in the Sankey
OUTCOME_LABELS = {"converted": "converted", "open": "still open", "ended": "ended", "abandoned": "abandoned"}
OUTCOME_COLORS = {"converted": GOOD, "open": NEUTRAL, "ended": "#7b8794", "abandoned": BAD}

NodeKey = tuple[Any, ...]


# ---------------------------------------------------------------------------------- formatting

def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA (lists and arrays are never missing)."""
    if value is None:
        return True
    if isinstance(value, str) or hasattr(value, "__len__"):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, default: float = 0.0) -> float:
    """A float, or `default` for a missing value (pd.NA, NaN, None)."""
    return default if is_missing(value) else float(value)


def esc(value: Any) -> str:
    """Text or attribute value, HTML-escaped (quotes too)."""
    return html.escape(str(value), quote=True)


def fmt_int(value: Any) -> str:
    """1234.0 → '1,234'; missing → '–'."""
    return "–" if is_missing(value) else f"{round(float(value)):,}"


def fmt_p(p: Any) -> str:
    """A p-value as people read it: '< 0.001', else three decimals ('–' when missing)."""
    if is_missing(p):
        return "–"
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fmt_pct(value: Any, digits: int | None = None) -> str:
    """A share as a percentage: 0.384 → '38%'; one decimal below 10% and above 99%, where
    rounding would hide the difference (0.0231 → '2.3%', 0.997 → '99.7%', not '100%')."""
    if is_missing(value):
        return "–"
    value = float(value)
    if digits is None:
        digits = 1 if 0 < abs(value) < 0.1 or 0.99 < abs(value) < 1 else 0
    return f"{value:.{digits}%}"


def fmt_num(value: Any, digits: int = 2) -> str:
    """A plain number with a true minus sign: -0.42 → '−0.42'; missing → '–'."""
    return "–" if is_missing(value) else f"{float(value):,.{digits}f}".replace("-", "−")


def fmt_duration(seconds: Any) -> str:
    """Seconds in the unit a person would use: '45 s', '12 min', '5.2 h', '3.1 days'."""
    if is_missing(seconds):
        return "–"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in '…' when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------- svg pieces

def svg_open(width: float, height: float, label: str, cls: str = "chart") -> str:
    """The opening <svg> tag: drawn in a width × height viewBox, never wider than `width` px."""
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'style="max-width:{width:.0f}px" role="img" aria-label="{esc(label)}">')


def svg_text(x: float, y: float, text: str, *, anchor: str = "start", size: float = 12,
             fill: str = INK, weight: int = 400, cls: str = "") -> str:
    """One line of SVG text (escaped), vertically centred on y."""
    extra = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="central" '
            f'font-size="{size}" fill="{fill}" font-weight="{weight}"{extra}>{esc(text)}</text>')


def inline_bar_svg(value: float, max_value: float, *, width: int = 96, height: int = 10,
                   color: str = ACCENT) -> str:
    """A small horizontal bar (value / max_value of the width) for a table cell."""
    share = 0.0 if is_missing(value) or not max_value else max(0.0, min(1.0, float(value) / max_value))
    return (f'{svg_open(width, height, f"{share:.0%} of the largest", "spark")}'
            f'<rect width="{width}" height="{height}" rx="2" fill="{GRID}"/>'
            f'<rect width="{width * share:.1f}" height="{height}" rx="2" fill="{color}"/></svg>')


def lift_bar_svg(lift: float, max_lift: float, *, width: int = 120, height: int = 12) -> str:
    """A bar from 0 to `lift` on a 0…max_lift scale, with a tick at 1 (no over-representation)."""
    top = max(number(max_lift, 1.0), 1.0)
    x = width * max(0.0, min(number(lift), top)) / top  # an infinite lift fills the bar
    one = width / top
    color = BAD if lift > 1 else NEUTRAL
    return (f'{svg_open(width, height, f"lift {fmt_num(lift, 1)}", "spark")}'
            f'<rect width="{width}" height="{height}" rx="2" fill="{GRID}"/>'
            f'<rect width="{x:.1f}" height="{height}" rx="2" fill="{color}" fill-opacity="0.8"/>'
            f'<line x1="{one:.1f}" x2="{one:.1f}" y1="0" y2="{height}" stroke="{INK}" stroke-width="1.5"/></svg>')


# ---------------------------------------------------------------------------------- sankey layout

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


# ---------------------------------------------------------------------------------- sankey drawing

NODE_COLORS = {"step": ACCENT_DARK, "more": "#7b8794", "other": "#bcc5ce"}
STEP_LINK_COLOR, OTHER_LINK_COLOR = "#7f9cc0", "#c3ccd6"


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


# ---------------------------------------------------------------------------------- funnel

FUNNEL_COLORS = {"continued": ACCENT, "dropped": "#e38b82", "rest": "#d9e2ec"}


def funnel_svg(stages: Sequence[dict[str, Any]], *, width: float = 1120) -> str:
    """Horizontal funnel: one bar per stage (n_reached, split into continued / dropped / the
    rest, i.e. still open or ended there), conversion from the start at the bar's end, and a
    line under each bar with the drop rate and the median time to the next stage.

    `stages`: dicts with stage, n_reached, n_continued, n_dropped, drop_rate,
    conversion_from_start, median_seconds_to_next, in stage order.
    """
    label_w, value_w, row_h, gap_h, top = 200.0, 210.0, 24.0, 26.0, 30.0
    bar_w = width - label_w - value_w
    most = max((number(s["n_reached"]) for s in stages), default=0) or 1
    height = top + len(stages) * (row_h + gap_h)
    parts = [svg_open(width, height, "funnel by stage"), _legend(label_w, 10, [
        ("continued", FUNNEL_COLORS["continued"]), ("dropped", FUNNEL_COLORS["dropped"]),
        ("still open or ended", FUNNEL_COLORS["rest"])])]
    for i, s in enumerate(stages):
        y = top + i * (row_h + gap_h)
        reached = number(s["n_reached"])
        is_last = i == len(stages) - 1
        # the last stage has no next one to continue to: its bar is all reached
        pieces = [("continued", reached)] if is_last else [
            ("continued", number(s["n_continued"])), ("dropped", number(s["n_dropped"]))]
        pieces.append(("rest", max(reached - sum(n for _, n in pieces), 0.0)))
        parts.append(svg_text(label_w - 12, y + row_h / 2, truncate(str(s["stage"]), 28), anchor="end",
                              size=13, weight=600))
        x = label_w
        for name, n in pieces:
            w = bar_w * n / most
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row_h}" '
                         f'fill="{FUNNEL_COLORS[name]}"><title>{esc(f"{name}: {fmt_int(n)}")}</title></rect>')
            x += w
        parts.append(svg_text(x + 8, y + row_h / 2, f"{fmt_int(reached)} reached · "
                              f"{fmt_pct(s.get('conversion_from_start'))} of start", size=12.5))
        if not is_last or number(s["n_dropped"]) > 0:
            parts.append(svg_text(label_w, y + row_h + 12, _drop_line(s), size=11.5, fill=MUTED))
    parts.append("</svg>")
    return "".join(parts)


def _drop_line(stage: dict[str, Any]) -> str:
    text = f"▼ {fmt_pct(stage.get('drop_rate'))} dropped ({fmt_int(stage.get('n_dropped'))})"
    if not is_missing(stage.get("median_seconds_to_next")):
        text += f" · median {fmt_duration(stage['median_seconds_to_next'])} to the next stage"
    return text


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> str:
    parts = []
    for name, color in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="10" height="10" rx="2" fill="{color}"/>')
        parts.append(svg_text(x + 15, y, name, size=11.5, fill=MUTED))
        x += 30 + 6.5 * len(name)
    return "".join(parts)


def funnel_mini_svg(stages: Sequence[dict[str, Any]], *, width: float = 250) -> str:
    """A small funnel for one segment: bars ∝ conversion from the start, the share at the end."""
    label_w, value_w, row_h = 84.0, 42.0, 19.0
    bar_w = width - label_w - value_w
    parts = [svg_open(width, len(stages) * row_h + 4, "funnel of one segment")]
    for i, s in enumerate(stages):
        y = 2 + i * row_h
        share = 0.0 if is_missing(s.get("conversion_from_start")) else float(s["conversion_from_start"])
        parts.append(svg_text(label_w - 6, y + row_h / 2 - 1, truncate(str(s["stage"]), 13), anchor="end",
                              size=11, fill=MUTED))
        parts.append(f'<rect x="{label_w}" y="{y + 3:.1f}" width="{bar_w:.1f}" height="{row_h - 7}" fill="{GRID}"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3:.1f}" width="{bar_w * max(0.0, min(share, 1.0)):.1f}" '
                     f'height="{row_h - 7}" fill="{ACCENT}"/>')
        parts.append(svg_text(label_w + bar_w + 6, y + row_h / 2 - 1, fmt_pct(share), size=11))
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------- line and bar charts

def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About `count` round tick values covering low…high (1, 2, 2.5 or 5 × a power of ten)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    return [round(first + i * step, 10) for i in range(int(math.ceil((high - first) / step)) + 1)]


def line_chart_svg(labels: Sequence[str], values: Sequence[float], *, width: float = 540, height: float = 250,
                   color: str = ACCENT, value_format: Callable[[Any], str] = fmt_num, valleys: Iterable[int] = (),
                   peaks: Iterable[int] = (), reference: float | None = None, label_points: bool = True,
                   title: str = "line chart") -> str:
    """A line over evenly spaced points (gaps where a value is missing), y ticks, x labels
    (thinned to about 10; long ones wrapped on two lines), valleys (▼, red) and peaks (▲,
    green) marked with their value, and an optional dashed reference line (e.g. 0)."""
    left, right, top, bottom = 48.0, 16.0, 22.0, 46.0
    inset = 34.0  # keeps the first and last x labels and point labels inside the chart
    finite = [float(v) for v in values if not is_missing(v)]
    low, high = min(finite + ([reference] if reference is not None else [])), max(finite)
    if reference is not None:
        high = max(high, reference)
    pad = (high - low) * 0.15 or 0.5
    ticks = nice_ticks(low - pad, high + pad)
    lo, hi = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(i: int) -> float:
        span = plot_w - 2 * inset
        return left + inset + (span * i / (len(values) - 1) if len(values) > 1 else span / 2)

    def py(v: float) -> float:
        return top + plot_h * (hi - float(v)) / (hi - lo)

    parts = [svg_open(width, height, title)]
    for t in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="{GRID}"/>')
        parts.append(svg_text(left - 6, py(t), value_format(t), anchor="end", size=10.5, fill=MUTED))
    if reference is not None and lo <= reference <= hi:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(reference):.1f}" y2="{py(reference):.1f}" '
                     f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    parts.append(_x_labels(labels, px, height - bottom + 14, (plot_w - 2 * inset) / max(len(labels) - 1, 1)))
    parts.append(_polyline(values, px, py, color))
    parts += [svg_text(px(i), top + plot_h - 8, "no data", anchor="middle", size=10, fill=MUTED)
              for i, v in enumerate(values) if is_missing(v)]
    parts.append(_points(values, px, py, color, value_format, set(valleys), set(peaks), label_points))
    parts.append("</svg>")
    return "".join(parts)


def _x_labels(labels: Sequence[str], px: Callable[[int], float], y: float, spacing: float) -> str:
    """Labels under their points, wrapped to two lines; every k-th only when they would touch."""
    limit = max(8, min(16, int(spacing / 6.2)))
    longest = max((max(map(len, _wrap(str(label), limit))) for label in labels), default=1)
    every = max(1, math.ceil((longest * 6.2 + 8) / spacing))
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        lines = _wrap(str(label), limit)
        for j, line in enumerate(lines):
            parts.append(svg_text(px(i), y + j * 13, line, anchor="middle", size=10.5, fill=MUTED))
    return "".join(parts)


def _wrap(text: str, limit: int) -> list[str]:
    """At most two lines of about `limit` characters, split at spaces; the rest cut with '…'."""
    words, lines = text.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [truncate(line, limit + 2) for line in lines]


def _polyline(values: Sequence[float], px: Callable[[int], float], py: Callable[[float], float], color: str) -> str:
    """The line through the points with a value: solid between neighbours, dashed across
    points without one (a stage nobody rated), so the curve reads on without inventing values."""
    known = [(i, float(v)) for i, v in enumerate(values) if not is_missing(v)]
    solid, dashed = [], []
    for (i, v), (j, w) in pairwise(known):
        (solid if j == i + 1 else dashed).append(f"M{px(i):.1f},{py(v):.1f}L{px(j):.1f},{py(w):.1f}")
    style = f'fill="none" stroke="{color}" stroke-width="2.2" stroke-linecap="round"'
    return (f'<path class="line" d="{"".join(solid)}" {style}/>'
            + (f'<path class="line gap" d="{"".join(dashed)}" {style} stroke-dasharray="2 5" '
               f'stroke-opacity="0.6"/>' if dashed else ""))


def _points(values: Sequence[float], px: Callable[[int], float], py: Callable[[float], float], color: str,
            value_format: Callable[[Any], str], valleys: set[int], peaks: set[int], label_points: bool) -> str:
    parts = []
    for i, v in enumerate(values):
        if is_missing(v):
            continue
        x, y = px(i), py(v)
        mark = "valley" if i in valleys else "peak" if i in peaks else ""
        fill = BAD if mark == "valley" else GOOD if mark == "peak" else color
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if mark else 3}" fill="{fill}" '
                     f'stroke="#fff" stroke-width="1.5"><title>{esc(value_format(v))}</title></circle>')
        if mark or label_points:
            text = {"valley": "▼ ", "peak": "▲ "}.get(mark, "") + value_format(v)
            dy = 16 if mark == "valley" else -14
            parts.append(svg_text(x, y + dy, text, anchor="middle", size=11, fill=fill if mark else INK,
                                  weight=600 if mark else 400))
    return "".join(parts)


def diverging_bars_svg(labels: Sequence[str], values: Sequence[float], notes: Sequence[str] = (), *,
                       width: float = 540, value_format: Callable[[Any], str] = fmt_num,
                       title: str = "bar chart") -> str:
    """One row per label: a bar left of zero (red) or right of it (green), its value, and an
    optional muted note after it (e.g. '38% negative')."""
    label_w, note_w, row_h = 230.0, 100.0, 24.0
    bar_w = width - label_w - note_w - 50
    extent = max((abs(float(v)) for v in values if not is_missing(v)), default=1.0) or 1.0
    zero = label_w + bar_w / 2
    parts = [svg_open(width, row_h * len(labels) + 6, title)]
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = 3 + i * row_h
        parts.append(svg_text(label_w - 8, y + row_h / 2, truncate(str(label), 36), anchor="end", size=11.5))
        if not is_missing(v):
            w = bar_w / 2 * abs(float(v)) / extent
            x = zero - w if v < 0 else zero
            parts.append(f'<rect x="{x:.1f}" y="{y + 5:.1f}" width="{w:.1f}" height="{row_h - 10}" rx="2" '
                         f'fill="{BAD if v < 0 else GOOD}" fill-opacity="0.8"/>')
        parts.append(svg_text(label_w + bar_w + 8, y + row_h / 2, value_format(v), size=11.5))
        if i < len(notes):
            parts.append(svg_text(label_w + bar_w + 50, y + row_h / 2, notes[i], size=11, fill=MUTED))
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{row_h * len(labels) + 6}" stroke="{MUTED}"/>')
    parts.append("</svg>")
    return "".join(parts)
