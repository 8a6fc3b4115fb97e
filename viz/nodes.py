"""How ``viz`` reads a node: the one place that knows what a ``Value`` or a ``Tensor`` looks like.

Everything that draws (``viz.graph``) asks an adapter, never the node itself, for a
node's inputs, op, label, data, gradient and derivative rule. ``ValueAdapter`` reads
scalar nodes, ``TensorAdapter`` array nodes, and the drawing code is the same for both.

Nothing here changes a graph. Local derivatives and the contributions a node sends back
are computed by running the node's own rule on a throwaway copy whose inputs are fresh
stand-ins, the way ``gradcheck`` checks one op: the user's ``.grad`` fields are never read
for that and never written. Parts are added up with the engine's own arithmetic (for
``Tensor`` its ``accumulate_grad``, on a throwaway holder), so a simulated backward ends at
exactly, bit for bit, the gradients ``backward()`` computes.

What a ``Tensor`` drawing shows (the choices live here, so they are documented here):

* a node: its shape, ``(4, 3)``, followed by ``float32`` when it is not float64; data
  and gradient written out in full when the array has at most ``SMALL`` = 4 elements
  (``[0.5000, -1.0000]``), else summarised: data by its range (``min -0.9 max 0.8``), a
  gradient by its Euclidean norm (``norm 0.1234``), how big it is being what matters.
* the op with its settings: ``sum(axis=1)``, ``leaky_relu(0.01)``, ``index [0, :]``.
* ``edge_labels="local"``: the Jacobian d(out)/d(in) of the edge, written out when both
  sides have at most 4 elements (one line per output element; a single line when one
  side is a single number), else only its shape ``out×in``, e.g. ``(4, 3)×(2, 3)``: a big
  Jacobian is costly to compute and unreadable, and backward never forms it.
* ``edge_labels="flow"``: the vector-Jacobian product sent along the edge (the part of
  the input's gradient this edge contributes): written out when small, else its shape
  and norm.
* unlabelled leaves that take no gradient and have at most 4 elements (the ``2`` of
  ``x ** 2``, a number met by ``*``) are constants, drawn as small ovals; bigger ones are
  data and get a row with their shape, like a labelled input.

micrograd's own Values (``MicrogradAdapter``): any object with ``data``, ``grad``,
``_prev``, ``_op`` and ``_backward`` (micrograd 0.1.0's ``Value``, or the lecture's, which
adds ``label``) is drawn too, so a teacher keeps the lecture's code. Two things differ:

* ``_prev`` is a set, whose order changes from run to run. Inputs are ordered by a rule
  that depends only on the graph: by data, then label, then op, then (for nodes that
  agree on all three) a fingerprint of the subgraph below them. ``x * y`` and ``y * x``
  draw alike; micrograd's ``+`` and ``*`` do not care about the order either.
* a node's rule is a closure over the real nodes, so it cannot run on a copy. It runs on
  the real nodes with every gradient it could touch saved first and restored after
  (even when it raises): the user's ``.grad`` fields are as they were once viz returns.
  Do not draw a graph in one thread while another runs its backward().

A micrograd leaf has no ``requires_grad``: every leaf is a parameter unless named in
``inputs=`` (or, once ``params=`` names parameters, every other leaf is an input).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple, Type

import numpy as np

from autograd_lite.engine import ClosureRule, Value
from autograd_lite.tensor import Tensor, accumulate_grad

__all__ = [
    "NodeAdapter",
    "ValueAdapter",
    "TensorAdapter",
    "MicrogradAdapter",
    "walk",
    "node_list",
    "Jacobian",
    "adapter_for",
    "register_adapter",
    "name_map",
    "fmt",
    "array_text",
    "SMALL",
]

#: Arrays with at most this many elements are written out in full; bigger ones are summarised.
SMALL = 4


def fmt(x: float) -> str:
    """A number as the lecture slides print it: 4 decimals, scientific when that would hide it.

    >>> fmt(0.70710678), fmt(-8.0), fmt(1.5e-7), fmt(float("inf"))
    ('0.7071', '-8.0000', '1.500e-07', 'inf')
    """
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == 0.0 or 1e-3 <= abs(x) < 1e7:
        text = f"{x:.4f}"
        return "0.0000" if text == "-0.0000" else text  # -0.0 reads as a bug on a slide
    return f"{x:.3e}"


def array_text(a: np.ndarray) -> str:
    """A small array written out with numpy's brackets, every number through ``fmt``.

    >>> array_text(np.array([[1.0, -2.0], [0.5, 0.0]])), array_text(np.array(3.0))
    ('[[1.0000, -2.0000], [0.5000, 0.0000]]', '3.0000')
    """
    if a.size == 0:
        return "[]"
    parts = [fmt(float(x)) for x in a.reshape(-1)]
    # Group the numbers from the last axis outwards: (2, 2) -> ["[a, b]", "[c, d]"] -> ["[[a, b], [c, d]]"].
    # A loop over the axes, not recursion (viz never recurses).
    for n in reversed(a.shape):
        parts = ["[" + ", ".join(parts[k : k + n]) + "]" for k in range(0, len(parts), n)]
    return parts[0]


def shape_text(shape: Tuple[int, ...]) -> str:
    """``(4, 3)``, ``(3,)``, ``()``: as numpy prints ``.shape``."""
    return str(tuple(int(n) for n in shape))


class NodeAdapter:
    """What viz needs to know about one kind of node. Subclass it for a new node type.

    The drawing code only calls these methods, so a new node type needs an adapter and
    nothing else.
    """

    #: Node type this adapter reads (for error messages and the params= check).
    name = "node"
    node_type: Type[Any] = object
    #: Whether ``autograd_lite.graph.topological_order`` can walk these nodes (a ``_prev``
    #: tuple in argument order): then viz numbers nodes exactly as ``backward()`` orders them.
    native = True

    def inputs(self, node: Any) -> Tuple[Any, ...]:
        """The nodes ``node`` was computed from, in argument order (repeats kept)."""
        return node._prev

    def op(self, node: Any) -> str:
        """The op that made ``node``; ``""`` for a leaf."""
        return node._op

    def label(self, node: Any) -> Optional[str]:
        return node.label

    def requires_grad(self, node: Any) -> bool:
        return bool(node.requires_grad)

    def has_rule(self, node: Any) -> bool:
        """Whether ``backward()`` runs a local rule at this node (interior nodes do)."""
        return node._rule is not None

    def is_constant(self, node: Any) -> bool:
        """Whether an unlabelled leaf that takes no gradient is drawn as a small constant oval."""
        return True

    def stored_grad(self, node: Any) -> Any:
        """The gradient ``backward()`` left on the node (read only)."""
        return node.grad

    def is_zero(self, grad: Any) -> bool:
        """Whether ``grad`` is no gradient at all (what a root holds before ``backward()``)."""
        return grad is None or not np.any(grad)

    def rule(self, node: Any) -> Any:
        """The function ``backward()`` runs at this node (its source is shown by ``viz.steps``):
        the op's rule, or the closure a rule made by hand calls (``out._backward = fn``)."""
        rule = node._rule
        return rule.fn if type(rule) is ClosureRule else rule

    def prepare(self, node: Any, upstream: Any) -> Tuple[Any, List[Any], Any]:
        """``(run, targets, collect)``: ``run()`` runs the node's rule once, as ``backward()``
        would with ``node.grad == upstream``, writing into ``targets`` (one object per input
        edge, where edge k's part lands); ``collect()`` returns the parts (None for inputs
        that take no gradient) and undoes anything ``run`` changed. ``contributions`` is
        ``run(); collect()``; ``viz.steps`` runs ``run`` under a tracer to show the rule's lines."""
        raise NotImplementedError

    def zero(self, node: Any) -> Any:
        """An empty gradient for ``node`` (what a simulated backward starts from)."""
        raise NotImplementedError

    def seed(self, root: Any, where: str) -> Any:
        """d(root)/d(root), what ``backward()`` starts from; an error from ``where`` if it has none."""
        raise NotImplementedError

    def add(self, node: Any, total: Any, part: Any) -> Any:
        """``node``'s gradient ``total`` after receiving ``part``, as the engine accumulates it."""
        return total + part

    def shape_text(self, node: Any) -> Optional[str]:
        """A cell with the node's shape, or None for scalars (no cell)."""
        return None

    def data_text(self, node: Any) -> str:
        raise NotImplementedError

    def value_text(self, node: Any) -> str:
        """The node's data without a prefix: a constant's oval, a circuit wire."""
        raise NotImplementedError

    def grad_text(self, grad: Any) -> str:
        raise NotImplementedError

    def number_text(self, x: Any) -> str:
        """A gradient or gradient part as edge or title text."""
        raise NotImplementedError

    def local_text(self, local: Any) -> str:
        """A local derivative (an entry of ``local_derivatives``) as edge text."""
        return self.number_text(local)

    #: The legend's line for ``edge_labels="local"`` (plain text).
    local_legend = "∂ = local derivative d(out)/d(in)"

    def contributions(self, node: Any, upstream: Any) -> List[Any]:
        """What ``node``'s rule adds to each input when ``node.grad`` is ``upstream``.

        One entry per input edge (``b = a + a`` gives two entries). Inputs that take
        no gradient (constants, ``requires_grad=False``) get ``None``.
        """
        run, _, collect = self.prepare(node, upstream)
        try:
            run()
        finally:
            parts = collect()
        return parts

    def local_derivatives(self, node: Any) -> List[Any]:
        """d(node)/d(input) for each input edge (``None`` where the engine computes none)."""
        raise NotImplementedError


