"""Backward steps tied to the engine's source: every op of both engines, found by walking them.

The ops are not listed here: every public method and operator of ``Value`` and ``Tensor``
(and every public function of ``autograd_lite.tensor``) is called on sample inputs, and
each result that carries a derivative rule is explained by ``viz.backward_steps``. The
rules the engine wires to its ops are read from the engine's own source (the rule passed
to ``_node``), and every one of them must have been exercised. For each op the test checks
that the lines shown are the rule's source lines from the engine module, and that every
substituted number after "=" is the part ``backward()`` itself sends along that edge.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple

import numpy as np
import pytest

import autograd_lite.engine
import autograd_lite.tensor
import viz
from autograd_lite import Tensor, Value
from autograd_lite.graph import topological_order
from viz.nodes import fmt
from viz.steps import LONG_RULE, Step


def _wired_rules(owner: Any, functions: List[Any]) -> Set[Any]:
    """The rule functions the engine passes to ``_node``/``_node_n`` in these functions' source."""
    rules = set()
    for fn in functions:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError):
            continue
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("_node", "_node_n"):
                rule = call.args[2]
                if isinstance(rule, ast.Attribute) and isinstance(rule.value, ast.Name):
                    rules.add(getattr(getattr(owner, rule.value.id), rule.attr))
                elif isinstance(rule, ast.Name):
                    rules.add(getattr(owner, rule.id))
    return rules


def _public(cls: type) -> Iterator[Tuple[str, Any]]:
    """Every method and operator of a node class (its rules and helpers excluded)."""
    for name, member in vars(cls).items():
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        if isinstance(member, (staticmethod, classmethod, property)) or not callable(member):
            continue
        yield name, member


def _value_ops() -> Iterator[Tuple[str, Callable[[], Tuple[Value, List[Value]]]]]:
    for name, method in _public(Value):
        for x in (0.7, -0.7, 1.3):
            for args in ((), ("other",), (2.0,), (0.1,)):
                def make(method: Any = method, x: float = x, args: Tuple[Any, ...] = args) -> Tuple[Any, List[Value]]:
                    a = Value(x, label="x")
                    leaves = [a]
                    call = []
                    for arg in args:
                        if arg == "other":
                            other = Value(1.3, label="y")
                            leaves.append(other)
                            call.append(other)
                        else:
                            call.append(arg)
                    return method(a, *call), leaves
                yield f"Value.{name}{args} at {x}", make


def _tensor_ops() -> Iterator[Tuple[str, Callable[[], Tuple[Tensor, List[Tensor]]]]]:
    module = autograd_lite.tensor
    callables = [(f"Tensor.{n}", m, True) for n, m in _public(Tensor)]
    callables += [(n, f, False) for n, f in vars(module).items() if n in module.__all__ and inspect.isfunction(f)]
    # ((1, 2),) and ((3, 2, 2),): shapes that sum_to and broadcast_to accept for x's (2, 2)
    arg_sets = ((), ("other",), (2.0,), ((4,),), (0,), (-0.25, 0.5), ("list",), ((1, 2),), ((3, 2, 2),))
    for name, fn, is_method in callables:
        for sign in (1.0, -1.0):
            for args in arg_sets:
                def make(fn: Any = fn, is_method: bool = is_method, sign: float = sign, args: Tuple[Any, ...] = args) -> Any:
                    x = Tensor(sign * np.array([[0.5, 1.25], [0.75, 1.5]]), label="x", requires_grad=True)
                    y = Tensor(np.array([[1.1, 0.3], [0.6, 0.9]]), label="y", requires_grad=True)
                    leaves = [x]
                    call: List[Any] = []
                    for arg in args:
                        if arg == "other":
                            leaves.append(y)
                            call.append(y)
                        elif arg == "list":
                            leaves.append(y)
                            call.append([x, y])
                        else:
                            call.append(arg)
                    if is_method:
                        return fn(x, *call), leaves
                    if args == ("list",):
                        return fn(*call), leaves
                    return fn(x, *call), leaves
                yield f"{name}{args} sign {sign:+}", make

    # scatter: the node op that the gradient of x[index] is made of (private; grad() builds it)
    def scatter() -> Any:
        t = Tensor(np.array([0.5, 1.25]), label="x", requires_grad=True)
        return module._scatter(t, np.array([0, 0]), (2, 2)), [t]

    yield "scatter", scatter


