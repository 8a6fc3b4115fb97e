"""Draw a computation graph, step through backprop on it, or print it as text.

``draw_graph(root)`` turns the graph behind ``root`` into a ``DotGraph`` (DOT source that
displays in Jupyter and saves to svg/png/pdf). ``backward_frames(root)`` simulates
``backward()`` one local rule at a time and draws each step. ``to_text(root)`` prints the
same graph as an indented tree for a terminal.

What the pictures show (a legend is drawn with them):

* every value as a row ``label | data | grad``, coloured by role: *input* (a leaf that
  takes no gradient: data), *parameter* (a leaf that requires grad), *intermediate*,
  *output* (the root, usually the loss); a small node per op between a value and its
  inputs, one edge per argument, so ``b = a + a`` has two edges from ``a``.
* *constants* (Python numbers met by an op: ``x * 2``, ``x ** 2``, the slope of
  ``leaky_relu``) are unlabelled leaves with ``requires_grad=False``; they are drawn as a
  small grey oval with just their number, never a full row (they have no gradient, and
  a lecture graph is clearer without three-cell boxes for every ``2``). An unlabelled
  ``Value(x, requires_grad=False)`` is drawn the same way; give it a label to get a row.
* a leaf with ``requires_grad=False`` shows ``no grad``: the engine computes none for it
  (``grad 0.0000`` would read as "the output does not depend on it").
* ``Tensor`` graphs are drawn the same way, with a shape cell in every row
  (``label | shape | data | grad``), arrays of at most 4 elements written out and bigger
  ones summarised (data by min and max, gradients by their norm), the op with its
  settings (``sum(axis=1)``); a local derivative is a Jacobian, written out only when both
  sides have at most 4 elements, else shown by its shape. ``viz.nodes`` has the details.
  ``grads="computed"`` and ``backward_frames`` start from a single-number root, as
  ``backward()`` does. ``params=dict(model.named_parameters())`` names the parameters,
  as torchviz's ``make_dot(params=...)``.
* ``edge_labels="local"``: d(out)/d(in) on each edge (``∂``); ``"flow"``: the gradient
  part sent along the edge (``←``, red). Where parts add up (fan-out), the node shows
  the sum and its edges show the parts. Edges from constants carry no label: the engine
  computes no derivative for them.
* ``style="circuit"``: the cs231n convention. Ops are gates, values live on the wires:
  the forward value in green above each wire, the gradient it carries back in red below.
  A value used more than once meets its consumers at a branch point: the wire into the
  branch carries the total gradient, the wires out of it the parts.

Nothing here changes a graph: local derivatives come from running each node's own rule
on a throwaway copy (see ``viz.nodes``). Nothing recurses, and node ids come from the
traversal order (``autograd_lite.graph.topological_order``), never from ``id()``, so the
same expression gives byte-identical DOT on every run.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite.graph import topological_order

from .clusters import COLLAPSE_LEVELS, Clusters, find_clusters
from .nodes import SMALL, NodeAdapter, adapter_for, fmt, name_map
from .render import DotGraph

__all__ = ["draw_graph", "draw_model", "backward_frames", "to_text", "GraphTooLarge", "DEFAULT_MAX_NODES", "ROLE_COLORS"]

#: Above this many value nodes a drawing is refused (graphviz takes seconds and the
#: picture is unreadable long before that). A 2-4-4-1 MLP on one sample has ~130.
DEFAULT_MAX_NODES = 400

#: Fill colour and legend text of each node role.
ROLE_COLORS: Dict[str, Tuple[str, str]] = {
    "input": ("#dbe9f6", "input (leaf, requires_grad=False)"),
    "parameter": ("#fde7b0", "parameter (leaf, requires_grad=True)"),
    "intermediate": ("#ffffff", "intermediate"),
    "output": ("#d5ecd4", "output / loss"),
    "constant": ("#eeeeee", "constant"),
}
_ROLE_ORDER = ("input", "parameter", "constant", "intermediate", "output")
GREEN, RED, BLUE, GREY = "#2e7d32", "#c62828", "#1f4e99", "#9e9e9e"
MODULE_FILL = "#ece4f7"  # a collapsed module call (one node for a layer or a neuron)
CLUSTER_COLORS = {"model": "#7e57c2", "layer": "#9575cd", "neuron": "#b39ddb"}  # box outlines
HIGHLIGHT = "#ffd54f"  # the node whose rule runs in a backward frame
RECEIVED = "#fff3c4"  # grads that just received a part in a backward frame


class GraphTooLarge(ValueError):
    """The graph has more nodes than ``max_nodes``."""


# ---------------------------------------------------------------------- walking


@dataclass
class _Graph:
    """One walk of the graph and everything the drawings derive from it."""

    adapter: NodeAdapter
    order: List[Any]  # topological: inputs first, root last; ids are positions here
    index: Dict[int, int]  # id(node) -> position (lookup only, never used for order)
    inputs: List[List[int]]  # positions of each node's inputs, argument order, repeats kept
    uses: List[int]  # how many edges leave each node (fan-out)
    names: Dict[int, str]  # id(node) -> name from params=
    roles: List[str] = field(default_factory=list)
    clusters: Optional[Clusters] = None  # from modules= (nn.record_calls())
    groups: Optional[List[Optional[int]]] = None  # collapse: position -> cluster drawn as one node

    def label(self, i: int) -> Optional[str]:
        node = self.order[i]
        return self.names.get(id(node), self.adapter.label(node))

    def name(self, i: int) -> str:
        """A label for text: the node's label, else its id."""
        return self.label(i) or f"#{i}"


