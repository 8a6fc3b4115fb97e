"""Second order: ``hvp`` (and ``hessian``) against PyTorch's, side by side in one process.

    python benchmarks/second_order.py            # H1, H2, G (about a minute)
    python benchmarks/second_order.py --quick    # fewer repeats (the smoke test)

float64, numpy's BLAS and torch on one thread (as run.py), engines taking turns call by
call so a busy machine slows them alike; medians. Every pair is checked to compute the
same numbers first, and the largest gap is printed.

H1  lesson 2's least squares: ``nn.least_squares_line(10, seed=1)``, the loss
    0.5 ||y - X b||^2 at the lesson's start b = (-8, -3.2). ``hvp(f, b, v)`` against
    ``torch.autograd.functional.hvp``; ``hessian(f, b)`` against
    ``torch.autograd.functional.hessian`` (= X^T X); L, the largest eigenvalue, by power
    iteration on hvp against numpy's ``eigvalsh(X^T X)``.
H2  the digits MLP of W3 (64-50-10 ReLU, no biases, a batch of 100): (a) the lecture's
    sum of squared error of softmax against one-hot, (b) cross-entropy. ``hvp`` with
    respect to both weight matrices along a random direction, against PyTorch's; and,
    for scale, one first-order ``backward()`` of each engine.
G   the design choice for ``grad(create_graph=False)``: it runs the graph-building twins
    with grad mode off. The reference it was measured against runs the fast first-order
    rules on scratch copies of the graph's nodes instead (``scratch_grad`` below, not part
    of the library), and ``backward()`` is the floor. On micrograd's demo graph (W1) and
    on the digits batch (W3b).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # before numpy loads its BLAS (run.py does the same)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse
import random
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import nn
import tensor_bench
from autograd_lite import Tensor, Value, gc_paused, grad, hessian, hvp
from autograd_lite.graph import topological_order

torch = tensor_bench.torch


def timed(fns: Dict[str, Callable[[], Any]], repeats: int) -> Dict[str, float]:
    """Median seconds per call of each function, the functions taking turns call by call."""
    times: Dict[str, List[float]] = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats + 2):
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate who goes first
            t0 = time.perf_counter()
            fns[name]()
            if r >= 2:  # two warm-ups
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def gap(a: Any, b: Any) -> float:
    """Largest difference relative to the largest magnitude."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


# ---------------------------------------------------------------------------- H1


def h1(repeats: int) -> None:
    X, y = nn.least_squares_line(10, seed=1)
    b0, v = np.array([-8.0, -3.2]), np.array([0.6, -0.8])
    Xt, yt = Tensor(X), Tensor(y)

    def f(b: Tensor) -> Tensor:
        return 0.5 * ((yt - Xt @ b) ** 2).sum()

    print("\nH1  lesson 2's least squares: 0.5 ||y - X b||^2, X (10, 2), at b = (-8, -3.2)")
    ours_hv, ours_H = hvp(f, b0, v), hessian(f, b0)
    L = _power_iteration(lambda u: hvp(f, b0, u), 2)
    print(f"  hessian == X^T X: gap {gap(ours_H, X.T @ X):.1e}; L by power iteration on hvp {L:.6f}, "
          f"eigvalsh(X^T X) {np.linalg.eigvalsh(X.T @ X)[-1]:.6f}, 2/L = {2 / L:.6f}")
    fns: Dict[str, Callable[[], Any]] = {"ours hvp": lambda: hvp(f, b0, v), "ours hessian": lambda: hessian(f, b0)}
    if torch is not None:
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def tf(b: Any) -> Any:
            return 0.5 * ((ty - tX @ b) ** 2).sum()

        tb, tv = torch.from_numpy(b0), torch.from_numpy(v)
        theirs_hv = torch.autograd.functional.hvp(tf, tb, tv)[1].numpy()
        theirs_H = torch.autograd.functional.hessian(tf, tb).numpy()
        print(f"  same numbers as torch: hvp gap {gap(ours_hv, theirs_hv):.1e}, hessian gap {gap(ours_H, theirs_H):.1e}")
        fns["torch hvp"] = lambda: torch.autograd.functional.hvp(tf, tb, tv)
        fns["torch hessian"] = lambda: torch.autograd.functional.hessian(tf, tb)
    _table(timed(fns, repeats), [("hvp", "ours hvp", "torch hvp"), ("hessian (2 x 2)", "ours hessian", "torch hessian")])


