"""Draw a computation graph, step through backprop on it, or print it as text.

``draw_graph(root)`` turns the graph behind ``root`` into a ``DotGraph`` (DOT source that
displays in Jupyter and saves to svg/png/pdf). ``backward_frames(root)`` simulates
``backward()`` one local rule at a time and draws each step. ``to_text(root)`` prints the
same graph as an indented tree for a terminal, and ``backward_steps(root)`` (explained by
``viz.steps``) prints each step of backward with the engine's own rule source and its numbers.

The defaults make slides: no option is needed for a picture that reads from the back
row of a lecture hall. What the pictures show:

* every value as a table of ``label | data | grad`` cells, coloured and outlined by role
  (a legend row under the graph names the roles present): *input* (data: pale blue, a
  dashed outline), *parameter* (pale yellow, a thick outline), *intermediate* (white),
  *output* (the root, usually the loss: pale green, the thickest outline); a small node
  per op between a value and its inputs, one edge per argument, so ``b = a + a`` has two
  edges from ``a``.
* who is an input. A leaf with ``requires_grad=False`` is data: an input. A leaf named in
  ``params=`` or owned by a model recorded in ``modules=`` is a parameter. Say which
  leaves are data with one word, ``inputs=[x1, x2]``: they are drawn as inputs (their
  gradients are still computed and shown, as the engine computes them). Once parameters
  are known (``params=`` or ``modules=``), every other leaf that requires grad is an
  input; with ``inputs=`` alone, every other one is a parameter; with neither, a leaf
  that requires grad is a parameter, the engine's own definition. The engine's
  ``requires_grad`` semantics are untouched: this is about the picture only.
* names for people: a model's parameters are named ``W1[4, 2]``, ``b1[4]`` (layer
  numbers and indices from 1) with their state-dict key (``0.weight[3, 1]``) as a smaller
  second line; module boxes read ``layer 1 (2 -> 16, relu)`` and ``neuron 1 of layer 1``.
* *constants* (Python numbers met by an op: ``x * 2``, ``x ** 2``, the slope of
  ``leaky_relu``) are unlabelled leaves with ``requires_grad=False``; they are drawn as a
  small grey oval with just their number.
* a leaf with ``requires_grad=False`` shows ``no grad``: the engine computes none for it.
* ``Tensor`` graphs are drawn the same way, with a shape cell in every table, arrays of at
  most 4 elements written out and bigger ones summarised (data by min and max, gradients
  by their norm), the op with its settings (``sum(axis=1)``); ``viz.nodes`` has the details.
* micrograd's own ``Value`` objects (anything with ``data``, ``grad``, ``_prev``, ``_op``
  and ``_backward``, like micrograd 0.1.0's or the lecture's) are drawn too; see ``viz.nodes``.
* ``edge_labels="local"``: d(out)/d(in) on each edge (``∂``); ``"flow"``: the gradient
  part sent along the edge (``←``). Where parts add up (fan-out), the node shows the sum
  and its edges show the parts. Before ``backward()`` has run from the drawn root
  (``grads="stored"`` and the root's gradient is zero), flow labels show ``← …`` and the
  legend says that no gradient has flowed yet: never a silent 0.0000. ``grads="computed"``
  simulates the backward pass instead, changing no ``.grad``.
* ``style="circuit"``: the cs231n convention. Ops are gates, values live on the wires: the
  forward value in blue above each wire, the gradient it carries back (``←``) below it.

Colours are from Paul Tol's colour-blind-safe palettes and never carry meaning alone
(outline styles, arrows, italics and words carry it too); every text is at least 4.5:1
against what is behind it. In backward frames a gradient that is not complete yet is
written in italics with a trailing ``…``.

Layout for the screen. A drawing is made for ``screen`` (1920x1080 by default): of the
shapes ``viz.layout`` knows (left to right or top down; one-line or stacked cells) it
picks the one whose text is largest once the drawing is fitted to that screen. Pass
``rankdir=``/``cells=`` to choose yourself, ``screen=(900, 600)`` for a notebook cell or a
portrait page for a handout, ``font_size=`` for the size of the text in the drawing's
own units. All the text of a drawing has one size, so it reads evenly.

Stable pictures. Cells whose numbers change (gradients, gradient parts, the caption) are
sized for their widest text over every picture of the same graph (each backward frame,
and the drawing before and after ``backward()``), so Graphviz gives every picture the same
canvas and puts every node at the same coordinates: the numbers change, the picture
stays still.

Nothing here changes a graph (micrograd nodes excepted, see ``viz.nodes``: their rules
run on the real nodes with every gradient restored). Nothing recurses, and node ids come
from the traversal order (``autograd_lite.graph.topological_order``), never from ``id()``,
so the same expression gives byte-identical DOT on every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd_lite.graph import topological_order

from .clusters import COLLAPSE_LEVELS, Clusters, find_clusters, parameter_names
from .layout import Box, Link, Plan, choose
from .nodes import SMALL, NodeAdapter, adapter_for, fmt, name_map, node_list, walk
from .render import DotGraph
from .steps import Steps, explain_step
from .text import FONT, html_text, lines, text_width, visible

__all__ = [
    "draw_graph",
    "draw_model",
    "backward_frames",
    "backward_steps",
    "to_text",
    "GraphTooLarge",
    "DEFAULT_MAX_NODES",
    "ROLE_COLORS",
    "FONT_SIZE",
    "SCREEN",
]

#: Above this many value nodes a drawing is refused (graphviz takes seconds and the
#: picture is unreadable long before that). A 2-4-4-1 MLP on one sample has ~130.
DEFAULT_MAX_NODES = 400

#: The size of every text in a drawing, in points (its own units): what a notebook shows
#: at natural size. How big it reads projected depends on the layout (see ``viz.layout``).
FONT_SIZE = 14.0

#: The screen drawings are made for: a 1920x1080 projector.
SCREEN = (1920, 1080)

#: Fill colour and legend text of each node role (Paul Tol's pale scheme: colour-blind
#: safe, and black text on each is above 12:1).
ROLE_COLORS: Dict[str, Tuple[str, str]] = {
    "input": ("#bbccee", "input (data)"),
    "parameter": ("#eeeebb", "parameter"),
    "intermediate": ("#ffffff", "intermediate"),
    "output": ("#ccddaa", "output"),
    "constant": ("#dddddd", "constant"),
}
#: The second cue of each role, beside its colour: the outline (width, style).
ROLE_OUTLINE: Dict[str, Tuple[int, str]] = {
    "input": (2, "dashed"),
    "parameter": (2, ""),
    "intermediate": (1, ""),
    "output": (3, ""),
    "constant": (1, ""),
}
_ROLE_ORDER = ("input", "parameter", "constant", "intermediate", "output")
VALUE_COLOR = "#005a8c"  # forward values (circuit wires): 7.4:1 on white
GRAD_COLOR = "#a63603"  # gradients sent back: 6.7:1 on white; blue/orange stays apart for colour-blind eyes
MUTED = "#555555"  # "no grad", "← …": 7.5:1 on white, 4.6:1 on the palest fill
OP_FILL = "#f2f2f2"
MODULE_FILL = "#e8dff5"  # a collapsed module call (one node for a layer or a neuron)
CLUSTER_TEXT = "#4a148c"  # module box labels: 11.9:1 on white
CLUSTER_STYLE = {"model": "dashed", "layer": "solid", "neuron": "dotted"}  # the boxes' lines
HIGHLIGHT = "#eecc66"  # the gradient whose rule runs in a backward frame (bold, too)
RECEIVED = "#ffcccc"  # gradients that just received a part in a backward frame
PENDING = "…"  # after a gradient that is not complete yet (italic, too)
NOT_RUN_NOTE = "← …  backward() has not run from here: no gradient has flowed yet"


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
    keys: Dict[int, str] = field(default_factory=dict)  # id(node) -> state-dict key (from modules=)
    people: Dict[int, str] = field(default_factory=dict)  # id(node) -> a name for people (from keys)
    roles: List[str] = field(default_factory=list)
    clusters: Optional[Clusters] = None  # from modules= (nn.record_calls())
    groups: Optional[List[Optional[int]]] = None  # collapse: position -> cluster drawn as one node

    def label(self, i: int) -> Optional[str]:
        """The name drawn in the node's first cell: params= name, its label, a people's name."""
        node = self.order[i]
        key = id(node)
        name = self.names.get(key)
        if name is None:
            name = self.adapter.label(node)
            k = self.keys.get(key)
            if name is not None and k is not None and (name == k or k.endswith("." + name)):
                name = None  # nn labels its parameters with their keys (or local names): say it for people
        if name is None or name == "":
            name = self.people.get(key)
        return name if name else None

    def key(self, i: int) -> Optional[str]:
        """The state-dict key drawn as a smaller second line, when it says something new."""
        k = self.keys.get(id(self.order[i]))
        return k if k is not None and k != self.label(i) else None

    def name(self, i: int) -> str:
        """A label for text: the node's label, else its id."""
        return self.label(i) or f"#{i}"

    def describe(self, i: int) -> str:
        """A name for captions and steps: the label, else the expression that made it
        (``x1*w1 + x2*w2``, at most two levels deep and 32 characters), else what it is
        (``the ** result (4, 1)``). Never an internal id: the pictures show none."""
        label = self.label(i)
        if label is not None:
            return visible(label)
        if not self.inputs[i] and self.adapter.shape_text(self.order[i]) is None:
            return self.adapter.value_text(self.order[i])  # an unnamed scalar leaf: its number
        text = self._expression(i, 2)
        if text is not None and len(text) <= 32:
            return text
        a = self.adapter
        node = self.order[i]
        shape = a.shape_text(node)
        what = f"the {visible(a.op(node))} result" if self.inputs[i] else f"the {self.roles[i]}"
        return what + (f" {shape}" if shape is not None else "")

    def _expression(self, i: int, depth: int) -> Optional[str]:
        """``op`` applied to the inputs' names, nesting unnamed inputs up to ``depth`` levels."""
        a = self.adapter
        ins = self.inputs[i]
        if not ins or depth == 0:
            return None
        names = []
        for j in ins:
            name = self.label(j)
            if name is None and (self.roles[j] == "constant" or not self.inputs[j] and a.shape_text(self.order[j]) is None):
                name = a.value_text(self.order[j])  # a constant, or an unnamed scalar leaf: its number
            if name is None:
                inner = self._expression(j, depth - 1)  # depth <= 2: two calls deep at most
                if inner is None:
                    return None
                name = f"({inner})" if " " in inner else inner
            names.append(visible(name))
        op = visible(a.op(self.order[i]))
        op = "@" if op == "matmul" else op
        if len(names) == 2 and op in ("+", "-", "*", "/", "**", "@"):
            return f" {op} ".join(names)
        return f"{op}({', '.join(names)})"