def _walk(
    root: Any,
    where: str,
    max_nodes: int,
    params: Optional[Dict[str, Any]] = None,
    modules: Any = None,
    collapse: Optional[str] = None,
) -> _Graph:
    adapter = adapter_for(root, where)
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"{where}: max_nodes must be a positive int, got {max_nodes!r}")
    order = topological_order(root)  # iterative: a million-node chain is fine
    n = len(order)
    if n > max_nodes and collapse is None:
        _too_large(where, n, max_nodes, modules)
    index = {id(node): i for i, node in enumerate(order)}
    inputs = [[index[id(p)] for p in adapter.inputs(node)] for node in order]
    uses = [0] * n
    for ins in inputs:
        for j in ins:
            uses[j] += 1
    g = _Graph(adapter, order, index, inputs, uses, name_map(params, where, adapter))
    if modules is not None:
        g.clusters = find_clusters(modules, order, index, inputs, where)
    if collapse is not None:
        assert g.clusters is not None  # draw_graph checks modules= comes with collapse
        g.groups = g.clusters.group_of(collapse)
        drawn = sum(1 for grp in g.groups if grp is None) + len({grp for grp in g.groups if grp is not None})
        if drawn > max_nodes:
            raise GraphTooLarge(
                f"{where}: collapsed to one node per {collapse}, this graph still has {drawn:,} nodes "
                f"(of {n:,}), more than max_nodes={max_nodes:,}; draw a single sample instead of a "
                f"batch or a smaller model" + (", or collapse='layer'" if collapse == "neuron" else "")
                + " (or raise max_nodes=...)."
            )
    for i, node in enumerate(order):
        if i == n - 1:
            role = "output"
        elif inputs[i]:
            role = "intermediate"
        elif id(node) in g.names or adapter.requires_grad(node):
            role = "parameter"
        elif adapter.label(node) is None and adapter.is_constant(node):
            role = "constant"
        else:
            role = "input"
        g.roles.append(role)
    return g


def _too_large(where: str, n: int, max_nodes: int, modules: Any) -> None:
    how = (
        "pass collapse=True to draw one node per layer (collapse='neuron': per neuron)"
        if modules is not None
        else "draw it with collapse=True, one node per layer/neuron cluster: viz.draw_model(model, x, "
        "collapse=True), or build it inside `with nn.record_calls() as rec:` and pass modules=rec"
    )
    raise GraphTooLarge(
        f"{where}: this graph has {n:,} nodes, more than max_nodes={max_nodes:,}; a drawing "
        f"that big is unreadable and slow to lay out. Draw a single sample instead of a "
        f"batch, a smaller model, or {how} (or raise max_nodes=... if you really want all {n:,})."
    )


def _simulate(g: _Graph, where: str) -> Tuple[List[Any], List[Optional[List[Any]]]]:
    """``backward()`` from the root, without touching any ``.grad``.

    Returns each node's gradient and, per node whose rule ran, the part it sent along each
    input edge.
    The parts come from the nodes' own rules and are added in the engine's order, so the
    final gradients equal ``backward()``'s bit for bit.
    """
    a = g.adapter
    grads = [a.zero(node) for node in g.order]
    parts: List[Optional[List[Any]]] = [None] * len(g.order)
    last = len(g.order) - 1
    grads[last] = a.add(g.order[last], grads[last], a.seed(g.order[last], where))
    for i in range(last, -1, -1):
        node = g.order[i]
        if not a.has_rule(node):
            continue
        sent = a.contributions(node, grads[i])
        parts[i] = sent
        for j, part in zip(g.inputs[i], sent):
            if part is not None:
                grads[j] = a.add(g.order[j], grads[j], part)
    return grads, parts


def _rule_steps(g: _Graph) -> List[int]:
    """Positions of the nodes whose rule runs, in the order backward() runs them."""
    return [i for i in range(len(g.order) - 1, -1, -1) if g.adapter.has_rule(g.order[i])]


# ---------------------------------------------------------------------- DOT pieces