def _power_iteration(product: Callable[[np.ndarray], np.ndarray], n: int, steps: int = 100) -> float:
    u = np.ones(n) / np.sqrt(n)
    for _ in range(steps):
        w = product(u)
        u = w / np.linalg.norm(w)
    return float(u @ product(u))


def _table(t: Dict[str, float], rows: Sequence[Tuple[str, str, str]]) -> None:
    for what, ours, theirs in rows:
        line = f"  {what:<22} ours {t[ours] * 1e6:9.1f} us"
        if theirs in t:
            line += f"   torch {t[theirs] * 1e6:9.1f} us   torch / ours {t[theirs] / t[ours]:5.2f}x"
        print(line)


# ---------------------------------------------------------------------------- H2


def h2(repeats: int) -> None:
    X, labels, _, _, source = tensor_bench.digits(seed=0)
    x, Y = X[:100], tensor_bench.one_hot(labels[:100])
    W1, W2 = tensor_bench.init_weights([64, 50, 10], seed=1)
    rng = np.random.default_rng(2)
    V1, V2 = rng.standard_normal(W1.shape), rng.standard_normal(W2.shape)
    xt, Yt = Tensor.from_numpy(x), Tensor.from_numpy(Y)
    for loss in ("sse", "ce"):
        def f(A: Tensor, B: Tensor) -> Tensor:
            z = (xt @ A).relu() @ B  # (100, 64) @ (64, 50) -> (100, 50) @ (50, 10)
            return ((z.softmax(axis=1) - Yt) ** 2).sum() if loss == "sse" else -(Yt * z.log_softmax(axis=1)).sum() / 100

        ours_W = [Tensor(W1, requires_grad=True), Tensor(W2, requires_grad=True)]

        def ours_backward() -> None:
            for w in ours_W:
                w.grad = None
            f(*ours_W).backward()

        print(f"\nH2{'ab'[loss == 'ce']} digits MLP 64-50-10 ReLU, batch 100, {tensor_bench.W3_LOSS_NAMES[loss]}: "
              f"hvp with respect to W1 (64, 50) and W2 (50, 10)")
        print(f"  data: {source}")
        ours_hv = hvp(f, [W1, W2], [V1, V2])
        fns: Dict[str, Callable[[], Any]] = {"ours hvp": lambda: hvp(f, [W1, W2], [V1, V2]), "ours backward": ours_backward}
        if torch is not None:
            tx, tY = torch.from_numpy(x), torch.from_numpy(Y)

            def tf(A: Any, B: Any) -> Any:
                z = torch.relu(tx @ A) @ B
                return ((torch.softmax(z, dim=1) - tY) ** 2).sum() if loss == "sse" else -(tY * torch.log_softmax(z, dim=1)).sum() / 100

            tW = (torch.from_numpy(W1), torch.from_numpy(W2))
            tV = (torch.from_numpy(V1), torch.from_numpy(V2))
            theirs = torch.autograd.functional.hvp(tf, tW, tV)[1]
            print(f"  same numbers as torch: hvp gap {max(gap(o, t.numpy()) for o, t in zip(ours_hv, theirs)):.1e}")
            tWg = [torch.from_numpy(W1.copy()).requires_grad_(), torch.from_numpy(W2.copy()).requires_grad_()]

            def torch_backward() -> None:
                for w in tWg:
                    w.grad = None
                tf(*tWg).backward()

            fns["torch hvp"] = lambda: torch.autograd.functional.hvp(tf, tW, tV)
            fns["torch backward"] = torch_backward
        t = timed(fns, repeats)
        _table(t, [("hvp", "ours hvp", "torch hvp"), ("backward(), for scale", "ours backward", "torch backward")])
        print(f"  hvp / backward(): ours {t['ours hvp'] / t['ours backward']:.1f}x"
              + (f", torch {t['torch hvp'] / t['torch backward']:.1f}x" if "torch hvp" in t else ""))


# ---------------------------------------------------------------------------- G


