"""``Value``: one scalar node of a computation graph, and reverse-mode autodiff over it.

Every arithmetic operation on ``Value`` objects records a node: its ``data`` (the
forward result), the nodes it came from (``_prev``, in argument order), the op's name
(``_op``) and the op's derivative rule (``_rule``, one function per op, called as
``rule(node)``). ``backward()`` sorts the graph topologically and runs each rule once,
from the output back to the leaves, applying the chain rule::

    dL/dinput += dL/dout * dout/dinput

micrograd's spellings work as they are: ``node._backward()`` runs the node's rule (a
leaf's does nothing), so the lecture's ``for node in reversed(topo): node._backward()``
is backward() by hand; and ``out = Value(t, (x,), "tanh")`` with ``out._backward =
closure`` adds an op the lecture's way (``_backward`` is a property over ``_rule``).

Primitives and their local derivatives (each written next to its forward code below):

    a + b       d/da = 1, d/db = 1
    a * b       d/da = b, d/db = a
    a ** b      d/da = b a^(b-1),  d/db = a^b ln a
    exp(x)      exp(x)                  log(x)      1 / x
    tanh(x)     1 - tanh(x)^2           sigmoid(x)  s (1 - s)
    relu(x)     1 if x > 0 else 0       abs(x)      sign(x)
    sqrt(x)     1 / (2 sqrt x)          sin(x)      cos(x)
    cos(x)      -sin(x)                 softplus(x) sigmoid(x)
    leaky_relu(x, slope)  1 if x > 0 else slope

Everything else (``-``, unary ``-``, ``/`` and the reflected forms) is a one-liner on
top of these, so it gets its gradient for free.

Kinks (NOTE: the same conventions as PyTorch, tested exactly):
``relu'(0) = 0``, ``abs'(0) = 0``, ``leaky_relu'(0) = slope``, ``sqrt'(0) = inf``.

Higher order: gradients of gradients. Beside each rule sits its twin, the same
derivative written with node operations: ``_tanh_backward(out)`` adds
``(1 - t*t) * out.grad`` into ``x.grad`` (floats: what ``backward()`` runs, fast);
``_tanh_backward_graph(out, g)`` returns ``(1.0 - out * out) * g``, where the output
``out`` and its gradient ``g`` are nodes, one part per input (None for an input that
needs none). ``autograd_lite.grad`` runs the twins, over the same topological order;
with ``create_graph=True`` the parts record how they were computed, from the forward
graph's own nodes (``out`` above), so a gradient is a graph like any other and can be
differentiated again, to any order. A test finds every rule of both engines by walking
the code, fails if one has no twin, and checks the two forms agree to 1e-12.

What higher derivatives do where the first one has a kink or is infinite (NOTE: as
PyTorch, tested exactly, except the two rows marked):

    =======================  ==========================================================
    relu, leaky_relu, abs    second derivative 0 everywhere, also at 0: the first
                             derivative is a step kept as a node of x (_piecewise), so
                             grad() of it gives 0. The second is a constant: grad() of
                             it needs allow_unused=True (PyTorch: the same for abs)
    sqrt(x), x ** b (b < 1)  at x = 0 the first derivative is inf; the next ones are
                             -inf, inf, ...: IEEE infinities, never an error
    d/db a ** b              nan for a < 0, and so are all its derivatives
    * d/db a ** b at a = 0   0, and so are its derivatives (0 ** b is 0 for b > 0);
                             PyTorch's second one is nan (its where() times log 0)
    * d2/da db a ** b, b = 0 1/a in either order, the math (a symmetric Hessian);
                             PyTorch's where(b == 0, 0, ...) gives 0 in one order
    =======================  ==========================================================

Non-finite numbers (inf, nan): one rule for where they may enter and leave a graph,
the same for ``Value`` and ``Tensor``:

* IN: a number typed in -- ``Value(x)``, a Python number an op meets (``v * 2.0``),
  ``backward(grad=...)`` -- must be finite: nan and +-inf are a ValueError, a number too
  large for a float64 (``10**400``) an OverflowError. Nobody types inf on purpose.
* THROUGH: results of ops follow IEEE, like Python floats: overflow in ``+``, ``-``, ``*``
  gives +-inf, inf - inf gives nan, and an input that already is inf or nan propagates
  through every op (``relu(nan)`` is nan, ``exp(inf)`` is inf, ``sin(inf)`` is nan) rather
  than raising: it is the symptom of an earlier overflow, not a new mistake. Ops with a
  domain still raise for inputs outside it (table below); overflow errors (``exp``, ``**``)
  are raised only when finite inputs overflow. ``detach()`` and the shifts and clamps
  inside ``nn``'s losses carry inf and nan as nodes, never back through the input check.
* OUT: a non-finite loss is a result like any other. ``nn.fit`` checks every loss,
  gradient and update and stops, with its message, before an update would put inf or
  nan into a parameter; ``nn``'s optimizers refuse non-finite gradients and updates.
* FIND: inside ``detect_anomaly()`` (``anomaly.py``) the first op or derivative rule that
  makes an inf or a nan from finite numbers raises ``AnomalyError``, naming the op and
  the line of your code that made the node.

Errors, one policy per op:

    =====================  ==========================================================
    op                     what happens outside its domain
    =====================  ==========================================================
    Value(x)               TypeError for anything but a real number (bool, str, None,
                           lists, arrays: use Tensor); ValueError for nan and +-inf;
                           OverflowError beyond float64 (10**400)
    a + b, a * b, -, neg   IEEE, like Python floats: overflow gives +-inf, inf - inf
                           gives nan (checking every add would slow every graph)
    a / b                  ZeroDivisionError "division by zero in Value.__truediv__";
                           otherwise IEEE, as Python's / (inf only if a / b overflows)
    a ** b                 ValueError for a < 0 with a finite non-integer b (the result
                           would be complex); ZeroDivisionError for 0 ** (finite b < 0);
                           OverflowError when finite operands exceed float64
    d/db a ** b            nan for a < 0 (ln a is undefined), 0 for a == 0, as PyTorch
    exp(x)                 OverflowError for finite x > 709.78 (exp(x) > float64 max)
    log(x)                 ValueError for x <= 0 (-inf included)
    sqrt(x)                ValueError for x < 0; the gradient at 0 is inf
    tanh, sigmoid,         defined everywhere; sigmoid and softplus are computed in a
    softplus, relu, ...    form that never overflows; sin, cos of +-inf are nan
    backward()             checks every leaf first; if a rule raises midway (a leaf's
                           data changed after the graph was built, an interrupt), every
                           grad is put back: a failed call changes nothing
    =====================  ==========================================================

Gradient semantics, in one place:

* ``backward()`` seeds the output with 1 and fills ``.grad`` on every node of its graph.
* Interior nodes' grads are scratch space: each ``backward()`` starts them from zero.
* Leaves' grads *accumulate*, as in PyTorch: a leaf used twice (``b = a + a``) gets the
  sum of both contributions. Across ``backward()`` calls, adding to a leaf that already
  holds a gradient is almost always the classic forgotten-``zero_grad`` bug, so it is an
  error unless you ask for it with ``backward(accumulate=True)``. Calling ``backward()``
  twice on the same graph therefore raises; with ``accumulate=True`` the leaves get
  exactly twice the gradient. Zero leaves with ``p.grad = 0.0`` (or ``zero_grad(ps)``).
* A leaf made with ``requires_grad=False`` (and every constant a Python number becomes)
  never receives a gradient; an op whose inputs all lack ``requires_grad``, or any op
  inside ``no_grad()``, records no graph at all.
* Graphs are never freed by ``backward()``: lectures draw them afterwards. They hold no
  reference cycles, so dropping the output frees the whole graph at once.
"""

