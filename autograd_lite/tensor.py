"""``Tensor``: the ``Value`` engine lifted to numpy arrays.

A ``Tensor`` node is a ``Value`` node whose ``data`` and ``grad`` are arrays: it records
the nodes it came from (``_prev``, in argument order), the op's name (``_op``), the
op's derivative rule (``_rule``), and, for ops with settings such as an axis or a
shape, those settings (``_ctx``). ``backward()`` uses the same topological sort as
``Value`` and runs each rule once, from the output back to the leaves::

    dL/dinput += vector-Jacobian product of the op with dL/dout

For elementwise ops the Jacobian is diagonal, so the rule is the scalar rule applied to
every element: ``d tanh x = (1 - tanh^2 x) * g``, exactly as in ``engine.py``.

Broadcasting. ``a + b`` with shapes ``(2, 3)`` and ``(3,)`` uses each element of ``b``
twice, once per row, so ``b``'s gradient is the *sum* over the rows of the output's
gradient (fan-out, as ``b = a + a`` in the scalar engine). One helper, ``_unbroadcast``,
does that reduction for every op.

Primitives (each rule sits next to its forward code below):

    a + b, a - b        g, +-g                      a * b       g b, g a
    a / b               g / b, -g a / b^2           a ** b      g b a^(b-1), g a^b ln a
    exp, log, tanh, sigmoid, relu, leaky_relu, softplus, abs, sqrt, sin, cos
                        as Value, elementwise
    clip(lo, hi)        g where lo <= x <= hi, else 0
    maximum(a, b)       g to the larger; NOTE: a tie sends g/2 to each (as PyTorch)
    a @ b               g @ b^T, a^T @ g  (1-D and batched cases as numpy defines them)
    sum, mean           g spread back over the reduced axes (divided by n for mean)
    max                 g to the maximum; NOTE: tied maxima share g equally (as
                        PyTorch's amax and max())
    reshape, transpose  the inverse reshape / permutation of g
    x[index]            g scattered back into zeros; repeated integer indices add up
    concatenate, stack  g split back into the pieces
    broadcast_to(shape) g summed back (sum_to)     sum_to(shape)  g broadcast back
    scatter             g[index] (scatter is x[index]'s gradient, as a node op)

Composites with no backward code of their own (their gradients come from the above):
``softmax``, ``log_softmax``, ``logsumexp``, ``var``, ``norm``, ``minimum``, ``-x``.

Higher order, as in ``engine.py``: beside each rule, its twin ``_X_backward_graph(out,
g)`` is the same math with node operations, which ``autograd_lite.grad`` runs to build a
gradient as a graph. Every helper a rule uses on arrays has a node-op twin, so that the
gradient graph is itself differentiable: ``_unbroadcast`` is ``sum_to``, ``_expand`` is
``broadcast_to``, the index rule's scatter is ``scatter``, and each of these three is
another's derivative. So every op, the composites (``log_softmax`` ...) and ``max`` with
ties are differentiable to any order. Second derivatives at kinks and ties are those of
``Value`` (relu'' = abs'' = 0, as PyTorch; the same two marked exceptions for ``**``),
and also 0 for ``clip``, ``max`` (the 1/k shares of k tied maxima) and ``maximum``,
whose first derivatives are constants, as in PyTorch: grad() of them needs
``allow_unused=True`` (PyTorch refuses even then).

Dtypes. Data is always floating point: float64 by default; float32 when you ask for it
(``dtype="float32"``, or a float32 array). Python numbers, ints and bools become
float64. In an op, a Python int or float takes the tensor's dtype (``2 * t`` stays
float32), and so does an integer or bool array; float arrays, lists and numpy float
scalars keep their own dtype (float64 for lists), and two floating dtypes combine as
numpy combines them (float32 with float64 gives float64), as PyTorch does for tensors.
A leaf's gradient always has the leaf's own dtype. Complex, object and string arrays
are refused.

Non-finite numbers follow ``Value``'s rule (see ``engine.py``): IN, numbers typed in
(``Tensor(x)``, an array or Python number an op meets, ``backward(grad=...)``) must be
finite *in the tensor's dtype* -- nan/inf are a ValueError, a finite number too large
for it (``10**400``; ``1e300`` in a float32 op) an OverflowError, checked after the cast
as before it; THROUGH, results follow IEEE and inf/nan inputs propagate through every
op; OUT, ``nn.fit`` stops before a non-finite update. The same edges give the same
numbers on both engines. Where IEEE makes inf or nan from finite numbers (an overflow in
``*``, inf - inf), numpy may also print a RuntimeWarning; ``fit`` silences it and
reports the non-finite loss instead.

Errors, one policy per op (as for ``Value``):

    =====================  ==========================================================
    Tensor(x)              TypeError for strings, None, objects, complex, Values, dicts,
                           sets, generators; ValueError for nan or +-inf (with how many
                           and where); OverflowError beyond the dtype's range
    + - * @, sum, ...      IEEE: overflow gives +-inf (checking every add would slow
                           every graph)
    a / b                  ZeroDivisionError if any element of b is 0
    a ** b                 ValueError for a < 0 with a finite non-integer b;
                           ZeroDivisionError for 0 ** (finite b < 0); OverflowError
                           where finite operands exceed the dtype's maximum (except
                           a ** 2, which is a * a: IEEE)
    exp(x)                 OverflowError if exp(x) exceeds the dtype's maximum for a
                           finite x (exp(inf) is inf)
    log(x), sqrt(x)        ValueError for x <= 0 (log) or x < 0 (sqrt), naming where
    shapes                 ValueError naming the op and both shapes
    backward()             leaves checked first (stale, or a grad that is not an array
                           of the leaf's shape); if a rule fails midway every grad is
                           put back: a failed call changes nothing
    =====================  ==========================================================

Gradient semantics: the same as ``Value`` (see ``engine.py``), with ``None`` as "no
gradient yet": interior grads restart on every ``backward()``; leaves accumulate across
fan-out; a leaf that already holds a nonzero gradient makes ``backward()`` raise unless
``accumulate=True``; ``no_grad()``, ``detach()`` and ``requires_grad`` work as there;
graphs hold no reference cycles and are not freed by ``backward()``.

One difference from ``Value``, on purpose: ``Tensor(...)`` does not require grad unless
you say so (``requires_grad=True``), as in PyTorch. Arrays are mostly data, and a
gradient for every input batch would double the work of a training step.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

from .engine import (
    _NO_CHILDREN,
    _check_flag,
    _joins_graph,
    _micrograd_rule,
    _mode,
    _restore_grads,
    _set_micrograd_rule,
    _show,
    _twin_rules,
    gc_paused,
)
from .graph import topological_order
from .tensor_checks import (
    _EXP_MAX,
    _FLOATS,
    _as_float_array,
    _check_domain,
    _check_exp_overflow,
    _check_finite,
    _is_value,
    _matmul_error,
    _normalize_axis,
    _plain_index,
    _raise_pow_error,
    _raise_stale_leaf,
    _raise_zero_division,
    _int_setting,
    _scalar_setting,
    _shape_error,
)

__all__ = ["Tensor", "concatenate", "stack", "maximum", "minimum", "accumulate_grad"]

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]
Axis = Union[None, int, Tuple[int, ...]]  # None: all axes
Rule = Callable[["Tensor"], None]
# A graph-building twin: (output node, its gradient node) -> one part per input (or None).
Parts = Tuple[Optional["Tensor"], ...]


class Tensor:
    """An array with a gradient: one node of a computation graph.

    >>> W = Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])        # data: no gradient wanted
    >>> z = (W @ x).tanh().sum()       # tanh(2) + tanh(-2)
    >>> z.backward()                   # dz/dW = (1 - tanh^2(W x)) x^T, an outer product
    >>> W.grad.round(4)
    array([[ 0.0707, -0.0707],
           [ 0.0707, -0.0707]])
    """

    # Slots, not a __dict__, and no closure per node: as in Value.
    __slots__ = ("data", "grad", "_prev", "_op", "_rule", "_ctx", "label", "requires_grad", "__weakref__")
    # Marks the class for Value's input checks (which must not import this module).
    _autograd_lite_tensor = True

    # numpy: `array + tensor` must not loop over the array making an object array; this
    # makes numpy hand every operator to Tensor's reflected method (__radd__, ...).
    __array_ufunc__ = None

    data: np.ndarray
    # An ndarray of data's shape, or None before backward(). Typed Any so that rules,
    # which only run once their output's gradient exists, need no None checks.
    grad: Any
    _prev: Tuple["Tensor", ...]
    _op: str
    _rule: Optional[Rule]  # called as rule(node) by backward(); None for a leaf
    _ctx: Any
    label: Optional[str]
    requires_grad: bool

    def __init__(
        self,
        data: Any,
        _children: Sequence["Tensor"] = _NO_CHILDREN,
        _op: str = "",
        *,
        requires_grad: bool = False,
        label: Optional[str] = None,
        dtype: Any = None,
    ) -> None:
        """A leaf holding a copy of ``data`` as a float64 (or float32) array.

        As ``Value``: ``Tensor(result, (x,), "myop")`` makes the result of an op by hand,
        and ``out._backward = closure`` gives it its rule. In the closure, an input's
        ``.grad`` is None until a part arrives: ``x.grad = part if x.grad is None else
        x.grad + part``.
        """
        if _children is not _NO_CHILDREN or _op:  # an op's result, made by hand (as Value's)
            _make_result(self, data, _children, _op, label, requires_grad, dtype)
            return
        self.data = _as_float_array(data, "Tensor(...)", dtype)
        self.grad = None
        self._prev = ()
        self._op = ""
        self._rule = None
        self._ctx = None
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Tensor(label=...): a label is a str, got {type(label).__name__} {_show(label)}")
        self.label = label
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor(requires_grad=...): expected True or False, got {_show(requires_grad)}")
        self.requires_grad = bool(requires_grad)

    # micrograd's spelling, as for Value: `node._backward()` runs this node's rule once,
    # and `out._backward = closure` installs a zero-argument closure as its rule.
    _backward = property(_micrograd_rule, _set_micrograd_rule)

    # ------------------------------------------------------------------ reading

    @property
    def shape(self) -> Tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d Tensor (a scalar); use .item() for its value")
        return len(self.data)

    def __iter__(self) -> Iterator["Tensor"]:
        # Rows as graph nodes (t[0], t[1], ...), as numpy iterates an array's first axis.
        if not self.data.ndim:
            raise TypeError("iteration over a 0-d Tensor (a scalar); use .item() for its value")
        return (self[i] for i in range(len(self.data)))

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"Tensor.item: only a one-element tensor has a single value, this one has shape "
                f"{self.shape}; index it first, or use .numpy()"
            )
        return self.data.item()  # a Python float

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy, as in PyTorch): changing it changes the tensor."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        # np.asarray(t) and matplotlib read the data (no graph is recorded).
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, edgeitems=2, prefix="Tensor(")
        extras = []
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        if self._op:
            extras.append(f"op={self._op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.label is not None:
            extras.append(f"label={self.label!r}")
        return f"Tensor({body}" + "".join(", " + e for e in extras) + ")"

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth value of a Tensor (shape {self.shape}) is ambiguous; compare its data "
            f"(t.data > 0).any() / .all(), or use .item() for a one-element tensor"
        )

    # Identity hashing (the graph walk keeps nodes in a set); no elementwise == on nodes.
    __hash__ = object.__hash__

    # ------------------------------------------------------------------ elementwise
    # Each primitive computes its result with numpy, then hands it to _node with its
    # derivative rule. A rule receives the output node and adds the vector-Jacobian
    # product for each input that requires a gradient (through _accumulate).

    def __add__(self, other: ArrayLike) -> "Tensor":
        other = other if type(other) is Tensor else _lift(other, self, "__add__")
        try:
            data = self.data + other.data
        except ValueError:
            raise _shape_error("+", self.data, other.data) from None
        return _node(data, "+", Tensor._add_backward, self, other)

    @staticmethod
    def _add_backward(out: "Tensor") -> None:
        # d(a + b)/da = 1, d(a + b)/db = 1, summed over broadcast axes
        a, b = out._prev
        g = out.grad
        if a.requires_grad:
            _accumulate(a, _unbroadcast(g, a.data.shape))
        if b.requires_grad:
            _accumulate(b, _unbroadcast(g, b.data.shape))

    @staticmethod
    def _add_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(a + b)/da = 1, d(a + b)/db = 1, summed over broadcast axes (sum_to: a node op)
        a, b = out._prev
        return (g.sum_to(a.data.shape) if a.requires_grad else None, g.sum_to(b.data.shape) if b.requires_grad else None)

    def __sub__(self, other: ArrayLike) -> "Tensor":
        # A primitive here (not a + (-b) as in Value): one array pass instead of two.
        other = other if type(other) is Tensor else _lift(other, self, "__sub__")
        try:
            data = self.data - other.data
        except ValueError:
            raise _shape_error("-", self.data, other.data) from None
        return _node(data, "-", Tensor._sub_backward, self, other)

    @staticmethod
    def _sub_backward(out: "Tensor") -> None:
        # d(a - b)/da = 1, d(a - b)/db = -1
        a, b = out._prev
        g = out.grad
        if a.requires_grad:
            _accumulate(a, _unbroadcast(g, a.data.shape))
        if b.requires_grad:
            _accumulate(b, -_unbroadcast(g, b.data.shape))  # negate after summing: fewer numbers

    @staticmethod
    def _sub_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(a - b)/da = 1, d(a - b)/db = -1
        a, b = out._prev
        return (g.sum_to(a.data.shape) if a.requires_grad else None, -g.sum_to(b.data.shape) if b.requires_grad else None)

    def __mul__(self, other: ArrayLike) -> "Tensor":
        other = other if type(other) is Tensor else _lift(other, self, "__mul__")
        try:
            data = self.data * other.data
        except ValueError:
            raise _shape_error("*", self.data, other.data) from None
        return _node(data, "*", Tensor._mul_backward, self, other)

    @staticmethod
    def _mul_backward(out: "Tensor") -> None:
        # d(a * b)/da = b, d(a * b)/db = a
        a, b = out._prev
        g = out.grad
        if a.requires_grad:
            _accumulate(a, _unbroadcast(g * b.data, a.data.shape))
        if b.requires_grad:
            _accumulate(b, _unbroadcast(g * a.data, b.data.shape))

    @staticmethod
    def _mul_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(a * b)/da = b, d(a * b)/db = a
        a, b = out._prev
        return (
            (g * b).sum_to(a.data.shape) if a.requires_grad else None,
            (g * a).sum_to(b.data.shape) if b.requires_grad else None,
        )

    def __truediv__(self, other: ArrayLike) -> "Tensor":
        other = other if type(other) is Tensor else _lift(other, self, "__truediv__")
        if not other.data.all():
            _raise_zero_division(other.data, "Tensor.__truediv__")
        try:
            data = self.data / other.data
        except ValueError:
            raise _shape_error("/", self.data, other.data) from None
        return _node(data, "/", Tensor._div_backward, self, other)

    @staticmethod
    def _div_backward(out: "Tensor") -> None:
        # d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2 = -(a / b) / b
        a, b = out._prev
        g_over_b = out.grad / b.data
        if a.requires_grad:
            _accumulate(a, _unbroadcast(g_over_b, a.data.shape))
        if b.requires_grad:
            _accumulate(b, -_unbroadcast(g_over_b * out.data, b.data.shape))

    @staticmethod
    def _div_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(a / b)/da = 1 / b, d(a / b)/db = -(a / b) / b, with a / b the output node
        a, b = out._prev
        g_over_b = g / b
        return (
            g_over_b.sum_to(a.data.shape) if a.requires_grad else None,
            -(g_over_b * out).sum_to(b.data.shape) if b.requires_grad else None,
        )

    def __pow__(self, other: ArrayLike) -> "Tensor":
        if (type(other) is int or type(other) is float) and other == 2:  # x ** 2 is x * x: IEEE, like *
            return _node(np.square(self.data), "**", Tensor._pow_backward, self, _TWO[self.data.dtype], ctx=2.0)
        other = other if type(other) is Tensor else _lift(other, self, "__pow__")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # diagnosed below
            data = _broadcasting(np.power, self, other, "**")
        if not np.isfinite(data).all():  # an error for finite operands; nan and inf propagate
            _raise_pow_error(self.data, other.data, data)
        return _node(data, "**", Tensor._pow_backward, self, other)

    @staticmethod
    def _pow_backward(out: "Tensor") -> None:
        # d(a ** b)/da = b a^(b-1);  d(a ** b)/db = a^b ln a
        a, b = out._prev
        g = out.grad
        x, p = a.data, b.data
        if a.requires_grad:
            if out._ctx == 2.0:  # the common square (marked by __pow__): 2 a, no power evaluated
                local = 2.0 * x
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    # NOTE: where a^(b-1) is infinite (a = 0, b < 1) this is b * inf, as
                    # PyTorch; b = 0 gives 0 (a^0 is constant in a).
                    local = np.where(p == 0.0, 0.0, p * x ** (p - 1.0))
            _accumulate(a, _unbroadcast(g * local, x.shape))
        if b.requires_grad:
            # NOTE: ln a is undefined for a < 0 (nan there) and 0 at a == 0, as PyTorch.
            with np.errstate(divide="ignore", invalid="ignore"):
                ln = np.where(x > 0.0, np.log(np.where(x > 0.0, x, 1.0)), np.where(x == 0.0, 0.0, np.nan))
            _accumulate(b, _unbroadcast(g * out.data * ln, p.shape))

    @staticmethod
    def _pow_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(a ** b)/da = b a^(b-1);  d(a ** b)/db = a^b ln a, with a^b the output node
        a, b = out._prev
        x, p = a.data, b.data
        da = db = None
        if a.requires_grad:
            if out._ctx == 2.0:  # the square: 2 a
                local = 2.0 * a
            else:
                # NOTE: at a = 0 with b < 1 the power is infinite (IEEE, from _power), as
                # PyTorch. Where a = b = 0 the part is 0, as in the rule above: the base is
                # swapped for 1 and the result masked (m, a constant), never 0 * 0^-1 = nan.
                # At b = 0 with a != 0 it is b a^-1 = 0 as a node: d2/da db = 1/a (PyTorch: 0).
                both_zero = (p == 0.0) & (x == 0.0)
                if both_zero.any():
                    m = _mask(~both_zero, x.dtype)
                    local = b * _power(a * m + (1.0 - m), b - 1.0) * m
                else:
                    local = b * _power(a, b - 1.0)
            da = (g * local).sum_to(x.shape)
        if b.requires_grad:
            # NOTE: ln a is nan for a < 0 and taken as 0 at a == 0, as in the rule above:
            # a constant there (the log of a base swapped for 1, masked, plus that constant).
            if (x > 0.0).all():
                ln = a.log()
            else:
                m = _mask(x > 0.0, x.dtype)
                ln = (a * m + (1.0 - m)).log() * m + _const(np.where(x < 0.0, np.nan, 0.0).astype(x.dtype))
            db = (g * out * ln).sum_to(p.shape)
        return (da, db)

    def exp(self) -> "Tensor":
        """e ** x, elementwise."""
        x = self.data
        if x.size:
            top = x.max()
            if top > _EXP_MAX[x.dtype] or top != top:  # (a nan hides the maximum: look closer)
                _check_exp_overflow(x)
        return _node(np.exp(x), "exp", Tensor._exp_backward, self)

    @staticmethod
    def _exp_backward(out: "Tensor") -> None:
        # d/dx e^x = e^x, the output itself
        (x,) = out._prev
        _accumulate(x, out.grad * out.data)

    @staticmethod
    def _exp_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx e^x = e^x, the output node itself
        return (g * out,)

    def log(self) -> "Tensor":
        """Natural logarithm, elementwise; every element must be > 0."""
        _check_domain(self.data, self.data <= 0.0, "Tensor.log", "log needs x > 0")
        return _node(np.log(self.data), "log", Tensor._log_backward, self)

    @staticmethod
    def _log_backward(out: "Tensor") -> None:
        # d/dx ln x = 1 / x
        (x,) = out._prev
        _accumulate(x, out.grad / x.data)

    @staticmethod
    def _log_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx ln x = 1 / x
        (x,) = out._prev
        return (g / x,)

    def tanh(self) -> "Tensor":
        """Hyperbolic tangent, elementwise."""
        return _node(np.tanh(self.data), "tanh", Tensor._tanh_backward, self)

    @staticmethod
    def _tanh_backward(out: "Tensor") -> None:
        # d/dx tanh x = 1 - tanh^2 x
        (x,) = out._prev
        t = out.data
        _accumulate(x, out.grad * (1.0 - t * t))

    @staticmethod
    def _tanh_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx tanh x = 1 - tanh^2 x, with tanh x the output node
        return (g * (1.0 - out * out),)

    def sigmoid(self) -> "Tensor":
        """Logistic sigmoid 1 / (1 + e^-x), elementwise, without overflow for any x."""
        x = self.data
        low = x.min() if x.size else 0.0
        if low < -_EXP_MAX[x.dtype] or low != low:  # e^-x would overflow (or a nan hides the minimum): e^-|x| <= 1
            e = np.exp(-np.abs(x))
            s = np.where(x >= 0.0, 1.0, e) / (1.0 + e)  # e^x / (1 + e^x) where x < 0
        else:
            s = 1.0 / (1.0 + np.exp(-x))
        return _node(s, "sigmoid", Tensor._sigmoid_backward, self)

    @staticmethod
    def _sigmoid_backward(out: "Tensor") -> None:
        # d/dx s(x) = s(x) (1 - s(x))
        (x,) = out._prev
        s = out.data
        _accumulate(x, out.grad * s * (1.0 - s))

    @staticmethod
    def _sigmoid_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx s(x) = s(x) (1 - s(x)), with s(x) the output node
        return (g * out * (1.0 - out),)

    def relu(self) -> "Tensor":
        """max(0, x), elementwise."""
        return _node(np.maximum(self.data, 0.0), "relu", Tensor._relu_backward, self)

    @staticmethod
    def _relu_backward(out: "Tensor") -> None:
        # d/dx max(0, x) = 1 if x > 0 else 0.  NOTE: relu'(0) = 0, as PyTorch.
        (x,) = out._prev
        _accumulate(x, out.grad * (x.data > 0.0))

    @staticmethod
    def _relu_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx max(0, x) = 1 if x > 0 else 0: a step, so relu'' = 0 (as PyTorch)
        (x,) = out._prev
        return (g * _piecewise(x, (x.data > 0.0).astype(x.data.dtype)),)

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        """x if x > 0 else slope * x, elementwise; the slope is a setting, not an input."""
        slope = _scalar_setting(slope, "Tensor.leaky_relu(slope=...)", finite=True)
        x = self.data
        return _node(np.where(x > 0.0, x, slope * x), "leaky_relu", Tensor._leaky_relu_backward, self, ctx=slope)

    @staticmethod
    def _leaky_relu_backward(out: "Tensor") -> None:
        # d/dx = 1 if x > 0 else slope.  NOTE: leaky_relu'(0) = slope, as PyTorch.
        (x,) = out._prev
        _accumulate(x, out.grad * np.where(x.data > 0.0, 1.0, out._ctx))

    @staticmethod
    def _leaky_relu_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx = 1 if x > 0 else slope: a step, so leaky_relu'' = 0
        (x,) = out._prev
        return (g * _piecewise(x, np.where(x.data > 0.0, 1.0, out._ctx).astype(x.data.dtype)),)

    def softplus(self) -> "Tensor":
        """ln(1 + e^x), elementwise, as max(x, 0) + ln(1 + e^-|x|) so it never overflows."""
        x = self.data
        return _node(np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))), "softplus", Tensor._softplus_backward, self)

    @staticmethod
    def _softplus_backward(out: "Tensor") -> None:
        # d/dx ln(1 + e^x) = sigmoid(x), written stably for both signs
        (x,) = out._prev
        e = np.exp(-np.abs(x.data))
        _accumulate(x, out.grad * np.where(x.data >= 0.0, 1.0, e) / (1.0 + e))

    @staticmethod
    def _softplus_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx ln(1 + e^x) = sigmoid(x), as a node: so softplus'' = s (1 - s)
        (x,) = out._prev
        return (g * x.sigmoid(),)

    def __abs__(self) -> "Tensor":
        return _node(np.abs(self.data), "abs", Tensor._abs_backward, self)

    def abs(self) -> "Tensor":
        """|x|, elementwise."""
        return self.__abs__()

    @staticmethod
    def _abs_backward(out: "Tensor") -> None:
        # d/dx |x| = sign(x).  NOTE: abs'(0) = 0 (np.sign(0) is 0), as PyTorch.
        (x,) = out._prev
        _accumulate(x, out.grad * np.sign(x.data))

    @staticmethod
    def _abs_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx |x| = sign(x), a step: abs'' = 0 (as PyTorch)
        (x,) = out._prev
        return (g * _piecewise(x, np.sign(x.data)),)

    def sqrt(self) -> "Tensor":
        """Square root, elementwise; every element must be >= 0."""
        _check_domain(self.data, self.data < 0.0, "Tensor.sqrt", "sqrt needs x >= 0")
        return _node(np.sqrt(self.data), "sqrt", Tensor._sqrt_backward, self)

    @staticmethod
    def _sqrt_backward(out: "Tensor") -> None:
        # d/dx sqrt x = 1 / (2 sqrt x).  NOTE: infinite at x = 0 (g * inf), as PyTorch.
        (x,) = out._prev
        with np.errstate(divide="ignore"):
            _accumulate(x, out.grad * (0.5 / out.data))

    @staticmethod
    def _sqrt_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx sqrt x = 1 / (2 sqrt x) = 0.5 out^-1.  NOTE: inf at x = 0 (IEEE, from _power),
        # and so are the higher derivatives there, as PyTorch.
        return (g * (0.5 * _power(out, -1.0)),)

    def sin(self) -> "Tensor":
        """Sine (radians), elementwise."""
        return _node(np.sin(self.data), "sin", Tensor._sin_backward, self)

    @staticmethod
    def _sin_backward(out: "Tensor") -> None:
        # d/dx sin x = cos x
        (x,) = out._prev
        _accumulate(x, out.grad * np.cos(x.data))

    @staticmethod
    def _sin_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx sin x = cos x
        (x,) = out._prev
        return (g * x.cos(),)

    def cos(self) -> "Tensor":
        """Cosine (radians), elementwise."""
        return _node(np.cos(self.data), "cos", Tensor._cos_backward, self)

    @staticmethod
    def _cos_backward(out: "Tensor") -> None:
        # d/dx cos x = -sin x
        (x,) = out._prev
        _accumulate(x, -out.grad * np.sin(x.data))

    @staticmethod
    def _cos_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx cos x = -sin x
        (x,) = out._prev
        return (-g * x.sin(),)

    def clip(self, lo: Optional[float] = None, hi: Optional[float] = None) -> "Tensor":
        """Each element limited to [lo, hi] (either bound may be None)."""
        if lo is None and hi is None:
            raise ValueError("Tensor.clip: give lo, hi or both")
        lo = -np.inf if lo is None else _scalar_setting(lo, "Tensor.clip(lo=...)")
        hi = np.inf if hi is None else _scalar_setting(hi, "Tensor.clip(hi=...)")
        if lo > hi:
            raise ValueError(f"Tensor.clip: lo={lo!r} is above hi={hi!r}")
        return _node(np.clip(self.data, lo, hi), "clip", Tensor._clip_backward, self, ctx=(lo, hi))

    @staticmethod
    def _clip_backward(out: "Tensor") -> None:
        # d/dx clip(x) = 1 inside [lo, hi], 0 outside.  NOTE: 1 at the bounds, as PyTorch.
        (x,) = out._prev
        lo, hi = out._ctx
        _accumulate(x, out.grad * ((x.data >= lo) & (x.data <= hi)))

    @staticmethod
    def _clip_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d/dx clip(x) = 1 inside [lo, hi], 0 outside: a constant mask (clip'' = 0)
        (x,) = out._prev
        lo, hi = out._ctx
        return (g * _mask((x.data >= lo) & (x.data <= hi), x.data.dtype),)

    # ------------------------------------------------------------------ matmul

    def __matmul__(self, other: ArrayLike) -> "Tensor":
        other = other if type(other) is Tensor else _lift(other, self, "__matmul__")
        return _matmul(self, other)

    def __rmatmul__(self, other: ArrayLike) -> "Tensor":
        return _matmul(_lift(other, self, "__rmatmul__"), self)

    def matmul(self, other: ArrayLike) -> "Tensor":
        """Matrix product, as ``numpy.matmul``: also 1-D vectors and stacks of matrices."""
        return self @ other

    @staticmethod
    def _matmul_backward(out: "Tensor") -> None:
        # For C = A B:  dL/dA = G B^T,  dL/dB = A^T G.  A 1-D operand is first made a
        # matrix (a row for A, a column for B) as numpy does; batch axes that were
        # broadcast are summed back by _unbroadcast.
        a, b = out._prev
        A, B, G = a.data, b.data, out.grad
        if A.ndim == 2 and B.ndim == 2:  # the common case, without reshapes
            if a.requires_grad:
                _accumulate(a, G @ B.T)
            if b.requires_grad:
                _accumulate(b, A.T @ G)
            return
        if A.ndim == 1 and B.ndim == 1:  # dot product: a scalar output
            if a.requires_grad:
                _accumulate(a, G * B)
            if b.requires_grad:
                _accumulate(b, G * A)
            return
        A2 = A[None, :] if A.ndim == 1 else A  # (n,) -> (1, n)
        B2 = B[:, None] if B.ndim == 1 else B  # (n,) -> (n, 1)
        G2 = G
        if A.ndim == 1:
            G2 = G2[..., None, :]  # restore the row axis numpy dropped
        if B.ndim == 1:
            G2 = G2[..., None]  # and the column axis
        if a.requires_grad:
            ga = _unbroadcast(G2 @ np.swapaxes(B2, -1, -2), A2.shape)
            _accumulate(a, ga.reshape(A.shape))
        if b.requires_grad:
            gb = _unbroadcast(np.swapaxes(A2, -1, -2) @ G2, B2.shape)
            _accumulate(b, gb.reshape(B.shape))

    @staticmethod
    def _matmul_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # For C = A B:  dL/dA = G B^T,  dL/dB = A^T G, written with node ops (matmul,
        # transpose, reshape, sum_to), the same cases as the rule above.
        a, b = out._prev
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if a.requires_grad else None, a.T @ g if b.requires_grad else None)
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if a.requires_grad else None, g * a if b.requires_grad else None)
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a  # (n,) -> (1, n)
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b  # (n,) -> (n, 1)
        g2 = g
        if a.ndim == 1:  # restore the row axis numpy dropped
            g2 = g2.reshape(g2.shape[:-1] + (1, g2.shape[-1]))
        if b.ndim == 1:  # and the column axis
            g2 = g2.reshape(g2.shape + (1,))
        da = db = None
        if a.requires_grad:
            da = (g2 @ _swap_last(b2)).sum_to(a2.shape).reshape(a.shape)
        if b.requires_grad:
            db = (_swap_last(a2) @ g2).sum_to(b2.shape).reshape(b.shape)
        return (da, db)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Sum over ``axis`` (all axes when None)."""
        axis = _normalize_axis(axis, self.data.ndim, "Tensor.sum")
        if keepdims is not False and keepdims is not True:
            keepdims = _check_flag(keepdims, "Tensor.sum(keepdims=...)")
        return _node(self.data.sum(axis=axis, keepdims=keepdims), "sum", Tensor._sum_backward, self, ctx=(axis, keepdims))

    @staticmethod
    def _sum_backward(out: "Tensor") -> None:
        # d(sum x)/dx_i = 1: every element gets the gradient of its sum
        (x,) = out._prev
        axis, keepdims = out._ctx
        _accumulate(x, _expand(_restore_axes(out.grad, x.data.shape, axis, keepdims), x.data.shape))

    @staticmethod
    def _sum_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(sum x)/dx_i = 1: g spread back by reshape and broadcast_to (node ops)
        (x,) = out._prev
        axis, keepdims = out._ctx
        return (_restore_axes(g, x.data.shape, axis, keepdims).broadcast_to(x.data.shape),)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Mean over ``axis`` (all axes when None)."""
        axis = _normalize_axis(axis, self.data.ndim, "Tensor.mean")
        if keepdims is not False and keepdims is not True:
            keepdims = _check_flag(keepdims, "Tensor.mean(keepdims=...)")
        if not self.data.size and _count(self.data.shape, axis) == 0:
            raise ValueError(f"Tensor.mean: the mean of zero elements (shape {self.shape}, axis {axis}) is undefined")
        return _node(
            self.data.mean(axis=axis, keepdims=keepdims), "mean", Tensor._mean_backward, self, ctx=(axis, keepdims)
        )

    @staticmethod
    def _mean_backward(out: "Tensor") -> None:
        # d(mean x)/dx_i = 1 / n
        (x,) = out._prev
        axis, keepdims = out._ctx
        g = _restore_axes(out.grad, x.data.shape, axis, keepdims) / _count(x.data.shape, axis)
        _accumulate(x, _expand(g, x.data.shape))

    @staticmethod
    def _mean_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(mean x)/dx_i = 1 / n
        (x,) = out._prev
        axis, keepdims = out._ctx
        g = _restore_axes(g, x.data.shape, axis, keepdims) / _count(x.data.shape, axis)
        return (g.broadcast_to(x.data.shape),)

    def max(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Maximum over ``axis`` (all axes when None). Ties share the gradient equally."""
        axis = _normalize_axis(axis, self.data.ndim, "Tensor.max")
        if keepdims is not False and keepdims is not True:
            keepdims = _check_flag(keepdims, "Tensor.max(keepdims=...)")
        if not self.data.size and _count(self.data.shape, axis) == 0:
            raise ValueError(f"Tensor.max: the maximum of zero elements (shape {self.shape}, axis {axis}) is undefined")
        return _node(self.data.max(axis=axis, keepdims=keepdims), "max", Tensor._max_backward, self, ctx=(axis, keepdims))

    @staticmethod
    def _max_backward(out: "Tensor") -> None:
        # d(max x)/dx_i = 1 for the maximum, 0 elsewhere.  NOTE: k tied maxima get 1/k
        # each, as PyTorch's amax() and full max() do.
        (x,) = out._prev
        axis, keepdims = out._ctx
        is_max = x.data == _restore_axes(out.data, x.data.shape, axis, keepdims)
        share = _restore_axes(out.grad, x.data.shape, axis, keepdims) / is_max.sum(axis=axis, keepdims=True)
        _accumulate(x, is_max * share)

    @staticmethod
    def _max_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # d(max x)/dx_i = 1/k for the k tied maxima, 0 elsewhere: constants, so max'' = 0
        (x,) = out._prev
        axis, keepdims = out._ctx
        is_max = x.data == _restore_axes(out.data, x.data.shape, axis, keepdims)
        count = _const(is_max.sum(axis=axis, keepdims=True).astype(x.data.dtype))
        return (_restore_axes(g, x.data.shape, axis, keepdims) / count * _mask(is_max, x.data.dtype),)

    def argmax(self, axis: Optional[int] = None) -> np.ndarray:
        """Indices of the maxima (an integer array, outside the graph: it has no gradient)."""
        if axis is not None:
            axis = _normalize_axis(_int_setting(axis, "Tensor.argmax(axis=...)"), self.data.ndim, "Tensor.argmax")[0]
        return np.asarray(np.argmax(self.data, axis=axis))

    # ------------------------------------------------------------------ shape ops

    def reshape(self, *shape: Any) -> "Tensor":
        """The same elements in a new shape (``t.reshape(2, 3)`` or ``t.reshape((2, 3))``)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"Tensor.reshape: cannot reshape {self.shape} ({self.size} elements) into {shape}: {e}"
            ) from None
        return _node(data, "reshape", Tensor._reshape_backward, self)

    @staticmethod
    def _reshape_backward(out: "Tensor") -> None:
        # reshaping moves no numbers: the gradient is reshaped back
        (x,) = out._prev
        _accumulate(x, out.grad.reshape(x.data.shape))

    @staticmethod
    def _reshape_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # reshaping moves no numbers: the gradient is reshaped back
        (x,) = out._prev
        return (g.reshape(x.data.shape),)

    def transpose(self, *axes: Any) -> "Tensor":
        """Axes permuted (reversed when none are given), as ``numpy.transpose``."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(range(self.data.ndim))[::-1] if not axes else axes
        try:
            data = np.transpose(self.data, perm)
        except (ValueError, TypeError) as e:
            raise ValueError(f"Tensor.transpose: axes {axes} do not permute the {self.ndim} axes of {self.shape}: {e}") from None
        perm = tuple(int(ax) % self.data.ndim for ax in perm)  # negative axes, as numpy allows
        return _node(data, "transpose", Tensor._transpose_backward, self, ctx=perm)

    @property
    def T(self) -> "Tensor":
        """All axes reversed (a matrix transpose for 2-D)."""
        return self.transpose()

    @staticmethod
    def _transpose_backward(out: "Tensor") -> None:
        # the inverse permutation puts each gradient back where its element came from:
        # axis i of out was axis perm[i] of x (a loop, not np.argsort: a few axes only)
        (x,) = out._prev
        inverse = [0] * len(out._ctx)
        for i, axis in enumerate(out._ctx):
            inverse[axis] = i
        _accumulate(x, out.grad.transpose(inverse))

    @staticmethod
    def _transpose_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # the inverse permutation, as above
        inverse = [0] * len(out._ctx)
        for i, axis in enumerate(out._ctx):
            inverse[axis] = i
        return (g.transpose(inverse),)

    def __getitem__(self, index: Any) -> "Tensor":
        index = _plain_index(index)
        try:
            data = self.data[index]
        except IndexError as e:
            raise IndexError(f"Tensor[...]: index {index!r} does not fit shape {self.shape}: {e}") from None
        return _node(np.asarray(data), "index", Tensor._index_backward, self, ctx=index)

    @staticmethod
    def _index_backward(out: "Tensor") -> None:
        # Each selected element gets its gradient back; others get 0. An integer-array
        # index may list an element twice (x[[0, 0]]): np.add.at adds, where assignment
        # would keep only the last. Slices and ints (basic indexing) never repeat one.
        (x,) = out._prev
        g = np.zeros_like(x.data, dtype=out.grad.dtype)
        if _is_basic(out._ctx):
            g[out._ctx] = out.grad
        else:
            np.add.at(g, out._ctx, out.grad)
        _accumulate(x, g)

    @staticmethod
    def _index_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        # g scattered back into zeros of x's shape (a node op, whose own twin is g[index])
        (x,) = out._prev
        return (_scatter(g, out._ctx, x.data.shape),)

    # ------------------------------------------------------------------ broadcasting as ops
    # What _unbroadcast and _expand do to gradient arrays, as nodes: the twins above need
    # them so that a gradient graph can be differentiated again. Each undoes the other.

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        """The tensor repeated along new leading axes and axes of size 1, as
        ``numpy.broadcast_to`` (a new array). The tensor itself if it has that shape."""
        shape = _shape_setting(shape, "Tensor.broadcast_to")
        if shape == self.data.shape:
            return self
        if not _broadcasts(self.data.shape, shape):
            raise ValueError(
                f"Tensor.broadcast_to: cannot broadcast shape {self.shape} to {shape}: each axis must "
                f"match or be 1, counted from the right (sum_to goes the other way)"
            )
        return _node(_expand(self.data, shape), "broadcast_to", Tensor._broadcast_to_backward, self)

    @staticmethod
    def _broadcast_to_backward(out: "Tensor") -> None:
        # every copy sends its gradient back: the copies' gradients add up
        (x,) = out._prev
        _accumulate(x, _unbroadcast(out.grad, x.data.shape))

    @staticmethod
    def _broadcast_to_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        (x,) = out._prev
        return (g.sum_to(x.data.shape),)

    def sum_to(self, shape: Sequence[int]) -> "Tensor":
        """Sum down to ``shape``, a shape this tensor's broadcasts to (as PyTorch's
        ``sum_to_size``): the inverse of ``broadcast_to``. The tensor itself if it has that shape."""
        shape = _shape_setting(shape, "Tensor.sum_to")
        if shape == self.data.shape:
            return self
        if not _broadcasts(shape, self.data.shape):
            raise ValueError(
                f"Tensor.sum_to: cannot sum shape {self.shape} down to {shape}: {shape} must "
                f"broadcast to {self.shape} (broadcast_to goes the other way)"
            )
        return _node(_unbroadcast(self.data, shape), "sum_to", Tensor._sum_to_backward, self)

    @staticmethod
    def _sum_to_backward(out: "Tensor") -> None:
        # d(sum)/dx_i = 1: each element gets the gradient of the sum it went into
        (x,) = out._prev
        _accumulate(x, _expand(out.grad, x.data.shape))

    @staticmethod
    def _sum_to_backward_graph(out: "Tensor", g: "Tensor") -> Parts:
        (x,) = out._prev
        return (g.broadcast_to(x.data.shape),)

    # ------------------------------------------------------------------ composites
    # No backward code below: every gradient comes from the primitives above.

    def __neg__(self) -> "Tensor":
        return self * -1.0

    def __radd__(self, other: ArrayLike) -> "Tensor":
        return _lift(other, self, "__radd__") + self

    def __rsub__(self, other: ArrayLike) -> "Tensor":
        return _lift(other, self, "__rsub__") - self

    def __rmul__(self, other: ArrayLike) -> "Tensor":
        return _lift(other, self, "__rmul__") * self

    def __rtruediv__(self, other: ArrayLike) -> "Tensor":
        return _lift(other, self, "__rtruediv__") / self

    def __rpow__(self, other: ArrayLike) -> "Tensor":
        return _lift(other, self, "__rpow__") ** self

    def softmax(self, axis: int = -1) -> "Tensor":
        """e^x_i / sum_j e^x_j along ``axis``; finite for any finite logits."""
        # NOTE: softmax(x - c) = softmax(x) for any constant c, so subtracting the
        # (detached) maximum changes nothing but keeps every exp() <= 1. A gap wider than
        # float64's range (x_i - max x < -1.8e308) overflows to -inf, whose exp is the
        # right 0: that overflow is expected, so numpy is not to warn about it.
        if type(axis) is not int:
            axis = _int_setting(axis, "Tensor.softmax(axis=...)")
        with np.errstate(over="ignore"):
            e = (self - self.detach().max(axis=axis, keepdims=True)).exp()
        return e / e.sum(axis=axis, keepdims=True)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x_i - log sum_j e^x_j along ``axis``, computed from x - max x so it never overflows.

        Finite for finite logits, except where the true value itself is below float64's
        range: log_softmax([1e308, -1e308]) is [0, -2e308], which is -inf (as PyTorch).
        """
        if type(axis) is not int:
            axis = _int_setting(axis, "Tensor.log_softmax(axis=...)")
        with np.errstate(over="ignore"):  # only that -inf: see softmax
            shifted = self - self.detach().max(axis=axis, keepdims=True)  # as in softmax
        return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """log sum_i e^x_i over ``axis``, computed as m + log sum e^(x - m) with m = max x."""
        if keepdims is not False and keepdims is not True:
            keepdims = _check_flag(keepdims, "Tensor.logsumexp(keepdims=...)")
        m = self.detach().max(axis=axis, keepdims=True)
        with np.errstate(over="ignore"):  # x - m below -1.8e308 is -inf, whose exp is 0: see softmax
            shifted = self - m
        out = shifted.exp().sum(axis=axis, keepdims=True).log() + m
        return out if keepdims else out.reshape(_reduced_shape(self.shape, _normalize_axis(axis, self.ndim, "Tensor.logsumexp")))

    def var(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> "Tensor":
        """Variance sum (x - mean)^2 / (n - ddof) over ``axis`` (ddof=0 as numpy, 1 as PyTorch)."""
        n = _count(self.shape, _normalize_axis(axis, self.ndim, "Tensor.var"))
        ddof = _int_setting(ddof, "Tensor.var(ddof=...)")
        if ddof < 0:
            raise ValueError(f"Tensor.var: ddof must be >= 0 (0 as numpy, 1 as PyTorch), got {ddof}")
        if n - ddof <= 0:
            raise ValueError(f"Tensor.var: {n} element(s) with ddof={ddof} leave no degrees of freedom")
        d = self - self.mean(axis=axis, keepdims=True)
        return (d * d).sum(axis=axis, keepdims=keepdims) / float(n - ddof)

    def norm(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Euclidean (Frobenius) norm sqrt(sum x^2) over ``axis``.

        NOTE: at x = 0 its gradient is nan (sqrt'(0) = inf times 0), where PyTorch's
        ``linalg.norm`` picks the subgradient 0.
        """
        if keepdims is not False and keepdims is not True:
            keepdims = _check_flag(keepdims, "Tensor.norm(keepdims=...)")
        return (self * self).sum(axis=axis, keepdims=keepdims).sqrt()

    def square(self) -> "Tensor":
        """x ** 2, elementwise."""
        return self**2

    # ------------------------------------------------------------------ autodiff

    def backward(self, grad: Optional[ArrayLike] = None, *, accumulate: bool = False) -> None:
        """Fill ``.grad`` of every node in this graph with d(self)/d(node), contracted with ``grad``.

        A scalar output is seeded with 1. For a non-scalar output pass ``grad``, an
        array of the output's shape (the "upstream gradient" dL/d(self)).
        Semantics as ``Value.backward``: interior grads restart, leaves accumulate, and a
        leaf that already holds a nonzero gradient raises unless ``accumulate=True``. A call
        that raises changes nothing: leaves are checked first (a stale gradient, or one that
        is not an array of the leaf's shape), and if a rule fails midway every grad it had
        changed is put back.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "Tensor.backward: this Tensor does not require grad (no input had "
                "requires_grad=True, or it was computed inside no_grad(), or it is detached), "
                "so there is no graph to differentiate; make the leaves you want gradients for "
                "with Tensor(..., requires_grad=True)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"Tensor.backward: backward() needs a scalar output (got shape {self.shape}); "
                    f"call .sum() or .mean() first, or pass grad=<array of shape {self.shape}>"
                )
            seed = np.array(1.0, dtype=self.data.dtype).reshape(self.data.shape)
        else:
            if isinstance(grad, Tensor):
                grad = grad.data
            seed = _as_float_array(grad, "Tensor.backward(grad=...)", self.data.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"Tensor.backward: grad has shape {seed.shape} but the output has shape "
                    f"{self.shape}; pass an array of the output's shape"
                )
        if accumulate is not False and accumulate is not True:
            accumulate = _check_flag(accumulate, "Tensor.backward(accumulate=...)")
        with gc_paused():
            order = topological_order(self)
            # Grads this call overwrites, to put back if it fails (as in Value.backward):
            # every leaf's, and interior ones left by an earlier call. References suffice:
            # _accumulate never changes a gradient array in place.
            kept = []
            running = False  # True once the rules run (rather than the checks)
            node: Any = None  # the node being checked, or whose rule runs
            try:
                # One pass before any rule runs: check the leaves, restart interior grads.
                for node in order:
                    g = node.grad
                    if node._prev:
                        if g is not None:
                            kept.append((node, g))
                            node.grad = None
                    elif node.requires_grad:
                        if g is not None and (
                            type(g) is not np.ndarray or g.shape != node.data.shape
                            or g.dtype.kind != "f" or (not accumulate and g.any())
                        ):
                            _raise_stale_leaf(node)
                        kept.append((node, g))
                running = True
                _accumulate(self, seed)
                mode = _mode_now()
                if type(mode) is bool:  # the usual loop
                    for node in reversed(order):
                        rule = node._rule
                        if rule is not None and node.grad is not None:
                            rule(node)
                else:  # inside detect_anomaly(): each rule's parts are checked as it runs (anomaly.py)
                    for node in reversed(order):
                        rule = node._rule
                        if rule is not None and node.grad is not None:
                            mode.run_rule(rule, node)
            except BaseException as exc:
                _restore_grads(order, kept, exc, node if running and node._prev else None, running)
                raise

    def detach(self) -> "Tensor":
        """A new constant leaf sharing this tensor's data, cut off from the graph."""
        out = _const(self.data)
        out.label = self.label
        return out

    def zero_grad(self) -> None:
        """Forget this tensor's gradient (``grad = None``)."""
        self.grad = None

    @staticmethod
    def from_numpy(array: np.ndarray, *, requires_grad: bool = False, label: Optional[str] = None) -> "Tensor":
        """A leaf that *shares* ``array``'s memory (no copy), as ``torch.from_numpy``.

        For wrapping data you will not change while the tensor is in use (a dataset, a
        batch); ``Tensor(array)`` copies. The array must be float64 or float32 and finite.
        """
        if type(array) is not np.ndarray or array.dtype not in _FLOATS:
            what = f"a {array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
            raise TypeError(
                f"Tensor.from_numpy: expected a float64 or float32 numpy array, got {what}; "
                f"use Tensor(...), which converts (and copies)"
            )
        _check_finite(array, "Tensor.from_numpy")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Tensor.from_numpy(label=...): a label is a str, got {type(label).__name__} {_show(label)}")
        if requires_grad is not False and requires_grad is not True:
            requires_grad = _check_flag(requires_grad, "Tensor.from_numpy(requires_grad=...)")
        out = _const(array)
        out.label = label
        out.requires_grad = requires_grad
        return out