# ---------------------------------------------------------------------- Value


class ValueAdapter(NodeAdapter):
    """Reads ``autograd_lite.Value`` nodes: float data and grads."""

    name = "Value"
    node_type = Value

    def zero(self, node: Value) -> float:
        return 0.0

    def seed(self, root: Value, where: str) -> float:
        return 1.0

    def add(self, node: Value, total: float, part: float) -> float:
        return total + part  # Value's rules do `x.grad += part`

    def data_text(self, node: Value) -> str:
        return f"data {fmt(node.data)}"

    def value_text(self, node: Value) -> str:
        return fmt(node.data)

    def grad_text(self, grad: float) -> str:
        return f"grad {fmt(grad)}"

    def number_text(self, x: float) -> str:
        return fmt(x)

    def is_zero(self, grad: float) -> bool:
        return grad == 0.0

    def prepare(self, node: Value, upstream: float) -> Tuple[Any, List[Any], Any]:
        rule = node._rule
        if type(rule) is ClosureRule:
            return _prepare_closure(node, upstream, 0.0)
        # A throwaway copy of `node` with the same data and op, whose inputs are fresh
        # leaves with the inputs' data: the rule writes into those leaves only. One fresh
        # leaf per edge, so `a + a` gets two leaves and each edge its own part. Built with
        # __new__ because Value() refuses inf data, which an overflowed node may hold.
        leaves = [_bare(p.data, p.requires_grad) for p in node._prev]
        copy = _bare(node.data, True)
        copy._prev, copy._op, copy.grad = tuple(leaves), node._op, upstream

        def run() -> None:
            if rule is not None:
                rule(copy)  # exactly the arithmetic backward() does, so the parts match it bit for bit

        def collect() -> List[Optional[float]]:
            return [leaf.grad if leaf.requires_grad and rule is not None else None for leaf in leaves]

        return run, leaves, collect

    def local_derivatives(self, node: Value) -> List[Optional[float]]:
        # For a scalar, the part sent back with upstream gradient 1 is the derivative itself.
        return self.contributions(node, 1.0)


