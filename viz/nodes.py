"""How ``viz`` reads a node: the one place that knows what a ``Value`` looks like.

Everything that draws (``viz.graph``) asks an adapter, never the node itself, for a
node's inputs, op, label, data, gradient and derivative rule. ``Value`` has one adapter
here; ``Tensor`` gets its own next to it (op and shape, small arrays inline, gradients
as arrays) and the drawing code does not change.

Nothing here changes a graph. Local derivatives and the contributions a node sends back
are computed by running the node's own rule on a throwaway copy whose inputs are fresh
leaves, the way ``gradcheck`` checks one op: the user's ``.grad`` fields are never read
for that and never written.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Type

from autograd_lite.engine import Value

__all__ = ["NodeAdapter", "ValueAdapter", "adapter_for", "register_adapter", "name_map", "fmt"]


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


class NodeAdapter:
    """What viz needs to know about one kind of node. Subclass it for a new node type.

    The drawing code only calls these methods, so a ``Tensor`` adapter (next to come)
    overrides ``data_text``/``grad_text`` (shape, small arrays inline), ``zero``/``add``
    (arrays) and ``contributions`` (its rules write arrays), and nothing else changes.
    """

    #: Node type this adapter reads (for error messages).
    name = "node"

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
        return node._backward is not None

    def stored_grad(self, node: Any) -> Any:
        """The gradient ``backward()`` left on the node (read only)."""
        return node.grad

    def zero(self, node: Any) -> Any:
        """An empty gradient for ``node`` (what a simulated backward starts from)."""
        raise NotImplementedError

    def one(self, node: Any) -> Any:
        """The seed d(root)/d(root)."""
        raise NotImplementedError

    def add(self, total: Any, part: Any) -> Any:
        """``total + part``, in the same order as the engine accumulates (``total += part``)."""
        return total + part

    def data_text(self, node: Any) -> str:
        raise NotImplementedError

    def grad_text(self, grad: Any) -> str:
        raise NotImplementedError

    def number_text(self, x: Any) -> str:
        """A gradient part or local derivative as edge text."""
        raise NotImplementedError

    def contributions(self, node: Any, upstream: Any) -> List[Any]:
        """What ``node``'s rule adds to each input when ``node.grad`` is ``upstream``.

        One entry per input edge (``b = a + a`` gives two entries). Inputs that take
        no gradient (constants, ``requires_grad=False``) get ``None``.
        """
        raise NotImplementedError


class ValueAdapter(NodeAdapter):
    """Reads ``autograd_lite.Value`` nodes: float data and grads."""

    name = "Value"

    def zero(self, node: Value) -> float:
        return 0.0

    def one(self, node: Value) -> float:
        return 1.0

    def data_text(self, node: Value) -> str:
        return f"data {fmt(node.data)}"

    def grad_text(self, grad: float) -> str:
        return f"grad {fmt(grad)}"

    def number_text(self, x: float) -> str:
        return fmt(x)

    def contributions(self, node: Value, upstream: float) -> List[Optional[float]]:
        rule = node._backward
        if rule is None:
            return [None] * len(node._prev)
        # A throwaway copy of `node` with the same data and op, whose inputs are fresh
        # leaves with the inputs' data: the rule writes into those leaves only. One fresh
        # leaf per edge, so `a + a` gets two leaves and each edge its own part. Built with
        # __new__ because Value() refuses inf data, which an overflowed node may hold.
        leaves = tuple(_bare(p.data, p.requires_grad) for p in node._prev)
        copy = _bare(node.data, True)
        copy._prev, copy._op, copy.grad = leaves, node._op, upstream
        rule(copy)  # exactly the arithmetic backward() does, so the parts match it bit for bit
        return [leaf.grad if leaf.requires_grad else None for leaf in leaves]


def _bare(data: float, requires_grad: bool) -> Value:
    v = Value.__new__(Value)
    v.data, v.grad, v._prev, v._op, v._backward = data, 0.0, (), "", None
    v.label, v.requires_grad = None, requires_grad
    return v


_ADAPTERS: List[Tuple[Type[Any], NodeAdapter]] = [(Value, ValueAdapter())]


def register_adapter(node_type: Type[Any], adapter: NodeAdapter) -> None:
    """Teach viz a new node type (``Tensor`` registers itself this way)."""
    _ADAPTERS.insert(0, (node_type, adapter))


def adapter_for(root: Any, where: str) -> NodeAdapter:
    """The adapter for ``root``'s type, or a TypeError from ``where`` saying what to pass."""
    for node_type, adapter in _ADAPTERS:
        if isinstance(root, node_type):
            return adapter
    known = ", ".join(t.__name__ for t, _ in _ADAPTERS)
    raise TypeError(
        f"{where}: expected the output node of a computation ({known}), got "
        f"{type(root).__name__} {root!r:.60}; pass the result itself, e.g. {where}(loss)"
    )


def name_map(params: Optional[Dict[str, Any]], where: str) -> Dict[int, str]:
    """``{id(node): name}`` for ``params=dict(model.named_parameters())``.

    Keyed by ``id()`` only to look names up (never to order anything): a node type may
    define ``__eq__`` elementwise, as tensors do, and then cannot be a dict key.
    """
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError(
            f"{where}(params=...): expected a mapping name -> parameter, got "
            f"{type(params).__name__}; pass params=dict(model.named_parameters())"
        )
    return {id(node): str(name) for name, node in params.items()}