# ---------------------------------------------------------------------- functions


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``numpy.concatenate``."""
    parts = _tensor_list(tensors, "concatenate")
    axis = _int_setting(axis, "concatenate(axis=...)")
    try:
        data = np.concatenate([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as e:
        shapes = ", ".join(str(t.shape) for t in parts)
        raise ValueError(f"concatenate: cannot join shapes {shapes} along axis {axis}: {e}") from None
    ax = axis % parts[0].ndim
    return _node_n(data, "concatenate", _concatenate_backward, parts, ctx=ax)


def _concatenate_backward(out: Tensor) -> None:
    # each piece gets back its own slice of the gradient
    ax = out._ctx
    ends = np.cumsum([t.data.shape[ax] for t in out._prev])[:-1]
    for t, g in zip(out._prev, np.split(out.grad, ends, axis=ax)):
        if t.requires_grad:
            _accumulate(t, g)


def _concatenate_backward_graph(out: Tensor, g: Tensor) -> Parts:
    # each piece gets back its own slice of the gradient (an index node)
    before = (slice(None),) * out._ctx
    parts, start = [], 0
    for t in out._prev:
        end = start + t.data.shape[out._ctx]
        parts.append(g[before + (slice(start, end),)] if t.requires_grad else None)
        start = end
    return tuple(parts)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis, as ``numpy.stack``."""
    parts = _tensor_list(tensors, "stack")
    axis = _int_setting(axis, "stack(axis=...)")
    try:
        data = np.stack([t.data for t in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as e:
        shapes = ", ".join(str(t.shape) for t in parts)
        raise ValueError(f"stack: cannot stack shapes {shapes} along axis {axis}: {e}") from None
    return _node_n(data, "stack", _stack_backward, parts, ctx=axis % data.ndim)


def _stack_backward(out: Tensor) -> None:
    # piece i gets the gradient's slice i along the new axis
    for i, t in enumerate(out._prev):
        if t.requires_grad:
            _accumulate(t, np.take(out.grad, i, axis=out._ctx))


def _stack_backward_graph(out: Tensor, g: Tensor) -> Parts:
    # piece i gets the gradient's slice i along the new axis (an index node)
    before = (slice(None),) * out._ctx
    return tuple(g[before + (i,)] if t.requires_grad else None for i, t in enumerate(out._prev))


def maximum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise larger of ``a`` and ``b``.  NOTE: at a tie each gets half the gradient (as PyTorch)."""
    a, b = _pair(a, b, "maximum")
    return _node(_broadcasting(np.maximum, a, b, "maximum"), "maximum", _maximum_backward, a, b)


def _maximum_backward(out: Tensor) -> None:
    # d max(a, b)/da = 1 where a > b, 1/2 where a == b, 0 where a < b (and b the mirror)
    a, b = out._prev
    share_a = (a.data > b.data) + 0.5 * (a.data == b.data)
    g = out.grad
    if a.requires_grad:
        _accumulate(a, _unbroadcast(g * share_a, a.data.shape))
    if b.requires_grad:
        _accumulate(b, _unbroadcast(g * (1.0 - share_a), b.data.shape))


def _maximum_backward_graph(out: Tensor, g: Tensor) -> Parts:
    # the same shares as constants: maximum'' = 0
    a, b = out._prev
    share_a = (a.data > b.data) + 0.5 * (a.data == b.data)
    return (
        (g * _const(share_a)).sum_to(a.data.shape) if a.requires_grad else None,
        (g * _const(1.0 - share_a)).sum_to(b.data.shape) if b.requires_grad else None,
    )


def minimum(a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise smaller of ``a`` and ``b``, as -maximum(-a, -b) (same tie rule)."""
    a, b = _pair(a, b, "minimum")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise _shape_error("minimum", a.data, b.data) from None
    return -maximum(-a, -b)


# ---------------------------------------------------------------------- node makers

_new = Tensor.__new__
_mode_now = _mode.get  # bound once: called for every node made


def _node(data: Any, op: str, rule: Rule, a: Tensor, b: Optional[Tensor] = None, ctx: Any = None) -> Tensor:
    """The result of ``op(a)`` or ``op(a, b)`` as a new node (see ``engine._node``)."""
    out = _new(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = None
    needs_grad = a.requires_grad or (b is not None and b.requires_grad)
    if needs_grad and _mode_now():  # the usual case: grad mode on (True), anomaly mode off
        out._prev = (a,) if b is None else (a, b)
        out._op = op
        out._rule = rule
        out._ctx = ctx
        out.requires_grad = True
        return out
    out._prev, out._op, out._rule, out._ctx, out.requires_grad = (), "", None, None, False
    mode = _mode_now()  # True or False (no_grad()): a constant; else detect_anomaly() (anomaly.py)
    if type(mode) is not bool and mode.watch(out, op, (a,) if b is None else (a, b), needs_grad):
        out._prev, out._op, out._rule, out._ctx, out.requires_grad = (a,) if b is None else (a, b), op, rule, ctx, True
    return out


def _node_n(data: np.ndarray, op: str, rule: Rule, parts: List[Tensor], ctx: Any) -> Tensor:
    """A node with any number of inputs (concatenate, stack)."""
    out = _const(data)
    prev = tuple(parts)
    if _joins_graph(out, op, prev):  # an input requires grad, grad mode is on (and anomaly checks)
        out._prev, out._op, out._rule, out._ctx, out.requires_grad = prev, op, rule, ctx, True
    return out


def _make_result(node: Tensor, data: Any, children: Any, op: Any, label: Any, requires_grad: Any, dtype: Any) -> None:
    """``Tensor(data, _children, _op)``: an op's result made by hand (see ``engine._make_result``).

    ``data`` is the op's result: inf and nan are allowed, and it is copied as float64 (or
    ``dtype``, or float32 data's own dtype).
    """
    if isinstance(children, str):
        raise TypeError(
            f"Tensor(data, {children!r}): the second argument is _children, the Tensors this one was "
            f"computed from; for a label write Tensor(data, label={children!r})"
        )
    if not isinstance(children, (tuple, list)):
        raise TypeError(
            f"Tensor(data, _children=...): _children is a tuple of the Tensors this one was computed from, "
            f"got {type(children).__name__}; write Tensor(result, (x,), 'myop')"
        )
    prev = tuple(children)
    if not prev and not op:  # Tensor(x, ()): a leaf after all
        Tensor.__init__(node, data, requires_grad=requires_grad, label=label, dtype=dtype)
        return
    for i, p in enumerate(prev):
        if type(p) is not Tensor:
            raise TypeError(f"Tensor(data, _children=...): child {i} is a {type(p).__name__}, not a Tensor")
    if not isinstance(op, str):
        raise TypeError(f"Tensor(data, _children, _op=...): the op's name is a str, got {type(op).__name__} {_show(op)}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"Tensor(label=...): a label is a str, got {type(label).__name__} {_show(label)}")
    if requires_grad is not False:
        raise TypeError(
            "Tensor(data, _children, ...): a tensor computed from others requires grad when one of them "
            "does (as every op's result); requires_grad=... is for leaves: leave it out"
        )
    if isinstance(data, Tensor) or _is_value(data):
        raise TypeError(f"Tensor(data, _children, ...): data is the op's result as numbers (an array), got a {type(data).__name__}")
    arr = np.asarray(data)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"Tensor(data, _children, ...): data must be real numbers, got a {arr.dtype} array")
    target = np.dtype(dtype) if dtype is not None else (arr.dtype if arr.dtype in _FLOATS else np.dtype(np.float64))
    if target not in _FLOATS:
        raise TypeError(f"Tensor(data, _children, dtype=...): dtype {target} is not supported; use 'float64' or 'float32'")
    node.data, node.grad, node.label, node._ctx = np.array(arr, dtype=target), None, label, None
    joins = _joins_graph(node, op, prev)
    node._prev, node._op, node._rule, node.requires_grad = (prev, op, None, True) if joins else ((), "", None, False)


def accumulate_grad(x: Tensor, g: Any) -> None:
    """``x.grad += g``, where ``None`` means no gradient yet: how every Tensor rule hands a
    part of the gradient to an input (``dL/dx += part``), so code that replays a rule (``viz``
    on a throwaway node) adds parts up exactly, bit for bit, as ``backward()`` does.

    Never in place: a gradient array may be shared with another node (``a + b`` hands
    the same array to both), so a sum is always a new array. A leaf gets its own copy
    in its own dtype, since users and optimizers change leaf gradients.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> accumulate_grad(w, np.array([0.5, 0.5])); accumulate_grad(w, 1)
    >>> w.grad
    array([1.5, 1.5])
    """
    if x.grad is None:
        if not x._prev:
            same = type(g) is np.ndarray and g.dtype == x.data.dtype
            x.grad = g.copy() if same else np.array(g, dtype=x.data.dtype)
        else:
            x.grad = g if type(g) is np.ndarray else np.asarray(g)
    elif not x._prev:
        x.grad = np.asarray(x.grad + g, dtype=x.data.dtype)
    else:
        total = x.grad + g
        x.grad = total if type(total) is np.ndarray else np.asarray(total)  # 0-d sums are numpy scalars


# The rules' short name for it (the stepper, viz.steps, shows their lines as written).
_accumulate = accumulate_grad


def _unbroadcast(g: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: undo numpy broadcasting for the gradient.

    Broadcasting copies an input along new leading axes and along axes of size 1;
    each copy sends back a gradient, and the copies' gradients add up.
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:  # axes numpy added in front (one, for a bias added to a batch)
        g = g.sum(axis=0) if extra == 1 else g.sum(axis=tuple(range(extra)))
    if g.shape != shape:
        g = g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)  # axes of size 1 it stretched
    return g if type(g) is np.ndarray else np.asarray(g)  # a sum to shape () is a numpy scalar


def _lift(x: Any, like: Tensor, op: str) -> Tensor:
    """A number or array met by an op, as a constant leaf (it never receives a gradient).

    Python numbers and integer arrays take ``like``'s dtype, so ``2 * t`` stays float32.
    """
    if type(x) is float or type(x) is int:  # the common case, kept fast
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"Tensor.{op}: {_show(x)} is too large for a float64 (max ~1.8e308)") from None
        if f - f == 0.0 and -_F32_MAX <= f <= _F32_MAX:  # finite, and fits either dtype
            return _const(np.asarray(f, dtype=like.data.dtype))
    if isinstance(x, float) or (isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))):
        if isinstance(x, np.floating) and np.dtype(type(x)) in _FLOATS:  # keeps its own dtype
            data = np.asarray(x)
            if not np.isfinite(data):
                raise ValueError(f"Tensor.{op}: got {x!r}; a Tensor op needs finite numbers")
            return _const(data)
        # A Python number (or another real) takes the tensor's dtype, checked as the
        # constructor checks: nan/inf refused, and a number beyond float32's range in a
        # float32 op too (it would silently become inf).
        return _const(_as_float_array(x, f"Tensor.{op}", like.data.dtype))
    if isinstance(x, Tensor):
        return x
    if _is_value(x):
        raise TypeError(
            f"Tensor.{op}: cannot mix a Tensor with a Value ({x!r}); Tensor and Value graphs do "
            f"not mix. Use a number (v.data) for a constant, or build the computation with one engine"
        )
    arr = np.asarray(x) if isinstance(x, np.ndarray) else None
    dtype = like.data.dtype if arr is not None and arr.dtype.kind in "iub" else None
    return _const(_as_float_array(x, f"Tensor.{op}", dtype))


