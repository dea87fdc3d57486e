"""The topology as an inline SVG picture: clients on the left, calls flowing to the right.

The layout is a small layered (Sugiyama-style) drawing of :func:`archsim.graph.build_graph`:
edges that close a cycle (a subscriber calling back into its publisher) are set aside, every
node goes one column right of its furthest predecessor (longest path), and a few barycenter
sweeps order each column to cut crossings. Nodes are drawn by type (a cylinder for a database,
a hexagon for a load balancer, a parallelogram for a topic); synchronous calls are solid
arrows, messages dashed. With a run's ``components`` the nodes also show utilization and the
bottleneck is outlined in red. Same topology, same SVG text.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from archsim.graph import build_graph

if TYPE_CHECKING:
    import networkx as nx

    from archsim.spec.schema import Topology

NODE_WIDTH = 200
NODE_HEIGHT = 92
GAP_X = 90
GAP_Y = 34
MARGIN = 24
BACK_EDGE_DIP = 46
DETAIL_CHARS = 34
ORDER_SWEEPS = 4
FILLS = {"client": "#eef2f7", "load_balancer": "#e3edfd", "service": "#e6f4ea",
         "database": "#fef4d6", "cache": "#fde7e4", "topic": "#f1e6fc", "queue": "#eceff1"}
BOTTLENECK = "#c5221f"
INK = "#202124"
MUTED = "#5f6368"


@dataclass(frozen=True, slots=True)
class Placed:
    """A node's column, row and top-left corner in pixels."""

    layer: int
    row: int
    x: float
    y: float


def topology_svg(topology: Topology, components: dict[str, dict[str, Any]] | None = None,
                 bottleneck: str | None = None, ident: str = "topology") -> str:
    """Draw ``topology`` as a standalone ``<svg>`` element (text, no external resources).

    Parameters
    ----------
    topology:
        A validated topology.
    components:
        A run report's ``components`` section; adds utilization to each node.
    bottleneck:
        The component to outline as the bottleneck.
    ident:
        Prefix of the ids inside the SVG, unique per page when several diagrams share one.
    """
    graph = build_graph(topology)
    places = layout(graph)
    width = max(p.x for p in places.values()) + NODE_WIDTH + MARGIN
    height = max(p.y for p in places.values()) + NODE_HEIGHT + MARGIN + BACK_EDGE_DIP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology-diagram" id="{ident}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-labelledby="{ident}-title" font-family="sans-serif">',
        f'<title id="{ident}-title">Topology of {escape(topology.name)}</title>',
        _markers(ident),
    ]
    parts.extend(_edges(graph, places, ident))
    for node, attrs in graph.nodes(data=True):
        entry = (components or {}).get(node)
        parts.append(_node(node, attrs, places[node], entry, node == bottleneck))
    parts.append("</svg>")
    return "\n".join(parts)


def layout(graph: nx.MultiDiGraph) -> dict[str, Placed]:
    """Columns by longest path over the graph without its cycle-closing edges, rows by sweeps."""
    nodes = list(graph.nodes)
    successors = {n: list(dict.fromkeys(graph.successors(n))) for n in nodes}
    forward = _acyclic_edges(nodes, successors)
    layers: dict[str, int] = {}
    for node in _topological(nodes, forward):
        before = [layers[s] for s, t in forward if t == node]
        is_client = graph.nodes[node].get("type") == "client"
        layers[node] = max(before) + 1 if before else (0 if is_client else 1)
    if not any(graph.nodes[n].get("type") == "client" for n in nodes):
        layers = {n: layer - 1 if layer else 0 for n, layer in layers.items()}
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(layers[node], []).append(node)
    _order(columns, forward)
    tallest = max(len(column) for column in columns.values())
    places: dict[str, Placed] = {}
    for layer, column in columns.items():
        offset = (tallest - len(column)) * (NODE_HEIGHT + GAP_Y) / 2
        for row, node in enumerate(column):
            places[node] = Placed(layer, row, MARGIN + layer * (NODE_WIDTH + GAP_X),
                                  MARGIN + offset + row * (NODE_HEIGHT + GAP_Y))
    return places


