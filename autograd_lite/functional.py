"""Gradients as values you keep, and differentiate again: ``grad``, ``hvp``, ``hessian``.

``backward()`` writes each gradient into a ``.grad`` field, as a number or an array.
``grad(output, inputs)`` returns them instead, one per input, and leaves every ``.grad``
field alone. With ``create_graph=True`` each gradient it returns is a node of a new
graph that records how it was computed, so it can be differentiated in turn::

    x = Value(2.0)
    (dy,) = grad(x ** 3, x, create_graph=True)     # 3 x^2 = 12, a node
    (d2y,) = grad(dy, x, create_graph=True)        # 6 x = 12, a node
    (d3y,) = grad(d2y, x)                          # 6, a constant

How it works. Every derivative rule of both engines has a twin beside it, the same math
written with node operations instead of floats and arrays: ``Value._tanh_backward``
adds ``(1 - t*t) * out.grad`` into ``x.grad``; ``Value._tanh_backward_graph(out, g)``
returns ``(1.0 - out * out) * g``, where ``out`` (the tanh node) and ``g`` (its gradient)
are nodes. ``grad`` walks the same topological order as ``backward()``, from the output
back to the inputs, and at each node calls the twin with the node's gradient; the
gradient parts it gets back are added up per input, in a dict (never in ``.grad``). Grad
mode is on during the walk when ``create_graph=True``, so the new nodes record their
inputs: the forward graph's own nodes (``out`` above) and the gradients before them. The
gradient is then a graph like any other: ``grad`` differentiates it, to any order, and
``viz`` draws it. With ``create_graph=False`` the walk runs with grad mode off: the same
twins, the same arithmetic, and constants only (no graph is kept).

Second derivatives of piecewise-linear ops are zero, as in PyTorch: relu's twin
multiplies ``g`` by its step, 1 or 0, kept as a node of ``x`` whose derivative is 0, so
relu'' = 0 (and abs'' = 0). The engines' docstrings have the table of what higher
derivatives do at kinks and where they are infinite.

``hvp(f, inputs, vectors)`` is the Hessian of ``f`` times a vector, as the gradient of
<grad f, v> (two walks, the Hessian never formed); ``hessian(f, *inputs)`` the whole
matrix, one row per input number, for small problems.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

import numpy as np

from . import engine, tensor
from .engine import Value, _check_flag, _mode, _set_grad_mode, _unchecked, gc_paused
from .graph import topological_order
from .tensor import Tensor, _const
from .tensor_checks import _as_float_array

__all__ = ["grad", "hvp", "hessian", "HESSIAN_MAX_ELEMENTS"]

Node = Union[Value, Tensor]

# hessian() refuses inputs with more numbers than this: the matrix has n^2 entries and
# costs n gradient walks. Above it, use hvp() (power iteration for the top eigenvalue).
HESSIAN_MAX_ELEMENTS = 1000


def grad(
    output: Node,
    inputs: Union[Node, Sequence[Node]],
    *,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> Tuple[Node, ...]:
    """The gradients d(output)/d(input) of a single-number ``output``, as ``torch.autograd.grad``.

    ``inputs`` is one node or a sequence of nodes of the output's engine, each requiring
    grad (leaves or interior nodes). Returns a tuple with one entry per input (always a
    tuple, even for one input), each of its input's type and shape: a ``Value`` for a
    ``Value``, a ``Tensor`` for a ``Tensor``. No ``.grad`` field anywhere is changed.

    ``create_graph=False``: the entries are constants (no graph is kept; a Tensor entry
    has its input's dtype). ``True``: they are nodes recording how they were computed,
    so ``grad`` can be applied to them again, to any order. As in PyTorch, this holds
    even inside ``no_grad()``: ``create_graph=True`` records the gradient's graph there
    too. Parts of ``output`` computed inside ``no_grad()`` are constants: no gradient
    flows through them.

    An input the output does not depend on (not in its graph; also every input when
    the output is a constant, e.g. the derivative of a linear function) is an error that
    names it, unless ``allow_unused=True``: then its entry is zero (a constant ``0.0``
    or zeros of its shape). NOTE: PyTorch gives ``None`` there; zeros are what the math
    says, and they keep every entry a node of its input's shape.
    """
    if not isinstance(output, (Value, Tensor)):
        raise TypeError(f"grad: output must be a Value or a Tensor, got {type(output).__name__}")
    nodes = _input_nodes(inputs, type(output))
    for flag, name in ((create_graph, "create_graph"), (allow_unused, "allow_unused")):
        if flag is not True and flag is not False:
            _check_flag(flag, f"grad({name}=...)")
    if type(output) is Tensor and output.data.size != 1:
        raise ValueError(
            f"grad: the output must be a single number (got shape {output.shape}); "
            f"call .sum() or .mean() on it first"
        )
    order = topological_order(output)
    twins = engine.GRAPH_RULES if type(output) is Value else tensor.GRAPH_RULES
    # Only nodes on a path from an input up to the output need a gradient: mark them,
    # inputs first (the order lists every node after its own inputs). An input the
    # order never meets is not used by the output. (Plain loops: this runs per node.)
    on_path, used = set(nodes), set()
    mark = on_path.add
    for node in order:
        if node in on_path:  # an input
            used.add(node)
        else:
            for p in node._prev:
                if p in on_path:
                    mark(node)
                    break
            else:
                continue
        if node._prev and node._rule not in twins:
            _raise_no_twin(node)
    for i, x in enumerate(nodes):
        if x not in used and not allow_unused:
            _raise_unused(i, x, output)

    seed = _unchecked(1.0) if isinstance(output, Value) else _const(np.ones(output.data.shape, output.data.dtype))
    grads: Dict[Any, Any] = {output: seed}
    keep = set(nodes)  # the inputs' gradients are the answer; interior ones are dropped when used
    token = _set_grad_mode(bool(create_graph))  # the twins record a graph, or compute constants
    watch = _mode.get()  # detect_anomaly()'s Anomaly, which checks every part (anomaly.py); else a bool
    try:
        with gc_paused():  # many small nodes and no reference cycles, as in backward()
            get, pop = grads.get, grads.pop
            for node in reversed(order):
                if node not in on_path or not node._prev:
                    continue
                g = get(node) if node in keep else pop(node, None)
                if g is None:  # nothing flows into it from the output
                    continue
                if type(watch) is not bool:
                    watch.twin_step(twins[node._rule], node, g, grads, on_path)
                    continue
                parts = twins[node._rule](node, g)
                for x, part in zip(node._prev, parts):
                    if part is not None and x in on_path:
                        total = get(x)
                        grads[x] = part if total is None else total + part
    finally:
        _mode.reset(token)
    return tuple(_answer(x, grads.get(x), create_graph) for x in nodes)


def hvp(f: Callable[..., Node], inputs: Any, vectors: Any) -> Any:
    """The Hessian of ``f(*inputs)`` times ``vectors``: H v, without forming H.

    H v is the gradient of the single number <grad f(x), v> (v held constant): one
    ``grad`` with ``create_graph=True`` gives grad f as a graph, a second gives the
    gradient of its dot product with v. It costs a few backward passes (4-5 times one
    ``backward()`` on the digits MLP, as PyTorch's), whatever the number of inputs.

    ``inputs``: one input or a sequence; each a ``Value`` or a Python number (the scalar
    engine), or a ``Tensor`` or an array (the array engine; one engine for all). ``f``
    is called on fresh leaves holding their values (the caller's nodes and their
    ``.grad`` are not touched), with grad mode on, and must return a single-number
    ``Value`` or ``Tensor``. ``vectors`` has the structure of ``inputs``: a number per
    scalar input, an array of its shape per array input. Returns H v in that structure:
    a float per scalar input, an array (the input's shape and dtype) per array input, a
    tuple when ``inputs`` is a sequence. An input f does not use gets zeros.
    """
    leaves, single = _fresh_leaves(inputs, "hvp")
    vs = _vectors(vectors, leaves, single)
    token = _set_grad_mode(True)  # f records its graph, even inside no_grad() (as PyTorch)
    try:
        y = _call(f, leaves, "hvp")
        gs = grad(y, leaves, create_graph=True, allow_unused=True)
        dot: Any = 0.0
        for g, v in zip(gs, vs):
            dot = dot + (g * v if type(g) is Value else (g * v).sum())
        hv = grad(dot, leaves, allow_unused=True) if isinstance(dot, (Value, Tensor)) else None
    finally:
        _mode.reset(token)
    out = [_plain(h, leaf) for h, leaf in zip(hv or [None] * len(leaves), leaves)]
    return out[0] if single else tuple(out)


def hessian(f: Callable[..., Node], *inputs: Any) -> np.ndarray:
    """The Hessian of ``f(*inputs)`` as a float64 array of shape (n, n).

    n is the total number of scalar elements of the inputs, flattened in order (each
    array in C order): entry (i, j) is d2 f / dx_i dx_j. Row i is the gradient of the
    i-th element of grad f (a graph, from ``grad(..., create_graph=True)``), so this
    costs n + 1 gradient walks: for small problems only. Above
    ``HESSIAN_MAX_ELEMENTS`` (1000) numbers it refuses, pointing to ``hvp``.

    ``inputs`` as for ``hvp``: Values or numbers, or Tensors or arrays. The rows are
    computed independently, so mixed partials agree only up to rounding (d2f/dxdy and
    d2f/dydx are different computations): the matrix is not symmetrised.
    """
    if not inputs:
        raise TypeError("hessian: give at least one input: hessian(f, x) or hessian(f, w, b)")
    n = sum(_size(x) for x in inputs)
    if n > HESSIAN_MAX_ELEMENTS:
        raise ValueError(
            f"hessian: the inputs hold {n} numbers, so the Hessian would be {n} x {n}; hessian() "
            f"forms it only up to {HESSIAN_MAX_ELEMENTS} numbers (autograd_lite.functional."
            f"HESSIAN_MAX_ELEMENTS). Use hvp(f, inputs, vectors) for products H v without "
            f"forming H (power iteration on hvp finds the largest eigenvalue)"
        )
    leaves, _ = _fresh_leaves(list(inputs), "hessian")
    out = np.zeros((n, n))
    token = _set_grad_mode(True)
    try:
        y = _call(f, leaves, "hessian")
        gs = grad(y, leaves, create_graph=True, allow_unused=True)
        row = 0
        for g in gs:
            for k in range(g.data.size if type(g) is Tensor else 1):
                element = g if isinstance(g, Value) else g.reshape(-1)[k]
                if element.requires_grad:  # else the row is zero: this gradient is a constant
                    parts = grad(element, leaves, allow_unused=True)
                    out[row] = np.concatenate([np.ravel(p.data) for p in parts])
                row += 1
    finally:
        _mode.reset(token)
    return out


# ---------------------------------------------------------------------- helpers


def _input_nodes(inputs: Any, kind: type) -> List[Node]:
    """``inputs`` (one node or a sequence) as a list of nodes of the output's engine that require grad."""
    nodes = [inputs] if isinstance(inputs, (Value, Tensor)) else inputs
    if not isinstance(nodes, (list, tuple)) or not nodes:
        raise TypeError(
            f"grad: inputs must be a {kind.__name__} or a non-empty list or tuple of them, got "
            f"{type(inputs).__name__}{f' {inputs!r}' if not isinstance(inputs, (list, tuple)) else ' (empty)'}"
        )
    for i, x in enumerate(nodes):
        if not isinstance(x, (Value, Tensor)) or type(x) is not kind:
            other = "a Value" if kind is Value else "a Tensor"
            raise TypeError(
                f"grad: input {i} is {type(x).__name__} {x!r}, but the output is {other}; the inputs "
                f"are nodes of the output's graph (Value and Tensor graphs do not mix)"
            )
        if not x.requires_grad:
            make = "Tensor(..., requires_grad=True)" if kind is Tensor else "Value(...) (without requires_grad=False)"
            raise ValueError(
                f"grad: input {i} ({_name(x)}) does not require grad, so no gradient flows to it; "
                f"make it with {make}"
            )
    return list(nodes)


def _answer(x: Node, g: Any, create_graph: bool) -> Node:
    """The entry for input ``x``: its gradient node (or a constant copy), or zero if unused."""
    if isinstance(x, Value):
        if g is None:
            return _unchecked(0.0)
        return g if create_graph else _unchecked(float(g.data))
    if g is None:
        return _const(np.zeros_like(x.data))
    # A constant entry gets its own array in the input's dtype (parts may be shared: a + b
    # hands the same gradient to both), as backward() gives a leaf its own copy.
    return g if create_graph else _const(np.array(g.data, dtype=x.data.dtype))


def _name(x: Node) -> str:
    if x.label is not None:
        return f"label {x.label!r}"
    if isinstance(x, Value):
        return f"Value with data {x.data:.6g}"
    return f"Tensor of shape {x.shape}" + (f", op {x._op!r}" if x._op else "")


def _raise_unused(i: int, x: Node, output: Node) -> None:
    why = (
        " The output is a constant: computed inside no_grad(), from constants only, or a "
        "derivative that is constant (that of a linear function, say)."
        if not output.requires_grad
        else ""
    )
    raise RuntimeError(
        f"grad: input {i} ({_name(x)}) is not used to compute the output, so the output has no "
        f"gradient with respect to it.{why} Pass allow_unused=True to get zeros for such inputs "
        f"(PyTorch gives None)."
    )


def _raise_no_twin(node: Node) -> None:
    if node._rule is None or type(node._rule) is engine.ClosureRule:  # made by hand, micrograd's way
        raise NotImplementedError(
            f"grad: op {node._op!r} was made by hand ({type(node).__name__}(data, _children, _op)) with "
            f"{'no rule' if node._rule is None else 'a closure as its rule (out._backward = ...)'}; a closure "
            f"adds floats and cannot build its gradient as a graph. backward() runs it; for grad(), write "
            f"the op with the library's ops (its gradient then comes for free)"
        )
    rule = getattr(node._rule, "__qualname__", repr(node._rule))
    raise NotImplementedError(
        f"grad: op {node._op!r} has the derivative rule {rule} but no graph-building twin "
        f"{rule}_graph(out, g), so its gradient cannot be built as a graph; write the twin next "
        f"to the rule (the same math with node operations), as every other op has"
    )


def _size(x: Any) -> int:
    if isinstance(x, (Value, float, int)) and not isinstance(x, bool):
        return 1
    if isinstance(x, Tensor):
        return x.data.size
    return int(np.size(x))


def _fresh_leaves(inputs: Any, where: str) -> Tuple[List[Node], bool]:
    """New leaves (requiring grad) holding the inputs' values, and whether there was one input."""
    single = not isinstance(inputs, (list, tuple))
    items = [inputs] if single else list(inputs)
    if not items:
        raise TypeError(f"{where}: give at least one input")
    leaves: List[Node] = []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            leaves.append(Value(x.data, label=x.label))
        elif isinstance(x, Tensor):
            leaves.append(Tensor(x.data, requires_grad=True, label=x.label, dtype=x.data.dtype))
        elif isinstance(x, (float, int)) and not isinstance(x, bool):
            leaves.append(Value(x, label=None))
        else:
            leaves.append(Tensor(_as_float_array(x, f"{where}: input {i}"), requires_grad=True))
    if len({type(leaf) for leaf in leaves}) > 1:
        kinds = ", ".join(type(leaf).__name__ for leaf in leaves)
        raise TypeError(
            f"{where}: the inputs mix the two engines ({kinds}); numbers and Values go to the scalar "
            f"engine, arrays and Tensors to the array engine: use one for all"
        )
    return leaves, single


def _vectors(vectors: Any, leaves: List[Node], single: bool) -> List[Any]:
    """``vectors`` checked against the inputs' structure: floats for Values, arrays for Tensors."""
    items = [vectors] if single else vectors
    if not isinstance(items, (list, tuple)) or len(items) != len(leaves):
        raise TypeError(
            f"hvp: vectors must have the structure of inputs: {len(leaves)} of them in a list or tuple "
            f"(got {type(vectors).__name__})"
            if not single
            else "hvp: one input, so vectors is one number or array"
        )
    out: List[Any] = []
    for i, (v, leaf) in enumerate(zip(items, leaves)):
        if isinstance(leaf, Value):
            out.append(engine._check_number(v, f"hvp: vector {i}"))
        else:
            arr = _as_float_array(v.data if isinstance(v, Tensor) else v, f"hvp: vector {i}", leaf.data.dtype)
            if arr.shape != leaf.shape:
                raise ValueError(f"hvp: vector {i} has shape {arr.shape}, but its input has shape {leaf.shape}")
            out.append(arr)
    return out


def _call(f: Callable[..., Node], leaves: List[Node], where: str) -> Node:
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of the inputs, got {type(f).__name__}")
    y = f(*leaves)
    if not isinstance(y, (Value, Tensor)) or (type(y) is Tensor and y.data.size != 1):
        what = f"a Tensor of shape {y.shape}" if isinstance(y, Tensor) else f"{type(y).__name__} {y!r}"
        raise TypeError(
            f"{where}: f must return a single-number Value or Tensor built from its inputs, got {what}"
            + ("; call .sum() or .mean() on it" if isinstance(y, Tensor) else "")
        )
    return y


def _plain(h: Any, leaf: Node) -> Any:
    """A gradient entry as a plain number (Value) or array (Tensor); zero if there is none."""
    if isinstance(leaf, Value):
        return 0.0 if h is None else float(h.data)
    return np.zeros_like(leaf.data) if h is None else np.array(h.data, dtype=leaf.data.dtype)