def _scatter(t: Tensor, index: Any, shape: Tuple[int, ...]) -> Tensor:
    """zeros(shape) with ``t`` added at ``index`` (repeats add up): the node op that
    ``x[index]``'s gradient is made of, so that gradient can be differentiated again."""
    data = np.zeros(shape, dtype=t.data.dtype)
    if _is_basic(index):
        data[index] = t.data
    else:
        np.add.at(data, index, t.data)
    return _node(data, "scatter", _scatter_backward, t, ctx=index)


def _scatter_backward(out: Tensor) -> None:
    # each element of t went to one place: its gradient comes back from there
    (t,) = out._prev
    _accumulate(t, np.asarray(out.grad[out._ctx]))


def _scatter_backward_graph(out: Tensor, g: Tensor) -> Parts:
    return (g[out._ctx],)


def _power(a: Tensor, b: Any) -> Tensor:
    """``a ** b`` as a ``**`` node, without the forward's domain errors: for the twins.

    Where a derivative divides by zero (sqrt'(0), d/da a ** b at a = 0 with b < 1) it is
    infinite, and PyTorch says inf rather than raising; so does this (IEEE, no warning).
    """
    b = b if type(b) is Tensor else _lift(b, a, "__pow__")
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        data = np.power(a.data, b.data)
    return _node(data, "**", Tensor._pow_backward, a, b)


