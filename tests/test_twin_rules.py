"""One derivative, two forms: every fast rule agrees with its graph-building twin.

Each op of both engines has a fast first-order rule (``_X_backward``: floats and arrays,
``x.grad += ...``), which ``backward()`` runs, and beside it a twin written with node
operations (``_X_backward_graph``), which ``grad()`` runs. Two forms of one derivative
must never drift apart, so this file

* finds every rule by walking ``Value``, ``Tensor`` and both engine modules (and every
  rule named where a node is made), never from a hand-written list that could miss one;
* fails when a rule has no twin, or when a rule has no case below (so a new op with
  only a fast rule, or with both but no test, fails here);
* runs both forms on random inputs (broadcasting pairs, every setting, ties and zeros)
  and checks that they give the same gradient parts to 1e-12.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Set, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    BROADCAST_PAIRS,
    INDICES,
    SHAPES,
    TIES,
    arrays_from,
    broadcast_targets,
    permutations,
    real,
    reduction_cases,
    upstream,
)
from test_tensor_ops import matmul_shapes

import autograd_lite.engine as engine_module
import autograd_lite.tensor as tensor_module
from autograd_lite import Tensor, Value, concatenate, maximum, stack
from autograd_lite.tensor import _scatter

WIDE = real(-3.0, 3.0)
POS = real(0.05, 3.0)
NONZERO = real(-3.0, 3.0, avoid=(0.0,), gap=0.05)
SLOPES = real(-0.5, 2.0)


# ---------------------------------------------------------------------- discovery


def _rules_by_walking() -> Dict[str, Callable[..., None]]:
    """Every function named ``_X_backward`` in both classes and both engine modules."""
    found = {}
    for owner, space in [("Value", vars(Value)), ("Tensor", vars(Tensor)),
                         ("engine", vars(engine_module)), ("tensor", vars(tensor_module))]:
        for name, obj in space.items():
            fn = obj.__func__ if isinstance(obj, staticmethod) else obj
            if name.endswith("_backward") and inspect.isfunction(fn):
                found[f"{owner}.{name}"] = fn
    return found


def _rules_named_where_nodes_are_made() -> Set[str]:
    """The rule of every node-making call ``_node(data, "op", <rule>, ...)`` in the engines'
    source: an op whose rule does not follow the naming convention is caught here."""
    names = set()
    for module in (engine_module, tensor_module):
        source = inspect.getsource(module)
        names |= set(re.findall(r'"[^"\n]+",\s*((?:Tensor\.|Value\.)?_\w+)\s*,', source))
    return names


RULES = _rules_by_walking()


def test_every_rule_is_found() -> None:
    # the walk finds the rules of both engines (a sanity check on the walk itself)
    assert len([k for k in RULES if k.startswith("Value.")]) >= 14
    assert len([k for k in RULES if not k.startswith("Value.")]) >= 30
    for name in _rules_named_where_nodes_are_made():
        short = name.split(".")[-1]
        assert any(key.endswith("." + short) for key in RULES), f"{name} makes nodes but is not a _X_backward rule"


@pytest.mark.parametrize("key", sorted(RULES))
def test_every_rule_has_a_twin_that_grad_runs(key: str) -> None:
    rule = RULES[key]
    owner = Value if key.startswith(("Value.", "engine.")) else Tensor
    module = engine_module if owner is Value else tensor_module
    name = key.split(".")[-1]
    twin = getattr(owner, name + "_graph", None) or getattr(module, name + "_graph", None)
    assert twin is not None, f"{key} has no graph-building twin {name}_graph(out, g): write it next to the rule"
    table = module.GRAPH_RULES
    assert table.get(rule) is twin, f"{key}'s twin is not in {module.__name__}.GRAPH_RULES"


# ---------------------------------------------------------------------- cases
# One or more cases per rule. A case draws inputs (some not requiring grad) and builds one
# node made by that rule; the test runs the rule and its twin on it.


@dataclass(frozen=True)
class Case:
    name: str
    rule: Callable[..., None]
    build: Callable[[st.DataObject], Any]  # data -> the node under test


def _flags(data: st.DataObject, n: int) -> List[bool]:
    """Which of n inputs require grad: any pattern but all-False."""
    flags = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any), label="requires_grad")
    return flags


def value_case(name: str, rule: Any, make: Callable[..., Value], *elements: Any) -> Case:
    def build(data: st.DataObject) -> Value:
        xs = [data.draw(e, label=f"x{i}") for i, e in enumerate(elements)]
        flags = _flags(data, len(xs))
        return make(*[Value(x, requires_grad=f) for x, f in zip(xs, flags)])

    return Case("Value." + name, rule, build)


def tensor_case(name: str, rule: Any, make: Callable[..., Tensor], shapes: Any, *elements: Any) -> Case:
    """``shapes``: a strategy for a tuple of input shapes (one per element strategy)."""

    def build(data: st.DataObject) -> Tensor:
        drawn = data.draw(shapes, label="shapes")
        xs = [data.draw(arrays_from(e, s), label=f"x{i}") for i, (e, s) in enumerate(zip(elements, drawn))]
        flags = _flags(data, len(xs))
        return make(*[Tensor(x, requires_grad=f) for x, f in zip(xs, flags)])

    return Case("Tensor." + name, rule, build)


def one_shape() -> Any:
    return st.sampled_from(SHAPES).map(lambda s: (s,))


def pair() -> Any:
    return st.sampled_from(BROADCAST_PAIRS).flatmap(lambda p: st.sampled_from([p, p[::-1]]))


def fixed(*shapes: Tuple[int, ...]) -> Any:
    return st.just(shapes)


V, T = Value, Tensor
VALUE_CASES = [
    value_case("add", V._add_backward, lambda a, b: a + b, WIDE, WIDE),
    value_case("mul", V._mul_backward, lambda a, b: a * b, WIDE, WIDE),
    value_case("pow", V._pow_backward, lambda a, b: a**b, POS, WIDE),
    value_case("pow_int_negative_base", V._pow_backward, lambda a, b: a**b, NONZERO, st.sampled_from([-2.0, 0.0, 1.0, 3.0])),
    value_case("pow_zero_base", V._pow_backward, lambda a, b: a**b, st.just(0.0), st.sampled_from([0.0, 0.5, 1.0, 2.5])),
    value_case("exp", V._exp_backward, lambda a: a.exp(), WIDE),
    value_case("log", V._log_backward, lambda a: a.log(), POS),
    value_case("tanh", V._tanh_backward, lambda a: a.tanh(), WIDE),
    value_case("sigmoid", V._sigmoid_backward, lambda a: a.sigmoid(), real(-30.0, 30.0)),
    value_case("relu", V._relu_backward, lambda a: a.relu(), WIDE | TIES),
    Case("Value.leaky_relu", V._leaky_relu_backward, lambda data: Value(data.draw(WIDE | TIES, label="x")).leaky_relu(
        data.draw(SLOPES, label="slope"))),
    value_case("softplus", V._softplus_backward, lambda a: a.softplus(), real(-30.0, 30.0)),
    value_case("abs", V._abs_backward, lambda a: abs(a), WIDE | TIES),
    value_case("sqrt", V._sqrt_backward, lambda a: a.sqrt(), POS | st.just(0.0)),
    value_case("sin", V._sin_backward, lambda a: a.sin(), WIDE),
    value_case("cos", V._cos_backward, lambda a: a.cos(), WIDE),
]


def _index_case(data: st.DataObject) -> Tensor:
    index = data.draw(st.sampled_from(INDICES), label="index")
    x = data.draw(arrays_from(WIDE, (3, 4)), label="x")
    if isinstance(index, str):  # a drawn boolean mask
        index = data.draw(arrays_from(st.sampled_from([0.0, 1.0]), (3, 4)), label="mask") > 0.5
    return Tensor(x, requires_grad=True)[index]


def _scatter_case(data: st.DataObject) -> Tensor:
    index = data.draw(st.sampled_from(INDICES[:-1]), label="index")
    shape = np.zeros((3, 4))[index].shape
    g = data.draw(arrays_from(WIDE, shape), label="g")
    return _scatter(Tensor(g, requires_grad=True), index, (3, 4))


def _reduction(op: str, elements: Any) -> Callable[[st.DataObject], Tensor]:
    def build(data: st.DataObject) -> Tensor:
        shape, axis, keep = data.draw(reduction_cases(), label="shape, axis, keepdims")
        x = Tensor(data.draw(arrays_from(elements, shape), label="x"), requires_grad=True)
        return getattr(x, op)(axis=axis, keepdims=keep)

    return build


def _transpose_case(data: st.DataObject) -> Tensor:
    shape, perm = data.draw(permutations(), label="shape, perm")
    return Tensor(data.draw(arrays_from(WIDE, shape)), requires_grad=True).transpose(perm)


def _reshape_case(data: st.DataObject) -> Tensor:
    shape = data.draw(st.sampled_from([(6,), (2, 3), (3, 2, 1), (1, 6)]), label="shape")
    new = data.draw(st.sampled_from([(6,), (3, 2), (1, 2, 3), (-1, 1)]), label="new shape")
    return Tensor(data.draw(arrays_from(WIDE, shape)), requires_grad=True).reshape(new)


def _join_case(join: Any) -> Callable[[st.DataObject], Tensor]:
    def build(data: st.DataObject) -> Tensor:
        n = data.draw(st.integers(1, 3), label="pieces")
        axis = data.draw(st.integers(-2, 1), label="axis")
        shapes = [(2, data.draw(st.integers(1, 3))) if axis % 2 else (data.draw(st.integers(1, 3)), 2) for _ in range(n)]
        if join is stack:
            shapes = [(2, 3)] * n
        flags = _flags(data, n)
        parts = [Tensor(data.draw(arrays_from(WIDE, s)), requires_grad=f) for s, f in zip(shapes, flags)]
        return join(parts, axis=axis)

    return build


def _broadcast_case(op: str) -> Callable[[st.DataObject], Tensor]:
    def build(data: st.DataObject) -> Tensor:
        small, big = data.draw(broadcast_targets().filter(lambda p: p[0] != p[1]), label="shapes")
        if op == "broadcast_to":
            return Tensor(data.draw(arrays_from(WIDE, small)), requires_grad=True).broadcast_to(big)
        return Tensor(data.draw(arrays_from(WIDE, big)), requires_grad=True).sum_to(small)

    return build


TENSOR_CASES = [
    tensor_case("add", T._add_backward, lambda a, b: a + b, pair(), WIDE, WIDE),
    tensor_case("sub", T._sub_backward, lambda a, b: a - b, pair(), WIDE, WIDE),
    tensor_case("mul", T._mul_backward, lambda a, b: a * b, pair(), WIDE, WIDE),
    tensor_case("div", T._div_backward, lambda a, b: a / b, pair(), WIDE, NONZERO),
    tensor_case("pow", T._pow_backward, lambda a, b: a**b, pair(), POS, WIDE | st.just(0.0)),
    tensor_case("pow_square", T._pow_backward, lambda a: a**2, one_shape(), WIDE),
    tensor_case("pow_int_zero_base", T._pow_backward, lambda a, b: a**b, pair(), TIES, st.sampled_from([0.0, 1.0, 2.0, 3.0])),
    tensor_case("pow_root_zero_base", T._pow_backward, lambda a, b: a**b, pair(), POS | st.just(0.0), st.sampled_from([0.5, 1.5])),
    tensor_case("exp", T._exp_backward, lambda a: a.exp(), one_shape(), WIDE),
    tensor_case("log", T._log_backward, lambda a: a.log(), one_shape(), POS),
    tensor_case("tanh", T._tanh_backward, lambda a: a.tanh(), one_shape(), WIDE),
    tensor_case("sigmoid", T._sigmoid_backward, lambda a: a.sigmoid(), one_shape(), real(-30.0, 30.0)),
    tensor_case("relu", T._relu_backward, lambda a: a.relu(), one_shape(), WIDE | TIES),
    Case("Tensor.leaky_relu", T._leaky_relu_backward, lambda data: Tensor(
        data.draw(arrays_from(WIDE | TIES, data.draw(st.sampled_from(SHAPES)))), requires_grad=True
    ).leaky_relu(data.draw(SLOPES, label="slope"))),
    tensor_case("softplus", T._softplus_backward, lambda a: a.softplus(), one_shape(), real(-30.0, 30.0)),
    tensor_case("abs", T._abs_backward, lambda a: abs(a), one_shape(), WIDE | TIES),
    tensor_case("sqrt", T._sqrt_backward, lambda a: a.sqrt(), one_shape(), POS | st.just(0.0)),
    tensor_case("sin", T._sin_backward, lambda a: a.sin(), one_shape(), WIDE),
    tensor_case("cos", T._cos_backward, lambda a: a.cos(), one_shape(), WIDE),
    Case("Tensor.clip", T._clip_backward, lambda data: Tensor(
        data.draw(arrays_from(WIDE | TIES, (2, 3))), requires_grad=True
    ).clip(*sorted(data.draw(st.tuples(TIES, TIES | WIDE), label="lo, hi")))),
    tensor_case("matmul", T._matmul_backward, lambda a, b: a @ b, matmul_shapes(), WIDE, WIDE),
    Case("Tensor.sum", T._sum_backward, _reduction("sum", WIDE)),
    Case("Tensor.mean", T._mean_backward, _reduction("mean", WIDE)),
    Case("Tensor.max", T._max_backward, _reduction("max", TIES)),  # ties everywhere
    Case("Tensor.reshape", T._reshape_backward, _reshape_case),
    Case("Tensor.transpose", T._transpose_backward, _transpose_case),
    Case("Tensor.index", T._index_backward, _index_case),
    Case("tensor.concatenate", tensor_module._concatenate_backward, _join_case(concatenate)),
    Case("tensor.stack", tensor_module._stack_backward, _join_case(stack)),
    tensor_case("maximum", tensor_module._maximum_backward, maximum, pair(), TIES, TIES),
    Case("Tensor.broadcast_to", T._broadcast_to_backward, _broadcast_case("broadcast_to")),
    Case("Tensor.sum_to", T._sum_to_backward, _broadcast_case("sum_to")),
    Case("tensor.scatter", tensor_module._scatter_backward, _scatter_case),
]
CASES = VALUE_CASES + TENSOR_CASES


def test_every_rule_has_a_case() -> None:
    covered = {case.rule for case in CASES}
    missing = sorted(key for key, rule in RULES.items() if rule not in covered)
    assert not missing, f"rules with no case in tests/test_twin_rules.py (add one): {missing}"


# ---------------------------------------------------------------------- agreement


def _fast_parts(node: Any, g: Any) -> List[Any]:
    """What the fast rule adds to each distinct input, run on the node as backward() would."""
    node.grad = g
    node._rule(node)
    return [p.grad for p in node._prev]


def _copy(node: Any) -> Any:
    """The node with fresh stand-in inputs (same data): a rule run on it touches no real grad."""
    def bare(x: Any, prev: Tuple[Any, ...]) -> Any:
        c = type(x).__new__(type(x))
        c.data, c._prev, c._op, c._rule, c.label, c.requires_grad = x.data, prev, x._op, x._rule, None, x.requires_grad
        c.grad = 0.0 if type(x) is Value else None
        if type(x) is Tensor:
            c._ctx = x._ctx
        return c

    return bare(node, tuple(bare(p, ()) for p in node._prev))


def _twin_parts(node: Any, g: Any) -> List[Any]:
    """The twin's parts, summed per distinct input (a node may use one input twice)."""
    twin = (engine_module if type(node) is Value else tensor_module).GRAPH_RULES[node._rule]
    constant = Value(g, requires_grad=False) if type(node) is Value else Tensor(g)
    parts = twin(node, constant)
    assert isinstance(parts, tuple) and len(parts) == len(node._prev), "one part per input, in _prev order"
    totals: Dict[int, Any] = {}
    for p, part in zip(node._prev, parts):
        if part is None:
            assert not p.requires_grad, "a twin gives every input that requires grad a part"
            continue
        assert type(part) is type(node), "a part is a node of the same engine"
        assert np.shape(part.data) == np.shape(p.data), f"part shape {np.shape(part.data)} != input shape {np.shape(p.data)}"
        totals[id(p)] = part.data if id(p) not in totals else totals[id(p)] + part.data
    return [totals.get(id(p)) for p in node._prev]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=40)
