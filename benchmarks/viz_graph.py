"""Drawing graphs: viz.draw_graph against torchviz's make_dot, side by side.

    pip install torch==2.13.0 && pip install -e ".[test,bench]"   # pygraphviz, torchviz 0.0.3
    python benchmarks/viz_graph.py          # full run (seconds)
    python benchmarks/viz_graph.py --quick  # 1 repeat each (what the smoke test runs)

Workloads, each built from scalars the same way in both libraries:

neuron     o = tanh(x1*w1 + x2*w2 + b) with the textbook numbers
mlp        a 2-4-4-1 MLP (tanh hidden layers, linear output) on one sample, squared error
largest    a 2-h-h-1 MLP, h the largest width whose graph fits under viz's default guard
tensor     the digits network 64-50-10 (ReLU) on Tensor, a batch of 100, cross-entropy;
           torchviz gets the same torch.nn.Sequential
collapsed  nn.MLP(2, [16, 16, 1]) on one sample, drawn with draw_model(collapse=True)
           (one node per layer); torchviz gets torch.nn.Sequential of the same shape

For each: *draw* (graph object with its DOT source), and *render* that DOT to SVG through
the system ``dot`` (a subprocess) and through pygraphviz (in-process), median of repeats.
torchviz draws what PyTorch records (backward-function nodes, AccumulateGrad, parameter
boxes; no values, no gradients), so the two pictures differ in content: the node counts
are printed. Ratios are our time / torchviz time: below 1 means we are faster.

Then the cost of module clusters to training: nn records which module made which node
only inside ``nn.record_calls()``; outside, each neuron call tests an empty list. The
micrograd demo step (MLP 2-16-16-1, 100 samples, forward + backward) is timed four
ways in turns: as shipped (recording off), with that test removed (a copy of
``Neuron._forward`` without it: the engine as if clusters did not exist), with
recording on, and with recording on in another thread (a record is per thread: this
thread's calls pay one ContextVar lookup and are not recorded).

Lecture drawings, this checkout against another (``--compare DIR``, e.g. a worktree of
main): the tour's neuron (draw, render to SVG), the tour's collapsed MLP, and the
backward frames of the neuron (make them all, render them all to SVG, and save them with
the stepper and the GIF). Both checkouts run the same code in fresh interpreters, in
turns, round after round; medians and ratios (this / other) are printed::

    python benchmarks/viz_graph.py --lecture                     # this checkout only
    python benchmarks/viz_graph.py --compare /tmp/base --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import nn  # noqa: E402
import nn.scalar  # noqa: E402
from autograd_lite import Tensor, Value, gc_paused  # noqa: E402
from autograd_lite.graph import topological_order  # noqa: E402
from viz import DEFAULT_MAX_NODES, available_renderers, draw_graph, draw_model, render_dot  # noqa: E402

try:
    import torch
    from torchviz import make_dot
except ImportError as e:  # pragma: no cover - the smoke test may run without them
    torch = make_dot = None
    MISSING = str(e)


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------------- the graphs
# One builder per workload, generic over the scalar type: `leaf(x, name, grad)` makes a
# leaf, `tanh` applies tanh, so both libraries build the same expression from the same numbers.


def neuron(leaf: Callable[..., Any], tanh: Callable[[Any], Any]) -> Tuple[Any, Dict[str, Any]]:
    x1, x2 = leaf(2.0, "x1", False), leaf(0.0, "x2", False)
    w1, w2, b = leaf(-3.0, "w1", True), leaf(1.0, "w2", True), leaf(6.8813735870195432, "b", True)
    return tanh(x1 * w1 + x2 * w2 + b), {"w1": w1, "w2": w2, "b": b}


def mlp(sizes: List[int], leaf: Callable[..., Any], tanh: Callable[[Any], Any]) -> Tuple[Any, Dict[str, Any]]:
    """An MLP on one sample, written out with loops (the same expression in both libraries)."""
    rng = random.Random(0)
    params: Dict[str, Any] = {}
    act = [leaf(0.5, "x0", False), leaf(-1.0, "x1", False)]
    for layer, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        out = []
        for j in range(nout):
            s = params[f"l{layer}.n{j}.b"] = leaf(rng.uniform(-1, 1), f"l{layer}.n{j}.b", True)
            for i in range(nin):
                w = params[f"l{layer}.n{j}.w{i}"] = leaf(rng.uniform(-1, 1), f"l{layer}.n{j}.w{i}", True)
                s = s + w * act[i]
            out.append(tanh(s) if layer < len(sizes) - 2 else s)
        act = out
    return (act[0] - leaf(1.0, "y", False)) ** 2, params


def ours_leaf(x: float, name: str, grad: bool) -> Value:
    return Value(x, label=name, requires_grad=grad)


def torch_leaf(x: float, name: str, grad: bool) -> Any:
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


def largest_width() -> int:
    h = 1
    while len(topological_order(mlp([2, h + 1, h + 1, 1], ours_leaf, Value.tanh)[0])) <= DEFAULT_MAX_NODES:
        h += 1
    return h


# ---------------------------------------------------------------------- measuring


def time_ours(draw: Callable[[], Any], repeats: int) -> Tuple[Any, Dict[str, float]]:
    """Our graph, and the median times to draw it and to render it to SVG on each renderer."""
    graph = draw()
    ours = {"draw": median_time(draw, repeats)}
    for r in ("dot", "pygraphviz"):
        if r in available_renderers():
            ours[f"svg via {r}"] = median_time(lambda: render_dot(graph.source, "svg", r), repeats)
    return graph, ours


def time_torchviz(draw: Callable[[], Any], repeats: int) -> Tuple[Any, Dict[str, float]]:
    """torchviz's graph, and the median times to build its DOT and to render it to SVG."""
    dot = draw()
    theirs = {"draw": median_time(lambda: draw().source, repeats)}
    if "dot" in available_renderers():
        theirs["svg via dot"] = median_time(lambda: dot.pipe(format="svg"), repeats)
    if "pygraphviz" in available_renderers():
        theirs["svg via pygraphviz"] = median_time(lambda: render_dot(dot.source, "svg", "pygraphviz"), repeats)
    return dot, theirs