def _piecewise(x: Tensor, values: np.ndarray) -> Tensor:
    """``values`` as a node of ``x`` with derivative 0 (``x * 0.0 + values``): a step
    such as relu'(x) stays in the gradient's graph, so the next derivative is 0 rather
    than "x not used", as PyTorch (see ``engine._piecewise``)."""
    return x * 0.0 + _const(values)


def _mask(condition: np.ndarray, dtype: np.dtype) -> Tensor:
    """A 0/1 constant in ``dtype``: a derivative that is a constant mask (clip, max)."""
    return _const(condition.astype(dtype))


def _swap_last(t: Tensor) -> Tensor:
    """The last two axes swapped: a batch of matrices, each transposed."""
    perm = list(range(t.ndim))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return t.transpose(perm)


def _shape_setting(shape: Any, where: str) -> Tuple[int, ...]:
    """A shape argument as a tuple of ints, or a clear error."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        out = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{where}: a shape is a tuple of ints, got {shape!r}") from None
    if any(n < 0 for n in out):
        raise ValueError(f"{where}: a shape has no negative sizes, got {out}")
    return out


def _broadcasts(shape: Tuple[int, ...], to: Tuple[int, ...]) -> bool:
    """Whether numpy broadcasts ``shape`` to ``to``: each axis, from the right, equal or 1."""
    try:
        return np.broadcast_shapes(shape, to) == to
    except ValueError:
        return False


def _const(data: np.ndarray) -> Tensor:
    out = _new(Tensor)
    out.data, out.grad, out._prev, out._op, out._rule, out._ctx = data, None, (), "", None, None
    out.label, out.requires_grad = None, False
    return out


def _read_only(x: float, dtype: np.dtype) -> Tensor:
    data = np.array(x, dtype=dtype)
    data.flags.writeable = False
    return _const(data)


# The largest float32: a Python number within it is a constant of either dtype (the fast path).
_F32_MAX = float(np.finfo(np.float32).max)

# The exponent of x ** 2, the most common constant of all (every squared error): one
# read-only constant leaf per dtype, shared by every square instead of made each time.
_TWO = {dtype: _read_only(2.0, dtype) for dtype in _FLOATS}


def _is_basic(index: Any) -> bool:
    """True for numpy's basic indexing (ints, slices, None, ...): each element at most once."""
    parts = index if type(index) is tuple else (index,)
    return all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts)