def _walk(
    root: Any,
    where: str,
    max_nodes: int,
    params: Optional[Dict[str, Any]] = None,
    modules: Any = None,
    collapse: Optional[str] = None,
    inputs: Optional[Iterable[Any]] = None,
) -> _Graph:
    adapter = adapter_for(root, where)
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"{where}: max_nodes must be a positive int, got {max_nodes!r}")
    names = name_map(params, where, adapter)
    marked = node_list(inputs, where, "inputs", adapter)
    # iterative: a million-node chain is fine; the engine's own order for its own nodes
    order = topological_order(root) if adapter.native else walk(root, adapter, max_nodes, where, _too_large_message)
    n = len(order)
    if n > max_nodes and collapse is None:
        _too_large(where, n, max_nodes, modules)
    index = {id(node): i for i, node in enumerate(order)}
    inputs_of = [[index[id(p)] for p in adapter.inputs(node)] for node in order]
    uses = [0] * n
    for ins in inputs_of:
        for j in ins:
            uses[j] += 1
    g = _Graph(adapter, order, index, inputs_of, uses, names)
    for key in marked:
        if key not in index:
            raise ValueError(
                f"{where}(inputs=...): one of the inputs is not a node of this graph; pass the leaves "
                f"the output was computed from, e.g. inputs=[x1, x2]"
            )
    if modules is not None:
        g.clusters = find_clusters(modules, order, index, inputs_of, where)
        for pid, (state_key, people) in parameter_names(modules).items():
            g.keys[pid], g.people[pid] = state_key, people
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
    known_params = bool(names) or bool(g.keys)
    for i, node in enumerate(order):
        key = id(node)
        if i == n - 1:
            role = "output"
        elif inputs_of[i]:
            role = "intermediate"
        elif key in names or key in g.keys:
            role = "parameter"
        elif key in marked:
            role = "input"
        elif not adapter.requires_grad(node):
            label = adapter.label(node)
            role = "constant" if (label is None or label == "") and adapter.is_constant(node) else "input"
        elif known_params:
            role = "input"  # parameters are known: a leaf that is not one of them is data
        else:
            role = "parameter"  # the engine's definition: a leaf that requires grad
        g.roles.append(role)
    return g


def _too_large_message(where: str, n: int, max_nodes: int) -> GraphTooLarge:
    return GraphTooLarge(
        f"{where}: this graph has more than {n:,} nodes, more than max_nodes={max_nodes:,}; a drawing "
        f"that big is unreadable and slow to lay out. Draw a single sample instead of a "
        f"batch, or a smaller model (or raise max_nodes=...)."
    )


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


def _seeded(g: _Graph, where: str) -> List[Any]:
    """Every node's gradient as ``backward()`` starts: zero, the root's seeded (d root/d root = 1)."""
    a = g.adapter
    grads = [a.zero(node) for node in g.order]
    last = len(g.order) - 1
    grads[last] = a.add(g.order[last], grads[last], a.seed(g.order[last], where))
    return grads


def _run_rule(g: _Graph, i: int, grads: List[Any]) -> Tuple[Any, List[Any]]:
    """One step of ``backward()`` on ``grads`` (in place, never on any ``.grad``): node ``i``'s
    own rule runs on its gradient and each part it sends is added to its input, in the
    engine's order. Returns (the gradient the rule got, the part sent along each input edge).
    ``add`` makes new values, so a copy of ``grads`` taken before is a snapshot."""
    a = g.adapter
    upstream = grads[i]
    sent = a.contributions(g.order[i], upstream)
    for j, part in zip(g.inputs[i], sent):
        if part is not None:
            grads[j] = a.add(g.order[j], grads[j], part)
    return upstream, sent


def _simulate(g: _Graph, where: str) -> Tuple[List[Any], List[Optional[List[Any]]]]:
    """``backward()`` from the root, without touching any ``.grad``.

    Returns each node's gradient and, per node whose rule ran, the part it sent along each
    input edge. The parts come from the nodes' own rules and are added in the engine's
    order, so the final gradients equal ``backward()``'s bit for bit.
    """
    grads = _seeded(g, where)
    parts: List[Optional[List[Any]]] = [None] * len(g.order)
    for i in _rule_steps(g):
        parts[i] = _run_rule(g, i, grads)[1]
    return grads, parts


def _rule_steps(g: _Graph) -> List[int]:
    """Positions of the nodes whose rule runs, in the order backward() runs them."""
    return [i for i in range(len(g.order) - 1, -1, -1) if g.adapter.has_rule(g.order[i])]


# ---------------------------------------------------------------------- what one picture shows


@dataclass
class _State:
    """The numbers of one picture: a draw_graph call, or one backward frame."""

    grads: Sequence[Any]
    parts: Sequence[Optional[List[Any]]]  # per node: the part sent along each input edge (None: none yet)
    ran: bool = True  # False: backward() has not run from the root: flow labels are pending
    final: Optional[List[bool]] = None  # frames: which gradients are complete
    active: Optional[int] = None  # frames: the node whose rule runs
    received: FrozenSet[int] = frozenset()  # frames: inputs that just received a part
    caption: Optional[str] = None  # frames: what this step does
    locals: Optional[List[Optional[List[Any]]]] = None  # edge_labels="local": d(out)/d(in) per edge


@dataclass
class _Look:
    """How to draw: the options of draw_graph, after the layout was chosen."""

    style: str
    show_data: bool
    show_grad: bool
    edge_labels: Optional[str]
    legend: bool
    font_size: float
    rankdir: str = "LR"
    cells: str = "row"
    frames: bool = False  # the pictures are backward frames (a caption, pending gradients)

    @property
    def pad(self) -> int:
        return max(2, round(self.font_size * 0.22))

    @property
    def line(self) -> float:
        """Height of one line of text, in points (DejaVu Sans: ascent + descent)."""
        return self.font_size * 1.17

    @property
    def small(self) -> float:
        """The second line of a parameter (its state-dict key): 80% of the text."""
        return round(self.font_size * 0.8, 1)


@dataclass
class _Text:
    """One piece of text in a cell or on an edge: its HTML, its plain form (to measure)."""

    html: str
    plain: str
    bold: bool = False
    size: Optional[float] = None  # None: the drawing's font size


def _t(text: str, bold: bool = False, italic: bool = False, color: Optional[str] = None, lines: bool = False) -> _Text:
    """Text for a cell: escaped (user labels are shown exactly as typed), one line unless
    ``lines`` (then each ``\\n`` of viz's own text, a Jacobian's rows, starts a line)."""
    if lines:
        body = "<BR/>".join(html_text(line) for line in text.split("\n"))
        return _Text(_style(body, bold, italic, color), "\n".join(visible(line) for line in text.split("\n")), bold)
    return _Text(_style(html_text(text), bold, italic, color), visible(text), bold)


def _style(body: str, bold: bool, italic: bool, color: Optional[str]) -> str:
    if italic:
        body = f"<I>{body}</I>"
    if bold:
        body = f"<B>{body}</B>"
    if color:
        body = f'<FONT COLOR="{color}">{body}</FONT>'
    return body