from __future__ import annotations

import contextvars
import gc
import math
import types
from contextlib import contextmanager
from numbers import Real
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Union

from .graph import topological_order

__all__ = ["Value", "ClosureRule", "no_grad", "is_grad_enabled", "gc_paused", "zero_grad"]

# Grad mode and anomaly mode live in one ContextVar, read once for every node made:
#   True       the usual: ops record a graph
#   False      inside no_grad(): ops compute values and record nothing
#   an Anomaly inside detect_anomaly() (autograd_lite/anomaly.py): every result is checked
#              for a new inf or nan and remembers the line that made it; its .grad says
#              whether grad mode is on as well. An Anomaly is falsy, so the test of the
#              usual case in _node, `needs_grad and _mode_now()`, is as cheap as it was
#              before anomaly mode existed, and anomaly mode goes the other way.
# A ContextVar, so that no_grad() in one thread (or asyncio task) does not switch off
# graph recording in another.
_mode: contextvars.ContextVar[Any] = contextvars.ContextVar("autograd_lite_mode", default=True)


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, operations compute values but record no graph.

    Use it for evaluation and for parameter updates. Thread- and task-safe; inside
    ``detect_anomaly()`` the checks go on.
    """
    token = _set_grad_mode(False)
    try:
        yield
    finally:
        _mode.reset(token)


def is_grad_enabled() -> bool:
    """``False`` inside ``no_grad()``, ``True`` otherwise."""
    mode = _mode.get()
    return mode if type(mode) is bool else mode.grad


def _set_grad_mode(enabled: bool) -> contextvars.Token:
    """Switch recording on or off in this context, anomaly mode unchanged; undo with ``_mode.reset(token)``."""
    mode = _mode.get()
    return _mode.set(enabled if type(mode) is bool else mode.with_grad(enabled))


class gc_paused:
    """Pause CPython's cyclic garbage collector for the duration of a ``with`` block.

    Why this is safe and fast: building a graph allocates objects quickly, and every
    few hundred allocations the collector walks the objects that are alive, which for
    a big graph means the whole graph, again and again. Our graphs contain no reference
    cycles, so reference counting alone frees a dropped graph at once; the collector is
    only needed for cycles, and pausing it loses nothing. Wrap a training step (forward,
    backward, update) in it; ``backward()`` pauses it on its own. Code of yours that
    creates reference cycles inside the block is collected after it, not during it.

    The collector is process-wide: the previous state is restored on exit, and a block
    nested in another leaves it paused. (A class rather than a generator-based context
    manager: entering it costs a fraction as much, and every backward() enters it.)
    """

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._was_enabled:
            gc.enable()


def zero_grad(values: Iterable["Value"]) -> None:
    """Set ``.grad = 0.0`` on each of ``values`` (typically a model's parameters).

    Every item is checked to be a Value first, so a wrong one changes nothing (a Tensor's
    "no gradient" is ``None``: use its optimizer's ``zero_grad()``).
    """
    if isinstance(values, Value) or not isinstance(values, Iterable):
        raise TypeError(f"zero_grad: expected a list of Values (model.parameters()), got {type(values).__name__}")
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(
                f"zero_grad: item {i} is a {type(v).__name__}, not a Value; for Tensors set t.grad = None "
                f"(or call the optimizer's zero_grad())"
            )
    for v in values:
        v.grad = 0.0


def _check_number(x: object, where: str) -> float:
    """``x`` as a finite float, or an error that names ``where`` and the offending value."""
    if type(x) is float:  # the common case, kept fast
        if x - x == 0.0:  # false exactly for nan and +-inf
            return x
    elif isinstance(x, bool):
        raise TypeError(
            f"{where}: got the bool {x!r}; a Value holds a real number "
            f"(write {float(x)!r} if you mean it as a number)"
        )
    elif isinstance(x, Value):
        raise TypeError(f"{where}: got a Value ({x!r}); it is already a node, use it directly")
    elif isinstance(x, Real):  # int, fractions, numpy scalars
        try:
            x = float(x)
        except OverflowError:
            raise OverflowError(
                f"{where}: {_show(x)} is too large for a float64 (max ~1.8e308); scale it down"
            ) from None
    elif getattr(type(x), "_autograd_lite_tensor", False):
        raise TypeError(
            f"{where}: cannot mix a Value with a Tensor (shape {getattr(x, 'shape', None)}); Value and Tensor graphs "
            f"do not mix. Use Tensor throughout (Tensor(v.data) for a constant), or index the "
            f"tensor's data for a number: t.data[i]"
        )
    else:
        shape = getattr(x, "shape", None)
        hint = (
            "; for arrays use autograd_lite.Tensor"
            if shape is not None or isinstance(x, (list, tuple))
            else f"; convert it first, e.g. float({_show(x, 40)})" if isinstance(x, str) else ""
        )
        desc = f"{type(x).__name__} of shape {shape}" if shape is not None else f"{type(x).__name__} {_show(x)}"
        raise TypeError(f"{where}: expected a real number, got {desc}{hint}")
    if x != x:
        raise ValueError(f"{where}: got nan; a Value must hold a finite number")
    if x - x != 0.0:
        raise ValueError(f"{where}: got {x!r}; a Value must hold a finite number")
    return x


# Value()'s default _children: a leaf. Compared by identity (one test of the fast path); any
# other _children, an explicit () included, goes the checked way of _make_result.
_NO_CHILDREN: Tuple[()] = ()


class ClosureRule:
    """A rule made by hand, micrograd's way: ``out._backward = fn`` stores ``ClosureRule(fn)``
    in ``out._rule``, so ``backward()`` calls every rule the same way, ``rule(node)``, and
    this one calls ``fn()``.

    Part of the node protocol (``data``, ``grad``, ``_prev``, ``_op``, ``_rule``, ``label``):
    code that reads a graph (``viz``, ``gradcheck``) tells such a rule from an op's own by
    ``type(node._rule) is ClosureRule``. Its ``fn`` closes over the real nodes, so unlike an
    op's rule it cannot be run on a copy of the node.

    >>> x = Value(3.0); out = Value(x.data * 2.0, (x,), "double")
    >>> def _backward(): x.grad += 2.0 * out.grad
    >>> out._backward = _backward
    >>> type(out._rule).__name__, out._rule.fn is _backward
    ('ClosureRule', True)
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn = fn

    def __call__(self, node: Any) -> None:
        self.fn()

    def __repr__(self) -> str:
        return f"<closure rule {getattr(self.fn, '__qualname__', self.fn)!r}>"


def _micrograd_rule(node: Any) -> Callable[[], None]:
    """``node._backward``, as micrograd has it: a call with no argument that runs the node's
    rule once (``Value._mul_backward`` bound to the node), or does nothing for a leaf."""
    rule = node._rule
    if rule is None:
        return _nothing
    if type(rule) is ClosureRule:
        return rule.fn
    return types.MethodType(rule, node)


def _set_micrograd_rule(node: Any, fn: Callable[[], None]) -> None:
    """``out._backward = fn``, as micrograd has it: ``fn`` is a closure taking no argument
    (it reads ``out.grad`` and adds into its inputs' ``.grad``), and backward() runs it at ``out``.

    NOTE: a closure over ``out`` is a reference cycle (out -> fn -> out), as in micrograd:
    such a graph is freed by the cyclic collector rather than at once.
    """
    kind = type(node).__name__
    if not callable(fn):
        raise TypeError(
            f"{kind}._backward = ...: expected a function taking no argument (micrograd's closure), "
            f"got {type(fn).__name__} {_show(fn)}"
        )
    code = getattr(fn, "__code__", None)
    if type(fn) is types.FunctionType and code is not None and code.co_argcount > len(fn.__defaults__ or ()):
        raise TypeError(
            f"{kind}._backward = {fn.__qualname__}: micrograd's _backward takes no argument, and this function "
            f"takes {code.co_argcount}; write it as a closure over out (def _backward(): x.grad += ... * out.grad), "
            f"or install a rule that takes the node as node._rule = {fn.__qualname__}"
        )
    node._rule = ClosureRule(fn)


def _nothing() -> None:
    """A leaf's ``_backward()``: nothing to push anywhere."""


Operand = Union["Value", float, int]
Rule = Callable[["Value"], None]
# A graph-building twin takes the output node and its gradient (a node) and returns one
# gradient part per input, in _prev order: a node, or None for an input that needs none.
Parts = Tuple[Optional["Value"], ...]


class Value:
    """A scalar with a gradient: one node of a computation graph.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b + a            # c = ab + a
    >>> c.backward()             # dc/da = b + 1, dc/db = a
    >>> a.grad, b.grad
    (-2.0, 2.0)
    """

    # Slots, not a __dict__: a node is ~100 bytes, and no closure is made per node;
    # each op's rule is one function shared by every node of that op, kept in _rule.
    __slots__ = ("data", "grad", "_prev", "_op", "_rule", "label", "requires_grad", "__weakref__")

    # numpy: `array * value` must not turn into an object array of Values; this makes
    # numpy hand the operation to Value, which explains what to do instead.
    __array_ufunc__ = None

    data: float
    grad: float
    _prev: Tuple["Value", ...]
    _op: str
    _rule: Optional[Rule]  # called as rule(node) by backward(); None for a leaf
    label: Optional[str]
    requires_grad: bool

    def __init__(
        self,
        data: float,
        _children: Iterable["Value"] = _NO_CHILDREN,
        _op: str = "",
        label: Optional[str] = None,
        requires_grad: bool = True,
    ) -> None:
        """A leaf node holding ``data``; ``requires_grad=False`` marks it a constant input.

        The signature is micrograd's: ``Value(t, (x,), "tanh")`` makes the result of an
        op by hand, computed from ``_children``; give it a rule with ``out._backward =``
        (see ``_backward`` below). Labels are passed by name: ``Value(2.0, label="a")``.
        """
        if _children is not _NO_CHILDREN or _op:  # micrograd's way to make an op's result
            _make_result(self, data, _children, _op, label, requires_grad)
            return
        # Fast path for the common case, a finite float (x - x is 0 unless x is nan/inf).
        self.data = data if type(data) is float and data - data == 0.0 else _check_number(data, "Value(...)")
        self.grad = 0.0
        self._prev = ()
        self._op = ""
        self._rule = None
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value(label=...): a label is a str, got {type(label).__name__} {_show(label)}")
        self.label = label
        if requires_grad is not True and requires_grad is not False:
            requires_grad = _check_flag(requires_grad, "Value(requires_grad=...)")
        self.requires_grad = requires_grad

    # micrograd's spelling of a node's rule (see _micrograd_rule above): `node._backward()`
    # runs this node's rule once (a leaf's does nothing), and `out._backward = fn` makes the
    # zero-argument closure fn the rule backward() runs at out.
    _backward = property(_micrograd_rule, _set_micrograd_rule)

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)}{name})"

    # ------------------------------------------------------------------ primitives
    # Each primitive computes its result, then hands it to _node together with
    # its derivative rule. A rule receives the output node and adds
    # out.grad * d(out)/d(input) into each input that requires a gradient.

    def __add__(self, other: Operand) -> "Value":
        other = other if isinstance(other, Value) else _const(other, "__add__")
        return _node(self.data + other.data, "+", Value._add_backward, self, other)

    @staticmethod
    def _add_backward(out: "Value") -> None:
        # d(a + b)/da = 1, d(a + b)/db = 1
        a, b = out._prev
        g = out.grad
        if a.requires_grad:
            a.grad += g
        if b.requires_grad:
            b.grad += g

    @staticmethod
    def _add_backward_graph(out: "Value", g: "Value") -> Parts:
        # d(a + b)/da = 1, d(a + b)/db = 1
        a, b = out._prev
        return (g if a.requires_grad else None, g if b.requires_grad else None)

    def __mul__(self, other: Operand) -> "Value":
        other = other if isinstance(other, Value) else _const(other, "__mul__")
        return _node(self.data * other.data, "*", Value._mul_backward, self, other)

    @staticmethod
    def _mul_backward(out: "Value") -> None:
        # d(a * b)/da = b, d(a * b)/db = a
        a, b = out._prev
        g = out.grad
        if a.requires_grad:
            a.grad += b.data * g
        if b.requires_grad:
            b.grad += a.data * g

    @staticmethod
    def _mul_backward_graph(out: "Value", g: "Value") -> Parts:
        # d(a * b)/da = b, d(a * b)/db = a
        a, b = out._prev
        return (g * b if a.requires_grad else None, g * a if b.requires_grad else None)

    def __pow__(self, other: Operand) -> "Value":
        other = other if isinstance(other, Value) else _const(other, "__pow__")
        a, b = self.data, other.data
        if a < 0.0 and not b.is_integer() and b - b == 0.0:  # (a nan or +-inf b propagates)
            raise ValueError(
                f"Value.__pow__: {a!r} ** {b!r} is not a real number (a negative base needs "
                f"an integer exponent); keep the base positive, e.g. abs(x) ** {b!r}"
            )
        try:
            data = a**b
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"Value.__pow__: {a!r} ** {b!r} divides by zero (zero base, negative exponent)"
            ) from None
        except OverflowError:
            raise OverflowError(f"Value.__pow__: {a!r} ** {b!r} overflows float64 (max ~1.8e308)") from None
        return _node(data, "**", Value._pow_backward, self, other)

    @staticmethod
    def _pow_backward(out: "Value") -> None:
        # d(a ** b)/da = b * a ** (b - 1);  d(a ** b)/db = a ** b * ln a
        a, b = out._prev
        if a.requires_grad:
            a.grad += out.grad * _dpow_dbase(a.data, b.data)
        if b.requires_grad:
            # NOTE: ln a is undefined for a < 0: nan there, and 0 at a == 0 (where
            # a ** b is flat in b for b > 0), exactly as PyTorch.
            x = a.data
            b.grad += out.grad * (out.data * math.log(x) if x > 0.0 else (0.0 if x == 0.0 else math.nan))

    @staticmethod
    def _pow_backward_graph(out: "Value", g: "Value") -> Parts:
        # d(a ** b)/da = b * a ** (b - 1);  d(a ** b)/db = a ** b * ln a
        a, b = out._prev
        da = db = None
        if a.requires_grad:
            # NOTE: at a = 0 with b < 1 the power is infinite (IEEE inf from _power, not an
            # error), as in the rule above; at a = b = 0 the part is 0, not 0 * inf. At b = 0
            # with a != 0 it is b a^-1 = 0 as a node, so d2/da db = 1/a (PyTorch says 0).
            da = g * 0.0 if b.data == 0.0 and a.data == 0.0 else g * (b * _power(a, b - 1.0))
        if b.requires_grad:
            # NOTE: ln a is nan for a < 0 and taken as 0 at a == 0, as in the rule above.
            x = a.data
            db = g * out * (a.log() if x > 0.0 else _unchecked(0.0 if x == 0.0 else math.nan))
        return (da, db)

    def exp(self) -> "Value":
        """e ** x."""
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Value.exp: exp({self.data!r}) overflows float64 (exp(x) is finite only for "
                f"x < 709.78); scale the input down, or use sigmoid/softplus, which are stable"
            ) from None
        return _node(data, "exp", Value._exp_backward, self)

    @staticmethod
    def _exp_backward(out: "Value") -> None:
        # d/dx e^x = e^x, which is the output itself
        (x,) = out._prev
        x.grad += out.data * out.grad

    @staticmethod
    def _exp_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx e^x = e^x, the output node itself
        return (g * out,)

    def log(self) -> "Value":
        """Natural logarithm; x must be > 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"Value.log: log({x!r}) is undefined; log needs x > 0")
        return _node(math.log(x), "log", Value._log_backward, self)

    @staticmethod
    def _log_backward(out: "Value") -> None:
        # d/dx ln x = 1 / x
        (x,) = out._prev
        x.grad += out.grad / x.data

    @staticmethod
    def _log_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx ln x = 1 / x
        (x,) = out._prev
        return (g / x,)

    def tanh(self) -> "Value":
        """Hyperbolic tangent, (e^2x - 1) / (e^2x + 1)."""
        return _node(math.tanh(self.data), "tanh", Value._tanh_backward, self)

    @staticmethod
    def _tanh_backward(out: "Value") -> None:
        # d/dx tanh x = 1 - tanh^2 x
        (x,) = out._prev
        t = out.data
        x.grad += (1.0 - t * t) * out.grad

    @staticmethod
    def _tanh_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx tanh x = 1 - tanh^2 x, with tanh x the output node: so d2/dx2 = -2 t (1 - t^2)
        return ((1.0 - out * out) * g,)

    def sigmoid(self) -> "Value":
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow for any x."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e^-x would overflow for x < -709; e^x / (1 + e^x) is the same number
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", Value._sigmoid_backward, self)

    @staticmethod
    def _sigmoid_backward(out: "Value") -> None:
        # d/dx s(x) = s(x) (1 - s(x))
        (x,) = out._prev
        s = out.data
        x.grad += s * (1.0 - s) * out.grad

    @staticmethod
    def _sigmoid_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx s(x) = s(x) (1 - s(x)), with s(x) the output node
        return (out * (1.0 - out) * g,)

    def relu(self) -> "Value":
        """max(0, x)."""
        x = self.data
        # NOTE: written so that relu(nan) is nan (as Tensor.relu and PyTorch): a diverged
        # number must not turn into a quiet 0.
        return _node(0.0 if x <= 0.0 else x, "relu", Value._relu_backward, self)

    @staticmethod
    def _relu_backward(out: "Value") -> None:
        # d/dx max(0, x) = 1 if x > 0 else 0.  NOTE: relu'(0) = 0, as PyTorch.
        (x,) = out._prev
        if x.data > 0.0:
            x.grad += out.grad

    @staticmethod
    def _relu_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx max(0, x) = 1 if x > 0 else 0: a step, so relu'' = 0 (as PyTorch)
        (x,) = out._prev
        return (g * _piecewise(x, 1.0 if x.data > 0.0 else 0.0),)

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x if x > 0 else slope * x. The slope is recorded as a constant input."""
        s = _const(slope, "leaky_relu(slope=...)")
        x = self.data
        return _node(x if x > 0.0 else s.data * x, "leaky_relu", Value._leaky_relu_backward, self, s)

    @staticmethod
    def _leaky_relu_backward(out: "Value") -> None:
        # d/dx = 1 if x > 0 else slope.  NOTE: leaky_relu'(0) = slope, as PyTorch.
        x, s = out._prev
        x.grad += out.grad if x.data > 0.0 else (s.data * out.grad)

    @staticmethod
    def _leaky_relu_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx = 1 if x > 0 else slope: a step, so leaky_relu'' = 0; the slope is a constant
        x, s = out._prev
        return (g * _piecewise(x, 1.0 if x.data > 0.0 else s.data), None)

    def softplus(self) -> "Value":
        """ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|) so it never overflows."""
        x = self.data
        return _node(max(x, 0.0) + math.log1p(math.exp(-abs(x))), "softplus", Value._softplus_backward, self)

    @staticmethod
    def _softplus_backward(out: "Value") -> None:
        # d/dx ln(1 + e^x) = e^x / (1 + e^x) = sigmoid(x), written stably for both signs
        (x,) = out._prev
        e = math.exp(-abs(x.data))
        x.grad += (1.0 / (1.0 + e) if x.data >= 0.0 else e / (1.0 + e)) * out.grad

    @staticmethod
    def _softplus_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx ln(1 + e^x) = sigmoid(x), as a node: so softplus'' = s (1 - s)
        (x,) = out._prev
        return (x.sigmoid() * g,)

    def __abs__(self) -> "Value":
        return _node(abs(self.data), "abs", Value._abs_backward, self)

    @staticmethod
    def _abs_backward(out: "Value") -> None:
        # d/dx |x| = sign(x).  NOTE: abs'(0) = 0, as PyTorch.
        (x,) = out._prev
        if x.data > 0.0:
            x.grad += out.grad
        elif x.data < 0.0:
            x.grad -= out.grad
        elif x.data != x.data:  # NOTE: sign(nan) is nan (as Tensor, numpy, PyTorch): no quiet 0
            x.grad += out.grad * math.nan

    @staticmethod
    def _abs_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx |x| = sign(x), a step: abs'' = 0 (as PyTorch)
        (x,) = out._prev
        return (g * _piecewise(x, 1.0 if x.data > 0.0 else (-1.0 if x.data < 0.0 else 0.0)),)

    def sqrt(self) -> "Value":
        """Square root; x must be >= 0."""
        x = self.data
        if x < 0.0:
            raise ValueError(f"Value.sqrt: sqrt({x!r}) is not a real number; sqrt needs x >= 0")
        return _node(math.sqrt(x), "sqrt", Value._sqrt_backward, self)

    @staticmethod
    def _sqrt_backward(out: "Value") -> None:
        # d/dx sqrt x = 1 / (2 sqrt x).  NOTE: infinite at x = 0 (grad * inf, -inf at -0.0),
        # as PyTorch; nan at nan.
        (x,) = out._prev
        r = out.data
        x.grad += (out.grad * 0.5 / r) if r != 0.0 else (out.grad * math.copysign(math.inf, r))

    @staticmethod
    def _sqrt_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx sqrt x = 1 / (2 sqrt x) = 0.5 * out ** -1.  NOTE: inf at x = 0 (IEEE, from
        # _power), and so are the higher derivatives there, as PyTorch.
        return (g * 0.5 * _power(out, _unchecked(-1.0)),)

    def sin(self) -> "Value":
        """Sine (radians)."""
        return _node(_sin(self.data), "sin", Value._sin_backward, self)

    @staticmethod
    def _sin_backward(out: "Value") -> None:
        # d/dx sin x = cos x
        (x,) = out._prev
        x.grad += _cos(x.data) * out.grad

    @staticmethod
    def _sin_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx sin x = cos x
        (x,) = out._prev
        return (x.cos() * g,)

    def cos(self) -> "Value":
        """Cosine (radians)."""
        return _node(_cos(self.data), "cos", Value._cos_backward, self)

    @staticmethod
    def _cos_backward(out: "Value") -> None:
        # d/dx cos x = -sin x
        (x,) = out._prev
        x.grad -= _sin(x.data) * out.grad

    @staticmethod
    def _cos_backward_graph(out: "Value", g: "Value") -> Parts:
        # d/dx cos x = -sin x
        (x,) = out._prev
        return (-(x.sin() * g),)

    # ------------------------------------------------------------------ derived ops
    # One-liners on the primitives: their gradients come from the rules above.

    def __neg__(self) -> "Value":  # -a
        return self * -1.0

    def __sub__(self, other: Operand) -> "Value":  # a - b
        if isinstance(other, Value):
            return self + (-other)
        # a - 2.0 is a + (-2.0): negate the number itself, not a constant node
        negated = _const(other, "__sub__")
        negated.data = -negated.data
        return self + negated

    def __truediv__(self, other: Operand) -> "Value":  # a / b = a * b**-1
        other = other if isinstance(other, Value) else _const(other, "__truediv__")
        _check_denominator(self.data, other)
        if abs(other.data) < _TINY:  # 1/b would overflow: see _TINY
            return (self * _SCALE) * (other * _SCALE) ** -1.0
        return self * other**-1.0

    def __radd__(self, other: Operand) -> "Value":  # 2 + a; also what sum([...]) calls
        return _const(other, "__radd__") + self

    def __rsub__(self, other: Operand) -> "Value":  # 2 - a
        return _const(other, "__rsub__") + (-self)

    def __rmul__(self, other: Operand) -> "Value":  # 2 * a
        return _const(other, "__rmul__") * self

    def __rtruediv__(self, other: Operand) -> "Value":  # 2 / a
        other = _const(other, "__rtruediv__")
        _check_denominator(other.data, self)
        if abs(self.data) < _TINY:  # 1/a would overflow: see _TINY
            return (other * _SCALE) * (self * _SCALE) ** -1.0
        return other * self**-1.0

    def __rpow__(self, other: Operand) -> "Value":  # 2 ** a
        return _const(other, "__rpow__") ** self

    # ------------------------------------------------------------------ autodiff

    def backward(self, grad: float = 1.0, *, accumulate: bool = False) -> None:
        """Fill ``.grad`` of every node in this graph with d(self)/d(node).

        Runs each node's derivative rule once, in reverse topological order, so that a
        node's gradient is complete before it is pushed to its inputs:
        ``input.grad += node.grad * d(node)/d(input)``. ``grad`` seeds d(self)/d(self).

        Interior grads restart from zero on every call; leaf grads add up. A leaf that
        already holds a gradient raises (see the module docstring) unless
        ``accumulate=True``. The cyclic garbage collector is paused while it runs.

        A call that raises changes nothing: every leaf is checked before any rule runs, and
        if a rule fails (say, a leaf's data was set to 0 after a log() was built on it) or
        the run is interrupted, every grad it had changed is put back.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "Value.backward: this Value does not require grad (it was computed inside "
                "no_grad(), from constants only, or is detached), so there is no graph to "
                "differentiate; build it from leaves with requires_grad=True"
            )
        grad = _check_number(grad, "Value.backward(grad=...)")
        if accumulate is not False and accumulate is not True:
            accumulate = _check_flag(accumulate, "Value.backward(accumulate=...)")
        with gc_paused():
            order = topological_order(self)
            # Grads this call overwrites, to put back if it fails: every leaf's, and each
            # interior grad left by an earlier call. (Kept as they are: floats are immutable.)
            kept = []
            running = False  # True once the rules run (rather than the checks)
            node: Any = None  # the node being checked, or whose rule runs
            try:
                # One pass before any rule runs: check each leaf (stale or not a number:
                # raise) and restart each interior grad from zero.
                for node in order:
                    g = node.grad
                    if node._prev:
                        if g:
                            kept.append((node, g))
                        node.grad = 0.0
                    elif node.requires_grad:
                        if (type(g) is not float and not isinstance(g, Real)) or (g and not accumulate):
                            _raise_stale_leaf(node)  # (p.grad = 0, an int, is fine: micrograd writes it)
                        kept.append((node, g))
                running = True
                self.grad += grad
                mode = _mode_now()
                if type(mode) is bool:  # the usual loop
                    for node in reversed(order):
                        rule = node._rule
                        if rule is not None:
                            rule(node)
                else:  # inside detect_anomaly(): each rule's parts are checked as it runs (anomaly.py)
                    for node in reversed(order):
                        rule = node._rule
                        if rule is not None:
                            mode.run_rule(rule, node)
            except BaseException as exc:
                _restore_grads(order, kept, exc, node if running and node._prev else None, running)
                raise

    def detach(self) -> "Value":
        """A new constant leaf with the same data, cut off from this graph.

        The data is copied as it is, inf or nan included: it is the result of ops, not a
        number typed in (see the policy table above).
        """
        out = _unchecked(self.data)
        out.label = self.label
        return out


# ---------------------------------------------------------------------- node makers

_new = Value.__new__
_mode_now = _mode.get  # bound once: called for every node made


def _node(data: float, op: str, rule: Rule, a: Value, b: Optional[Value] = None) -> Value:
    """The result of ``op(a)`` or ``op(a, b)`` as a new node.

    It records its inputs and derivative rule only when an input needs a gradient and
    grad mode is on; otherwise it is a constant, and no graph is kept.
    """
    prev: Tuple[Value, ...]
    if b is None:
        prev, needs_grad = (a,), a.requires_grad
    else:
        prev, needs_grad = (a, b), a.requires_grad or b.requires_grad
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if needs_grad and _mode_now():  # the usual case: grad mode on (True), anomaly mode off
        out._prev = prev
        out._op = op
        out._rule = rule
        out.requires_grad = True
        return out
    out._prev = ()
    out._op = ""
    out._rule = None
    out.requires_grad = False
    mode = _mode_now()  # True or False (inside no_grad()): a constant. Else detect_anomaly() is on:
    if type(mode) is not bool and mode.watch(out, op, prev, needs_grad):
        # the result was checked for a new inf or nan, and the node, recorded, remembers
        # the line of your code that made it (anomaly.py)
        out._prev, out._op, out._rule, out.requires_grad = prev, op, rule, True
    return out


def _make_result(
    node: Value, data: object, children: object, op: object, label: object, requires_grad: object
) -> None:
    """``Value(data, _children, _op)``: the result of an op made by hand, micrograd's way.

    ``data`` is the op's result, so inf and nan are allowed (see the policy above). The
    node records its inputs as any op's result does: when one of them requires grad and
    grad mode is on. Its rule is whatever ``node._backward = fn`` installs next.
    """
    if isinstance(children, str):
        raise TypeError(
            f"Value({_show(data)}, {children!r}): the second argument is micrograd's _children, the "
            f"Values this one was computed from; for a label write Value({_show(data)}, label={children!r})"
        )
    if isinstance(children, Value) or not isinstance(children, Iterable):
        raise TypeError(
            f"Value(data, _children=...): _children is a tuple of the Values this one was computed from, "
            f"got {type(children).__name__} {_show(children)}; write Value(t, (x,), 'tanh')"
        )
    prev = tuple(children)
    if not prev and not op:  # Value(x, ()): a leaf after all
        Value.__init__(node, data, label=label, requires_grad=requires_grad)  # type: ignore[arg-type]  # Value() checks them
        return
    for i, p in enumerate(prev):
        if type(p) is not Value:
            raise TypeError(f"Value(data, _children=...): child {i} is a {type(p).__name__}, not a Value")
    if not isinstance(op, str):
        raise TypeError(f"Value(data, _children, _op=...): the op's name is a str, got {type(op).__name__} {_show(op)}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"Value(label=...): a label is a str, got {type(label).__name__} {_show(label)}")
    if requires_grad is not True:
        raise TypeError(
            "Value(data, _children, ...): a value computed from others requires grad when one of them "
            "does (as every op's result); requires_grad=... is for leaves: leave it out"
        )
    if type(data) is not float:
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value(data, _children, ...): data must be a real number, got {type(data).__name__} {_show(data)}")
        try:
            data = float(data)
        except OverflowError:
            raise OverflowError(f"Value(data, _children, ...): {_show(data)} is too large for a float64") from None
    node.data, node.grad, node.label = data, 0.0, label
    joins = _joins_graph(node, op, prev)
    node._prev, node._op, node._rule, node.requires_grad = (prev, op, None, True) if joins else ((), "", None, False)


def _joins_graph(node: Any, op: str, prev: Tuple[Any, ...]) -> bool:
    """Whether ``node``, the result of ``op`` on ``prev`` made by hand (or, for Tensors, with
    any number of inputs), records them: when one requires grad and grad mode is on, as
    ``_node`` decides. Inside detect_anomaly() the result is checked too (anomaly.py)."""
    needs_grad = any(p.requires_grad for p in prev)
    mode = _mode_now()
    if type(mode) is not bool:  # detect_anomaly(): check the result, remember the line
        return mode.watch(node, op, prev, needs_grad)
    return needs_grad and mode


def _check_flag(x: object, where: str) -> bool:
    """``x`` as a bool: True, False or a numpy bool; anything else ("no", 1, None) is refused
    (bool("no") is True, which would silently mean the opposite)."""
    if type(x).__name__ == "bool_" and type(x).__module__ == "numpy":
        return bool(x)
    raise TypeError(f"{where}: expected True or False, got {type(x).__name__} {_show(x)}")


def _power(a: Value, b: Value) -> Value:
    """``a ** b`` as a ``**`` node, without the forward's domain errors: for the twins.

    Where a derivative rule divides by zero (sqrt'(0), d/da a ** b at a = 0 with b < 1)
    the derivative is infinite, and PyTorch says inf rather than raising; so does this.
    """
    try:
        data = a.data**b.data
    except (ZeroDivisionError, OverflowError):  # 0 ** -1, or past float64's maximum
        data = math.inf
    return _node(data, "**", Value._pow_backward, a, b)


def _piecewise(x: Value, value: float) -> Value:
    """``value`` as a node of ``x`` with derivative 0: ``x * 0.0 + value``.

    A step (relu'(x), sign(x)) is constant on each side of its kink. As a plain number it
    would cut ``x`` out of the gradient's graph, and grad() of the gradient would call x
    "not used"; as this node it stays in, and the next derivative is 0, as PyTorch says.
    """
    return x * 0.0 + value


def _unchecked(x: float) -> Value:
    """A constant leaf holding ``x`` as it is, unchecked: a number already checked (``_const``),
    or the data of ops (``detach``), or, for the twins, a derivative that is undefined (nan)
    or infinite, as PyTorch says; ``Value()`` refuses nan and inf."""
    v = _new(Value)
    v.data, v.grad, v._prev, v._op, v._rule, v.label, v.requires_grad = x, 0.0, (), "", None, None, False
    return v


def _twin_rules(*namespaces: object) -> Dict[Callable[..., None], Callable[..., Tuple[Any, ...]]]:
    """Each fast rule ``_X_backward`` in ``namespaces`` -> its twin ``_X_backward_graph``.

    Found by name, so a rule written without its twin is simply absent here: ``grad()``
    then names it, and ``tests/test_twin_rules.py`` fails until the twin is written.
    (Built from the class and module dictionaries, where the rules are plain functions.)
    """
    table = {}
    for space in namespaces:
        names = vars(space) if not isinstance(space, dict) else space
        for name, rule in names.items():
            twin = names.get(name + "_graph")
            if name.endswith("_backward") and twin is not None:
                table[_function(rule)] = _function(twin)
    return table


def _function(rule: Any) -> Any:
    return rule.__func__ if isinstance(rule, staticmethod) else rule


def _const(x: object, op: str) -> Value:
    """A Python number met by an op, as a constant leaf (it never receives a gradient).

    Checked once, here: the leaf is then made directly, not through Value()'s checks again.
    """
    return _unchecked(_check_number(x, f"Value.{op}"))


# NOTE: a / b is a * b**-1, and b**-1 overflows float64 for |b| < 1/1.8e308 (the
# subnormals), where a / b itself may be a fine number (1e-320 / 5e-324 is ~2000). There
# both are first multiplied by 2**1000, which is exact: the same quotient, IEEE as
# Python's own / (inf only when a / b itself overflows), and the same gradients.
_TINY = 1.0 / 1.7976931348623157e308
_SCALE = 2.0**1000


def _check_denominator(numerator: float, denominator: Value) -> None:
    if denominator.data == 0.0:
        raise ZeroDivisionError(
            f"division by zero in Value.__truediv__: {numerator!r} / {denominator!r}"
        )


def _dpow_dbase(a: float, b: float) -> float:
    """b * a ** (b - 1), with the limits PyTorch uses where a ** (b - 1) is infinite."""
    if b == 0.0:
        return 0.0  # a ** 0 is constant in a
    try:
        return b * a ** (b - 1.0)
    except (ZeroDivisionError, OverflowError):  # a == 0 with b < 1, or a tiny with b < 0
        return b * math.inf


def _sin(x: float) -> float:
    """sin x, with sin(+-inf) = nan as IEEE (and numpy, PyTorch) say; math.sin raises there."""
    return math.sin(x) if x - x == 0.0 else math.nan


def _cos(x: float) -> float:
    """cos x, with cos(+-inf) = nan (see _sin)."""
    return math.cos(x) if x - x == 0.0 else math.nan


def _show(x: object, limit: int = 80) -> str:
    """``repr(x)`` for an error message: at most ``limit`` characters, and never failing.

    (An int of 5000 digits cannot even be printed: Python refuses to convert ints of more
    than 4300 digits to text. An error message must not fail while it is being written.)
    """
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 200:
        digits = int(x.bit_length() * 0.30103) + 1  # log10(2): within one of the true count
        return f"{'a negative' if x < 0 else 'an'} int of about {digits} digits"
    try:
        text = repr(x)
    except Exception:  # a repr that fails (huge numbers inside, a broken __repr__)
        text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(x: float) -> str:
    """6 significant digits, always recognisably a float: 2.0, not 2."""
    text = f"{x:.6g}"
    return text if any(c in text for c in ".einf") else text + ".0"


def _raise_stale_leaf(leaf: Value) -> None:
    name = f"{leaf.label!r}" if leaf.label is not None else f"with data {leaf.data:.6g}"
    if not isinstance(leaf.grad, Real):  # set by hand to something that is not a number
        raise TypeError(
            f"Value.backward: leaf {name} has grad {_show(leaf.grad)} ({type(leaf.grad).__name__}); "
            f"a Value's grad is a number (0.0 when cleared): set p.grad = 0.0"
        )
    raise _stale_leaf_error("Value", f"{name} already holds grad {leaf.grad:.6g}",
                            "p.grad = 0.0 for each leaf, or zero_grad(parameters)")


def _restore_grads(order: list, kept: list, exc: BaseException, failed: Optional[Any], ran: bool) -> None:
    """Undo a failed backward() (of either engine): if the rules ``ran``, interior grads
    back to their start (``None`` for Tensors, ``0.0`` for Values), then every kept grad
    as it was. A note on the exception says so, and names the op whose rule failed."""
    if ran:
        start = None if getattr(type(order[0]), "_autograd_lite_tensor", False) else 0.0
        for node in order:
            if node._prev:
                node.grad = start
    for node, g in kept:
        node.grad = g
    if hasattr(exc, "add_note"):  # Python 3.11+
        where = f"the derivative rule of a {failed._op!r} node in " if failed is not None else ""
        exc.add_note(f"(raised by {where}backward(); every .grad is as it was before the call)")


def _stale_leaf_error(engine: str, leaf: str, zero_it: str) -> RuntimeError:
    """The backward-twice / forgotten-zero_grad error, worded once for both engines."""
    return RuntimeError(
        f"{engine}.backward: leaf {leaf} from an earlier backward(). Leaf gradients add up, so "
        f"this call would double-count. Zero them first ({zero_it}), or pass accumulate=True "
        f"to add to them on purpose."
    )


# Each rule of Value -> its graph-building twin: what grad() runs at each node.
GRAPH_RULES = _twin_rules(Value)
