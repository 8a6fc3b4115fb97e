"""Graph semantics: fan-out, diamonds, backward twice, requires_grad, no_grad, detach,
deep chains, and graphs freed by reference counting alone."""

import gc
import math
import threading
import weakref

import pytest

from autograd_lite import Tensor, Value, gc_paused, is_grad_enabled, no_grad, zero_grad
from autograd_lite.graph import topological_order


def test_fan_out_accumulates() -> None:
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0


def test_diamond() -> None:
    # y = (x*2) * (x+1): dy/dx = 2(x+1) + 2x = 4x + 2
    x = Value(1.5)
    left, right = x * 2.0, x + 1.0
    y = left * right
    y.backward()
    assert x.grad == 4 * 1.5 + 2
    assert left.grad == right.data and right.grad == left.data


def test_topological_order_is_deterministic_and_matches_recursive_dfs() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    z = (x * y + x).tanh() * (y + 1.0)

    def recursive(v, seen, out):
        if v not in seen:
            seen.add(v)
            for p in v._prev:
                recursive(p, seen, out)
            out.append(v)
        return out

    order = topological_order(z)
    assert order == recursive(z, set(), [])
    assert order[-1] is z and order[0] is x
    assert [n._op for n in order] == [n._op for n in topological_order(z)]
    # every node after all of its inputs
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n._prev)


def test_prev_is_a_tuple_in_argument_order() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a - b)._prev[0] is a  # a + (-b)
    assert (b * a)._prev == (b, a)
    assert isinstance((a + b)._prev, tuple)


# -- backward twice, zero_grad, accumulate ------------------------------------------------


def test_backward_twice_raises_with_the_fix_in_the_message() -> None:
    w = Value(0.5, label="w")
    h = w * 3.0
    loss = h.tanh()
    loss.backward()
    before = [(n, n.grad) for n in topological_order(loss)]
    with pytest.raises(RuntimeError, match=r"leaf 'w' already holds grad .* accumulate=True"):
        loss.backward()
    assert all(n.grad == g for n, g in before)  # the failed call changed no grad at all
    assert h.grad != 0.0


def test_backward_twice_with_accumulate_doubles_exactly(torch) -> None:
    w = Value(0.5)
    h = (w * 3.0).tanh()
    loss = h * h
    loss.backward()
    once, h_once = w.grad, h.grad
    loss.backward(accumulate=True)
    assert w.grad == 2 * once
    assert h.grad == h_once  # interior grads restart from zero on every pass
    t = torch.tensor(0.5, requires_grad=True)
    tl = (t * 3.0).tanh() ** 2
    tl.backward(retain_graph=True)
    tl.backward()
    assert w.grad == pytest.approx(t.grad.item(), rel=1e-12)


def test_zero_grad_then_backward_again_gives_the_same_gradient() -> None:
    w = Value(0.5)
    loss = (w * w).exp()
    loss.backward()
    first = w.grad
    zero_grad([w])
    assert w.grad == 0.0
    loss.backward()
    assert w.grad == first


def test_two_losses_sharing_a_subgraph_match_pytorch(torch) -> None:
    """Interior grads are scratch: the second pass must not reuse the first one's."""
    w = Value(0.3)
    h = (w * 2.0).tanh()
    l1, l2 = h * 2.0, h * 3.0
    l1.backward()
    l2.backward(accumulate=True)
    tw = torch.tensor(0.3, requires_grad=True)
    th = (tw * 2.0).tanh()
    (th * 2.0).backward(retain_graph=True)
    (th * 3.0).backward()
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-12)


def test_backward_seed() -> None:
    x = Value(2.0)
    (x * x).backward(grad=0.5)
    assert x.grad == 2.0


# -- requires_grad, constants, no_grad, detach ----------------------------------------------


def test_constants_get_no_gradient() -> None:
    x = Value(2.0, requires_grad=False)
    w = Value(3.0)
    (w * x + 1.0).backward()
    assert w.grad == 2.0
    assert x.grad == 0.0