def _grad_text(g: _Graph, look: _Look, state: _State, i: int) -> Optional[_Text]:
    """The gradient cell of value ``i`` (None: no cell)."""
    if not look.show_grad:
        return None
    a = g.adapter
    node = g.order[i]
    if not a.requires_grad(node):
        # The engine computes no gradient for it; "grad 0.0000" would read as d(out)/d(x) = 0.
        return _t("no grad", italic=True, color=MUTED)
    text = a.grad_text(state.grads[i])
    if state.final is not None and not state.final[i]:
        return _t(f"{text} {PENDING}", italic=True)  # some consumer's rule has not run yet
    return _t(text, bold=state.active == i)


def _local_text(a: NodeAdapter, local: Any) -> _Text:
    """d(out)/d(in) on an edge or wire: ``∂ 0.5000``, a Jacobian's rows on lines below the ``∂``."""
    text = a.local_text(local)
    return _t(f"∂\n{text}" if "\n" in text else f"∂ {text}", lines=True)


_NOT_SENT = _t(f"← {PENDING}", italic=True, color=MUTED)  # no gradient part on this edge (yet)


def _edge_text(g: _Graph, look: _Look, state: _State, i: int, k: int) -> Optional[_Text]:
    """The label of input edge ``k`` of node ``i`` (None: no label, in every picture)."""
    a = g.adapter
    j = g.inputs[i][k]
    takes_grad = a.requires_grad(g.order[j])
    if look.edge_labels == "local":
        row = state.locals[i] if state.locals is not None else None
        local = row[k] if row is not None else None
        if local is None:
            return None
        return _local_text(a, local)
    if look.edge_labels != "flow" or not takes_grad:
        return None  # constants and data: the engine sends them nothing
    sent = state.parts[i]
    part = sent[k] if sent is not None else None
    if not state.ran or part is None:
        return _NOT_SENT
    hot = state.active == i
    return _t(f"← {a.number_text(part)}", bold=hot, color=GRAD_COLOR)


# ---------------------------------------------------------------------- tables and their sizes


@dataclass
class _Cell:
    text: _Text
    slot: Optional[Tuple[Any, ...]] = None  # a cell whose text changes between pictures
    attrs: str = ""
    second: Optional[_Text] = None  # a smaller second line (a parameter's key)


class _Slots:
    """Widths reserved for text that changes between pictures of one graph.

    In measuring mode (``fixed=None``) it records the widest text each slot holds; in
    drawing mode it gives each slot its reserved width, so the layout never moves.
    """

    def __init__(self, look: _Look, fixed: Optional[Dict[Tuple[Any, ...], float]] = None) -> None:
        self.look = look
        self.fixed = fixed
        self.seen: Dict[Tuple[Any, ...], float] = {}

    def width(self, text: _Text) -> float:
        size = text.size or self.look.font_size
        widest = max(text_width(line, size, text.bold) for line in text.plain.split("\n"))
        return widest * 1.06 + 2 * self.look.pad + 2  # 6% over DejaVu's widths, the padding, the border

    def see(self, slot: Tuple[Any, ...], text: Optional[_Text]) -> None:
        if text is not None:
            w = self.width(text)
            if w > self.seen.get(slot, 0.0):
                self.seen[slot] = w

    def reserved(self, slot: Optional[Tuple[Any, ...]], text: _Text) -> float:
        own = self.width(text)
        if slot is None or self.fixed is None:
            return own
        return max(own, self.fixed.get(slot, 0.0))


def _cell_html(c: _Cell, slots: _Slots) -> Tuple[str, float, float]:
    """One ``<TD>``, and its (width, height) in points."""
    look = slots.look
    w = slots.reserved(c.slot, c.text)
    n_lines = c.text.plain.count("\n") + 1
    h = n_lines * look.line + 2 * look.pad + 2
    body = c.text.html
    if c.second is not None:
        body += f'<BR/><FONT POINT-SIZE="{look.small:g}">{c.second.html}</FONT>'
        w = max(w, slots.width(c.second) * look.small / look.font_size)
        h += look.small * 1.17
    # Graphviz's WIDTH is the cell's whole width: the text, the padding and the border.
    width = f' WIDTH="{math.ceil(w)}"' if c.slot is not None and slots.fixed is not None else ""
    return f"<TD{width}{c.attrs}>{body}</TD>", w, h


def _table(
    rows: List[List[_Cell]], slots: _Slots, attrs: str, border: int, lines: bool = False
) -> Tuple[str, Tuple[float, float]]:
    """An HTML-like table and its estimated size; ``lines``: thin lines between its cells
    (the table's own outline carries the role's style)."""
    html_rows = []
    width = 0.0
    height = 0.0
    for r, row in enumerate(rows):
        if lines:
            row = [
                _Cell(c.text, c.slot, ' BORDER="1" SIDES="' + ("L" if k else "T") + '"' + c.attrs, c.second)
                if (k or r) else c
                for k, c in enumerate(row)
            ]
        cells = [_cell_html(c, slots) for c in row]
        if len(cells) > 1 or len(rows) == 1:
            html_rows.append("<TR>" + "".join(c[0] for c in cells) + "</TR>")
        else:
            html_rows.append("<TR>" + cells[0][0] + "</TR>")
        width = max(width, sum(c[1] for c in cells))
        height += max(c[2] for c in cells)
    # Cells of a column share the widest cell's width: single-cell rows stretch (COLSPAN).
    widest = max(len(r) for r in rows)
    if widest > 1:
        html_rows = [r.replace("<TD", f'<TD COLSPAN="{widest}"', 1) if r.count("<TD") == 1 else r for r in html_rows]
    return f"<TABLE{attrs}>{''.join(html_rows)}</TABLE>", (width + 2 * border, height + 2 * border)


# ---------------------------------------------------------------------- the DOT of one picture