def scratch_grad(output: Any, inputs: Sequence[Any]) -> Tuple[Any, ...]:
    """The alternative design for grad(create_graph=False), measured, not shipped: the
    fast rules run on scratch copies of the nodes on a path to an input, so every real
    .grad is left alone. Returns numbers/arrays."""
    order = topological_order(output)
    on_path = set(inputs)
    for node in order:
        for p in node._prev:
            if p in on_path:
                on_path.add(node)
                break
    kind = type(output)
    zero = 0.0 if kind is Value else None
    shadow: Dict[Any, Any] = {}
    with gc_paused():
        for node in order:
            if node not in on_path:
                continue
            s = kind.__new__(kind)
            s.data, s.grad, s._op, s._rule, s.requires_grad = node.data, zero, node._op, node._rule, True
            if kind is Tensor:
                s._ctx = node._ctx
            prev = []
            for p in node._prev:
                sp = shadow.get(p)
                if sp is None:  # off the path: its data only; it takes no gradient
                    sp = kind.__new__(kind)
                    sp.data, sp.grad, sp._prev, sp.requires_grad = p.data, zero, (), False
                prev.append(sp)
            s._prev = tuple(prev) if node._prev else (None,)  # (None,): "interior" to _accumulate, no copy
            shadow[node] = s
        shadow[output].grad = 1.0 if kind is Value else np.ones(output.data.shape)
        for node in reversed(order):
            s = shadow.get(node)
            if s is not None and node._prev and s.grad is not None:
                s._rule(s)
    return tuple(shadow[x].grad for x in inputs)


def g_table(repeats: int) -> None:
    import run  # benchmarks/run.py: W1's model and data

    random.seed(1337)
    model = run.MLP(2, [16, 16, 1])
    X, y = run.moons() if run.make_moons is not None else ([[0.1 * i, -0.05 * i] for i in range(100)], [1.0, -1.0] * 50)
    params = model.parameters()
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    w1_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores)) + 1e-4 * sum(p * p for p in params)

    Xd, labels, _, _, _ = tensor_bench.digits(seed=0)
    W = [Tensor(w, requires_grad=True) for w in tensor_bench.init_weights([64, 50, 10], seed=1)]
    z = (Tensor.from_numpy(Xd[:100]) @ W[0]).relu() @ W[1]
    w3_loss = -(Tensor.from_numpy(tensor_bench.one_hot(labels[:100])) * z.log_softmax(axis=1)).sum() / 100

    print("\nG   grad(create_graph=False): the twins with grad mode off (shipped) vs the fast rules on")
    print("    scratch copies (the measured alternative) vs backward() (the floor), inside gc_paused()")
    for name, out, ps, n in [("W1 graph", w1_loss, params, max(3, repeats // 20)), ("W3b batch", w3_loss, W, repeats)]:
        twins = [np.asarray(g.data) for g in grad(out, ps)]
        assert max(gap(a, b) for a, b in zip(twins, scratch_grad(out, ps))) < 1e-12

        def backward() -> None:
            for p in ps:
                p.grad = 0.0 if type(p) is Value else None
            out.backward(accumulate=True)  # W1's inputs are Values too: they accumulate

        with gc_paused():
            t = timed({"twins": lambda: grad(out, ps), "scratch": lambda: scratch_grad(out, ps),
                       "create_graph": lambda: grad(out, ps, create_graph=True), "backward": backward}, n)
        b = t["backward"]
        print(f"  {name} ({len(topological_order(out))} nodes): backward() {b * 1e3:.2f} ms; grad twins "
              f"{t['twins'] / b:.2f}x, scratch {t['scratch'] / b:.2f}x, create_graph=True {t['create_graph'] / b:.2f}x backward()")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke test, not figures")
    parser.add_argument("--only", choices=["H1", "H2", "G"])
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 200
    print(tensor_bench.limit_threads() + f"; torch {torch.__version__ if torch is not None else 'not installed'}")
    if args.only in (None, "H1"):
        h1(repeats)
    if args.only in (None, "H2"):
        h2(repeats // 4 if not args.quick else repeats)
    if args.only in (None, "G"):
        g_table(repeats // 4 if not args.quick else repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