def measure(name: str, build: Callable[..., Tuple[Any, Dict[str, Any]]], repeats: int) -> List[Tuple[str, str, float, Optional[float]]]:
    rows: List[Tuple[str, str, float, Optional[float]]] = []
    root, _ = build(ours_leaf, Value.tanh)
    root.backward()
    graph, ours = time_ours(lambda: draw_graph(root), repeats)
    theirs: Dict[str, float] = {}
    count = f"{len(topological_order(root))} values"
    if make_dot is not None:
        troot, tparams = build(torch_leaf, torch.tanh)
        dot, theirs = time_torchviz(lambda: make_dot(troot, params=tparams), repeats)
        count += f", torchviz {dot.source.count('[label=')} nodes"
    for step, t in ours.items():
        rows.append((f"{name} ({count})", step, t, theirs.get(step)))
    return rows


def measure_models(repeats: int) -> List[Tuple[str, str, float, Optional[float]]]:
    """The Tensor digits network, and the collapsed scalar MLP, against torchviz on torch.nn."""
    rows: List[Tuple[str, str, float, Optional[float]]] = []
    X = np.random.default_rng(0).normal(size=(100, 64))
    y = np.arange(100) % 10
    tensor_model = nn.TensorMLP(64, [50, 10], activation="relu", seed=0)
    loss = nn.cross_entropy(tensor_model(Tensor.from_numpy(X)), y)
    params = dict(tensor_model.named_parameters())
    scalar_model = nn.MLP(2, [16, 16, 1], seed=0)
    cases = [
        ("tensor 64-50-10, batch 100", lambda: draw_graph(loss, params=params, grads="computed"), (64, 50, 10), "relu", X),
        ("collapsed: nn.MLP 2-16-16-1", lambda: draw_model(scalar_model, [0.5, -1.0], collapse=True), (2, 16, 16, 1), "tanh",
         np.array([[0.5, -1.0]])),
    ]
    for name, draw, sizes, act, data in cases:
        graph, ours = time_ours(draw, repeats)
        theirs: Dict[str, float] = {}
        count = f"{graph.info['nodes']} values"
        if make_dot is not None:
            layers: List[Any] = []
            for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
                layers.append(torch.nn.Linear(a, b).double())
                if k < len(sizes) - 2:
                    layers.append(torch.nn.ReLU() if act == "relu" else torch.nn.Tanh())
            tmodel = torch.nn.Sequential(*layers)
            tx = torch.tensor(data)

            def tdraw() -> Any:
                out = tmodel(tx)
                root = torch.nn.functional.cross_entropy(out, torch.tensor(y)) if act == "relu" else out.sum()
                return make_dot(root, params=dict(tmodel.named_parameters()))

            dot, theirs = time_torchviz(tdraw, repeats)
            count += f", torchviz {dot.source.count('[label=')} nodes"
        for step, t in ours.items():
            rows.append((f"{name} ({count})", step, t, theirs.get(step)))
    return rows