class _Drawing:
    """A graph and its look; ``dot(state)`` draws one picture of it, all pictures alike."""

    def __init__(self, g: _Graph, look: _Look) -> None:
        self.g = g
        self.look = look
        self.widths: Dict[Tuple[Any, ...], float] = {}
        self.footer_width = 0.0
        self.spine = _spine(g)

    # ------------------------------------------------------------ planning

    def plan(self, states: Sequence[_State], screen: Tuple[int, int], rankdirs: Sequence[str], cells: Sequence[str]) -> Plan:
        """Reserve every changing slot's widest text over ``states``, then choose the layout."""
        slots = _Slots(self.look)
        self.note_variants: Dict[str, set] = {}
        for state in states:
            self._measure(state, slots)
            for name, text, italic, _color in self._notes(state):
                self.note_variants.setdefault(name, set()).add(text)
                slots.see(("note", name), _t(text, italic=italic))
        self.widths = slots.seen
        boxes: Dict[str, Box] = {}
        links: List[Link] = []
        depth = self._depths()
        shown_cells = cells if self.look.style == "record" else ("row",)
        for cl in shown_cells:
            self.look.cells = cl
            sizes, labels = self._sizes(states[0])
            for dot_id, size in sizes.items():
                box = boxes.setdefault(dot_id, Box(dot_id, {}, depth.get(dot_id, 0)))
                box.size[cl] = size
            if not links:
                links = [Link(s, d, labels.get((s, d, n), (0.0, 0.0))) for (s, d, n) in self._links()]
        spacing = self._spacing()
        widest = max(states, key=lambda st: len(st.caption or ""))
        plan = choose(
            list(boxes.values()), links, screen, rankdirs=rankdirs, cells=shown_cells, nodesep=spacing[0] * 72,
            ranksep=spacing[1] * 72, box_margin=8.0, box_label=self.look.line + 4,
            footer=lambda w: self.footer_size(widest, w),
        )
        self.look.rankdir, self.look.cells = plan.rankdir, plan.cells
        # The footer (caption, legend) wraps to the width of the graph it sits under.
        self.footer_width = plan.estimates[(plan.rankdir, plan.cells)][0]
        slots = _Slots(self.look)
        most = 0
        for state in states:
            caption = self._caption_lines(state)
            most = max(most, len(caption))
            for caption_line in caption:
                slots.see(("caption",), caption_line)
        self.widths.update(slots.seen)
        self.widths[("caption_lines",)] = float(most)
        return plan

    def _measure(self, state: _State, slots: _Slots) -> None:
        g, look = self.g, self.look
        for i in range(len(g.order)):
            if g.roles[i] == "constant" or (g.groups is not None and g.groups[i] is not None):
                continue  # no cell of its own (a constant's oval; inside a collapsed call)
            slots.see(("g", i), _grad_text(g, look, state, i))
            if look.style == "circuit":
                for k in range(len(g.inputs[i])):
                    slots.see(("w", i, k), self._wire_text(state, g.inputs[i][k], i, k, state.active == i))
                if g.inputs[i]:
                    slots.see(("out", i), self._wire_text(state, i, None, None, False))
            else:
                for k in range(len(g.inputs[i])):
                    slots.see(("e", i, k), _edge_text(g, look, state, i, k))

    def _depths(self) -> Dict[str, int]:
        g = self.g
        out: Dict[str, int] = {}
        if g.clusters is None:
            return out
        cl = g.clusters.clusters
        for i, owner in enumerate(g.clusters.owner):
            d = 0
            k = owner
            while k is not None:
                d += 1
                k = cl[k].parent
            out[f"n{i}"] = out[f"n{i}op"] = d
            if g.groups is not None and g.groups[i] is not None:
                out[f"c{g.groups[i]}"] = max(0, d - 1)
        return out

    def _spacing(self) -> Tuple[float, float]:
        """(nodesep, ranksep) in inches, in proportion to the font."""
        fs = self.look.font_size
        return round(fs * 0.5 / 72, 3), round(fs * 0.8 / 72, 3)

    # ------------------------------------------------------------ pieces

    def _notes(self, state: _State) -> List[Tuple[str, str, bool, Optional[str]]]:
        """The legend's notes: (slot name, text, italic, colour)."""
        look = self.look
        out: List[Tuple[str, str, bool, Optional[str]]] = []
        if look.style == "circuit" and look.show_data:
            out.append(("values", "value (forward)", False, VALUE_COLOR))
        if look.style == "circuit" and look.show_grad:
            out.append(("grads", "← gradient (backward)", False, GRAD_COLOR))
        if look.edge_labels == "local":
            out.append(("local", self.g.adapter.local_legend, False, None))
        elif look.edge_labels == "flow" and look.style == "record":
            # Before backward() the same slot says why no number flows (never a silent 0.0000).
            out.append(("flow", "← gradient part sent back", False, None) if state.ran else ("flow", NOT_RUN_NOTE, True, None))
        if look.frames:
            out.append(("pending", f"grad {PENDING} = not complete yet", True, None))
        return out

    def _caption_lines(self, state: _State) -> List[_Text]:
        if state.caption is None:
            return []
        size = self.look.font_size
        return [_t(line, bold=True) for line in lines(state.caption, max(self.footer_width, 200.0), size, True)]

    def _swatches(self) -> List[Tuple[str, float]]:
        """The legend's role swatches: (cell, width), each in its role's fill and outline."""
        g, look = self.g, self.look
        drawn = {r for i, r in enumerate(g.roles) if g.groups is None or g.groups[i] is None}
        drawn.add("output")  # the root, or the collapsed call that holds it, is filled as the output
        out: List[Tuple[str, float]] = []
        for role in _ROLE_ORDER:
            if role not in drawn:
                continue
            fill, text = ROLE_COLORS[role]
            width, style = ROLE_OUTLINE[role]
            style_attr = ' STYLE="rounded"' if role == "constant" else (f' STYLE="{style}"' if style else "")
            w = text_width(text, look.font_size) * 1.06 + 2 * look.pad + 2 * width
            out.append((f'<TD BGCOLOR="{fill}" BORDER="{width}"{style_attr}>{html_text(text)}</TD>', w))
        if g.groups is not None:
            text = "a module, collapsed"
            w = text_width(text, look.font_size) * 1.06 + 2 * look.pad + 4
            out.append((f'<TD BGCOLOR="{MODULE_FILL}" BORDER="2" COLOR="{CLUSTER_TEXT}">{html_text(text)}</TD>', w))
        return out

    def _legend_plan(self) -> Tuple[bool, float, Dict[str, int]]:
        """(swatches and notes on one line?, the width notes wrap to, lines per note): the same
        for every picture of the graph, from the widest text each note ever holds."""
        look = self.look
        sp = look.pad + 2
        sw = sum(w for _, w in self._swatches()) + sp * (len(self._swatches()) + 1)
        notes = self.note_variants
        one_line = sw + sum(self.widths.get(("note", n), 0.0) + sp for n in notes) <= self.footer_width
        wrap = max(sw - 2 * sp - 2 * look.pad, 16 * look.font_size)
        counts = {n: max(len(lines(v, wrap, look.font_size)) for v in variants) for n, variants in notes.items()}
        return one_line, wrap, counts

    def _fixed_table(self, rows: List[str], width: float, height: float) -> str:
        """A table of the given size: Graphviz stretches a table in a wider row, but not a fixed one."""
        sp = self.look.pad + 2
        return (
            f'<TABLE FIXEDSIZE="TRUE" WIDTH="{math.ceil(width)}" HEIGHT="{math.ceil(height)}" BORDER="0" '
            f'CELLSPACING="{sp}" CELLPADDING="{self.look.pad}">{"".join(rows)}</TABLE>'
        )

    def _legend_tables(self, state: _State) -> List[Tuple[str, float, float]]:
        """The legend as fixed-size tables (html, width, height): the swatches, then the notes."""
        look = self.look
        sp = look.pad + 2
        row_h = look.line * 1.12 + 2 * look.pad + 6
        swatches = self._swatches()
        notes = self._notes(state)
        one_line, wrap, counts = self._legend_plan()
        out: List[Tuple[str, float, float]] = []
        if one_line:
            cells = [c for c, _ in swatches]
            width = sum(w for _, w in swatches) + sp * (len(swatches) + 1)
            for name, text, italic, color in notes:
                w = self.widths.get(("note", name), 0.0)
                cells.append(f'<TD BORDER="0" ALIGN="LEFT">{_style(html_text(text), False, italic, color)}</TD>')
                width += w + sp
            out.append((self._fixed_table(["<TR>" + "".join(cells) + "</TR>"], width * 1.04, row_h + 2 * sp), width, row_h))
            return out
        if swatches:
            width = sum(w for _, w in swatches) + sp * (len(swatches) + 1)
            out.append((self._fixed_table(["<TR>" + "".join(c for c, _ in swatches) + "</TR>"], width * 1.04, row_h + 2 * sp), width, row_h))
        for name, text, italic, color in notes:
            ls = lines(text, wrap, look.font_size)
            ls += [" "] * (counts.get(name, len(ls)) - len(ls))  # as many lines in every picture
            body = '<BR ALIGN="LEFT"/>'.join(_style(html_text(line), False, italic, color) for line in ls)
            width = wrap * 1.06 + 2 * look.pad + 2 * sp
            height = len(ls) * look.line * 1.12 + 2 * look.pad + 2 * sp + 2
            out.append((self._fixed_table([f'<TR><TD BORDER="0" ALIGN="LEFT" BALIGN="LEFT">{body}<BR ALIGN="LEFT"/></TD></TR>'], width, height), width, height))
        return out

    def _footer(self, state: _State, slots: _Slots) -> Optional[str]:
        """The graph's label: the caption (frames) over the legend (the roles present, and notes)."""
        rows: List[str] = []
        caption = self._caption_lines(state)
        n_caption = int(self.widths.get(("caption_lines",), len(caption)))
        width = f' WIDTH="{math.ceil(self.widths.get(("caption",), 0.0))}"' if caption and slots.fixed is not None else ""
        for c in caption + [_t(" ")] * (n_caption - len(caption)):  # as many lines in every frame
            rows.append(f'<TR><TD BORDER="0" ALIGN="LEFT" BALIGN="LEFT"{width}>{c.html}</TD></TR>')
        if self.look.legend:
            for table, _, _ in self._legend_tables(state):
                rows.append(f'<TR><TD BORDER="0">{table}</TD></TR>')
        if not rows:
            return None
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>>'

    def footer_size(self, state: _State, graph_width: float) -> Tuple[float, float]:
        """The footer's (width, height) under a graph ``graph_width`` wide (for choosing the layout)."""
        saved = self.footer_width
        self.footer_width = graph_width
        try:
            w = 0.0
            h = len(self._caption_lines(state)) * self.look.line * 1.2
            if self.look.legend:
                for _, tw, th in self._legend_tables(state):
                    w, h = max(w, tw), h + th
            return w, h
        finally:
            self.footer_width = saved

    def _value_rows(self, state: _State, i: int) -> List[List[_Cell]]:
        g, look = self.g, self.look
        a = g.adapter
        node = g.order[i]
        cells: List[_Cell] = []
        label = g.label(i)
        if label is not None:
            key = g.key(i)
            cells.append(_Cell(_t(label, bold=True), second=_t(key) if key is not None else None))
        shape = a.shape_text(node)
        if shape is not None:  # Tensor nodes: the shape is always shown (it is what their ops check)
            cells.append(_Cell(_t(shape)))
        if look.show_data:
            cells.append(_Cell(_t(a.data_text(node))))
        grad = _grad_text(g, look, state, i)
        if grad is not None:
            attrs = ""
            if state.active == i:
                attrs = f' BGCOLOR="{HIGHLIGHT}"'  # the upstream gradient, bold
            elif i in state.received:
                attrs = f' BGCOLOR="{RECEIVED}"'
            cells.append(_Cell(grad, slot=("g", i), attrs=attrs))
        if not cells:
            cells.append(_Cell(_Text(" ", " ")))
        return [cells] if look.cells == "row" else [[c] for c in cells]

    def _value_node(self, state: _State, i: int, slots: _Slots) -> Tuple[str, Tuple[float, float]]:
        g = self.g
        role = g.roles[i]
        width, style = ROLE_OUTLINE[role]
        color = GRAD_COLOR if state.active == i else "#000000"
        attrs = (
            f' BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{self.look.pad}" '
            f'BGCOLOR="{ROLE_COLORS[role][0]}" COLOR="{color}"' + (f' STYLE="{style}"' if style else "")
        )
        table, size = _table(self._value_rows(state, i), slots, attrs, width, lines=True)
        # A frame outlines the node whose rule runs; every table has the frame, drawn only
        # then, so the highlight never moves anything.
        ring = GRAD_COLOR if state.active == i else "transparent"
        table = f'<TABLE BORDER="3" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" COLOR="{ring}"><TR><TD>{table}</TD></TR></TABLE>'
        return f'  n{i} [id="n{i}", shape=plain{self._group(i)}, label=<{table}>];', (size[0] + 6, size[1] + 6)

    def _group(self, i: int) -> str:
        """The main chain shares a Graphviz group: drawn as a straight line, inputs to its side."""
        return ", group=spine" if i in self.spine else ""

    def _op_node(self, i: int, fill: str, hot: bool, shape: str = "ellipse") -> Tuple[str, Tuple[float, float]]:
        """The op's node: a small ellipse between a value and its inputs, or a circuit's gate (``circle``)."""
        look = self.look
        text = visible(self.g.adapter.op(self.g.order[i]))
        extra = f', color="{GRAD_COLOR}", penwidth=3' if hot else ""
        w = text_width(text, look.font_size) * 1.25 + look.font_size
        h = look.line * 1.3
        return (
            f'  n{i}op [id="n{i}op", shape={shape}{self._group(i)}, style=filled, fillcolor="{fill}", height={h / 72:.3f}, '
            f"margin=0.04, label=<{html_text(text)}>{extra}];",
            (w, h),
        )

    def _constant_node(self, i: int) -> Tuple[str, Tuple[float, float]]:
        look = self.look
        text = self.g.adapter.value_text(self.g.order[i])
        w = text_width(text, look.font_size) + look.font_size
        return (
            f'  n{i} [id="n{i}", shape=ellipse, style=filled, fillcolor="{ROLE_COLORS["constant"][0]}", '
            f"margin=0.04, height={look.line * 1.2 / 72:.3f}, label=<{html_text(text)}>];",
            (w, look.line * 1.3),
        )

    def _edge_label(self, text: Optional[_Text], slot: Tuple[Any, ...], slots: _Slots) -> Tuple[str, Tuple[float, float]]:
        if text is None:
            return "", (0.0, 0.0)
        table, size = _table([[_Cell(text, slot=slot)]], slots, ' BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1"', 0)
        return f"label=<{table}>", size

    # ------------------------------------------------------------ whole pictures

    def _links(self) -> List[Tuple[str, str, int]]:
        """(source id, target id, edge number) of every edge, in drawing order."""
        g = self.g
        out: List[Tuple[str, str, int]] = []
        if self.look.style == "circuit":
            src = self._circuit_sources()
            for i, ins in enumerate(g.inputs):
                for k, j in enumerate(ins):
                    out.append((src[j], f"n{i}op", k))
                if ins and (i == len(g.order) - 1 or g.uses[i] > 1):
                    out.append((f"n{i}op", f"n{i}", -1))
            return out
        groups = g.groups
        for i, ins in enumerate(g.inputs):
            if not ins or (groups is not None and groups[i] is not None):
                continue
            for k, j in enumerate(ins):
                out.append((self._source(j), f"n{i}op", k))
            out.append((f"n{i}op", f"n{i}", -1))
        if groups is not None:
            for grp, source, _count in self._group_edges():
                out.append((source, f"c{grp}", -2))
        return out

    def _sizes(self, state: _State) -> Tuple[Dict[str, Tuple[float, float]], Dict[Tuple[str, str, int], Tuple[float, float]]]:
        slots = _Slots(self.look, self.widths)
        sizes: Dict[str, Tuple[float, float]] = {}
        labels: Dict[Tuple[str, str, int], Tuple[float, float]] = {}
        self._emit(state, slots, sizes, labels)
        return sizes, labels

    def dot(self, state: _State) -> str:
        return self._emit(state, _Slots(self.look, self.widths), {}, {})

    def _emit(
        self,
        state: _State,
        slots: _Slots,
        sizes: Dict[str, Tuple[float, float]],
        labels: Dict[Tuple[str, str, int], Tuple[float, float]],
    ) -> str:
        look = self.look
        fs = look.font_size
        nodesep, ranksep = self._spacing()
        lines_ = [
            "digraph G {",
            f'  graph [rankdir={look.rankdir}, fontname="{FONT}", fontsize={fs:g}, nodesep={nodesep}, '
            f"ranksep={ranksep}, pad=0.1, labelloc=b, labeljust=c"
            # module boxes: a second crossing-reduction pass would undo the neurons' order
            + (", remincross=false" if self.g.clusters is not None else "") + "];",
            f'  node [fontname="{FONT}", fontsize={fs:g}];',
            f'  edge [fontname="{FONT}", fontsize={fs:g}, arrowsize=0.8, penwidth=1.3];',
        ]
        body = self._circuit(state, slots, sizes, labels) if look.style == "circuit" else self._record(state, slots, sizes, labels)
        lines_ += body
        footer = self._footer(state, slots)
        if footer is not None:
            lines_.append(f"  label={footer};")
        lines_.append("}")
        return "\n".join(lines_) + "\n"

    def _record(self, state: _State, slots: _Slots, sizes: Dict[str, Tuple[float, float]], labels: Dict[Tuple[str, str, int], Tuple[float, float]]) -> List[str]:
        """micrograd-style: a table per value, a small node per op, edges input -> op -> value.

        With module clusters, the nodes each module call made are boxed (nested: neuron in
        layer in model); collapsed (``g.groups``), each layer or neuron call is one node."""
        g, look = self.g, self.look
        out: List[str] = []
        groups = g.groups
        emitted: Dict[int, List[str]] = {}  # position -> the DOT ids drawn for it (for cluster boxes)
        for i in range(len(g.order)):
            if groups is not None and groups[i] is not None:
                continue  # inside a collapsed module call: drawn by _group_nodes
            emitted[i] = [f"n{i}"]
            if g.roles[i] == "constant":
                text, sizes[f"n{i}"] = self._constant_node(i)
                out.append(text)
                continue
            text, sizes[f"n{i}"] = self._value_node(state, i, slots)
            out.append(text)
            if g.inputs[i]:
                text, sizes[f"n{i}op"] = self._op_node(i, OP_FILL, state.active == i)
                out.append(text)
                emitted[i].append(f"n{i}op")
        if groups is not None:
            out += self._group_nodes(state, slots, sizes)
        for i, ins in enumerate(g.inputs):
            if not ins or (groups is not None and groups[i] is not None):
                continue  # edges into a collapsed call: _group_edges draws one per source
            hot = state.active == i
            for k, j in enumerate(ins):
                label, size = self._edge_label(_edge_text(g, look, state, i, k), ("e", i, k), slots)
                attrs = [label] if label else []
                labels[(self._source(j), f"n{i}op", k)] = size
                if hot:
                    attrs += [f'color="{GRAD_COLOR}"', "penwidth=3"]
                out.append(f"  {self._source(j)} -> n{i}op" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
            out.append(f"  n{i}op -> n{i};")
        if groups is not None:
            for grp, src, count in self._group_edges():
                label = f" [label=<{count} values>]" if count > 1 else ""
                if count > 1:
                    labels[(src, f"c{grp}", -2)] = (text_width(f"{count} values", look.font_size) + 4, look.line)
                out.append(f"  {src} -> c{grp}{label};")
        if g.clusters is not None:
            out += self._cluster_boxes(emitted)
        return out

    def _source(self, j: int) -> str:
        """The DOT id an edge from position ``j`` leaves from (its collapsed call, if any)."""
        g = self.g
        return f"c{g.groups[j]}" if g.groups is not None and g.groups[j] is not None else f"n{j}"

    def _group_nodes(self, state: _State, slots: _Slots, sizes: Dict[str, Tuple[float, float]]) -> List[str]:
        """One node per collapsed module call: what it is, how much it hides, what it returned."""
        g, look = self.g, self.look
        assert g.clusters is not None and g.groups is not None
        a = g.adapter
        size: Dict[int, int] = {}
        for grp in g.groups:
            if grp is not None:
                size[grp] = size.get(grp, 0) + 1
        out = []
        last = len(g.order) - 1
        for key in sorted(size):
            c = g.clusters.clusters[key]
            outs = g.clusters.outputs_of(key, g.groups)
            label = c.group_label if outs is not c.outputs else c.label
            rows = [[_Cell(_t(label, bold=True))], [_Cell(_t(f"{size[key]} nodes, {c.num_parameters} parameters"))]]
            if len(outs) == 1 and a.shape_text(g.order[outs[0]]) is not None:
                rows.append([_Cell(_t(f"out {a.shape_text(g.order[outs[0]])}"))])
            if look.show_data:
                rows.append([_Cell(_t(_many_text(a, [g.order[i] for i in outs], "data")))])
            if look.show_grad:
                done = state.final is None or all(state.final[i] for i in outs)
                text = _many_text(a, [state.grads[i] for i in outs], "grad")
                rows.append([_Cell(_t(text) if done else _t(f"{text} {PENDING}", italic=True), slot=("group", key))])
            fill = ROLE_COLORS["output"][0] if g.groups[last] == key else MODULE_FILL
            table, sizes[f"c{key}"] = _table(
                rows, slots, f' BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{look.pad}" BGCOLOR="{fill}" COLOR="{CLUSTER_TEXT}"', 2
            )
            out.append(f'  c{key} [id="c{key}", shape=plain, label=<{table}>];')
        return out

    def _group_edges(self) -> List[Tuple[int, str, int]]:
        """Edges into collapsed calls: (group, source id, how many distinct values it sends)."""
        g = self.g
        assert g.groups is not None
        sources: Dict[int, Dict[str, set]] = {}  # group -> source id -> distinct positions sending
        for i, grp in enumerate(g.groups):
            if grp is None:
                continue
            for j in g.inputs[i]:
                if g.groups[j] == grp:
                    continue  # inside the call
                sources.setdefault(grp, {}).setdefault(self._source(j), set()).add(j)
        return [(grp, src, len(sent)) for grp in sorted(sources) for src, sent in sources[grp].items()]

    def _cluster_boxes(self, emitted: Dict[int, List[str]]) -> List[str]:
        """Nested boxes, one per module call, around the nodes it made (iteratively).

        Boxes of one parent are listed in their natural order (neuron 1, 2, 3) and tied in
        that order by invisible edges between their first nodes, so Graphviz keeps them so."""
        g = self.g
        assert g.clusters is not None
        clusters = g.clusters.clusters
        collapsed = set(grp for grp in g.groups if grp is not None) if g.groups is not None else set()
        out: List[str] = []
        stack: List[Tuple[int, int, bool]] = [(k, 1, False) for k in reversed(g.clusters.roots())]
        while stack:
            key, depth, closing = stack.pop()
            pad = "  " * depth
            if closing:
                out.append(pad + "}")
                continue
            if key in collapsed:
                out.append(f"{pad}c{key};")  # one node, placed in its parent's box
                continue
            c = clusters[key]
            if not c.children and not any(emitted.get(i) for i in c.own):
                continue  # everything it made is drawn in another node (an activation merged into its layer)
            out.append(f"{pad}subgraph cluster_m{key} {{")
            out.append(
                f'{pad}  label=<{html_text(c.label)}>; labeljust=l; fontcolor="{CLUSTER_TEXT}"; '
                f'style="rounded,{CLUSTER_STYLE[c.kind]}"; color="{CLUSTER_TEXT}"; margin=8;'
            )
            ids = [name for i in c.own for name in emitted.get(i, ())]
            if ids:
                out.append(pad + "  " + "; ".join(ids) + ";")
            # Collapsed neurons in their natural order: neuron 1 first (above, or left when top
            # down), tied by invisible edges inside their layer's box (outside it, Graphviz
            # would drop the box).
            kids = sorted((k for k in c.children if k in collapsed and clusters[k].kind == "neuron"),
                          key=lambda k: clusters[k].index)
            if self.look.rankdir in ("LR", "RL"):
                kids.reverse()  # left to right, a rank's first node is drawn at the bottom: flip it to the top
            if len(kids) > 1:
                out.append(f"{pad}  {{ rank=same; " + " -> ".join(f"c{k}" for k in kids) + " [style=invis]; }")
            stack.append((key, depth, True))
            for child in reversed(c.children):
                stack.append((child, depth + 1, False))
        return out

    # ------------------------------------------------------------ circuit

    def _circuit_sources(self) -> Dict[int, str]:
        g = self.g
        last = len(g.order) - 1
        src: Dict[int, str] = {}
        for i in range(len(g.order)):
            if not g.inputs[i]:
                src[i] = f"n{i}"
            elif i == last or g.uses[i] > 1:
                src[i] = f"n{i}"
            else:
                src[i] = f"n{i}op"
        return src

    def _wire_text(self, state: _State, j: int, i: Optional[int], k: Optional[int], hot: bool) -> Optional[_Text]:
        """What travels on a wire from value ``j``: its value above, the gradient (part) below."""
        g, look = self.g, self.look
        a = g.adapter
        rows: List[_Text] = []
        if look.show_data:
            rows.append(_t(a.value_text(g.order[j]), color=VALUE_COLOR))
        if look.show_grad and a.requires_grad(g.order[j]):
            if i is None:  # the wire into a branch point or the output: the total gradient
                done = state.final is None or state.final[j]
                grad = state.grads[j]
                rows.append(_t(f"← {a.number_text(grad)}", color=GRAD_COLOR) if done and state.ran else _NOT_SENT)
            else:
                sent = state.parts[i]
                part = sent[k] if sent is not None and k is not None else None
                rows.append(_t(f"← {a.number_text(part)}", bold=hot, color=GRAD_COLOR) if part is not None and state.ran
                            else _NOT_SENT)
        row = state.locals[i] if look.edge_labels == "local" and i is not None and state.locals is not None else None
        if row is not None and k is not None:
            local = row[k]
            if local is not None:
                rows.append(_local_text(a, local))
        if not rows:
            return None
        return _Text("<BR/>".join(r.html for r in rows), "\n".join(r.plain for r in rows), any(r.bold for r in rows))

    def _circuit(self, state: _State, slots: _Slots, sizes: Dict[str, Tuple[float, float]], labels: Dict[Tuple[str, str, int], Tuple[float, float]]) -> List[str]:
        """cs231n-style: gates for ops, values and gradients written on the wires."""
        g, look = self.g, self.look
        a = g.adapter
        last = len(g.order) - 1
        src = self._circuit_sources()
        out: List[str] = []
        emitted: Dict[int, List[str]] = {}
        for i, node in enumerate(g.order):
            role = g.roles[i]
            if not g.inputs[i]:  # a leaf: its name (and total gradient) where the wires start
                emitted[i] = [f"n{i}"]
                if role == "constant":
                    text = a.value_text(node)
                    out.append(f'  n{i} [id="n{i}", shape=plaintext, label=<{html_text(text)}>];')
                    sizes[f"n{i}"] = (text_width(text, look.font_size) + 8, look.line + 8)
                    continue
                rows: List[List[_Cell]] = [[_Cell(_t(g.name(i), bold=True))]]
                shape = a.shape_text(node)
                if shape is not None:
                    rows.append([_Cell(_t(shape))])
                grad = _grad_text(g, look, state, i)
                if grad is not None:
                    rows.append([_Cell(grad, slot=("g", i))])
                width, style = ROLE_OUTLINE[role]
                table_attrs = (
                    f' BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{look.pad}" '
                    f'BGCOLOR="{ROLE_COLORS[role][0]}" STYLE="rounded{"," + style if style else ""}"'
                )
                table, sizes[f"n{i}"] = _table(rows, slots, table_attrs, width)
                out.append(f'  n{i} [id="n{i}", shape=plain, label=<{table}>];')
                continue
            emitted[i] = [f"n{i}op"]
            text, sizes[f"n{i}op"] = self._op_node(i, ROLE_COLORS[role][0], state.active == i, "circle")
            out.append(text)
            if i == last or g.uses[i] > 1:
                # The sink (the output's name) or a branch point: the wire into it carries the
                # value and the total gradient; the wires out of a branch carry the parts.
                if i == last:
                    out.append(f'  n{i} [id="n{i}", shape=plaintext, label=<<B>{html_text(g.name(i))}</B>>];')
                    sizes[f"n{i}"] = (text_width(g.name(i), look.font_size, True) + 8, look.line + 8)
                else:
                    name = g.label(i)
                    xlabel = f", xlabel=<{html_text(name)}>" if name else ""
                    out.append(f'  n{i} [id="n{i}", shape=point, width=0.08{xlabel}];')
                    sizes[f"n{i}"] = (6.0, 6.0)
                emitted[i].append(f"n{i}")
                label, size = self._edge_label(self._wire_text(state, i, None, None, False), ("out", i), slots)
                labels[(f"n{i}op", f"n{i}", -1)] = size
                out.append(f"  n{i}op -> n{i}" + (f" [{label}]" if label else "") + ";")
        for i, ins in enumerate(g.inputs):
            hot = state.active == i
            for k, j in enumerate(ins):
                label, size = self._edge_label(self._wire_text(state, j, i, k, hot), ("w", i, k), slots)
                labels[(src[j], f"n{i}op", k)] = size
                attrs = [label] if label else []
                if hot:
                    attrs += [f'color="{GRAD_COLOR}"', "penwidth=3"]
                out.append(f"  {src[j]} -> n{i}op" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        if g.clusters is not None:
            out += self._cluster_boxes(emitted)
        return out


def _spine(g: _Graph) -> set:
    """The graph's main chain: from the output back along the input with the most nodes behind it."""
    n = len(g.order)
    behind = [1] * n  # how much hangs below each node (paths, capped: enough to rank)
    for i in range(n):
        for j in g.inputs[i]:
            behind[i] = min(behind[i] + behind[j], 1 << 40)
    spine = set()
    i = n - 1
    while True:
        spine.add(i)
        ins = [j for j in g.inputs[i] if g.groups is None or g.groups[j] is None]
        if not ins or (g.groups is not None and g.groups[i] is not None):
            return spine
        i = max(ins, key=lambda j: (behind[j], -ins.index(j)))


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
    values = np.array([float(v) if v is not None else 0.0 for v in items])
    if len(values) <= SMALL:
        return "grad [" + ", ".join(fmt(v) for v in values) + "]"
    with np.errstate(over="ignore", invalid="ignore"):
        return f"grad norm {fmt(float(np.sqrt(np.sum(values * values))))}"


# ---------------------------------------------------------------------- public API


def _check_options(
    where: str,
    rankdir: Optional[str],
    style: str,
    edge_labels: Optional[str],
    grads: str,
    cells: Optional[str] = None,
    font_size: Any = FONT_SIZE,
    screen: Any = SCREEN,
    flags: Optional[Dict[str, Any]] = None,
) -> None:
    if rankdir not in (None, "LR", "TB", "RL", "BT"):
        raise ValueError(
            f"{where}: rankdir={rankdir!r}; use None (chosen for the screen), 'LR' (left to right) or 'TB' (top down)"
        )
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
    if cells not in (None, "row", "column"):
        raise ValueError(
            f"{where}: cells={cells!r}; use None (chosen for the screen), 'row' (label | data | grad on one "
            f"line, as micrograd) or 'column' (stacked)"
        )
    if isinstance(font_size, bool) or not isinstance(font_size, Real) or not 4 <= float(font_size) <= 200:
        raise ValueError(f"{where}: font_size={font_size!r}; give the text size in points, e.g. 14 (4 to 200)")
    if (
        not isinstance(screen, (tuple, list))
        or len(screen) != 2
        or any(isinstance(s, bool) or not isinstance(s, Real) or not 1 <= float(s) < 1e6 for s in screen)
    ):
        raise ValueError(
            f"{where}: screen={screen!r}; give the (width, height) in pixels the drawing is made for, "
            f"e.g. (1920, 1080) for a projector or (900, 600) for a notebook cell"
        )
    for name, value in (flags or {}).items():
        if not isinstance(value, bool):
            raise TypeError(f"{where}: {name}={value!r}; use True or False")


def _prepare(
    g: _Graph, look: _Look, states: Sequence[_State], screen: Tuple[int, int], rankdir: Optional[str], cells: Optional[str]
) -> Tuple[_Drawing, Plan]:
    drawing = _Drawing(g, look)
    # With labels on the edges, top down first: left to right, the labels of the edges
    # into one op stack up beside each other and no longer say which edge is whose.
    rankdirs = (("TB", "LR") if look.edge_labels else ("LR", "TB")) if rankdir is None else (rankdir,)
    allowed = ("row", "column") if cells is None else (cells,)
    if rankdir in ("RL", "BT"):  # drawn as asked; estimated as its mirror
        plan = drawing.plan(states, screen, ("LR" if rankdir == "RL" else "TB",), allowed)
        look.rankdir = rankdir
    else:
        plan = drawing.plan(states, screen, rankdirs, allowed)
    return drawing, plan


def _stored_state(g: _Graph, parts_shown: bool = True) -> _State:
    """What ``backward()`` left on the nodes; the parts each rule sends, if the picture shows them."""
    a = g.adapter
    values = [a.stored_grad(node) for node in g.order]
    ran = not a.is_zero(values[-1])
    parts = [
        a.contributions(node, values[i]) if parts_shown and ran and a.has_rule(node) else None
        for i, node in enumerate(g.order)
    ]
    return _State(values, parts, ran)


def _not_run_state(g: _Graph) -> _State:
    """What a picture shows before any backward(): zero gradients, nothing sent."""
    a = g.adapter
    return _State([a.zero(node) for node in g.order], [None] * len(g.order), False)


def draw_graph(
    root: Any,
    *,
    rankdir: Optional[str] = None,
    cells: Optional[str] = None,
    show_data: bool = True,
    show_grad: bool = True,
    style: str = "record",
    edge_labels: Optional[str] = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Optional[Dict[str, Any]] = None,
    inputs: Optional[Iterable[Any]] = None,
    modules: Any = None,
    collapse: Union[bool, str] = False,
    grads: str = "stored",
    legend: bool = True,
    font_size: float = FONT_SIZE,
    screen: Tuple[int, int] = SCREEN,
) -> DotGraph:
    """Draw the computation graph that produced ``root``.

    >>> from autograd_lite import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> L = a * b; L.label = "L"; L.backward()
    >>> g = draw_graph(L, edge_labels="flow")
    >>> g.info["layout"]                        # (rankdir, cells), chosen for a 1920x1080 screen
    ('TB', 'row')
    >>> g.save("L.svg")                         # doctest: +SKIP
    PosixPath('L.svg')

    Options: ``rankdir`` None (chosen for ``screen``), "LR" or "TB"; ``cells`` None (chosen),
    "row" (``label | data | grad`` on one line, micrograd's look) or "column" (stacked);
    ``show_data``/``show_grad`` choose the cells; ``style`` "record" (boxes, as micrograd)
    or "circuit" (cs231n: values above the wires, gradients below); ``edge_labels`` None,
    "local" (d(out)/d(in)) or "flow" (the gradient part sent along each edge); ``grads``
    "stored" (the ``.grad`` fields ``backward()`` filled) or "computed" (a simulated backward
    from ``root``, leaving every ``.grad`` as it is); ``params`` a mapping name -> node
    (``dict(model.named_parameters())``) that names and marks parameters; ``inputs`` the
    leaves that are data (drawn as inputs; see the module docstring); ``max_nodes`` the size
    guard (nodes = values, op nodes not counted), ``GraphTooLarge`` above it; ``legend``
    the row under the graph; ``font_size`` the text's size in points; ``screen`` the
    (width, height) in pixels the drawing is laid out for.

    ``root`` is a ``Value``, a ``Tensor``, or a micrograd-style Value; for a Tensor graph
    every table also shows the shape, small arrays are written out, and local derivatives
    are Jacobians (see the module docstring).

    Module clusters: ``modules=record``, the record of an ``nn.record_calls()`` block in
    which the graph was built, boxes the nodes each module call made (neurons inside
    layers inside the model; see ``viz.clusters``). ``collapse=True`` (or "layer") then
    draws each layer call as one node, ``collapse="neuron"`` each neuron: the way to
    show a model too big to draw node by node. ``draw_model(model, x)`` does all of it.
    """
    _check_options(
        "draw_graph", rankdir, style, edge_labels, grads, cells, font_size, screen,
        {"show_data": show_data, "show_grad": show_grad, "legend": legend},
    )
    level = _collapse_level("draw_graph", collapse, modules, style)
    g = _walk(root, "draw_graph", max_nodes, params, modules, level, inputs)
    stored = _stored_state(g, edge_labels == "flow" or style == "circuit")
    computed: Optional[_State] = None
    try:
        values, parts = _simulate(g, "draw_graph(grads='computed')")
        computed = _State(values, parts, True)
    except Exception:
        if grads == "computed":
            raise  # e.g. the root is not one number: say so (a simulated backward needs a seed)
        # Only to reserve room for the gradients to come: draw what is stored without it.
    shown = computed if grads == "computed" else stored
    assert shown is not None
    look = _Look(style, show_data, show_grad, edge_labels, legend, float(font_size))
    # Reserve room for what this graph shows before backward(), after it, and now: the
    # drawings before and after backward() then share one layout.
    states: List[_State] = []
    for s in (shown, _not_run_state(g), computed, stored):
        if s is not None and all(s is not t for t in states):
            states.append(s)
    if edge_labels == "local":
        a = g.adapter
        locals_ = [a.local_derivatives(node) if a.has_rule(node) else None for node in g.order]
        for s in states:
            s.locals = locals_
    drawing, plan = _prepare(g, look, states, (screen[0], screen[1]), rankdir, cells)
    info = {
        "nodes": len(g.order),
        "grads": shown.grads,
        "parts": shown.parts,
        "ran": shown.ran,
        "layout": (look.rankdir, look.cells),
        "plan": plan,
        "names": _dot_names(g),
    }
    return DotGraph(drawing.dot(shown), info=info)


def _dot_names(g: _Graph) -> Dict[str, str]:
    """DOT id -> a name for people, for error messages (``n3`` is ``x1``)."""
    out = {}
    for i in range(len(g.order)):
        if g.groups is not None and g.groups[i] is not None:
            continue  # drawn inside its collapsed call, which is named below
        out[f"n{i}"] = g.describe(i)
        out[f"n{i}op"] = f"the {visible(g.adapter.op(g.order[i]))} node of {g.describe(i)}"
    if g.clusters is not None:
        for c in g.clusters.clusters:
            out[f"c{c.key}"] = c.label
    return out


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
    Parameters are named for people (``W1[4, 2]``, ``b2``) with their ``named_parameters()``
    key as a second line; every other leaf is data. ``collapse=True`` draws one node per
    layer, ``"neuron"`` one per neuron. Other options go to ``draw_graph``.

    >>> import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=0)
    >>> g = draw_model(model, [0.5, -1.0], collapse=True)
    >>> g.source.count(" nodes, ")                # one node per layer: "128 nodes, 48 parameters"
    3
    """
    from nn.record import Call, record_calls  # viz -> nn: the recorder lives with the modules

    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"draw_model: expected an nn model (an nn.Module), got {type(model).__name__}")
    _check_options("draw_model", options.get("rankdir"), options.get("style", "record"), options.get("edge_labels"), grads,
                   options.get("cells"), options.get("font_size", FONT_SIZE), options.get("screen", SCREEN))
    with record_calls() as record:
        out = model(x)
        if loss_fn is not None:
            root = loss_fn(out, target)
            # The loss is a call too: boxed (or, collapsed, one node) as "loss: hinge".
            given = tuple(v for v in (out if isinstance(out, (list, tuple)) else [out]) if hasattr(v, "_prev"))
            record.calls.append(Call(_LossCall(loss_fn), given, (root,)))
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
    return draw_graph(root, modules=record, collapse=collapse, grads=grads, **options)


class _LossCall:
    """A loss function as draw_model records it: a call that owns no parameters."""

    def __init__(self, fn: Any) -> None:
        name = getattr(fn, "__name__", None) or type(fn).__name__
        self.viz_label = f"loss: {name}" if name != "<lambda>" else "loss"

    def parameters(self) -> List[Any]:
        return []

    def num_parameters(self) -> int:
        return 0


def backward_frames(
    root: Any,
    *,
    rankdir: Optional[str] = None,
    cells: Optional[str] = None,
    style: str = "record",
    show_data: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Optional[Dict[str, Any]] = None,
    inputs: Optional[Iterable[Any]] = None,
    modules: Any = None,
    legend: bool = True,
    font_size: float = FONT_SIZE,
    screen: Tuple[int, int] = SCREEN,
) -> List[DotGraph]:
    """One drawing per step of ``backward()``: one per node with a local rule, in the order
    the rules run (reverse topological order).

    Each frame highlights the node whose rule is running (its op and outline in the
    gradient colour, its upstream gradient bold on yellow), shows the parts that rule sends
    along its input edges (bold, on thick edges), and marks the inputs that just received
    them. Gradients that are not complete yet (some consumer's rule has not run) are in
    italics with a trailing ``…``. A caption under the graph says what the step does. All
    frames share one layout: the same canvas, every node at the same place.

    The backward pass is simulated from each node's own rule; no ``.grad`` changes, and
    ``backward()`` is not called. ``frame.info["grads"]`` holds the gradients after the
    step, in topological order; after the last frame they equal what ``backward()``
    computes. ``frame.info["step_text"]`` is the step explained with the engine's rule
    source and its numbers (``viz.steps``), which the HTML stepper shows beside the graph.
    ``modules=`` boxes nodes by module, as in ``draw_graph``.

    >>> from autograd_lite import Value
    >>> a = Value(2.0, label="a"); b = a + a; b.label = "b"
    >>> frames = backward_frames(b)
    >>> len(frames), frames[-1].info["grads"]
    (1, [2.0, 1.0])
    """
    _check_options("backward_frames", rankdir, style, "flow", "computed", cells, font_size, screen,
                   {"show_data": show_data, "legend": legend})
    g = _walk(root, "backward_frames", max_nodes, params, modules, None, inputs)
    steps = _rule_steps(g)
    a = g.adapter
    # The same simulation as _simulate, one rule per frame (a snapshot after each).
    grads = _seeded(g, "backward_frames")
    parts: List[Optional[List[Any]]] = [None] * len(g.order)
    # A node's gradient is complete once every consumer's rule has run: count them down.
    waiting = list(g.uses)
    states: List[_State] = []
    explained = []
    for k, i in enumerate(steps, start=1):
        upstream, sent = _run_rule(g, i, grads)
        parts[i] = sent
        for j in g.inputs[i]:
            waiting[j] -= 1
        final = [w == 0 for w in waiting]
        received = frozenset(j for j, p in zip(g.inputs[i], parts[i] or ()) if p is not None)
        to = [g.describe(j) for j, p in zip(g.inputs[i], parts[i] or ()) if p is not None]
        names_ = list(dict.fromkeys(to))
        to_text_ = (", ".join(names_[:-1]) + " and " + names_[-1] if len(names_) > 1 else names_[0]) if names_ else (
            "no input (none takes a gradient)")
        caption = (
            f"step {k} of {len(steps)}: the {visible(a.op(g.order[i]))} rule of {g.describe(i)} sends its "
            f"gradient {a.number_text(upstream)} to {to_text_}"
        )
        states.append(_State(list(grads), list(parts), True, final, i, received, caption))  # its own snapshot
        explained.append(explain_step(g, i, upstream, sent, k, len(steps)))
    look = _Look(style, show_data, True, "flow", legend, float(font_size), frames=True)
    frames: List[DotGraph] = []
    if not states:
        return frames
    drawing, _ = _prepare(g, look, states, (screen[0], screen[1]), rankdir, cells)
    names = _dot_names(g)
    for k, (state, step) in enumerate(zip(states, explained), start=1):
        info = {
            "step": k,
            "steps": len(states),
            "node": state.active,
            "grads": state.grads,
            "parts": state.parts,
            "final": state.final,
            "caption": state.caption,
            "step_text": step,
            "layout": (look.rankdir, look.cells),
            "names": names,
        }
        frames.append(DotGraph(drawing.dot(state), info=info))
    return frames


def backward_steps(
    root: Any,
    *,
    params: Optional[Dict[str, Any]] = None,
    inputs: Optional[Iterable[Any]] = None,
    max_nodes: Optional[int] = None,
) -> Steps:
    """Every step of ``backward()`` from ``root``, each with its rule's source and numbers:
    the terminal twin of the HTML stepper. Changes no ``.grad`` (a simulated backward, as
    ``backward_frames``). ``print(backward_steps(loss))``, or just evaluate it in a REPL."""
    g = _walk(root, "backward_steps", DEFAULT_MAX_NODES if max_nodes is None else max_nodes, params, None, None, inputs)
    grads = _seeded(g, "backward_steps")
    order = _rule_steps(g)
    out = Steps()
    for k, i in enumerate(order, start=1):
        upstream, sent = _run_rule(g, i, grads)
        out.append(explain_step(g, i, upstream, sent, k, len(order)))
    return out


def to_text(
    root: Any,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    grads: str = "stored",
    params: Optional[Dict[str, Any]] = None,
    inputs: Optional[Iterable[Any]] = None,
) -> str:
    """The graph as an indented tree: each value with its data, grad and the op that made it.

    A subexpression used more than once is printed in full the first time and referred to
    by its id (``#3``) after that; leaves are one line, so they are repeated. No recursion.
    ``grads``, ``params`` and ``inputs`` as for ``draw_graph``; a Tensor's line starts with
    its shape. Labels are printed as ``draw_graph`` draws them (control characters escaped).

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
    g = _walk(root, "to_text", max_nodes, params, inputs=inputs)
    if grads == "computed":
        values = _simulate(g, "to_text(grads='computed')")[0]
    else:
        values = [g.adapter.stored_grad(n) for n in g.order]
    a = g.adapter
    out: List[str] = []
    shown = set()
    # Explicit stack of (node position, prefix for its line, prefix for its children).
    stack: List[Tuple[int, str, str]] = [(len(g.order) - 1, "", "")]
    while stack:
        i, lead, child_lead = stack.pop()
        node = g.order[i]
        label = g.label(i)
        head = f"{visible(label)} = #{i}" if label is not None else f"#{i}"
        if g.roles[i] == "constant":
            out.append(f"{lead}{a.value_text(node)}  constant")
            continue
        what = f"({visible(a.op(node))})" if g.inputs[i] else g.roles[i]
        if g.inputs[i] and i in shown:
            out.append(f"{lead}{head}  ({visible(a.op(node))}, shown above)")
            continue
        shown.add(i)
        grad = a.grad_text(values[i]) if a.requires_grad(node) else "no grad"
        shape = a.shape_text(node)
        data = a.data_text(node) if shape is None else f"{shape}  {a.data_text(node)}"
        out.append(f"{lead}{head}  {data}  {grad}  {what}")
        children = g.inputs[i]
        for k in range(len(children) - 1, -1, -1):  # pushed last first: printed in argument order
            last = k == len(children) - 1
            stack.append((children[k], child_lead + ("└── " if last else "├── "), child_lead + ("    " if last else "│   ")))
    return "\n".join(out)