def _pair(a: ArrayLike, b: ArrayLike, op: str) -> Tuple[Tensor, Tensor]:
    if type(a) is Tensor:
        return a, (b if type(b) is Tensor else _lift(b, a, op))
    if type(b) is Tensor:
        return _lift(a, b, op), b
    raise TypeError(f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")


def _broadcasting(fn: Callable[..., np.ndarray], a: Any, b: Any, op: str) -> np.ndarray:
    """``fn(a, b)`` on the data, with numpy's broadcasting error replaced by ours."""
    x = a.data if isinstance(a, Tensor) else a
    y = b.data if isinstance(b, Tensor) else b
    try:
        return fn(x, y)
    except ValueError:
        raise _shape_error(op, x, y) from None


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    try:
        data = a.data @ b.data
    except ValueError:  # diagnosed only when it fails: the common case pays nothing
        raise _matmul_error(a.data.shape, b.data.shape) from None
    return _node(data, "matmul", Tensor._matmul_backward, a, b)


# An array or a Tensor: _restore_axes serves the float rules and their twins alike.
_ArrayOrTensor = TypeVar("_ArrayOrTensor", np.ndarray, "Tensor")


def _restore_axes(g: _ArrayOrTensor, shape: Tuple[int, ...], axis: Optional[Tuple[int, ...]], keepdims: bool) -> _ArrayOrTensor:
    """Put back, as size 1, the axes of ``shape`` that a reduction without keepdims
    removed, so that ``g`` broadcasts against the reduction's input. A full reduction's
    scalar already does."""
    if keepdims or axis is None:
        return g
    return g.reshape([1 if i in axis else n for i, n in enumerate(shape)])


def _expand(g: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """``g`` broadcast to ``shape`` as a new array (a gradient must have its input's shape)."""
    if g.shape == shape:
        return g
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g  # cheaper than np.broadcast_to for the small arrays of a lecture
    return out


def _count(shape: Tuple[int, ...], axis: Optional[Tuple[int, ...]]) -> int:
    """How many elements a reduction over ``axis`` combines into each output."""
    return math.prod(shape) if axis is None else math.prod(shape[i] for i in axis)


def _reduced_shape(shape: Tuple[int, ...], axis: Optional[Tuple[int, ...]]) -> Tuple[int, ...]:
    return () if axis is None else tuple(n for i, n in enumerate(shape) if i not in axis)


def _tensor_list(tensors: Sequence[Any], op: str) -> List[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    if like is None:
        raise TypeError(f"{op}: expected at least one Tensor in the list; for plain arrays use numpy.{op}")
    return [t if isinstance(t, Tensor) else _lift(t, like, op) for t in tensors]


# Each rule -> its graph-building twin (Tensor's methods and this module's functions):
# what grad() runs at each node. Last in the module, so that every rule is defined.
GRAPH_RULES = _twin_rules(Tensor, globals())