def _bare(data: float, requires_grad: bool) -> Value:
    v = Value.__new__(Value)
    v.data, v.grad, v._prev, v._op, v._rule = data, 0.0, (), "", None
    v.label, v.requires_grad = None, requires_grad
    return v


def _prepare_closure(node: Any, upstream: Any, start: Any) -> Tuple[Any, List[Any], Any]:
    """``prepare`` for a rule made by hand (``out._backward = closure``, micrograd's way): the
    closure holds the real nodes, so it runs on them, with every gradient it could touch saved
    first and put back by ``collect`` (even if it raises). An input repeated in ``_prev`` gets
    the whole part on its first edge: one closure's writes into one node cannot be told apart."""
    ins = list(node._prev)
    saved = [(n, n.grad) for n in [node] + ins]
    first = [all(q is not p for q in ins[:k]) for k, p in enumerate(ins)]

    def run() -> None:
        for n in ins:
            n.grad = start
        node.grad = upstream
        if upstream is not None:
            node._rule(node)

    def collect() -> List[Any]:
        try:
            return [p.grad if first[k] and p.requires_grad and upstream is not None else None for k, p in enumerate(ins)]
        finally:
            for n, g in reversed(saved):
                n.grad = g

    return run, ins, collect


# ---------------------------------------------------------------------- Tensor


