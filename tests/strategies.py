"""The shared op table and hypothesis strategies for the engine tests.

Every primitive and derived op appears once in ``OPS``, with its forward computed by
``math`` (the reference), by ``Value`` and by PyTorch, and a strategy for inputs kept
away from kinks and overflow (the way minitorch shifts its inputs), so that central
differences are meaningful there. Kinks themselves are tested exactly elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

from hypothesis import strategies as st

from autograd_lite import Value


def real(lo: float, hi: float, avoid: Tuple[float, ...] = (), gap: float = 1e-3) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] at least ``gap`` away from each point in ``avoid``."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).filter(
        lambda x: all(abs(x - a) >= gap for a in avoid)
    )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


@dataclass(frozen=True)
class Op:
    name: str
    ours: Callable[..., Value]  # on Values
    ref: Callable[..., float]  # on floats, with math
    torch: Callable[..., Any]  # on float64 tensors
    inputs: Tuple[st.SearchStrategy[float], ...]


def _t():
    import torch

    return torch


WIDE = real(-5.0, 5.0)
POS = real(0.05, 5.0)
NONZERO = real(-5.0, 5.0, avoid=(0.0,), gap=0.05)

OPS: List[Op] = [
    Op("add", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: a + b, (WIDE, WIDE)),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: a - b, (WIDE, WIDE)),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: a * b, (WIDE, WIDE)),
    Op("div", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: a / b, (WIDE, NONZERO)),
    Op("neg", lambda a: -a, lambda a: -a, lambda a: -a, (WIDE,)),
    Op("pow_value", lambda a, b: a**b, lambda a, b: a**b, lambda a, b: a**b, (POS, real(-3.0, 3.0))),
    Op("pow_const", lambda a: a**2.5, lambda a: a**2.5, lambda a: a**2.5, (POS,)),
    Op("pow_int_neg_base", lambda a: a**3, lambda a: a**3, lambda a: a**3, (WIDE,)),
    Op("pow_minus_one", lambda a: a**-1, lambda a: a**-1, lambda a: a**-1, (NONZERO,)),
    Op("radd", lambda a: 1.5 + a, lambda a: 1.5 + a, lambda a: 1.5 + a, (WIDE,)),
    Op("rsub", lambda a: 1.5 - a, lambda a: 1.5 - a, lambda a: 1.5 - a, (WIDE,)),
    Op("rmul", lambda a: 1.5 * a, lambda a: 1.5 * a, lambda a: 1.5 * a, (WIDE,)),
    Op("rtruediv", lambda a: 1.5 / a, lambda a: 1.5 / a, lambda a: 1.5 / a, (NONZERO,)),
    Op("rpow", lambda a: 2.0**a, lambda a: 2.0**a, lambda a: 2.0**a, (WIDE,)),
    Op("exp", lambda a: a.exp(), math.exp, lambda a: a.exp(), (real(-20.0, 20.0),)),
    Op("log", lambda a: a.log(), math.log, lambda a: a.log(), (real(0.01, 100.0),)),
    Op("tanh", lambda a: a.tanh(), math.tanh, lambda a: a.tanh(), (WIDE,)),
    Op("sigmoid", lambda a: a.sigmoid(), _sigmoid, lambda a: a.sigmoid(), (real(-30.0, 30.0),)),
    Op("relu", lambda a: a.relu(), lambda a: max(a, 0.0), lambda a: a.relu(), (NONZERO,)),
    Op(
        "leaky_relu",
        lambda a: a.leaky_relu(0.1),
        lambda a: a if a > 0 else 0.1 * a,
        lambda a: _t().nn.functional.leaky_relu(a, 0.1),
        (NONZERO,),
    ),
    Op(
        "softplus",
        lambda a: a.softplus(),
        lambda a: math.log1p(math.exp(a)),
        lambda a: _t().nn.functional.softplus(a),
        (real(-20.0, 20.0),),
    ),
    Op("abs", lambda a: abs(a), abs, lambda a: a.abs(), (NONZERO,)),
    Op("sqrt", lambda a: a.sqrt(), math.sqrt, lambda a: a.sqrt(), (real(0.01, 100.0),)),
    Op("sin", lambda a: a.sin(), math.sin, lambda a: a.sin(), (WIDE,)),
    Op("cos", lambda a: a.cos(), math.cos, lambda a: a.cos(), (WIDE,)),
]
OP_IDS = [op.name for op in OPS]


# -- random expression graphs -------------------------------------------------------
# A program is a list of (op, i, j): apply op to nodes i and j of the pool so far and
# append the result. Operands may repeat, so programs are DAGs with shared
# subexpressions, not just trees. Ops with a restricted domain are wrapped so that any
# input is legal (log(x*x + 0.5), ...): the test is about graph structure and every
# primitive, not about domain errors, which have their own tests.

GRAPH_OPS: List[Tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0)),
    ("pow_value", lambda a, b: (a * a + 0.5) ** b.tanh()),
    ("pow_const", lambda a, b: (a * a + 0.25) ** 1.5),
    ("exp", lambda a, b: a.tanh().exp()),
    ("log", lambda a, b: (a * a + 0.5).log()),
    ("tanh", lambda a, b: a.tanh()),
    ("sigmoid", lambda a, b: a.sigmoid()),
    ("relu", lambda a, b: a.relu() + b),
    ("abs", lambda a, b: abs(a) - b),
    ("sqrt", lambda a, b: (a * a + 0.1).sqrt()),
    ("sin", lambda a, b: a.sin()),
    ("cos", lambda a, b: a.cos() * b),
    ("neg", lambda a, b: -a),
    ("rdiv", lambda a, b: 1.0 / (a * a + 1.0)),
    ("softplus", lambda a, b: a.softplus()),
    ("leaky_relu", lambda a, b: a.leaky_relu(0.2) * b),
]

# The same programs in torch: two ops are spelled differently there.
TORCH_SPELLING = {
    "softplus": lambda a, b: _t().nn.functional.softplus(a),
    "leaky_relu": lambda a, b: _t().nn.functional.leaky_relu(a, 0.2) * b,
}


@st.composite
def programs(draw: Any, max_leaves: int = 4, max_ops: int = 40) -> Tuple[List[float], List[Tuple[int, int, int]]]:
    leaves = draw(st.lists(real(-2.0, 2.0), min_size=1, max_size=max_leaves))
    n_ops = draw(st.integers(1, max_ops))
    steps = []
    for k in range(n_ops):
        pool = len(leaves) + k
        # Prefer recent nodes so graphs grow deep, not just wide.
        i = draw(st.integers(max(0, pool - 3), pool - 1) | st.integers(0, pool - 1))
        j = draw(st.integers(0, pool - 1))
        steps.append((draw(st.integers(0, len(GRAPH_OPS) - 1)), i, j))
    return leaves, steps


def run_program(leaves: List[Any], steps: List[Tuple[int, int, int]], torch_ops: bool = False) -> Any:
    """Evaluate a program on leaf nodes of either engine; the result sums every node."""
    pool = list(leaves)
    for op_index, i, j in steps:
        name, fn = GRAPH_OPS[op_index]
        if torch_ops and name in TORCH_SPELLING:
            fn = TORCH_SPELLING[name]
        pool.append(fn(pool[i], pool[j]))
    # Summing the last few nodes makes the output depend on several branches.
    out = pool[-1]
    for node in pool[-4:-1]:
        out = out + node
    return out


# -- tensors ------------------------------------------------------------------------
# The same op table drives the Tensor tests: every elementwise op is applied to arrays
# whose elements come from the op's own input strategy, in shapes that include the
# scalar (), (1,), (3,), (2, 3) and broadcasting pairs.

SHAPES = [(), (1,), (3,), (2, 3)]
# Pairs of shapes that broadcast against each other (the result shape in a comment).
BROADCAST_PAIRS = [
    ((2, 3), (2, 3)),  # (2, 3)
    ((3, 1), (1, 4)),  # (3, 4): both stretched
    ((2, 3), (3,)),  # (2, 3): a new leading axis
    ((), (2, 3)),  # (2, 3): a 0-d tensor against a matrix
    ((1,), (3,)),  # (3,)
    ((2, 1, 3), (4, 1)),  # (2, 4, 3): both ways at once
    ((3,), ()),  # (3,)
]


def arrays_from(elements: st.SearchStrategy[float], shape: Tuple[int, ...]) -> st.SearchStrategy[Any]:
    """float64 arrays of ``shape`` whose elements are drawn from ``elements``."""
    import numpy as np

    size = int(np.prod(shape)) if shape else 1
    return st.lists(elements, min_size=size, max_size=size).map(lambda xs: np.array(xs, dtype=np.float64).reshape(shape))


@st.composite
def op_arrays(draw: Any, op: Op) -> List[Any]:
    """Inputs for ``op``: one shape for a unary op, a broadcasting pair for a binary one."""
    if len(op.inputs) == 1:
        shapes: Tuple[Tuple[int, ...], ...] = (draw(st.sampled_from(SHAPES)),)
    else:
        pair = draw(st.sampled_from(BROADCAST_PAIRS))
        shapes = pair if draw(st.booleans()) else pair[::-1]
    return [draw(arrays_from(s, shape)) for s, shape in zip(op.inputs, shapes)]


# Tensor-only ops for random expression graphs: (name, ours, torch). Every leaf shape
# broadcasts to (2, 3), so any two nodes of a program combine; every op keeps its axes.
TENSOR_GRAPH_OPS: List[Tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = [
    ("softmax", lambda a, b: a.softmax(axis=-1) * b, lambda a, b: a.softmax(dim=-1) * b),
    ("log_softmax", lambda a, b: a.log_softmax(axis=-1), lambda a, b: a.log_softmax(dim=-1)),
    ("sum_keep", lambda a, b: a.sum(axis=-1, keepdims=True) + b, lambda a, b: a.sum(dim=-1, keepdim=True) + b),
    ("mean0", lambda a, b: a.mean(axis=0, keepdims=True) * b, lambda a, b: a.mean(dim=0, keepdim=True) * b),
    ("amax", lambda a, b: a.max(axis=-1, keepdims=True) - b, lambda a, b: a.amax(dim=-1, keepdim=True) - b),
    ("logsumexp", lambda a, b: a.logsumexp(axis=-1, keepdims=True) * b, lambda a, b: a.logsumexp(dim=-1, keepdim=True) * b),
    ("clip", lambda a, b: a.clip(-0.5, 0.7) + b, lambda a, b: a.clamp(-0.5, 0.7) + b),
    ("square", lambda a, b: a * a - b, lambda a, b: a * a - b),
    # matmul, broadcast_to, indexing (with a repeat: scatter adds), maximum and var, so that
    # the second-order tests' random graphs pass through them too
    ("matmul", lambda a, b: a.broadcast_to((2, 3)) @ _MIX * b, lambda a, b: a.expand(2, 3) @ _t().tensor(_MIX) * b),
    ("rows", lambda a, b: a.broadcast_to((2, 3))[[1, 1]] - b, lambda a, b: a.expand(2, 3)[[1, 1]] - b),
    ("maximum", lambda a, b: _al().maximum(a, b * 0.5), lambda a, b: _t().maximum(a, b * 0.5)),
    ("var", lambda a, b: a.var(axis=-1, keepdims=True) * b, lambda a, b: a.var(dim=-1, unbiased=False, keepdim=True) * b),
]


def _al() -> Any:
    import autograd_lite

    return autograd_lite


def _mix() -> Any:
    import numpy as np

    return np.array([[0.5, -1.0, 0.25], [1.0, 0.5, -0.5], [-0.25, 0.75, 1.0]])


_MIX = _mix()  # a fixed (3, 3) matrix for the matmul op


@st.composite
def tensor_programs(draw: Any, max_leaves: int = 4, max_ops: int = 25) -> Tuple[List[Any], List[Tuple[int, int, int]]]:
    """A random program (as ``programs``) over leaves of shapes (1,), (3,), (2, 1), (2, 3).

    No 0-d leaves here (and no op drops an axis): softmax along axis -1 needs an axis.
    """
    n = draw(st.integers(1, max_leaves))
    leaves = [draw(arrays_from(real(-2.0, 2.0), draw(st.sampled_from([(1,), (3,), (2, 1), (2, 3)])))) for _ in range(n)]
    n_ops = draw(st.integers(1, max_ops))
    steps = []
    total = len(GRAPH_OPS) + len(TENSOR_GRAPH_OPS)
    for k in range(n_ops):
        pool = n + k
        i = draw(st.integers(max(0, pool - 3), pool - 1) | st.integers(0, pool - 1))
        j = draw(st.integers(0, pool - 1))
        steps.append((draw(st.integers(0, total - 1)), i, j))
    return leaves, steps


def run_tensor_program(leaves: List[Any], steps: List[Tuple[int, int, int]], torch_ops: bool = False) -> Any:
    """Evaluate a tensor program with our Tensors or torch tensors; returns a scalar."""
    pool = list(leaves)
    for op_index, i, j in steps:
        if op_index < len(GRAPH_OPS):
            name, fn = GRAPH_OPS[op_index]
            if torch_ops and name in TORCH_SPELLING:
                fn = TORCH_SPELLING[name]
        else:
            _, ours, theirs = TENSOR_GRAPH_OPS[op_index - len(GRAPH_OPS)]
            fn = theirs if torch_ops else ours
        pool.append(fn(pool[i], pool[j]))
    out = pool[-1]
    for node in pool[-4:-1]:
        out = out + node
    return out.sum()


# -- second order ---------------------------------------------------------------------
# Inputs for the twin-rule agreement test and the second-derivative tests: elements that
# tie often (for max, maximum, clip at its bounds, relu at 0), and the settings of the
# ops that have them (axes, permutations, indices, slopes, bounds).

TIES = st.sampled_from([-1.0, 0.0, 0.5, 2.0])


def upstream(shape: Tuple[int, ...], seed: int = 0) -> Any:
    """A fixed random upstream gradient of ``shape`` (so every output element counts)."""
    import numpy as np

    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def reduction_cases(draw: Any) -> Tuple[Tuple[int, ...], Any, bool]:
    """(shape, axis, keepdims) for sum, mean and max: axis None, one axis or several."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    axes = st.integers(-len(shape), len(shape) - 1)
    axis = draw(st.none() | axes | st.lists(axes, min_size=1, max_size=len(shape), unique_by=lambda a: a % len(shape)).map(tuple))
    return shape, axis, draw(st.booleans())


@st.composite
def permutations(draw: Any) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(shape, perm) for transpose, perm possibly with negative axes."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(p - len(shape) if draw(st.booleans()) else p for p in perm)


# Indices numpy accepts on a (3, 4) array, basic and advanced, repeats included.
INDICES = [
    1,
    -1,
    (slice(None), 2),
    (slice(1, None), slice(None, None, -2)),
    (None, 1, slice(0, 3)),
    [0, 2, 0, 0],
    ([0, 1, 1, 2], [3, 0, 3, 1]),
    (slice(None), [1, 1, 3]),
    "mask",  # a boolean mask of the whole array, drawn
]


@st.composite
def broadcast_targets(draw: Any) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(small, big): ``small`` broadcasts to ``big`` (for broadcast_to and sum_to)."""
    small, big = draw(st.sampled_from(BROADCAST_PAIRS))
    import numpy as np

    out = tuple(np.broadcast_shapes(small, big))
    return (small, out) if draw(st.booleans()) else (big, out)