def _explained(ops: Iterator[Tuple[str, Callable[[], Any]]]) -> Dict[Any, List[Tuple[str, Callable[[], Any]]]]:
    """rule -> the op calls that produced a node with that rule (calls that raise are skipped)."""
    found: Dict[Any, List[Tuple[str, Callable[[], Any]]]] = {}
    for name, make in ops:
        try:
            out, _ = make()
        except Exception:  # a signature or domain this op does not take
            continue
        if not hasattr(out, "_rule") or out._rule is None:
            continue
        if isinstance(out, Tensor) and any(p._rule is not None for p in out._prev):
            continue  # a composite: its own rules are covered by the primitives it is made of
        if isinstance(out, Value) and any(p._rule is not None for p in out._prev):
            continue
        found.setdefault(out._rule, []).append((name, make))
    return found


VALUE_FOUND = _explained(_value_ops())
TENSOR_FOUND = _explained(_tensor_ops())


def test_every_rule_the_engines_wire_to_an_op_was_found_by_walking_them() -> None:
    engine_functions = [m for _, m in _public(Value)] + [f for f in vars(autograd_lite.engine).values() if inspect.isfunction(f)]
    value_rules = _wired_rules(autograd_lite.engine, engine_functions)
    tensor_functions = [m for _, m in _public(Tensor)] + [f for f in vars(autograd_lite.tensor).values() if inspect.isfunction(f)]
    tensor_rules = _wired_rules(autograd_lite.tensor, tensor_functions)
    assert len(value_rules) >= 14 and len(tensor_rules) >= 25
    assert value_rules <= set(VALUE_FOUND), value_rules - set(VALUE_FOUND)
    assert tensor_rules <= set(TENSOR_FOUND), tensor_rules - set(TENSOR_FOUND)


def _rule_lines(rule: Any) -> Dict[int, str]:
    raw, start = inspect.getsourcelines(rule)
    lines = textwrap.dedent("".join(raw)).splitlines()
    return {start + k: line.rstrip() for k, line in enumerate(lines)}


def _check_step(step: Step, rule: Any, module_path: str) -> None:
    assert step.rule == rule.__qualname__
    assert step.path == module_path and step.first_line == rule.__code__.co_firstlineno
    source = _rule_lines(rule)
    shown = [(n, text) for n, text, _ in step.source if text.strip() != "..."]
    assert shown and shown[0][1].lstrip().startswith("def ")  # from the def on, no decorator
    for n, text in shown:
        assert source[n] == text, (n, text, source[n])  # the engine's own line, verbatim
    if len(source) - 1 <= LONG_RULE:  # a short rule is shown whole
        assert [n for n, _ in shown] == [n for n in source if not source[n].lstrip().startswith("@")]
    assert any(ran for _, _, ran in step.source)


def _real_parts(make: Callable[[], Any]) -> Dict[str, Any]:
    """backward() on a fresh copy: label -> the gradient of each leaf input of the op, which
    is the part its edge received (each input is a distinct leaf)."""
    out, _ = make()
    root = out if getattr(out.data, "size", 1) == 1 else out.sum()
    root.backward()
    return {p.label: p.grad for p in out._prev if p.label is not None and p.requires_grad}


@pytest.mark.parametrize("rule", list(VALUE_FOUND), ids=lambda r: r.__qualname__)
def test_value_rules_show_their_engine_source_and_backwards_numbers(rule: Any) -> None:
    for name, make in VALUE_FOUND[rule]:
        out, leaves = make()
        steps = viz.backward_steps(out)
        assert len(steps) == 1, name
        step = steps[0]
        _check_step(step, rule, "autograd_lite/engine.py")
        parts = _real_parts(make)
        got: Dict[str, float] = {}
        for w in step.writes:
            assert "out." not in w.expression and "grad" not in w.expression, (name, w.text())
            assert w.value_text == fmt(-w.value if w.op == "-=" else w.value), (name, w.text())
            got[w.target] = got.get(w.target, 0.0) + w.value
        assert parts, name
        for label, part in parts.items():
            assert got.get(label, 0.0) == part, (name, [w.text() for w in step.writes], parts)  # bit for bit