class Jacobian(NamedTuple):
    """The local derivative of one Tensor edge: d(out)/d(in).

    ``matrix`` has one row per output element and one column per input element (both
    flattened in C order), or is None when either side has more than ``SMALL`` elements.
    """

    matrix: Optional[np.ndarray]
    out_shape: Tuple[int, ...]
    in_shape: Tuple[int, ...]


# A stand-in input has this as its `_prev`: not empty, so the engine's `accumulate_grad`
# treats it as an interior node and stores the part exactly as the rule computed it
# (no copy, no cast to the input's dtype). The real input's leaf-or-not treatment is
# applied later, in TensorAdapter.add, when the part is added to the input's gradient.
_NOT_A_LEAF: Tuple[Any, ...] = (None,)


def _stand_in(node: Tensor, prev: Tuple[Any, ...]) -> Tensor:
    """A throwaway node sharing ``node``'s data (rules only read data), with no gradient."""
    t = Tensor.__new__(Tensor)  # no copy, no checks: node.data may hold inf after overflow
    t.data, t.grad, t._prev, t._op, t._rule, t._ctx = node.data, None, prev, node._op, None, node._ctx
    t.label, t.requires_grad = None, node.requires_grad
    return t


class TensorAdapter(NodeAdapter):
    """Reads ``autograd_lite.Tensor`` nodes: array data, grads that are arrays or None."""

    name = "Tensor"
    node_type = Tensor
    local_legend = (
        f"∂ = local derivative d(out)/d(in): the Jacobian, one row per output element, "
        f"if both have ≤ {SMALL} elements; else its shape out×in"
    )

    def op(self, node: Tensor) -> str:
        return _op_text(node._op, node._ctx)

    def is_constant(self, node: Tensor) -> bool:
        # The numbers ops meet (2 in x ** 2) are tiny; an unlabelled batch of data is not a
        # "constant" to a reader, and an oval cannot show its shape: it gets a row.
        return node.data.size <= SMALL

    def zero(self, node: Tensor) -> None:
        return None  # the engine's "no gradient yet"

    def seed(self, root: Tensor, where: str) -> np.ndarray:
        if root.data.size != 1:
            raise ValueError(
                f"{where}: the output has shape {root.shape}, and backward() starts only from a "
                f"single number; draw loss = out.sum() or out.mean() instead, or use "
                f"grads='stored' after out.backward(grad=...)"
            )
        return np.array(1.0, dtype=root.data.dtype).reshape(root.data.shape)  # as backward()

    def add(self, node: Tensor, total: Optional[np.ndarray], part: np.ndarray) -> np.ndarray:
        # The engine's own accumulation (None + part, a leaf's cast to its dtype, ...) on a
        # throwaway holder: the holder looks like `node` (same data, leaf or not), so the
        # sum is exactly the one backward() stores in node.grad.
        holder = _stand_in(node, node._prev)
        holder.grad = total
        accumulate_grad(holder, part)
        return holder.grad

    def shape_text(self, node: Tensor) -> str:
        dtype = node.data.dtype
        return shape_text(node.data.shape) + ("" if dtype == np.float64 else f" {dtype}")

    def data_text(self, node: Tensor) -> str:
        return "data " + self.value_text(node)

    def value_text(self, node: Tensor) -> str:
        a = node.data
        if a.size <= SMALL:
            return array_text(a)
        return f"min {fmt(float(a.min()))} max {fmt(float(a.max()))}"

    def grad_text(self, grad: Optional[np.ndarray]) -> str:
        if grad is None:
            return "grad None"  # backward() has not reached it (or has not run)
        if grad.size <= SMALL:
            return "grad " + array_text(grad)
        return f"grad norm {fmt(_norm(grad))}"

    def number_text(self, x: Any) -> str:
        if x is None:
            return "None"
        a = np.asarray(x)
        if a.size <= SMALL:
            return array_text(a)
        return f"{shape_text(a.shape)} norm {fmt(_norm(a))}"

    def local_text(self, local: Jacobian) -> str:
        m, out_shape, in_shape = local
        if m is None:
            return f"{shape_text(out_shape)}×{shape_text(in_shape)}"
        if m.shape[0] == 1:  # one output number: the Jacobian is the gradient, in the input's shape
            return array_text(m.reshape(in_shape))
        if m.shape[1] == 1:  # one input number: d(each output)/d(it), in the output's shape
            return array_text(m.reshape(out_shape))
        return "\n".join(array_text(row) for row in m)  # one line per output element

    def prepare(self, node: Tensor, upstream: Optional[np.ndarray]) -> Tuple[Any, List[Any], Any]:
        rule = node._rule
        if type(rule) is ClosureRule:
            return _prepare_closure(node, upstream, None)
        # A throwaway copy of `node` (same data, op, settings) whose inputs are stand-ins
        # sharing the inputs' data: the rule writes the parts into the stand-ins only. One
        # stand-in per edge, so `a * a` gets two and each edge its own part.
        stand_ins = [_stand_in(p, _NOT_A_LEAF) for p in node._prev]
        copy = _stand_in(node, tuple(stand_ins))
        copy.grad = upstream
        skip = rule is None or upstream is None  # backward() skips a node with no gradient too

        def run() -> None:
            if rule is not None and upstream is not None:  # (not skip)
                rule(copy)  # the rules are @staticmethods taking the output node: the same arithmetic as backward()

        def collect() -> List[Optional[np.ndarray]]:
            return [None if skip or not s.requires_grad else s.grad for s in stand_ins]

        return run, stand_ins, collect

    def local_derivatives(self, node: Tensor) -> List[Optional[Jacobian]]:
        ins = node._prev
        if node._rule is None:
            return [None] * len(ins)
        n_out = node.data.size
        small = [p.requires_grad and n_out <= SMALL and p.data.size <= SMALL for p in ins]
        # Row r of the Jacobian is the vector-Jacobian product with the r-th unit vector:
        # run the rule once per output element (at most SMALL times), only if some edge is small.
        rows: List[List[Optional[np.ndarray]]] = []
        if any(small):
            for r in range(n_out):
                unit = np.zeros(n_out, dtype=node.data.dtype)
                unit[r] = 1.0
                rows.append(self.contributions(node, unit.reshape(node.data.shape)))
        out: List[Optional[Jacobian]] = []
        for k, p in enumerate(ins):
            if not p.requires_grad:
                out.append(None)  # the engine computes no derivative for it
            elif small[k]:
                m = np.array([np.asarray(row[k]).reshape(-1) for row in rows]).reshape(n_out, p.data.size)
                out.append(Jacobian(m, node.data.shape, p.data.shape))
            else:
                out.append(Jacobian(None, node.data.shape, p.data.shape))
        return out