def test_ops_on_constants_record_no_graph() -> None:
    x = Value(2.0, requires_grad=False)
    y = x * 3.0 + x.exp()
    assert not y.requires_grad and y._prev == () and y._op == ""
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_records_nothing_and_restores() -> None:
    w = Value(1.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = w * 2.0 + 1.0
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.data == 3.0 and y._prev == () and not y.requires_grad
    z = w * 2.0
    assert z._prev[0] is w


def test_no_grad_works_as_a_decorator() -> None:
    @no_grad()
    def evaluate(w: Value) -> Value:
        return w * 2.0

    w = Value(1.0)
    assert evaluate(w)._prev == ()
    assert (w * 2.0)._prev[0] is w and is_grad_enabled()


@pytest.mark.parametrize("make", [lambda: Value(1.0), lambda: Tensor([1.0, 2.0], requires_grad=True)], ids=["Value", "Tensor"])
def test_no_grad_is_per_thread(make) -> None:
    """Grad mode is one ContextVar shared by both engines: off in this thread only."""
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def worker() -> None:
        inside.wait(5)
        seen["enabled"] = is_grad_enabled()
        seen["recorded"] = bool((make() * 2.0)._prev)
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    with no_grad():
        inside.set()
        done.wait(5)
        assert not is_grad_enabled()
        assert (make() * 2.0)._prev == ()  # still off here while the other thread records
    thread.join(5)
    assert seen == {"enabled": True, "recorded": True}


def test_detach_cuts_the_graph() -> None:
    w = Value(2.0, label="w")
    h = w * w
    d = h.detach()
    assert d.data == 4.0 and not d.requires_grad and d._prev == ()
    y = d * w
    y.backward()
    assert w.grad == 4.0  # d is a constant: only the direct path counts


# -- depth and memory ---------------------------------------------------------------------


def test_million_node_chain() -> None:
    # No recursion anywhere: a chain far deeper than Python's recursion limit works.
    # (How long it takes is measured in benchmarks/run.py, workload D, not asserted here.)
    x = leaf = Value(1.0)
    for _ in range(1_000_000):
        x = x * 1.0000001
    x.backward()
    assert leaf.grad == pytest.approx(1.0000001**999_999 * 1.0000001, rel=1e-9)


def test_dropped_graph_is_freed_without_the_cyclic_collector() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        w = Value(0.5)
        h = (w * 2.0).tanh()
        loss = h * h + w.exp()
        loss.backward()
        refs = [weakref.ref(n) for n in topological_order(loss) if n is not w]
        del h, loss
        assert all(r() is None for r in refs), "a node outlived its graph: a reference cycle?"
        assert w.grad != 0.0  # the leaf we kept is intact
    finally:
        if was:
            gc.enable()


def test_gc_paused_restores_previous_state() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with gc_paused():
            raise KeyError("boom")
    assert gc.isenabled()


def test_backward_restores_the_collector() -> None:
    assert gc.isenabled()
    (Value(1.0) * 2.0).backward()
    assert gc.isenabled()


def test_node_is_small() -> None:
    import sys

    v = Value(1.0) * 2.0
    assert not hasattr(v, "__dict__")
    assert sys.getsizeof(v) <= 104  # 8 slots + object header
    assert v._rule is (Value(3.0) * 4.0)._rule  # one shared rule per op, no closures


def test_repr_and_label() -> None:
    v = Value(0.5, label="w")
    assert repr(v) == "Value(data=0.5, grad=0.0, label='w')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)" and repr(Value(1e-7)) == "Value(data=1e-07, grad=0.0)"
    assert math.isclose((v * 2.0).data, 1.0)


def test_sum_of_a_list_of_values() -> None:
    xs = [Value(float(i)) for i in range(1, 5)]
    total = sum(xs)
    total.backward()
    assert total.data == 10.0
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0, 1.0]
    weighted = sum((x * x for x in xs), Value(0.0))
    zero_grad(xs)
    weighted.backward()
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0, 8.0]


def test_training_steps_with_the_collector_paused_do_not_grow_memory() -> None:
    """Each step's graph must be freed by reference counting alone: with the cyclic
    collector off, memory after 30 steps equals memory after 5 (micrograd's closures
    would keep every step's graph alive here)."""
    import random
    import tracemalloc

    rng = random.Random(0)
    params = [Value(rng.uniform(-1, 1)) for _ in range(12)]
    data = [([rng.uniform(-1, 1) for _ in range(3)], rng.choice([-1.0, 1.0])) for _ in range(20)]

    def step() -> float:
        loss = Value(0.0)
        for x, y in data:
            hidden = [sum((w * xi for w, xi in zip(params[3 * j : 3 * j + 3], x)), Value(0.0)).tanh()
                      for j in range(3)]
            score = sum((w * h for w, h in zip(params[9:], hidden)), Value(0.0))
            loss = loss + (1.0 - y * score).relu()
        zero_grad(params)
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        return loss.data

    tracemalloc.start()
    try:
        with gc_paused():
            for _ in range(5):
                step()
            after_5 = tracemalloc.get_traced_memory()[0]
            losses = [step() for _ in range(25)]
            after_30 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert losses[-1] < losses[0]  # it is really training
    assert after_30 - after_5 < 20_000, f"memory grew by {after_30 - after_5} bytes over 25 steps"