@given(data=st.data())
def test_fast_rule_and_twin_agree(case: Case, data: st.DataObject) -> None:
    node = case.build(data)
    assert node._rule is case.rule, f"the case built a {node._op!r} node, not one of {case.name}"
    g = float(upstream((), data.draw(st.integers(0, 9), label="seed"))) if type(node) is Value else upstream(
        node.shape, data.draw(st.integers(0, 9), label="seed")
    )
    # The twin warns (numpy) only where the fast rule does: summing +inf and -inf parts
    # of an infinite derivative (0 ** 0.5 broadcast), say. Elsewhere, IEEE inf, silently.
    try:
        with np.errstate(all="raise", under="ignore"):
            _fast_parts(_copy(node), g)
        strict = True
    except FloatingPointError:
        strict = False
    with np.errstate(all="raise" if strict else "ignore", under="ignore"):
        twin = _twin_parts(node, g)
    before = [p.grad for p in node._prev]
    assert all(b is None or (type(b) is float and b == 0.0) for b in before), "the twin must not touch any .grad"
    with np.errstate(all="ignore"):
        fast = _fast_parts(node, g)
    for p, f, t in zip(node._prev, fast, twin):
        if t is None:
            assert f is None or f == 0.0, "the fast rule gave a part where the twin gave none"
            continue
        np.testing.assert_allclose(t, f, rtol=1e-12, atol=1e-12, err_msg=f"{case.name}, input {p!r}")