def _forward_without_record_check(self: Any, x: List[Value]) -> Value:
    # Neuron._forward as it would be with no module clusters at all (no `if _ACTIVE:`).
    products = [w * xi for w, xi in zip(self.weight, x)]
    act = sum(products, self.bias) if self.bias is not None else sum(products[1:], products[0])
    return self._act(act) if self._act is not None else act


def recording_overhead(rounds: int) -> Dict[str, float]:
    """Median seconds of the demo step (forward + backward over 100 samples) three ways."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    X, y = nn.moons(100, noise=0.1, seed=1)
    rows = X.tolist()

    def step() -> None:
        with gc_paused():
            loss = sum((out[0] - t) ** 2 for out, t in zip((model(r) for r in rows), y.tolist()))
            model.zero_grad()
            loss.backward()

    def recorded() -> None:
        with nn.record_calls():
            step()

    # Another thread holds a record open while this thread runs the step (started before
    # the clock starts): this thread's calls must not be recorded (one ContextVar lookup each).
    opened, done = threading.Event(), threading.Event()

    def other_thread() -> None:
        with nn.record_calls():
            opened.set()
            done.wait()

    shipped = nn.scalar.Neuron._forward
    names = ("recording off (as shipped)", "no record check (reference)", "recording on", "recording on in another thread")
    times: Dict[str, List[float]] = {name: [] for name in names}
    for _ in range(rounds):  # in turns, so drift on a shared machine hits all of them alike
        for name, fn in zip(names, (step, step, recorded, step)):
            holder = None
            if name.startswith("no record"):
                nn.scalar.Neuron._forward = _forward_without_record_check  # type: ignore[method-assign]
            elif name.endswith("another thread"):
                holder = threading.Thread(target=other_thread)
                holder.start()
                opened.wait()
            try:
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
            finally:
                nn.scalar.Neuron._forward = shipped  # type: ignore[method-assign]
                if holder is not None:
                    done.set()
                    holder.join()
                    opened.clear()
                    done.clear()
    return {k: statistics.median(v) for k, v in times.items()}


# ---------------------------------------------------------------------- lecture drawings

# Runs in a fresh interpreter with the checkout under test first on sys.path; only API that
# both the old and the new viz have (draw_graph, draw_model, backward_frames, save_frames).
LECTURE = r"""
import json, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
import nn, viz
from autograd_lite import Value
repeats = int(sys.argv[2])

def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    return o

def timed(fn):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times)

o = neuron(); o.backward()
X, y = nn.moons(100, noise=0.1, seed=0)
model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
out = {}
out["neuron: draw"] = timed(lambda: viz.draw_graph(o, edge_labels="flow"))
g = viz.draw_graph(o, edge_labels="flow")
out["neuron: render svg"] = timed(lambda: viz.render_dot(g.source, "svg"))
out["collapsed MLP: draw"] = timed(lambda: viz.draw_model(model, X[0], (2 * y - 1)[:1], nn.hinge, collapse=True))
m = viz.draw_model(model, X[0], (2 * y - 1)[:1], nn.hinge, collapse=True)
out["collapsed MLP: render svg"] = timed(lambda: viz.render_dot(m.source, "svg"))
out["neuron frames: make all 5"] = timed(lambda: viz.backward_frames(neuron()))
out["neuron frames: make + render all to svg"] = timed(lambda: [f.svg() for f in viz.backward_frames(neuron())])
with tempfile.TemporaryDirectory() as d:
    out["neuron frames: save svg + stepper"] = timed(lambda: viz.save_frames(viz.backward_frames(neuron()), d))
    out["neuron frames: save svg + stepper + gif"] = timed(lambda: viz.save_frames(viz.backward_frames(neuron()), d, gif=True))