def _norm(a: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowed gradient shows inf/nan
        return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def _op_text(op: str, ctx: Any) -> str:
    """An op with the settings that change what it does: ``sum(axis=1)``, ``leaky_relu(0.01)``."""
    if op in ("sum", "mean", "max") and ctx is not None:
        axis, keepdims = ctx
        args = []
        if axis is not None:
            args.append(f"axis={axis[0]}" if len(axis) == 1 else f"axis={tuple(axis)}")
        if keepdims:
            args.append("keepdims")
        return f"{op}({', '.join(args)})" if args else op
    if op == "leaky_relu":
        return f"leaky_relu({ctx:g})"
    if op == "clip":
        lo, hi = ctx
        return f"clip({lo:g}, {hi:g})"
    if op == "transpose":
        return f"transpose{tuple(ctx)}"
    if op in ("concatenate", "stack"):
        return f"{op}(axis={ctx})"
    if op == "index":
        return f"index {_index_text(ctx)}"
    return op


def _index_text(index: Any) -> str:
    """``[0, 1:3, ...]``: an index as it was written (arrays longer than SMALL by their shape)."""
    parts = index if type(index) is tuple else (index,)
    out = []
    for p in parts:
        if type(p) is slice:
            text = ":".join("" if v is None else str(v) for v in (p.start, p.stop))
            out.append(text if p.step is None else f"{text}:{p.step}")
        elif p is Ellipsis:
            out.append("...")
        elif isinstance(p, np.ndarray):
            out.append(str(p.tolist()) if p.size <= SMALL else f"<{p.dtype} array {shape_text(p.shape)}>")
        else:
            out.append(str(p))  # an int (or None, a new axis)
    return "[" + ", ".join(out) + "]"


# ---------------------------------------------------------------------- micrograd


class MicrogradAdapter(NodeAdapter):
    """Reads micrograd-shaped Values: ``data``, ``grad``, ``_prev`` (a set), ``_op``, ``_backward``
    (a closure over the real nodes), and an optional ``label`` (see the module docstring)."""

    name = "micrograd Value"
    native = False

    def __init__(self, node_type: Type[Any] = object) -> None:
        self.node_type = node_type
        self._prints: Dict[int, str] = {}  # id -> subgraph fingerprint, memoised per drawing

    def inputs(self, node: Any) -> Tuple[Any, ...]:
        prev = node._prev
        if len(prev) < 2:
            return tuple(prev)
        ordered = sorted(prev, key=_plain_key)
        keys = [_plain_key(p) for p in ordered]
        if len(set(keys)) < len(keys):  # look-alikes: tell them apart by what is below them
            ordered = sorted(prev, key=lambda p: (_plain_key(p), _fingerprint(p, self._prints)))
        return tuple(ordered)

    def op(self, node: Any) -> str:
        return str(node._op)

    def label(self, node: Any) -> Optional[str]:
        label = getattr(node, "label", None)
        return label if isinstance(label, str) and label != "" else None

    def requires_grad(self, node: Any) -> bool:
        return True  # micrograd computes a gradient for every node

    def has_rule(self, node: Any) -> bool:
        return len(node._prev) > 0  # a leaf's _backward is micrograd's `lambda: None`

    def rule(self, node: Any) -> Any:
        return node._backward  # micrograd's closure, over the real nodes

    def is_constant(self, node: Any) -> bool:
        return False  # a number met by an op is a Value like any other in micrograd

    def stored_grad(self, node: Any) -> float:
        return float(node.grad)

    def is_zero(self, grad: float) -> bool:
        return grad == 0.0

    def zero(self, node: Any) -> float:
        return 0.0

    def seed(self, root: Any, where: str) -> float:
        return 1.0

    def data_text(self, node: Any) -> str:
        return f"data {fmt(float(node.data))}"

    def value_text(self, node: Any) -> str:
        return fmt(float(node.data))

    def grad_text(self, grad: float) -> str:
        return f"grad {fmt(float(grad))}"

    def number_text(self, x: float) -> str:
        return fmt(float(x))

    def prepare(self, node: Any, upstream: float) -> Tuple[Any, List[Any], Any]:
        ins = list(self.inputs(node))
        saved = [(n, n.grad) for n in [node] + ins]  # restored by collect(), whatever happens

        def run() -> None:
            for n in ins:
                n.grad = 0.0
            node.grad = upstream
            node._backward()  # writes `self.grad += ...` into the real inputs

        def collect() -> List[Optional[float]]:
            try:
                return [float(n.grad) for n in ins]
            finally:
                for n, grad in saved:
                    n.grad = grad

        return run, ins, collect

    def local_derivatives(self, node: Any) -> List[Optional[float]]:
        return self.contributions(node, 1.0)


def _plain_key(node: Any) -> Tuple[Any, ...]:
    """Data (finite first), label, op: how micrograd inputs are ordered."""
    x = float(node.data)
    finite = x == x and abs(x) != math.inf
    return (0 if finite else 1, x if finite else 0.0, repr(x), str(getattr(node, "label", "") or ""), str(node._op))


def _fingerprint(node: Any, memo: Dict[int, str]) -> str:
    """A digest of the subgraph below ``node`` (ops, data, labels), the same on every run.

    Computed iteratively (post-order over an explicit stack); children's digests are
    sorted, so the set order of ``_prev`` cannot change it. ``memo`` keeps the digests
    of one drawing.
    """
    stack: List[Tuple[Any, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if id(n) in memo:
            continue
        if not done:
            stack.append((n, True))
            stack.extend((p, False) for p in n._prev if id(p) not in memo)
            continue
        parts = sorted(memo[id(p)] for p in n._prev)
        text = f"{n._op!s}|{float(n.data)!r}|{getattr(n, 'label', '')!s}|" + ",".join(parts)
        memo[id(n)] = hashlib.sha1(text.encode("utf-8", "backslashreplace")).hexdigest()
    return memo[id(node)]


def _is_micrograd(obj: Any) -> bool:
    """Shaped like micrograd's Value: data, grad, a collection _prev, _op, a callable _backward."""
    try:
        prev = obj._prev
        return (
            hasattr(obj, "data") and hasattr(obj, "grad") and hasattr(obj, "_op")
            and callable(getattr(obj, "_backward", None))
            and isinstance(prev, (set, frozenset, tuple, list))
        )
    except Exception:
        return False


def walk(root: Any, adapter: NodeAdapter, max_nodes: int, where: str, too_large: Callable[[str, int, int], Exception]) -> List[Any]:
    """Every node reachable from ``root``, each after its inputs (``adapter.inputs`` order).

    The same depth-first post-order as ``autograd_lite.graph.topological_order``, for node
    types it cannot walk (micrograd's ``_prev`` is a set). Nodes are told apart by
    identity. The walk stops at ``50 * max_nodes`` nodes (a drawing is refused anyway) so
    that a huge graph is refused at once; ``too_large(where, limit, max_nodes)`` makes the error.
    """
    order: List[Any] = []
    seen: Set[int] = set()
    stack: List[Any] = [root]
    emit_next: List[bool] = [False]
    limit = 50 * max_nodes
    while stack:
        node = stack.pop()
        emit = emit_next.pop()
        if emit:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > limit:
            raise too_large(where, limit, max_nodes)
        prev = adapter.inputs(node)
        stack.append(node)
        emit_next.append(True)
        for p in reversed(prev):
            if id(p) not in seen:
                stack.append(p)
                emit_next.append(False)
    return order


# ---------------------------------------------------------------------- lookup

_ADAPTERS: List[Tuple[Type[Any], NodeAdapter]] = [(Value, ValueAdapter()), (Tensor, TensorAdapter())]


def register_adapter(node_type: Type[Any], adapter: NodeAdapter) -> None:
    """Teach viz a new node type."""
    _ADAPTERS.insert(0, (node_type, adapter))


def adapter_for(root: Any, where: str) -> NodeAdapter:
    """The adapter for ``root``'s type, or a TypeError from ``where`` saying what to pass."""
    for node_type, adapter in _ADAPTERS:
        if isinstance(root, node_type):
            return adapter
    if _is_micrograd(root):
        return MicrogradAdapter(type(root))  # a fresh one per drawing: its sort keys are per graph
    known = " or ".join(t.__name__ for t, _ in _ADAPTERS)
    raise TypeError(
        f"{where}: expected the output node of a computation (a {known}, or a micrograd-style Value "
        f"with data, grad, _prev, _op and _backward), got {type(root).__name__} {root!r:.60}; pass the "
        f"result itself, e.g. {where}(loss)"
    )


def name_map(params: Optional[Dict[str, Any]], where: str, adapter: NodeAdapter) -> Dict[int, str]:
    """``{id(node): name}`` for ``params=dict(model.named_parameters())``.

    Keyed by ``id()`` only to look names up (never to order anything): a node type may
    define ``__eq__`` elementwise, as tensors do, and then cannot be a dict key. Every
    parameter must be a node of the graph's type, ``adapter``'s (a Tensor in a Value
    graph's params is a mix-up that would otherwise silently name nothing).
    """
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError(
            f"{where}(params=...): expected a mapping name -> parameter, got "
            f"{type(params).__name__}; pass params=dict(model.named_parameters())"
        )
    names = {}
    for name, node in params.items():
        if not isinstance(node, adapter.node_type):
            raise TypeError(
                f"{where}(params=...): {name!r} is a {type(node).__name__}, but this graph is made "
                f"of {adapter.name} nodes; pass the parameters of the model that computed it, "
                f"params=dict(model.named_parameters())"
            )
        if not isinstance(name, str):
            raise TypeError(f"{where}(params=...): the name {name!r} is a {type(name).__name__}; names are str")
        names[id(node)] = name
    return names


def node_list(nodes: Optional[Iterable[Any]], where: str, what: str, adapter: NodeAdapter) -> Set[int]:
    """``{id(node)}`` for ``inputs=[x1, x2]``: each must be a node of the graph's type."""
    if nodes is None:
        return set()
    if isinstance(nodes, adapter.node_type) or isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__"):
        raise TypeError(
            f"{where}({what}=...): expected a list of the graph's nodes, got {type(nodes).__name__}; "
            f"write {what}=[x1, x2]"
        )
    out = set()
    for node in nodes:
        if not isinstance(node, adapter.node_type):
            raise TypeError(
                f"{where}({what}=...): got a {type(node).__name__}, but this graph is made of "
                f"{adapter.name} nodes; pass the leaves themselves, {what}=[x1, x2]"
            )
        out.add(id(node))
    return out