@pytest.mark.parametrize("rule", list(TENSOR_FOUND), ids=lambda r: r.__qualname__)
def test_tensor_rules_show_their_engine_source_and_backwards_numbers(rule: Any) -> None:
    for name, make in TENSOR_FOUND[rule][:4]:
        out, leaves = make()
        root = out if out.data.size == 1 else out.sum()
        steps = viz.backward_steps(root)
        step = [s for s in steps if s.rule == rule.__qualname__][-1]
        _check_step(step, rule, "autograd_lite/tensor.py")
        parts = _real_parts(make)
        got: Dict[str, Any] = {}
        for w in step.writes:
            assert "out.grad" not in w.expression and "out.data" not in w.expression, (name, w.text())
            got[w.target] = w.value if w.target not in got else got[w.target] + w.value
        assert parts, name
        for label, part in parts.items():
            assert label in got, (name, [w.text() for w in step.writes])
            np.testing.assert_array_equal(np.asarray(got[label]).reshape(part.shape), part, err_msg=name)


def test_the_tanh_step_reads_as_the_lecture_writes_it() -> None:
    n = Value(0.8813735870195432, label="n")
    o = n.tanh()
    o.label = "o"
    (step,) = viz.backward_steps(o)
    assert step.formula == "o = tanh(n)"
    assert [w.text() for w in step.writes] == ["n.grad += (1 - 0.7071²) × 1.0000 = 0.5000"]
    assert ("out", "o") in step.bindings and ("x", "n") in step.bindings
    text = str(step)
    assert "x.grad += (1.0 - t * t) * out.grad" in text and "autograd_lite/engine.py" in text


def test_a_branch_shows_the_test_with_its_numbers_and_which_way_it_went() -> None:
    x = Value(-0.5, label="x")
    (step,) = viz.backward_steps(x.relu())
    assert step.writes == [] and step.summary == "the relu rule gets relu(x).grad = 1.0000 and sends 0.0000 to x"
    assert [(t, outcome) for _, t, outcome in step.tests] == [("x.data > 0.0  →  -0.5000 > 0", False)]
    ran = [text.strip() for _, text, r in step.source if r]
    assert "x.grad += out.grad" not in ran  # the line that did not run is shown, not marked
    x = Value(2.0, label="x")
    (step,) = viz.backward_steps(x.relu())
    assert [w.text() for w in step.writes] == ["x.grad += 1.0000 = 1.0000"]


def test_backward_steps_follow_backward_and_change_nothing() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(10.0, label="c")
    L = (a * b + c) * Value(-2.0, label="f")
    L.label = "L"
    before = [(n.grad, n.data) for n in topological_order(L)]
    steps = viz.backward_steps(L)
    assert [(n.grad, n.data) for n in topological_order(L)] == before
    assert [s.number for s in steps] == [1, 2, 3] and all(s.total == 3 for s in steps)
    frames = viz.backward_frames(L)
    assert [f.info["step_text"].formula for f in frames] == [s.formula for s in steps]
    assert "\n\n" in str(steps) and str(steps).count("step ") >= 3


def test_a_tensor_step_shows_shapes_for_big_arrays() -> None:
    W = Tensor(np.ones((3, 5)), label="W", requires_grad=True)
    x = Tensor(np.ones((4, 3)), label="x")
    steps = viz.backward_steps((x @ W).sum())
    mm = [s for s in steps if s.op == "matmul"][0]
    (w,) = mm.writes
    # x.T is (3, 4), the upstream gradient (4, 5): too big to write out, shown by their shapes
    assert w.target == "W" and w.expression == "(3, 4) array @ (4, 5) array" and w.value_text == "(3, 5) norm 15.4919"