def _acyclic_edges(nodes: list[str], successors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Every edge except those a depth-first walk (in file order) finds closing a cycle."""
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    kept: list[tuple[str, str]] = []
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(successors[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                continue  # a back edge: left out of the layering
            else:
                kept.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(successors[child])))
    return kept


def _topological(nodes: list[str], edges: list[tuple[str, str]]) -> list[str]:
    incoming = {n: 0 for n in nodes}
    for _, target in edges:
        incoming[target] += 1
    ready = [n for n in nodes if incoming[n] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for source, target in edges:
            if source == node:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    return order


def _order(columns: dict[int, list[str]], edges: list[tuple[str, str]]) -> None:
    """Reorder each column by the mean row of its neighbours (barycenter), a few sweeps."""
    layers = sorted(columns)
    for sweep in range(ORDER_SWEEPS):
        downward = sweep % 2 == 0
        for layer in layers[1:] if downward else layers[-2::-1]:
            rows = {n: i / max(1, len(c) - 1) for c in columns.values() for i, n in enumerate(c)}
            column = columns[layer]

            def center(node: str, column: list[str] = column, downward: bool = downward,
                       rows: dict[str, float] = rows) -> float:
                linked = [s if downward else t for s, t in edges
                          if (t if downward else s) == node]
                if not linked:
                    return rows[node]
                return sum(rows[n] for n in linked) / len(linked)

            column.sort(key=center)


def _markers(ident: str) -> str:
    return (f'<defs><marker id="{ident}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>')


def _edges(graph: nx.MultiDiGraph, places: dict[str, Placed], ident: str) -> list[str]:
    """One path per (source, target, sync) with every label of the pair in its tooltip."""
    pairs: dict[tuple[str, str, bool], list[str]] = {}
    for source, target, data in sorted(graph.edges(data=True), key=lambda e: e[2]["order"]):
        pairs.setdefault((source, target, data["sync"]), []).append(data["label"])
    out = []
    for (source, target, sync), labels in pairs.items():
        a, b = places[source], places[target]
        if b.layer > a.layer:
            x1, y1 = a.x + NODE_WIDTH, a.y + NODE_HEIGHT / 2
            x2, y2 = b.x, b.y + NODE_HEIGHT / 2
            bend = (x2 - x1) / 2
            path = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} " \
                   f"{x2:.1f},{y2:.1f}"
            middle = ((x1 + x2) / 2, (y1 + y2) / 2)
        else:  # back or same-column edge: under the boxes
            x1, y1 = a.x + NODE_WIDTH * 0.4, a.y + NODE_HEIGHT
            x2, y2 = b.x + NODE_WIDTH * 0.6, b.y + NODE_HEIGHT
            low = max(y1, y2) + BACK_EDGE_DIP
            path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{low:.1f} {x2:.1f},{low:.1f} {x2:.1f},{y2:.1f}"
            middle = ((x1 + x2) / 2, low - 10)
        dash = "" if sync else ' stroke-dasharray="6 4"'
        kind = "call" if sync else "message"
        tip = escape(f"{source} {'->' if sync else '~>'} {target}: " + "; ".join(labels))
        count = (f'<text x="{middle[0]:.1f}" y="{middle[1] - 4:.1f}" font-size="11" '
                 f'text-anchor="middle" fill="{MUTED}">×{len(labels)}</text>'
                 if len(labels) > 1 else "")
        out.append(f'<g class="edge edge-{kind}" data-source="{escape(source)}" '
                   f'data-target="{escape(target)}"><title>{tip}</title>'
                   f'<path d="{path}" fill="none" stroke="{MUTED}" stroke-width="1.6"{dash} '
                   f'marker-end="url(#{ident}-arrow)"/>{count}</g>')
    return out


def _node(name: str, attrs: dict[str, Any], place: Placed, entry: dict[str, Any] | None,
          bottleneck: bool) -> str:
    kind = attrs.get("type", "service")
    stroke, width = (BOTTLENECK, 3.0) if bottleneck else (INK, 1.2)
    shape = _shape(kind, place.x, place.y, FILLS.get(kind, "#ffffff"), stroke, width)
    title = name.removeprefix("client:") if kind == "client" else name
    subtitle = ("client" if kind == "client" else kind.replace("_", " ")) + (
        " · bottleneck" if bottleneck else "")
    cx, top = place.x + NODE_WIDTH / 2, place.y + (6 if kind == "database" else 0)
    texts = [
        f'<text x="{cx:.1f}" y="{top + 22:.1f}" font-size="14" font-weight="bold" '
        f'text-anchor="middle" fill="{INK}">{escape(_shorten(title, 24))}</text>',
        f'<text x="{cx:.1f}" y="{top + 38:.1f}" font-size="11" text-anchor="middle" '
        f'fill="{BOTTLENECK if bottleneck else MUTED}">{escape(subtitle)}</text>',
    ]
    for number, line in enumerate(_wrap(attrs.get("detail", ""), DETAIL_CHARS, 2)):
        texts.append(f'<text x="{cx:.1f}" y="{top + 53 + 13 * number:.1f}" font-size="10.5" '
                     f'text-anchor="middle" fill="{INK}">{escape(line)}</text>')
    utilization = (entry or {}).get("utilization")
    if utilization is not None:
        texts.append(_utilization_bar(place, float(utilization)))
    tip = escape(f"{name} [{kind}] {attrs.get('detail', '')}".strip())
    return (f'<g class="node node-{kind}" data-name="{escape(name)}"><title>{tip}</title>'
            f'{shape}{"".join(texts)}</g>')


def _utilization_bar(place: Placed, utilization: float) -> str:
    x, y, span = place.x + 30, place.y + NODE_HEIGHT - 16, NODE_WIDTH - 60
    color = "#1e8e3e" if utilization < 0.7 else "#e37400" if utilization < 0.9 else BOTTLENECK
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{span:.1f}" height="7" rx="3" '
            f'fill="#ffffff" stroke="{MUTED}" stroke-width="0.6"/>'
            f'<rect class="utilization" x="{x:.1f}" y="{y:.1f}" '
            f'width="{span * min(1.0, max(0.0, utilization)):.1f}" height="7" rx="3" '
            f'fill="{color}"/><text x="{x + span + 4:.1f}" y="{y + 7:.1f}" font-size="10" '
            f'fill="{INK}">{utilization:.0%}</text>')


def _shape(kind: str, x: float, y: float, fill: str, stroke: str, width: float) -> str:
    w, h = NODE_WIDTH, NODE_HEIGHT
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if kind == "client":
        return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{h / 2}" {paint}/>'
    if kind == "load_balancer":
        d = 18
        points = [(x + d, y), (x + w - d, y), (x + w, y + h / 2), (x + w - d, y + h),
                  (x + d, y + h), (x, y + h / 2)]
        return f'<polygon points="{_points(points)}" {paint}/>'
    if kind == "database":
        e = 8
        return (f'<path d="M{x},{y + e} A{w / 2},{e} 0 0 1 {x + w},{y + e} V{y + h - e} '
                f'A{w / 2},{e} 0 0 1 {x},{y + h - e} Z" {paint}/>'
                f'<path d="M{x},{y + e} A{w / 2},{e} 0 0 0 {x + w},{y + e}" fill="none" '
                f'stroke="{stroke}" stroke-width="{width}"/>')
    if kind == "topic":
        d = 14
        points = [(x + d, y), (x + w, y), (x + w - d, y + h), (x, y + h)]
        return f'<polygon points="{_points(points)}" {paint}/>'
    if kind == "queue":
        stripes = "".join(f'<line x1="{x + w - k}" y1="{y}" x2="{x + w - k}" y2="{y + h}" '
                          f'stroke="{stroke}" stroke-width="0.8"/>' for k in (8, 14, 20))
        return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" {paint}/>{stripes}'
    if kind == "cache":
        return (f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" {paint}/>'
                f'<rect x="{x + 4}" y="{y + 4}" width="{w - 8}" height="{h - 8}" rx="4" '
                f'fill="none" stroke="{stroke}" stroke-width="0.8"/>')
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" {paint}/>'


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _wrap(text: str, limit: int, lines: int) -> list[str]:
    """Words in at most ``lines`` lines of ``limit`` characters, the last cut short with …."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= limit:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = [*out[: lines - 1], _shorten(" ".join(out[lines - 1:]), limit)]
    return [_shorten(line, limit) for line in out]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flows(topology: Topology) -> list[dict[str, str]]:
    """Every edge of the diagram as a table row: from, to, kind, what (in file order)."""
    graph = build_graph(topology)
    rows = []
    for source, target, data in sorted(graph.edges(data=True), key=lambda e: e[2]["order"]):
        rows.append({"from": source, "to": target, "kind": data["kind"],
                     "sync": "sync" if data["sync"] else "async", "what": data["label"]})
    return rows
