"""Our engines against their anchors, side by side in one process.

The scalar ``Value`` against micrograd 0.1.0 (W2, W1, D), and the ``Tensor`` engine
against backprop written by hand in numpy and against PyTorch CPU (W3, W4; their code
and details are in ``benchmarks/tensor_bench.py``).

    pip install torch==2.13.0          # first: the exact pin is the local CPU build
    pip install -e ".[bench]"          # micrograd 0.1.0, scikit-learn, torchviz
    python benchmarks/run.py           # full run (a few minutes)
    python benchmarks/run.py --only W3 # one workload: W1, W2, D, W3 or W4
    python benchmarks/run.py --quick   # small sizes, seconds (what the smoke test runs);
                                       # works without torch, micrograd and scikit-learn

Workloads (float64, in a lecture's process: numpy and scikit-learn are imported, so
the garbage collector has the same long-lived objects to walk that a notebook has):

W2  raw engine, default collector: graphs of N nodes made of short chains of blocks
    ``a = a*b + c`` with ``tanh`` every 4 blocks, joined by a balanced sum tree (so that
    micrograd's recursive sort stays under Python's recursion limit). Build ns/node,
    backward ns/node, bytes/node while the graph is alive (tracemalloc, separate run).
W1  micrograd's demo training step: make_moons(100, noise=0.1, random_state=1), labels
    in {-1, 1}, MLP(2, [16, 16, 1]), SVM loss mean(relu(1 - y*score)) + 1e-4 * sum(p*p),
    SGD with lr = 1.0 - 0.9*k/100. Median step of 20 after 2 warm-ups, with the default
    collector and (ours) inside ``gc_paused()``; RSS at steps 10 and 100 of a paused run.
    Both engines start from the same weights and get the inputs as Values that require
    grad (as micrograd's demo does), so they do the same work; their losses are compared.
W1n the same step rebuilt on ``nn``: ``nn.MLP(2, [16, 16, 1], activation="relu")``,
    ``nn.hinge`` + ``nn.l2``, ``nn.SGD`` with ``nn.LinearLR`` (1.0 - 0.9 k/100), against the
    hand-built MLP of W1 on the same ``Value`` engine from the same weights, steps taking
    turns, both inside ``gc_paused()``. Ratio: nn time / hand-built time (the cost of the
    library's layers; target at most 1.2).
D   depth: a chain x = x*1.0001 + 0.0 of 1,000,000 steps, backpropagated.

Ratios for W1, W2: micrograd time / our time: above 1 means we are faster.

Tensor workloads (float64; numpy's BLAS and torch limited to one thread, set below
before numpy is imported and checked with threadpoolctl; the engines start from the
same weights, see the same batches, and their losses and gradients are compared):

W3  the lecture's digits MLP: load_digits / 16, seeded 90/10 split, 64-50-10 ReLU with no
    biases, softmax, batch 100, SGD; (a) sum of squared error of softmax vs one-hot,
    (b) cross-entropy via log_softmax. Median step (forward + backward + update) of 200
    after 20 warm-ups, engines taking turns step by step; ours also in gc_paused().
    Test accuracy after 20 epochs. Without scikit-learn: synthetic digits-shaped data.
W4  house prices (lesson 3): 10 rows standardised, 2-5-1 sigmoid hidden, linear output,
    summed squared error, full-batch SGD lr 0.01, 10,000 epochs; the whole loop timed.

Ratios for W3, W4: engine time / numpy time ("x numpy": the floor is 1.00x), and
torch time / our time (above 1 means we are faster than torch). Where our step's time
goes, line by line: ``python benchmarks/tensor_profile.py``.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Optional, Tuple

# One BLAS thread, for W3/W4's side-by-side ratios: must be set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy  # noqa: E402, F401  (a lecture's process has numpy loaded)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd_lite import Value, gc_paused  # noqa: E402

try:  # the anchor
    from micrograd.engine import Value as MgValue
    from micrograd.nn import MLP as MgMLP
except ImportError:  # pragma: no cover - the smoke test runs without it
    MgValue = MgMLP = None
else:
    if not hasattr(MgValue, "tanh"):
        # micrograd 0.1.0 on PyPI has relu only; its lecture version ("building micrograd")
        # adds tanh as below: a closure per node, like every other micrograd op.
        def _mg_tanh(self: Any) -> Any:
            import math

            t = math.tanh(self.data)
            out = MgValue(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        MgValue.tanh = _mg_tanh

try:
    import sklearn.datasets  # noqa: F401  (and a lecture's process has scikit-learn too)
    from sklearn.datasets import make_moons
except ImportError:  # pragma: no cover
    make_moons = None


# ----------------------------------------------------------------------------- W2

CHAIN_BLOCKS = 16  # blocks per chain: depth stays ~70 nodes, far from any recursion limit


def graph_numbers(count: int, seed: int) -> List[float]:
    """The leaf values of a W2 graph, drawn before timing so both engines build from the
    same list and the timer sees the engine, not the random number generator."""
    rng = random.Random(seed)
    return [rng.uniform(0.5, 1.0) for _ in range(count)]


def build_graph(V: Callable[[float], Any], numbers: List[float]) -> Any:
    """Chains of a = a*b + c (tanh every 4 blocks), then a balanced pairwise sum of the
    chain ends. A chain uses 1 + 2 * CHAIN_BLOCKS numbers and makes
    1 + 4 * CHAIN_BLOCKS + CHAIN_BLOCKS // 4 nodes, so len(numbers) ~ 0.5 * nodes."""
    it = iter(numbers)
    ends = []
    for _ in range(len(numbers) // (1 + 2 * CHAIN_BLOCKS)):
        a = V(next(it))
        for k in range(CHAIN_BLOCKS):
            a = a * V(next(it)) + V(next(it))
            if k % 4 == 3:
                a = a.tanh()
        ends.append(a)
    while len(ends) > 1:  # pairwise: depth log2(chains)
        ends = [ends[i] + ends[i + 1] if i + 1 < len(ends) else ends[i] for i in range(0, len(ends), 2)]
    return ends[0]


def count_nodes(root: Any) -> int:
    """Nodes in a graph of either engine. Not graph.topological_order: micrograd keeps
    its inputs in a set, which that walk (reversing an argument-ordered tuple) rejects."""
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def w2(V: Callable[[float], Any], n_nodes: int, repeats: int) -> Dict[str, float]:
    builds, backs = [], []
    nodes = 0
    for r in range(repeats):
        numbers = graph_numbers(n_nodes // 2, seed=r)
        gc.collect()
        t0 = time.perf_counter()
        root = build_graph(V, numbers)
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        nodes = count_nodes(root)
        builds.append((t1 - t0) / nodes * 1e9)
        backs.append((t2 - t1) / nodes * 1e9)
        del root
    gc.collect()
    numbers = graph_numbers(n_nodes // 2, seed=0)
    tracemalloc.start()
    root = build_graph(V, numbers)
    bytes_alive = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del root
    gc.collect()
    return {
        "nodes": nodes,
        "build": statistics.median(builds),
        "backward": statistics.median(backs),
        "bytes": bytes_alive / nodes,
    }


# ----------------------------------------------------------------------------- W1


class Neuron:
    """micrograd's Neuron, on our Value: relu(w . x + b), or linear."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin

    def __call__(self, x: List[Any]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> List[Value]:
        return self.w + [self.b]


class MLP:
    """micrograd's MLP(nin, nouts) on our Value (until the nn package lands)."""

    def __init__(self, nin: int, nouts: List[int]) -> None:
        sizes = [nin] + nouts
        self.layers = [
            [Neuron(sizes[i], nonlin=i != len(nouts) - 1) for _ in range(sizes[i + 1])] for i in range(len(nouts))
        ]

    def __call__(self, x: List[Any]) -> Any:
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> List[Value]:
        return [p for layer in self.layers for n in layer for p in n.parameters()]


def demo_step(model: Any, X: Any, y: Any, V: Callable[[float], Any], k: int) -> float:
    """One step of micrograd's demo.ipynb: forward all samples, SVM loss, backward, SGD."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def w1_nn(steps: int) -> Tuple[float, float, float]:
    """Median step of W1 on nn and on the hand-built MLP (same weights, turns taken), and
    the largest gap between their losses."""
    import nn  # the library's layers, losses and optimizer

    X, y = moons()
    model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337)
    hand = MLP(2, [16, 16, 1])
    for layer, neurons in zip(model.layers, hand.layers):  # the same numbers in both
        for n, h in zip(layer.neurons, neurons):
            for w, hw in zip(n.weight, h.w):
                hw.data = w.data
            h.b.data = n.bias.data  # type: ignore[union-attr]
    opt = nn.SGD(model.parameters(), lr=1.0)
    schedule = nn.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)

    def nn_step() -> float:
        inputs = [list(map(Value, row)) for row in X]  # as the demo: inputs are Values
        scores = [model(x)[0] for x in inputs]
        total = nn.hinge(scores, y) + nn.l2(model.parameters(), alpha=1e-4)
        opt.zero_grad()
        total.backward()
        opt.step()
        schedule.step()
        return total.data

    t_nn, t_hand, gap = [], [], 0.0
    gc.collect()
    for k in range(steps + 2):
        with gc_paused():
            t0 = time.perf_counter()
            a = nn_step()
            t1 = time.perf_counter()
            b = demo_step(hand, X, y, Value, k)
            t2 = time.perf_counter()
        t_nn.append(t1 - t0)
        t_hand.append(t2 - t1)
        gap = max(gap, abs(a - b))
    return statistics.median(t_nn[2:]), statistics.median(t_hand[2:]), gap


def moons() -> Any:
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (y * 2 - 1).astype(float).tolist()


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def w1(make_model: Callable[[], Any], V: Callable[[float], Any], steps: int, paused: bool) -> Tuple[float, List[float]]:
    """Median step time, and the loss of every step (to check both engines agree)."""
    random.seed(1337)  # micrograd's and our MLP draw their weights in the same order
    model = make_model()
    X, y = moons()
    times, losses = [], []
    gc.collect()  # once: collections during the run are part of what a training loop pays
    for k in range(steps + 2):
        t0 = time.perf_counter()
        if paused:
            with gc_paused():
                losses.append(demo_step(model, X, y, V, k))
        else:
            losses.append(demo_step(model, X, y, V, k))
        times.append(time.perf_counter() - t0)
    return statistics.median(times[2:]), losses


def w1_memory(steps: int) -> Dict[int, float]:
    """RSS after steps 10 and ``steps`` of the demo inside gc_paused(), measured in a
    fresh interpreter: this process's RSS still holds the arenas of earlier workloads."""
    command = [sys.executable, os.path.abspath(__file__), "--rss-probe", str(steps)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {int(k): float(v) for k, v in (item.split(":") for item in out.split())}


def _w1_memory_here(steps: int) -> str:
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    X, y = moons()
    rss = {}
    for k in range(1, steps + 1):
        with gc_paused():
            demo_step(model, X, y, Value, k - 1)
        if k in (10, steps):
            rss[k] = rss_mib()
    return " ".join(f"{k}:{v:.1f}" for k, v in rss.items())


# ----------------------------------------------------------------------------- D


def chain(V: Callable[[float], Any], n: int) -> Optional[float]:
    x = V(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.0
    t0 = time.perf_counter()
    try:
        x.backward()
    except RecursionError:
        return None
    return time.perf_counter() - t0


def micrograd_depth_limit() -> int:
    lo, hi = 1, 5000  # deepest chain micrograd backpropagates, by bisection
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if chain(MgValue, mid) is not None:
            lo = mid
        else:
            hi = mid - 1
    return lo


# ----------------------------------------------------------------------------- main


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--only", choices=["W1", "W2", "D", "W3", "W4"], help="run one workload")
    parser.add_argument("--sizes", type=int, nargs="+", help="W2 graph sizes (default 1e4 1e5 1e6)")
    parser.add_argument("--rss-probe", type=int, help=argparse.SUPPRESS)  # used by w1_memory
    args = parser.parse_args(argv)
    if args.rss_probe:
        print(_w1_memory_here(args.rss_probe))
        return 0
    run_all = args.only is None
    have_mg = MgValue is not None
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000, 1_000_000])
    steps = 3 if args.quick else 20

    print(f"python {sys.version.split()[0]}, micrograd {'0.1.0' if have_mg else 'not installed'}")
    if run_all or args.only == "W2":
        w2_table(sizes, args.quick, have_mg)
    if run_all or args.only == "W1":
        w1_table(steps, args.quick, have_mg)
    if run_all or args.only == "D":
        depth_table(args.quick, have_mg)
    if run_all or args.only in ("W3", "W4"):
        # Imported here, after W1/W2: torch's many long-lived objects would give the
        # collector more to walk in the scalar workloads than a lecture's process has.
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import tensor_bench  # benchmarks/tensor_bench.py, beside this file

        torch_version = tensor_bench.torch.__version__ if tensor_bench.torch is not None else "not installed"
        print(f"\n{tensor_bench.limit_threads()}; torch {torch_version}")
    if run_all or args.only == "W3":
        tensor_bench.w3_table(args.quick)
    if run_all or args.only == "W4":
        tensor_bench.w4_table(args.quick)
    return 0


def w2_table(sizes: List[int], quick: bool, have_mg: bool) -> None:
    print("\nW2  build + backward of N-node graphs, default collector (ns/node, bytes/node)")
    print(f"{'N':>9} {'engine':>10} {'build':>8} {'backward':>9} {'total':>8} {'bytes':>7} {'speedup':>8}")
    for n in sizes:
        repeats = 1 if n >= 1_000_000 or quick else 3
        ours = w2(Value, n, repeats)
        rows = [("ours", ours)]
        if have_mg:
            rows.append(("micrograd", w2(MgValue, n, repeats)))
        for name, r in rows:
            total = r["build"] + r["backward"]
            speed = (rows[-1][1]["build"] + rows[-1][1]["backward"]) / total if have_mg else float("nan")
            print(
                f"{r['nodes']:>9} {name:>10} {r['build']:>8.0f} {r['backward']:>9.0f} {total:>8.0f} "
                f"{r['bytes']:>7.0f} {speed:>7.2f}x"
            )



def w1_table(steps: int, quick: bool, have_mg: bool) -> None:
    if make_moons is not None:
        print(f"\nW1  micrograd demo step (moons, MLP(2, [16, 16, 1])), median of {steps} (ms)")
        ours_default, ours_losses = w1(lambda: MLP(2, [16, 16, 1]), Value, steps, paused=False)
        ours_paused, _ = w1(lambda: MLP(2, [16, 16, 1]), Value, steps, paused=True)
        print(f"  ours, default collector   {ours_default * 1e3:8.1f}")
        print(f"  ours, gc_paused()         {ours_paused * 1e3:8.1f}")
        if have_mg:
            mg, mg_losses = w1(lambda: MgMLP(2, [16, 16, 1]), MgValue, steps, paused=False)
            gap = max(abs(a - b) for a, b in zip(ours_losses, mg_losses))
            print(f"  same weights, same losses: largest gap over {len(mg_losses)} steps {gap:.1e}")
            print(f"  micrograd, default        {mg * 1e3:8.1f}")
            print(f"  speedup, default collector  {mg / ours_default:6.2f}x")
            print(f"  speedup, gc_paused()        {mg / ours_paused:6.2f}x")
        t_nn, t_hand, gap = w1_nn(steps)
        print("\nW1n the W1 step on nn (MLP, hinge + l2, SGD + LinearLR) vs hand-built, gc_paused(), ms")
        print(f"  same weights, same losses: largest gap over {steps + 2} steps {gap:.1e}")
        print(f"  hand-built MLP            {t_hand * 1e3:8.1f}")
        print(f"  nn                        {t_nn * 1e3:8.1f}")
        print(f"  nn / hand-built             {t_nn / t_hand:6.2f}x")
        mem_steps = 12 if quick else 100
        rss = w1_memory(mem_steps)
        print(f"  ours, gc_paused(): RSS at step 10 {rss[10]:.1f} MiB, at step {mem_steps} {rss[mem_steps]:.1f} MiB")
    else:
        print("\nW1  skipped: scikit-learn is not installed (pip install -e '.[bench]')")



def depth_table(quick: bool, have_mg: bool) -> None:
    n_chain = 20_000 if quick else 1_000_000
    print(f"\nD   chain x = x*1.0001 + 0.0 of {n_chain:,} steps")
    t = chain(Value, n_chain)
    print(f"  ours: backward {'RecursionError' if t is None else f'{t:.2f} s'}")
    if have_mg:
        print(f"  micrograd: deepest chain that backpropagates: {micrograd_depth_limit()} steps")


if __name__ == "__main__":
    sys.exit(main())