print(json.dumps(out))
"""


def lecture_times(checkout: str, repeats: int) -> Dict[str, float]:
    """The lecture drawings' timings (best of ``repeats``) for ``checkout``, in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=checkout)
    run = subprocess.run([sys.executable, "-c", LECTURE, checkout, str(repeats)], capture_output=True, text=True,
                         env=env, cwd=checkout, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"lecture timings failed in {checkout}:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def lecture(compare: Optional[str], rounds: int, repeats: int) -> None:
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    runs: Dict[str, List[Dict[str, float]]] = {"this": [], "other": []}
    for _ in range(rounds):  # in turns: drift on a shared machine hits both alike
        runs["this"].append(lecture_times(here, repeats))
        if compare:
            runs["other"].append(lecture_times(compare, repeats))
    keys = list(runs["this"][0])
    head = f"{'lecture drawing':44} {'this ms':>9}"
    if compare:
        head += f" {'other ms':>9} {'this/other':>10}"
    print(head)
    for k in keys:
        mine = statistics.median(r[k] for r in runs["this"])
        line = f"{k:44} {mine * 1e3:9.2f}"
        if compare:
            theirs = statistics.median(r[k] for r in runs["other"])
            line += f" {theirs * 1e3:9.2f} {mine / theirs:10.2f}"
        print(line)
    if compare:
        print(f"(median of {rounds} rounds, best of {repeats} in each; other = {compare})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one repeat each (smoke test)")
    parser.add_argument("--lecture", action="store_true", help="only the lecture drawings, this checkout")
    parser.add_argument("--compare", metavar="DIR", help="only the lecture drawings, against the checkout in DIR")
    parser.add_argument("--rounds", type=int, default=5, help="rounds for --lecture/--compare (default 5)")
    args = parser.parse_args()
    if args.lecture or args.compare:
        lecture(args.compare, 1 if args.quick else args.rounds, 1 if args.quick else 5)
        return
    repeats = 1 if args.quick else 15
    h = largest_width()
    print(f"renderers: {available_renderers() or 'none'}; system dot: {shutil.which('dot')}")
    if make_dot is None:
        print(f"torchviz/torch missing ({MISSING}): ours only. pip install -e '.[test,bench]'")
    print(f"largest MLP under max_nodes={DEFAULT_MAX_NODES}: 2-{h}-{h}-1\n")
    print(f"{'workload':58} {'step':20} {'ours ms':>9} {'torchviz ms':>12} {'ratio':>6}")
    workloads = [
        ("neuron", neuron),
        ("mlp 2-4-4-1", lambda leaf, tanh: mlp([2, 4, 4, 1], leaf, tanh)),
        (f"largest: mlp 2-{h}-{h}-1", lambda leaf, tanh: mlp([2, h, h, 1], leaf, tanh)),
    ]
    rows = []
    for name, build in workloads:
        rows += measure(name, build, repeats if "largest" not in name else max(1, repeats // 3))
    rows += measure_models(repeats)
    for work, step, ours, theirs in rows:
        ratio = f"{ours / theirs:6.2f}" if theirs else "     -"
        their_ms = f"{theirs * 1e3:12.2f}" if theirs else f"{'-':>12}"
        print(f"{work:58} {step:20} {ours * 1e3:9.2f} {their_ms} {ratio}")
    overhead = recording_overhead(3 if args.quick else 15)
    base = overhead["no record check (reference)"]
    print("\nmodule clusters, cost to the demo step (MLP 2-16-16-1, 100 samples, forward + backward):")
    for name, t in overhead.items():
        print(f"  {name:32} {t * 1e3:8.2f} ms  {t / base:5.3f}x")
    print()
    lecture(None, 1, 1 if args.quick else 5)


if __name__ == "__main__":
    main()