def _q(text: str) -> str:
    """A DOT double-quoted string (a line break becomes DOT's centred-line escape)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: str) -> str:
    """Text for inside an HTML-like label (a line break becomes ``<BR/>``: Jacobians have rows)."""
    return html.escape(text, quote=True).replace("\n", "<BR/>")


def _font(text: str, color: Optional[str], bold: bool = False) -> str:
    body = f"<B>{text}</B>" if bold else text
    return f'<FONT COLOR="{color}">{body}</FONT>' if color else body


@dataclass
class _Look:
    """How to draw: the options of draw_graph, plus per-frame emphasis for backward_frames."""

    rankdir: str
    show_data: bool
    show_grad: bool
    style: str
    edge_labels: Optional[str]
    legend: bool
    title: Optional[str] = None
    active: Optional[int] = None  # frames: the node whose rule runs
    final: Optional[List[bool]] = None  # frames: grads complete (others greyed)
    received: Tuple[int, ...] = ()  # frames: inputs that just received a part


def _value_cell_row(g: _Graph, i: int, grad: Any, look: _Look) -> str:
    """The ``label | data | grad`` row of value node ``i`` as an HTML-like table."""
    role = g.roles[i]
    cells = []
    label = g.label(i)
    if label is not None:
        cells.append(f"<TD><B>{_h(label)}</B></TD>")
    shape = g.adapter.shape_text(g.order[i])
    if shape is not None:  # Tensor nodes: the shape is always shown (it is what their ops check)
        cells.append(f"<TD>{_h(shape)}</TD>")
    if look.show_data:
        cells.append(f"<TD>{_h(g.adapter.data_text(g.order[i]))}</TD>")
    if look.show_grad and not g.adapter.requires_grad(g.order[i]):
        # The engine computes no gradient for it; "grad 0.0000" would read as d(out)/d(x) = 0.
        cells.append(f"<TD>{_font('no grad', GREY)}</TD>")
    elif look.show_grad:
        text = _h(g.adapter.grad_text(grad))
        done = look.final is None or look.final[i]
        attrs = ""
        if look.active == i:
            attrs, text = f' BGCOLOR="{HIGHLIGHT}"', f"<B>{text}</B>"  # the upstream gradient
        elif i in look.received:
            attrs = f' BGCOLOR="{RECEIVED}"'
        cells.append(f"<TD{attrs}>{text if done else _font(text, GREY)}</TD>")
    if not cells:
        cells.append("<TD> </TD>")
    border = ' COLOR="#c62828"' if look.active == i else ""
    width = "3" if look.active == i else "0"  # cells draw their own borders
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{ROLE_COLORS[role][0]}"{border}><TR>{"".join(cells)}</TR></TABLE>>'
    )


def _edge_text(g: _Graph, look: _Look, local: Optional[Any], part: Optional[Any], emphasis: bool) -> Optional[str]:
    """The HTML-like label of one input edge (None: no label)."""
    fmt = g.adapter.number_text
    if look.edge_labels == "local" and local is not None:
        return _local_text(g, local)
    if look.edge_labels == "flow" and part is not None:
        return _font(f"&larr; {_h(fmt(part))}", RED if emphasis else (GREY if look.final is not None else RED), emphasis)
    return None


def _local_text(g: _Graph, local: Any) -> str:
    """``∂ 0.5000``; a Jacobian with several rows starts on a line of its own."""
    text = _h(g.adapter.local_text(local))
    return f"&part;<BR/>{text}" if "<BR/>" in text else f"&part; {text}"


def _header(look: _Look) -> List[str]:
    lines = [
        "digraph G {",
        f'  graph [rankdir={look.rankdir}, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.35];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];',
    ]
    if look.title is not None:
        lines.append(f"  labelloc=t; label={_q(look.title)};")
    return lines


def _legend(g: _Graph, look: _Look) -> List[str]:
    drawn = [r for i, r in enumerate(g.roles) if g.groups is None or g.groups[i] is None]
    present = [r for r in _ROLE_ORDER if r in set(drawn)]
    lines = ["  subgraph cluster_legend {", '    label="legend"; fontsize=10; style="rounded,dashed"; color="#9e9e9e";']
    for role in present:
        color, text = ROLE_COLORS[role]
        shape = "ellipse" if role == "constant" else "box"
        lines.append(
            f'    legend_{role} [shape={shape}, style=filled, fillcolor="{color}", fontsize=9, '
            f"height=0.25, label={_q(text)}];"
        )
    if g.groups is not None:
        lines.append(
            f'    legend_module [shape=box, style=filled, fillcolor="{MODULE_FILL}", color="{CLUSTER_COLORS["layer"]}", '
            f'fontsize=9, height=0.25, label="a module call, collapsed (its outputs\' data and grads)"];'
        )
    extra = []
    if look.style == "circuit":
        extra.append(_font("value (forward)", GREEN) + "<BR/>" + _font("gradient (backward)", RED))
    if look.edge_labels == "local":
        extra.append(g.adapter.local_legend)
    elif look.edge_labels == "flow" and look.style == "record":
        extra.append(_font("&larr; = gradient part sent back", RED))
    if look.final is not None:
        extra.append(_font("grey grad = not complete yet", GREY))
    for k, text in enumerate(extra):
        lines.append(f"    legend_note{k} [shape=plaintext, fontsize=9, label=<{text}>];")
    lines.append("  }")
    return lines


def _locals(g: _Graph, look: _Look) -> List[Optional[List[Any]]]:
    if look.edge_labels != "local":
        return [None] * len(g.order)
    a = g.adapter
    return [a.local_derivatives(node) if a.has_rule(node) else None for node in g.order]


def _in_edges(
    g: _Graph, locals_: Sequence[Optional[List[Any]]], parts: Sequence[Optional[List[Any]]]
) -> Iterator[Tuple[int, List[Tuple[int, Any, Any]]]]:
    """Each node with inputs, in order, with its input edges as (input, local derivative,
    gradient part sent along the edge); None where that drawing does not show it."""
    for i in range(len(g.order)):
        if not g.inputs[i]:
            continue
        node_locals, node_parts = locals_[i], parts[i]
        yield i, [
            (j, node_locals[k] if node_locals is not None else None, node_parts[k] if node_parts is not None else None)
            for k, j in enumerate(g.inputs[i])
        ]


def _record_dot(g: _Graph, grads: Sequence[Any], parts: Sequence[Optional[List[Any]]], look: _Look) -> str:
    """micrograd-style: a row per value, a small node per op, edges input -> op -> value.

    With module clusters, the nodes each module call made are boxed (nested: neuron in
    layer in model); collapsed (``g.groups``), each layer or neuron call is one node."""
    lines = _header(look)
    locals_ = _locals(g, look)
    groups = g.groups
    emitted: Dict[int, List[str]] = {}  # position -> the DOT ids drawn for it (for cluster boxes)
    for i, node in enumerate(g.order):
        if groups is not None and groups[i] is not None:
            continue  # inside a collapsed module call: drawn by _group_nodes
        emitted[i] = [f"n{i}"]
        if g.roles[i] == "constant":
            lines.append(
                f'  n{i} [shape=ellipse, style=filled, fillcolor="{ROLE_COLORS["constant"][0]}", '
                f"fontsize=9, height=0.25, margin=0.03, label={_q(g.adapter.value_text(node))}];"
            )
            continue
        lines.append(f"  n{i} [shape=plain, label={_value_cell_row(g, i, grads[i], look)}];")
        if g.inputs[i]:
            hot = look.active == i
            extra = ', color="#c62828", penwidth=2.5, fontcolor="#c62828"' if hot else ""
            lines.append(
                f'  n{i}op [shape=ellipse, style=filled, fillcolor="#f2f2f2", fontsize=10, height=0.3, '
                f"margin=0.03, label={_q(g.adapter.op(node))}{extra}];"
            )
            emitted[i].append(f"n{i}op")
    if groups is not None:
        lines += _group_nodes(g, grads, look)
    for i, edges in _in_edges(g, locals_, parts):
        if groups is not None and groups[i] is not None:
            continue  # edges into a collapsed call: _group_edges draws one per source
        hot = look.active == i
        for j, local, part in edges:
            text = _edge_text(g, look, local, part, hot)
            attrs = [f"label=<{text}>"] if text is not None else []
            if hot:
                attrs += ['color="#c62828"', "penwidth=2"]
            lines.append(f"  {_source(g, j)} -> n{i}op" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        lines.append(f"  n{i}op -> n{i};")
    if groups is not None:
        lines += _group_edges(g)
    if g.clusters is not None:
        lines += _cluster_boxes(g, emitted)
    if look.legend:
        lines += _legend(g, look)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _source(g: _Graph, j: int) -> str:
    """The DOT id an edge from position ``j`` leaves from (its collapsed call, if any)."""
    return f"c{g.groups[j]}" if g.groups is not None and g.groups[j] is not None else f"n{j}"


def _group_nodes(g: _Graph, grads: Sequence[Any], look: _Look) -> List[str]:
    """One node per collapsed module call: what it is, how much it hides, what it returned."""
    assert g.clusters is not None and g.groups is not None
    a = g.adapter
    size: Dict[int, int] = {}
    for grp in g.groups:
        if grp is not None:
            size[grp] = size.get(grp, 0) + 1
    lines = []
    last = len(g.order) - 1
    for key in sorted(size):
        c = g.clusters.clusters[key]
        outs = c.outputs
        rows = [f"<B>{_h(c.label)}</B>", f"{size[key]} nodes, {c.num_parameters} parameters"]
        if len(outs) == 1 and a.shape_text(g.order[outs[0]]) is not None:
            rows.append(_h(f"out {a.shape_text(g.order[outs[0]])}"))
        if look.show_data:
            rows.append(_h(_many_text(a, [g.order[i] for i in outs], "data")))
        if look.show_grad:
            rows.append(_h(_many_text(a, [grads[i] for i in outs], "grad")))
        fill = ROLE_COLORS["output"][0] if g.groups[last] == key else MODULE_FILL
        cells = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
        lines.append(
            f'  c{key} [shape=plain, label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="3" BGCOLOR="{fill}" COLOR="{CLUSTER_COLORS[c.kind]}">{cells}</TABLE>>];'
        )
    return lines


def _many_text(a: NodeAdapter, items: List[Any], what: str) -> str:
    """The data (nodes) or gradients of a call's outputs: written out when there are at most
    SMALL scalar outputs, else summarised as the single-node texts are."""
    if len(items) == 1:
        return a.data_text(items[0]) if what == "data" else a.grad_text(items[0])
    if what == "data":
        values = np.array([float(v.data) for v in items])
        if len(values) <= SMALL:
            return "data [" + ", ".join(fmt(v) for v in values) + "]"
        return f"data {len(values)} outputs, min {fmt(values.min())} max {fmt(values.max())}"
    values = np.array([float(v) for v in items])
    if len(values) <= SMALL:
        return "grad [" + ", ".join(fmt(v) for v in values) + "]"
    return f"grad norm {fmt(float(np.sqrt(np.sum(values * values))))}"


def _group_edges(g: _Graph) -> List[str]:
    """Edges into collapsed calls: one per source, labelled with how many values it sends."""
    assert g.groups is not None
    sources: Dict[int, Dict[str, set]] = {}  # group -> source id -> distinct positions sending
    for i, grp in enumerate(g.groups):
        if grp is None:
            continue
        for j in g.inputs[i]:
            if g.groups[j] == grp:
                continue  # inside the call
            sources.setdefault(grp, {}).setdefault(_source(g, j), set()).add(j)
    lines = []
    for grp in sorted(sources):
        for src, sent in sources[grp].items():  # insertion order: by position, deterministic
            label = f" [label={_q(f'{len(sent)} values')}]" if len(sent) > 1 else ""
            lines.append(f"  {src} -> c{grp}{label};")
    return lines


def _cluster_boxes(g: _Graph, emitted: Dict[int, List[str]]) -> List[str]:
    """Nested boxes, one per module call, around the nodes it made (iteratively)."""
    assert g.clusters is not None
    clusters = g.clusters.clusters
    collapsed = set(grp for grp in g.groups if grp is not None) if g.groups is not None else set()
    lines: List[str] = []
    stack: List[Tuple[int, int, bool]] = [(k, 1, False) for k in reversed(g.clusters.roots())]
    while stack:
        key, depth, closing = stack.pop()
        pad = "  " * depth
        if closing:
            lines.append(pad + "}")
            continue
        if key in collapsed:
            lines.append(f"{pad}c{key};")  # one node, placed in its parent's box
            continue
        c = clusters[key]
        lines.append(f"{pad}subgraph cluster_m{key} {{")
        color = CLUSTER_COLORS[c.kind]
        lines.append(
            f'{pad}  label={_q(c.label)}; labeljust=l; fontsize=10; fontcolor="{color}"; '
            f'style="rounded{",dashed" if c.kind == "model" else ""}"; color="{color}";'
        )
        ids = [name for i in c.own for name in emitted.get(i, ())]
        if ids:
            lines.append(pad + "  " + "; ".join(ids) + ";")
        stack.append((key, depth, True))
        for child in reversed(c.children):
            stack.append((child, depth + 1, False))
    return lines


def _wire(g: _Graph, look: _Look, node: Any, grad: Optional[Any], local: Optional[Any], hot: bool = False) -> str:
    """A circuit wire's label: ``node``'s value in green above, gradient in red below."""
    rows = []
    if look.show_data:
        rows.append(_font(_h(g.adapter.value_text(node)), GREEN))
    if look.show_grad and grad is not None:
        rows.append(_font(_h(g.adapter.number_text(grad)), RED, bold=hot))
    if look.edge_labels == "local" and local is not None:
        rows.append(_font(_local_text(g, local), BLUE))
    attrs = [f"label=<{'<BR/>'.join(rows)}>"] if rows else []
    if hot:
        attrs += ['color="#c62828"', "penwidth=2"]
    return f" [{', '.join(attrs)}]" if attrs else ""


def _circuit_dot(g: _Graph, grads: Sequence[Any], parts: Sequence[Optional[List[Any]]], look: _Look) -> str:
    """cs231n-style: gates for ops, values and gradients written on the wires."""
    lines = _header(look)
    locals_ = _locals(g, look)
    last = len(g.order) - 1
    # Where a value leaves from: its leaf node, its gate, or its branch point (fan-out).
    source: Dict[int, str] = {}
    emitted: Dict[int, List[str]] = {}  # position -> its DOT ids (for module cluster boxes)
    for i, node in enumerate(g.order):
        role = g.roles[i]
        emitted[i] = [f"n{i}"] if not g.inputs[i] else [f"n{i}op"]
        if not g.inputs[i]:  # a leaf: its name (and total gradient) where the wires start
            if role == "constant":
                lines.append(f"  n{i} [shape=plaintext, fontsize=9, label={_q(g.adapter.value_text(node))}];")
            else:
                rows = [f"<B>{_h(g.name(i))}</B>"]
                shape = g.adapter.shape_text(node)
                if shape is not None:
                    rows.append(_h(shape))
                if look.show_grad and g.adapter.requires_grad(node):
                    done = look.final is None or look.final[i]
                    rows.append(_font(_h(g.adapter.number_text(grads[i])), RED if done else GREY))
                color = ROLE_COLORS[role][0]
                lines.append(
                    f'  n{i} [shape=box, style="rounded,filled", fillcolor="{color}", margin=0.05, '
                    f"label=<{'<BR/>'.join(rows)}>];"
                )
            source[i] = f"n{i}"
            continue
        hot = look.active == i
        extra = ', color="#c62828", penwidth=2.5' if hot else ""
        lines.append(
            f'  n{i}op [shape=circle, style=filled, fillcolor="{ROLE_COLORS[role][0]}", fixedsize=false, '
            f"width=0.4, margin=0.02, fontsize=10, label={_q(g.adapter.op(node))}{extra}];"
        )
        source[i] = f"n{i}op"
        if i == last or g.uses[i] > 1:
            # The sink (the output's name) or a branch point: the wire into it carries the
            # value and the total gradient; the wires out of a branch carry the parts.
            if i == last:
                lines.append(f"  n{i} [shape=plaintext, label=<<B>{_h(g.name(i))}</B>>];")
            else:
                lines.append(f'  n{i} [shape=point, width=0.08, xlabel=<{_h(g.label(i) or "")}>];')
            done = look.final is None or look.final[i]
            lines.append(
                f"  n{i}op -> n{i}"
                + _wire(g, look, node, grads[i] if done else None, None)
                + ";"
            )
            source[i] = f"n{i}"
            emitted[i].append(f"n{i}")
    for i, edges in _in_edges(g, locals_, parts):
        hot = look.active == i
        for j, local, part in edges:
            lines.append(f"  {source[j]} -> n{i}op" + _wire(g, look, g.order[j], part, local, hot) + ";")
    if g.clusters is not None:
        lines += _cluster_boxes(g, emitted)
    if look.legend:
        lines += _legend(g, look)
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- public API


def _check_options(where: str, rankdir: str, style: str, edge_labels: Optional[str], grads: str) -> None:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"{where}: rankdir={rankdir!r}; use 'LR' (left to right, default) or 'TB' (top down)")
    if style not in ("record", "circuit"):
        raise ValueError(f"{where}: style={style!r}; use 'record' (micrograd's boxes) or 'circuit' (cs231n's wires)")
    if edge_labels not in (None, "local", "flow"):
        raise ValueError(
            f"{where}: edge_labels={edge_labels!r}; use None, 'local' (d(out)/d(in) per edge) or "
            f"'flow' (the gradient part sent along each edge)"
        )
    if grads not in ("stored", "computed"):
        raise ValueError(
            f"{where}: grads={grads!r}; use 'stored' (what backward() left in .grad) or 'computed' "
            f"(a simulated backward from this root that changes no .grad)"
        )


def draw_graph(
    root: Any,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    style: str = "record",
    edge_labels: Optional[str] = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Optional[Dict[str, Any]] = None,
    modules: Any = None,
    collapse: Union[bool, str] = False,
    grads: str = "stored",
    legend: bool = True,
) -> DotGraph:
    """Draw the computation graph that produced ``root``.

    >>> from autograd_lite import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b; L.label = "L"; L.backward()
    >>> g = draw_graph(L, edge_labels="flow")
    >>> print(g.source.splitlines()[4])        # a's row: label | data | grad
      n0 [shape=plain, label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="#fde7b0"><TR><TD><B>a</B></TD><TD>data 2.0000</TD><TD>grad -3.0000</TD></TR></TABLE>>];
    >>> g.save("L.svg")                         # doctest: +SKIP
    PosixPath('L.svg')

    Options: ``rankdir`` "LR" or "TB"; ``show_data``/``show_grad`` choose the cells;
    ``style`` "record" (boxes, as micrograd) or "circuit" (cs231n: values in green above the
    wires, gradients in red below); ``edge_labels`` None, "local" (d(out)/d(in)) or "flow"
    (the gradient part sent along each edge); ``grads`` "stored" (the ``.grad`` fields
    ``backward()`` filled) or "computed" (a simulated backward from ``root``, leaving every
    ``.grad`` as it is); ``params`` a mapping name -> node (``dict(model.named_parameters())``)
    that names and marks parameters; ``max_nodes`` the size guard (nodes = values, op
    circles not counted). Raises ``GraphTooLarge`` above it.

    ``root`` is a ``Value`` or a ``Tensor``; for a Tensor graph every row also shows the
    shape, small arrays are written out, and local derivatives are Jacobians (see the
    module docstring).

    Module clusters: ``modules=record``, the record of an ``nn.record_calls()`` block in
    which the graph was built, boxes the nodes each module call made (neurons inside
    layers inside the model; see ``viz.clusters``). ``collapse=True`` (or "layer") then
    draws each layer call as one node, ``collapse="neuron"`` each neuron: the way to
    show a model too big to draw node by node. ``draw_model(model, x)`` does all of it.
    """
    _check_options("draw_graph", rankdir, style, edge_labels, grads)
    level = _collapse_level("draw_graph", collapse, modules, style)
    g = _walk(root, "draw_graph", max_nodes, params, modules, level)
    if grads == "computed":
        values, parts = _simulate(g, "draw_graph(grads='computed')")
    else:
        a = g.adapter
        values = [a.stored_grad(node) for node in g.order]
        parts = [a.contributions(node, values[i]) if a.has_rule(node) else None for i, node in enumerate(g.order)]
    look = _Look(rankdir, show_data, show_grad, style, edge_labels, legend)
    build = _circuit_dot if style == "circuit" else _record_dot
    return DotGraph(build(g, values, parts, look), info={"nodes": len(g.order), "grads": values, "parts": parts})


def _collapse_level(where: str, collapse: Union[bool, str], modules: Any, style: str) -> Optional[str]:
    """``collapse`` as a level name (None: draw every node), after checking it can be done."""
    if collapse is False or collapse is None:
        return None
    level = "layer" if collapse is True else collapse
    if level not in COLLAPSE_LEVELS:
        raise ValueError(f"{where}: collapse={collapse!r}; use True (= 'layer': one node per layer) or 'neuron'")
    if modules is None:
        # Which nodes belong to which layer is known only to the forward pass that made them.
        raise ValueError(
            f"{where}(collapse=True): collapsing needs to know which module made which node. "
            f"Build the graph inside `with nn.record_calls() as rec:` and pass modules=rec, or "
            f"draw it with viz.draw_model(model, x, collapse=True)"
        )
    if style != "record":
        raise ValueError(f"{where}(collapse=...): collapsed drawings use style='record' (a layer is a box, not a gate)")
    return level


def draw_model(
    model: Any,
    x: Any,
    target: Any = None,
    loss_fn: Any = None,
    *,
    collapse: Union[bool, str] = False,
    grads: str = "computed",
    **options: Any,
) -> DotGraph:
    """Run ``model`` on ``x`` (one sample for a scalar model), recording which module makes
    which node, and draw the graph boxed by module (``draw_graph(..., modules=...)``).

    The root is ``loss_fn(model(x), target)`` when ``loss_fn`` is given, else the model's
    output (a single Value or Tensor). Gradients are ``"computed"`` by default: a
    simulated backward from the root, so the drawing shows them and no ``.grad`` changes.
    Parameters are named as ``named_parameters()`` names them. ``collapse=True`` draws one
    node per layer, ``"neuron"`` one per neuron. Other options go to ``draw_graph``.

    >>> import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=0)
    >>> g = draw_model(model, [0.5, -1.0], collapse=True)
    >>> g.source.count(" nodes, ")                # one node per layer: "128 nodes, 48 parameters"
    3
    """
    from nn.record import record_calls  # viz -> nn: the recorder lives with the modules

    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"draw_model: expected an nn model (an nn.Module), got {type(model).__name__}")
    with record_calls() as record:
        out = model(x)
        if loss_fn is not None:
            root = loss_fn(out, target)
        elif isinstance(out, (list, tuple)) and len(out) == 1:
            root = out[0]
        elif isinstance(out, (list, tuple)):
            raise ValueError(
                f"draw_model: the model returns {len(out)} outputs; pass loss_fn= (and target=) to draw "
                f"one graph, or draw one output with draw_graph(out[k], modules=...)"
            )
        else:
            root = out
    if grads == "computed" and getattr(getattr(root, "data", 0.0), "size", 1) != 1:
        grads = "stored"  # a simulated backward needs a single-number root, as backward() does
    return draw_graph(
        root, modules=record, collapse=collapse, grads=grads, params=dict(model.named_parameters()), **options
    )


def backward_frames(
    root: Any,
    *,
    rankdir: str = "LR",
    style: str = "record",
    show_data: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Optional[Dict[str, Any]] = None,
    modules: Any = None,
    legend: bool = True,
) -> List[DotGraph]:
    """One drawing per step of ``backward()``: one per node with a local rule, in the order
    the rules run (reverse topological order).

    Each frame highlights the node whose rule is running (its op and its upstream gradient,
    bold on yellow), shows in red the parts that rule sends along its input edges, and the
    inputs that just received them. Gradients that are not complete yet (some consumer's
    rule has not run) are grey. The backward pass is simulated from each node's own rule;
    no ``.grad`` changes, and ``backward()`` is not called. ``frame.info["grads"]`` holds
    the gradients after the step, in topological order; after the last frame they equal
    what ``backward()`` computes. ``modules=`` boxes nodes by module, as in ``draw_graph``.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = a + a; b.label = "b"
    >>> frames = backward_frames(b)
    >>> len(frames), frames[-1].info["grads"]
    (1, [2.0, 1.0])
    """
    _check_options("backward_frames", rankdir, style, "flow", "computed")
    g = _walk(root, "backward_frames", max_nodes, params, modules)
    steps = _rule_steps(g)
    a = g.adapter
    # The same simulation as _simulate, one rule per frame (a snapshot after each).
    grads = [a.zero(node) for node in g.order]
    grads[-1] = a.add(g.order[-1], grads[-1], a.seed(g.order[-1], "backward_frames"))
    parts: List[Optional[List[Any]]] = [None] * len(g.order)
    # A node's gradient is complete once every consumer's rule has run: count them down.
    waiting = list(g.uses)
    frames = []
    for k, i in enumerate(steps, start=1):
        sent = parts[i] = a.contributions(g.order[i], grads[i])
        for j, part in zip(g.inputs[i], sent):
            waiting[j] -= 1
            if part is not None:
                grads[j] = a.add(g.order[j], grads[j], part)
        grads, parts = list(grads), list(parts)  # this frame keeps its own snapshot
        final = [w == 0 for w in waiting]
        received = tuple(sorted({j for j, p in zip(g.inputs[i], parts[i] or ()) if p is not None}))
        title = (
            f"backward step {k} of {len(steps)}: the {g.adapter.op(g.order[i])} rule of "
            f"{g.name(i)} sends its gradient {g.adapter.number_text(grads[i])} to its inputs"
        )
        look = _Look(rankdir, show_data, True, style, "flow", legend, title, i, final, received)
        build = _circuit_dot if style == "circuit" else _record_dot
        info = {"step": k, "steps": len(steps), "node": i, "grads": grads, "parts": parts, "final": final}
        frames.append(DotGraph(build(g, grads, parts, look), info=info))
    return frames


def to_text(
    root: Any, *, max_nodes: int = DEFAULT_MAX_NODES, grads: str = "stored", params: Optional[Dict[str, Any]] = None
) -> str:
    """The graph as an indented tree: each value with its data, grad and the op that made it.

    A subexpression used more than once is printed in full the first time and referred to
    by its id (``#3``) after that; leaves are one line, so they are repeated. No recursion.
    ``grads`` and ``params`` as for ``draw_graph``; a Tensor's line starts with its shape.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = a * a + a; b.label = "b"
    >>> print(to_text(b))
    b = #2  data 6.0000  grad 0.0000  (+)
    ├── #1  data 4.0000  grad 0.0000  (*)
    │   ├── a = #0  data 2.0000  grad 0.0000  parameter
    │   └── a = #0  data 2.0000  grad 0.0000  parameter
    └── a = #0  data 2.0000  grad 0.0000  parameter
    """
    _check_options("to_text", "LR", "record", None, grads)
    g = _walk(root, "to_text", max_nodes, params)
    if grads == "computed":
        values = _simulate(g, "to_text(grads='computed')")[0]
    else:
        values = [g.adapter.stored_grad(n) for n in g.order]
    a = g.adapter
    lines: List[str] = []
    shown = set()
    # Explicit stack of (node position, prefix for its line, prefix for its children).
    stack: List[Tuple[int, str, str]] = [(len(g.order) - 1, "", "")]
    while stack:
        i, lead, child_lead = stack.pop()
        node = g.order[i]
        label = g.label(i)
        head = f"{label} = #{i}" if label is not None else f"#{i}"
        if g.roles[i] == "constant":
            lines.append(f"{lead}{a.value_text(node)}  constant")
            continue
        what = f"({a.op(node)})" if g.inputs[i] else g.roles[i]
        if g.inputs[i] and i in shown:
            lines.append(f"{lead}{head}  ({a.op(node)}, shown above)")
            continue
        shown.add(i)
        grad = a.grad_text(values[i]) if a.requires_grad(node) else "no grad"
        shape = a.shape_text(node)
        data = a.data_text(node) if shape is None else f"{shape}  {a.data_text(node)}"
        lines.append(f"{lead}{head}  {data}  {grad}  {what}")
        children = g.inputs[i]
        for k in range(len(children) - 1, -1, -1):  # pushed last first: printed in argument order
            last = k == len(children) - 1
            stack.append((children[k], child_lead + ("└── " if last else "├── "), child_lead + ("    " if last else "│   ")))
    return "\n".join(lines)
