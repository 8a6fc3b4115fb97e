"""detect_anomaly(): the first inf or nan, forward and backward, on both engines, named by op
and by the line of this file that made the node; nothing recorded and nothing paid outside it.

Each case below marks the line where the anomaly must be found with a comment ``# <- NAME``;
the test looks that line up in this file's own source, so the expected line is never a
number typed in.
"""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest

import nn
from autograd_lite import (
    AnomalyError,
    Tensor,
    Value,
    detect_anomaly,
    grad,
    hvp,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from autograd_lite import anomaly as anomaly_module
from autograd_lite import engine as engine_module
from autograd_lite import tensor as tensor_module
from autograd_lite.anomaly import Site, site_of

HERE = Path(__file__).resolve()
SOURCE = HERE.read_text().splitlines()


def line_of(mark: str) -> int:
    """The line of this file that carries the comment ``# <- mark`` (exactly one)."""
    found = [i + 1 for i, text in enumerate(SOURCE) if text.rstrip().endswith(f"# <- {mark}")]
    assert len(found) == 1, f"mark {mark!r} found on lines {found}"
    return found[0]


def names_this_line(message: str, mark: str) -> bool:
    return f'File "{HERE}", line {line_of(mark)}' in message


def T(x: Any, dtype: str = "float64") -> Tensor:
    return Tensor(np.asarray(x, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------- forward: a new inf or nan

def f_value_add() -> Any:
    a, b = Value(1e308), Value(1e308)
    return a + b  # <- f_value_add


def f_value_sub() -> Any:
    a, b = Value(1e308), Value(-1e308)
    return a - b  # <- f_value_sub


def f_value_mul() -> Any:
    a, b = Value(1e200, label="a"), Value(1e200, label="b")
    return a * b  # <- f_value_mul


def f_value_div() -> Any:
    a, b = Value(1e300), Value(1e-10)
    return a / b  # <- f_value_div


def f_value_number() -> Any:
    a = Value(1e300)
    return 1e10 * a  # <- f_value_number


def f_value_leaky_relu() -> Any:
    return Value(-1e300).leaky_relu(1e10)  # <- f_value_leaky_relu


def f_value_sum() -> Any:
    xs = [Value(1e308) for _ in range(3)]
    return sum(xs)  # <- f_value_sum


def f_value_neuron() -> Any:
    neuron = nn.Neuron(2, activation="linear", seed=0)
    for w in neuron.weight:
        w.data = 1.0
    return neuron([1e308, 1e308])  # <- f_value_neuron


def f_value_by_hand() -> Any:
    x = Value(800.0)
    return Value(math.inf if x.data > 709.78 else math.exp(x.data), (x,), "myexp")  # <- f_value_by_hand


def f_tensor_add() -> Any:
    return T([1e308, 1.0]) + T([1e308, 1.0])  # <- f_tensor_add


def f_tensor_sub() -> Any:
    return T([1e308]) - T([-1e308])  # <- f_tensor_sub


def f_tensor_mul() -> Any:
    return T([[1e200, 1.0]]) * T([1e200, 2.0])  # <- f_tensor_mul


def f_tensor_div() -> Any:
    return T([1e300]) / T([1e-10])  # <- f_tensor_div


def f_tensor_square() -> Any:
    return T([1e200, 3.0]) ** 2  # <- f_tensor_square


def f_tensor_matmul() -> Any:
    return T([[1e200, 1e200]]) @ T([[1e200], [1.0]])  # <- f_tensor_matmul


def f_tensor_sum() -> Any:
    return T(np.full(4, 1e308)).sum()  # <- f_tensor_sum


def f_tensor_mean() -> Any:
    return T(np.full((2, 3), 1e308)).mean(axis=1)  # <- f_tensor_mean


def f_tensor_sum_to() -> Any:
    return T(np.full((3, 2), 1e308)).sum_to((1, 2))  # <- f_tensor_sum_to


def f_tensor_leaky_relu() -> Any:
    return T([-1e300, 1.0]).leaky_relu(1e10)  # <- f_tensor_leaky_relu


def f_tensor_float32() -> Any:
    return T([3e38], "float32") * 10.0  # <- f_tensor_float32


def f_tensor_norm() -> Any:
    return T([1e200, 1e200]).norm()  # <- f_tensor_norm


def f_tensor_linear() -> Any:
    layer = nn.Linear(2, 1, seed=0)
    layer.weight.data[:] = 1.0
    return layer(Tensor([[1e308, 1e308]]))  # <- f_tensor_linear


FORWARD: List[Tuple[Callable[[], Any], str]] = [
    (f_value_add, "+"), (f_value_sub, "+"), (f_value_mul, "*"), (f_value_div, "*"), (f_value_number, "*"),
    (f_value_leaky_relu, "leaky_relu"), (f_value_sum, "+"), (f_value_neuron, "+"), (f_value_by_hand, "myexp"),
    (f_tensor_add, "+"), (f_tensor_sub, "-"), (f_tensor_mul, "*"), (f_tensor_div, "/"), (f_tensor_square, "**"),
    (f_tensor_matmul, "matmul"), (f_tensor_sum, "sum"), (f_tensor_mean, "mean"), (f_tensor_sum_to, "sum_to"),
    (f_tensor_leaky_relu, "leaky_relu"), (f_tensor_float32, "*"), (f_tensor_norm, "*"), (f_tensor_linear, "matmul"),
]


@pytest.mark.parametrize("build, op", FORWARD, ids=[f.__name__ for f, _ in FORWARD])
def test_forward_the_op_that_first_makes_inf_or_nan_is_named_with_this_files_line(build: Callable[[], Any], op: str) -> None:
    with np.errstate(all="ignore"):  # numpy's own overflow warning comes first: not what is tested
        out = build()  # outside: IEEE, no error
        assert not np.all(np.isfinite(out.data))
        with detect_anomaly(), pytest.raises(AnomalyError) as info:
            build()
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.op == op and err.phase == "forward", str(err)
    assert f"op {op!r} made" in str(err) and "from finite inputs" in str(err)
    assert names_this_line(str(err), build.__name__), str(err)
    assert err.site == Site(str(HERE), line_of(build.__name__), build.__name__, SOURCE[line_of(build.__name__) - 1].strip())


def test_forward_message_shows_the_inputs() -> None:
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        f_value_mul()
    assert "input 0 = 1e+200 (label 'a')\n  input 1 = 1e+200 (label 'b')" in str(info.value)
    assert "made inf" in str(info.value)
    with np.errstate(all="ignore"), detect_anomaly(), pytest.raises(AnomalyError) as info:
        T(np.full((3, 4), 1e200)) * T(np.full((3, 4), 1e200))
    assert "an array of shape (3, 4), |x| up to 1e+200" in str(info.value)


def test_a_symptom_is_not_the_cause_and_goes_on() -> None:
    """An op whose inputs already hold inf or nan follows IEEE, also in anomaly mode."""
    a = Value(1e200) * Value(1e200)  # inf, made outside
    with detect_anomaly():
        b = a - a  # nan from inf: not new
        c = b * 2.0
    assert math.isnan(c.data)
    with np.errstate(all="ignore"):
        t = T([1e200]) * T([1e200])
        with detect_anomaly():
            assert np.isnan((t - t).data).all()


def test_ops_that_refuse_to_overflow_still_raise_their_own_errors() -> None:
    with detect_anomaly():
        with pytest.raises(OverflowError, match=r"Value.exp"):
            Value(1000.0).exp()
        with pytest.raises(OverflowError, match=r"__pow__"):
            Value(1e200) ** 2.0
        with pytest.raises(ValueError, match=r"log"):
            Value(-1.0).log()


# ---------------------------------------------------------------------- backward: a new inf or nan

def b_value_sqrt() -> Tuple[Any, Any]:
    x = Value(0.0, label="x")
    y = x.sqrt()  # <- b_value_sqrt
    return y * 2.0, x


def b_value_pow_base() -> Tuple[Any, Any]:
    x = Value(0.0, label="x")
    return x ** 0.5, x  # <- b_value_pow_base


def b_value_pow_exponent() -> Tuple[Any, Any]:
    a, b = Value(-2.0, label="a"), Value(2.0, label="b")
    return a ** b, b  # <- b_value_pow_exponent


def b_value_log() -> Tuple[Any, Any]:
    x = Value(1e-310, label="x")
    return x.log(), x  # <- b_value_log


def b_value_mul() -> Tuple[Any, Any]:
    a, b, c = Value(1e-300, label="a"), Value(1e200), Value(1e200)
    m = a * b  # <- b_value_mul
    return m * c, a


def b_value_add() -> Tuple[Any, Any]:
    x = Value(1e-10, label="x")
    s = x + x  # <- b_value_add
    return s * 1e308, x


def b_value_div() -> Tuple[Any, Any]:
    a, b = Value(1e-200), Value(1e-160, label="b")
    return a / b, b  # <- b_value_div


def b_value_leaky_relu() -> Tuple[Any, Any]:
    x = Value(-1e-20, label="x")
    y = x.leaky_relu(1e10)  # <- b_value_leaky_relu
    return y * 1e300, x


def b_value_by_hand() -> Tuple[Any, Any]:
    x = Value(0.0, label="x")
    out = Value(math.sqrt(x.data), (x,), "mysqrt")  # <- b_value_by_hand

    def _backward() -> None:
        x.grad += 0.5 / out.data * out.grad if out.data else math.inf

    out._backward = _backward
    return out, x


def b_tensor_add() -> Tuple[Any, Any]:
    a, b = T([1e-10]), T([0.0, 0.0, 0.0])
    s = a + b  # <- b_tensor_add
    return (s * 1e308).sum(), a


def b_tensor_sub() -> Tuple[Any, Any]:
    a, b = T([0.0, 0.0, 0.0]), T([1e-10])
    s = a - b  # <- b_tensor_sub
    return (s * 1e308).sum(), b


def b_tensor_mul() -> Tuple[Any, Any]:
    a, b, c = T([1e-300]), T([1e200]), T([1e200])
    m = a * b  # <- b_tensor_mul
    return (m * c).sum(), a


def b_tensor_div() -> Tuple[Any, Any]:
    a, b = T([1.0]), T([1e-160])
    return (a / b).sum(), b  # <- b_tensor_div


def b_tensor_pow() -> Tuple[Any, Any]:
    x = T([0.0, 4.0])
    return (x ** 0.5).sum(), x  # <- b_tensor_pow


def b_tensor_sqrt() -> Tuple[Any, Any]:
    x = T([4.0, 0.0])
    return x.sqrt().sum(), x  # <- b_tensor_sqrt


def b_tensor_log() -> Tuple[Any, Any]:
    x = T([1e-310, 1.0])
    return x.log().sum(), x  # <- b_tensor_log


def b_tensor_matmul() -> Tuple[Any, Any]:
    A, B = T([[1e-200, 0.0]]), T([[1e200], [0.0]])
    m = A @ B  # <- b_tensor_matmul
    return (m * 1e300).sum(), A


def b_tensor_broadcast_to() -> Tuple[Any, Any]:
    x = T([1e-300])
    y = x.broadcast_to((3,))  # <- b_tensor_broadcast_to
    return (y * 1e308).sum(), x


def b_tensor_index() -> Tuple[Any, Any]:
    x = T([1e-300, 2.0])
    y = x[np.array([0, 0, 0])]  # <- b_tensor_index
    return (y * 1e308).sum(), x


def b_tensor_leaky_relu() -> Tuple[Any, Any]:
    x = T([-1e-20])
    y = x.leaky_relu(1e10)  # <- b_tensor_leaky_relu
    return (y * 1e300).sum(), x


def b_tensor_float32() -> Tuple[Any, Any]:
    a, c = T([1e-30], "float32"), T([1e30], "float32")
    m = a * c  # <- b_tensor_float32
    return (m * 1e30).sum(), a


BACKWARD: List[Tuple[Callable[[], Tuple[Any, Any]], str]] = [
    (b_value_sqrt, "sqrt"), (b_value_pow_base, "**"), (b_value_pow_exponent, "**"), (b_value_log, "log"),
    (b_value_mul, "*"), (b_value_add, "+"), (b_value_div, "**"), (b_value_leaky_relu, "leaky_relu"),
    (b_value_by_hand, "mysqrt"),
    (b_tensor_add, "+"), (b_tensor_sub, "-"), (b_tensor_mul, "*"), (b_tensor_div, "/"), (b_tensor_pow, "**"),
    (b_tensor_sqrt, "sqrt"), (b_tensor_log, "log"), (b_tensor_matmul, "matmul"),
    (b_tensor_broadcast_to, "broadcast_to"), (b_tensor_index, "index"), (b_tensor_leaky_relu, "leaky_relu"),
    (b_tensor_float32, "*"),
]


def grads_of(root: Any) -> Dict[int, Any]:
    from autograd_lite.graph import topological_order

    return {id(n): (n.grad.copy() if isinstance(n.grad, np.ndarray) else n.grad) for n in topological_order(root)}


@pytest.mark.parametrize("build, op", BACKWARD, ids=[f.__name__ for f, _ in BACKWARD])
def test_backward_the_first_rule_that_sends_inf_or_nan_is_named_with_this_files_line(build: Callable[[], Any], op: str) -> None:
    with np.errstate(all="ignore"):
        root, leaf = build()  # outside: IEEE, the gradient is not finite
        root.backward()
        assert not np.all(np.isfinite(leaf.grad))
        with detect_anomaly():
            root, leaf = build()  # the forward pass is finite: no error here
            before = grads_of(root)
            with pytest.raises(AnomalyError) as info:
                root.backward()
    err = info.value
    assert err.op == op and err.phase == "backward", str(err)
    assert f"rule of op {op!r}" in str(err) and "Every gradient before this step was finite" in str(err)
    assert names_this_line(str(err), build.__name__), str(err)
    assert "already hold inf or nan" not in str(err)
    after = grads_of(root)
    assert all(np.array_equal(before[k], after[k]) for k in before)  # a failed backward() changes nothing


def test_backward_names_the_nodes_label_the_gradient_it_got_and_what_it_sent() -> None:
    with detect_anomaly():
        x = Value(0.0, label="x")
        y = x.sqrt()
        y.label = "root of x"
        with pytest.raises(AnomalyError) as info:
            (y * 3.0).backward()
    text = str(info.value)
    assert info.value.label == "root of x" and "the node: label 'root of x'" in text
    assert "got the gradient 3" in text and "the gradient of its input 0 (label 'x', data 0) inf (it was 0)" in text


def test_backward_names_the_first_step_not_a_later_symptom() -> None:
    """sqrt'(0) = inf, and every rule after it (mul, tanh, exp) would turn it into more inf
    or nan: the error names sqrt, the first."""
    with detect_anomaly():
        x = Value(0.0, label="x")
        w = Value(2.0, label="w")
        h = x.sqrt()  # <- first_symptom
        z = (h * w).tanh() * w + h.exp()
        with pytest.raises(AnomalyError) as info:
            z.backward()
    assert info.value.op == "sqrt" and names_this_line(str(info.value), "first_symptom")


def test_a_graph_built_outside_is_checked_in_backward_without_lines() -> None:
    x, w = Value(1e200, label="x"), Value(1.0, label="w")
    y = x * x  # inf, made outside anomaly mode
    z = y * w  # its rule sends w the gradient y.data * 1 = inf
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        z.backward()
    text = str(info.value)
    assert info.value.site is None and "made outside detect_anomaly(): no line recorded" in text
    assert "already hold inf or nan: build the graph inside detect_anomaly()" in text


# ---------------------------------------------------------------------- grad(): the twin rules

def g_value_sqrt() -> Tuple[Any, Any]:
    x = Value(0.0, label="x")
    return x.sqrt() * 2.0, x  # <- g_value_sqrt


def g_value_pow_exponent() -> Tuple[Any, Any]:
    a, b = Value(-2.0), Value(2.0, label="b")
    return a ** b, b  # <- g_value_pow_exponent


def g_value_mul() -> Tuple[Any, Any]:
    a, b, c = Value(1e-300, label="a"), Value(1e200), Value(1e200)
    m = a * b  # <- g_value_mul
    return m * c, a


def g_tensor_sqrt() -> Tuple[Any, Any]:
    x = T([1.0, 0.0])
    return x.sqrt().sum(), x  # <- g_tensor_sqrt


def g_tensor_matmul() -> Tuple[Any, Any]:
    A, B = T([[1e-200, 0.0]]), T([[1e200], [0.0]])
    m = A @ B  # <- g_tensor_matmul
    return (m * 1e300).sum(), A


GRAD = [(g_value_sqrt, "sqrt"), (g_value_pow_exponent, "**"), (g_value_mul, "*"), (g_tensor_sqrt, "sqrt"),
        (g_tensor_matmul, "matmul")]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("build, op", GRAD, ids=[f.__name__ for f, _ in GRAD])
def test_grad_checks_every_twin_part_the_same_way(build: Callable[[], Any], op: str, create_graph: bool) -> None:
    with np.errstate(all="ignore"):
        root, x = build()
        (g,) = grad(root, x)
        assert not np.all(np.isfinite(g.data))  # outside: IEEE
        with detect_anomaly():
            root, x = build()
            with pytest.raises(AnomalyError) as info:
                grad(root, x, create_graph=create_graph)
    err = info.value
    assert err.op == op and err.phase == "backward" and f"(its twin, in grad()) of op {op!r}" in str(err), str(err)
    assert names_this_line(str(err), build.__name__), str(err)
    assert is_grad_enabled() and not is_anomaly_enabled()


def test_second_order_under_anomaly_records_the_lines_of_grads_call() -> None:
    with detect_anomaly():
        x = Value(2.0, label="x")
        y = x ** 3
        (dy,) = grad(y, x, create_graph=True)  # <- grad_call
        (d2y,) = grad(dy, x)
        assert site_of(dy) is not None and site_of(dy).line == line_of("grad_call")
        assert d2y.data == 12.0
        assert hvp(lambda v: v ** 3, 2.0, 1.0) == 12.0  # hvp keeps anomaly mode and works


# ---------------------------------------------------------------------- finite programs: nothing changes

from hypothesis import given, settings  # noqa: E402
from strategies import programs, run_program, run_tensor_program, tensor_programs  # noqa: E402


@settings(max_examples=60)
@given(programs(max_ops=25))
def test_on_a_finite_program_anomaly_mode_gives_the_same_numbers_value(program) -> None:
    """Random programs of every Value op: the same result and gradients, bit for bit, and
    grad()'s too, inside detect_anomaly() as outside (and the nodes recorded have their site)."""
    leaves, steps = program

    def run(watched: bool):
        xs = [Value(v) for v in leaves]
        if watched:
            with detect_anomaly():
                out = run_program(xs, steps)
                out.backward()
                g = grad(run_program([Value(v) for v in leaves], steps), [x for x in xs], allow_unused=True)
        else:
            out = run_program(xs, steps)
            out.backward()
            g = grad(run_program([Value(v) for v in leaves], steps), [x for x in xs], allow_unused=True)
        return out, [x.grad for x in xs], [v.data for v in g]

    with np.errstate(all="ignore"):
        plain = run(False)
    if not (math.isfinite(plain[0].data) and all(map(math.isfinite, plain[1] + plain[2]))):
        return  # a program that overflows is the other tests' business
    watched = run(True)
    assert watched[0].data == plain[0].data and watched[1] == plain[1] and watched[2] == plain[2]
    site = site_of(watched[0])  # the program's last op, made in strategies.run_program: the caller's code
    assert site is not None and site.file == str(HERE.parent / "strategies.py") and site.function == "run_program"


@settings(max_examples=40)
@given(tensor_programs(max_ops=15))
def test_on_a_finite_program_anomaly_mode_gives_the_same_numbers_tensor(program) -> None:
    leaves, steps = program

    def run():
        xs = [Tensor(v, requires_grad=True) for v in leaves]
        out = run_tensor_program(xs, steps)
        out.backward()
        return float(out.data), [x.grad for x in xs]

    with np.errstate(all="ignore"):
        plain = run()
    if not (np.isfinite(plain[0]) and all(g is None or np.isfinite(g).all() for g in plain[1])):
        return
    with detect_anomaly():
        watched = run()
    assert watched[0] == plain[0]
    assert all((a is None and b is None) or np.array_equal(a, b) for a, b in zip(watched[1], plain[1]))


# ---------------------------------------------------------------------- on only where asked

def test_nothing_is_recorded_outside_the_block() -> None:
    before = len(anomaly_module._SITES)
    a = Value(2.0) * Value(3.0)
    t = T([1.0]) * 2.0
    assert site_of(a) is None and site_of(t) is None and len(anomaly_module._SITES) == before
    with detect_anomaly():
        b = Value(2.0) * Value(3.0)  # <- recorded
        leaf = Value(1.0)
        const = Value(1.0, requires_grad=False) * 2.0
    assert site_of(b) == Site(str(HERE), line_of("recorded"), "test_nothing_is_recorded_outside_the_block", "b = Value(2.0) * Value(3.0)  # <- recorded")
    assert site_of(leaf) is None and site_of(const) is None  # leaves and constants are not results in a graph
    assert len(anomaly_module._SITES) == before + 1
    del b
    assert len(anomaly_module._SITES) == before  # a site lives as long as its node


def test_outside_the_block_a_node_reads_the_mode_once_and_backward_never_checks(monkeypatch) -> None:
    """The cost stays what it was: one read of the one ContextVar per node made, and the
    usual backward loop (run_rule, the checked one, is never called)."""
    reads = []
    real = engine_module._mode.get

    def counting() -> Any:
        reads.append(1)
        return real()

    monkeypatch.setattr(engine_module, "_mode_now", counting)
    monkeypatch.setattr(tensor_module, "_mode_now", counting)

    def refuse(*args: Any) -> None:
        raise AssertionError("the checked loop ran outside detect_anomaly()")

    monkeypatch.setattr(anomaly_module.Anomaly, "run_rule", refuse)
    x = Value(0.5)
    y = (x * 2.0 + 1.0).tanh() * x  # 4 nodes
    assert len(reads) == 4
    y.backward()  # one read for the whole backward
    assert len(reads) == 5
    t = T([1.0, 2.0])
    ((t * 2.0).sum()).backward()
    assert len(reads) == 8


def test_the_block_composes_with_no_grad_either_way() -> None:
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled() and is_grad_enabled()
        with no_grad():
            assert is_anomaly_enabled() and not is_grad_enabled()
            y = Value(2.0) * Value(3.0)
            assert y._prev == () and site_of(y) is None  # no graph ...
            with pytest.raises(AnomalyError):
                Value(1e200) * Value(1e200)  # ... but results are still checked
        assert is_anomaly_enabled() and is_grad_enabled()
        assert (Value(2.0) * Value(3.0))._prev != ()
    with no_grad():
        with detect_anomaly():
            assert is_anomaly_enabled() and not is_grad_enabled()
            assert (Value(2.0) * Value(3.0))._prev == ()
        assert not is_anomaly_enabled() and not is_grad_enabled()
    assert not is_anomaly_enabled() and is_grad_enabled()


def test_the_block_is_local_to_its_thread() -> None:
    entered, checked = threading.Event(), threading.Event()
    seen: Dict[str, Any] = {}

    def other() -> None:
        entered.wait(5)
        seen["enabled"] = is_anomaly_enabled()
        seen["data"] = (Value(1e200) * Value(1e200)).data  # no error in this thread
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with detect_anomaly():
        entered.set()
        checked.wait(5)
        with pytest.raises(AnomalyError):
            Value(1e200) * Value(1e200)  # still on here
    thread.join(5)
    assert seen == {"enabled": False, "data": math.inf}

    def inside() -> None:
        with detect_anomaly():
            seen["inner"] = is_anomaly_enabled()

    thread = threading.Thread(target=inside)
    thread.start()
    thread.join(5)
    assert seen["inner"] and not is_anomaly_enabled()


def test_the_block_is_local_to_its_asyncio_task() -> None:
    async def watched(gate: asyncio.Event) -> str:
        with detect_anomaly():
            gate.set()
            await asyncio.sleep(0.01)
            try:
                Value(1e200) * Value(1e200)
            except AnomalyError:
                return "raised"
            return "silent"

    async def plain(gate: asyncio.Event) -> Tuple[bool, float]:
        await gate.wait()
        return is_anomaly_enabled(), (Value(1e200) * Value(1e200)).data

    async def main() -> Tuple[Any, Any]:
        gate = asyncio.Event()
        return await asyncio.gather(watched(gate), plain(gate))

    assert asyncio.run(main()) == ["raised", (False, math.inf)]
    assert not is_anomaly_enabled()


# ---------------------------------------------------------------------- in training

def test_fit_suggests_detect_anomaly_and_it_finds_the_op() -> None:
    import io

    X, y, _ = nn.house_prices()
    net = nn.TensorMLP(2, [5, 1], activation="sigmoid", seed=0)
    out = io.StringIO()
    with np.errstate(all="ignore"):
        history = nn.fit(net, nn.half_sse, (X, y), nn.SGD(net.parameters(), lr=0.5), epochs=3000,
                         log_every=0, progress=False, file=out)
    assert history.stopped is not None and history.stopped.startswith("non-finite loss")
    assert "detect_anomaly()" in out.getvalue()
    # The model holds the parameters the failing step started from: that step again, watched.
    with np.errstate(all="ignore"), detect_anomaly(), pytest.raises(AnomalyError) as info:
        nn.half_sse(net(Tensor(X)), y).backward()  # <- fit_step
    assert info.value.phase == "forward" and names_this_line(str(info.value), "fit_step")
    assert info.value.op in ("**", "*", "matmul", "+", "-", "sum")


def test_in_a_notebook_the_line_is_named_by_its_cell(tmp_path) -> None:
    # In a notebook every cell is compiled as a temporary file; the message names the cell
    # as IPython's tracebacks do ("Cell In[2], line 3"), not the temporary file.
    pytest.importorskip("IPython")
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent('''
        from IPython.core.interactiveshell import InteractiveShell
        shell = InteractiveShell.instance()
        shell.run_cell("from autograd_lite import Value, detect_anomaly", store_history=True)
        result = shell.run_cell("x = Value(1e200, label='x')\\nwith detect_anomaly():\\n    y = x * x", store_history=True)
        error = result.error_in_exec
        print("SITE", error.site.cell, error.site.line, error.site.source)
        print(error)
    ''')
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "SITE Cell In[2] 3 y = x * x" in run.stdout
    assert "made at Cell In[2], line 3\n    y = x * x" in run.stdout
