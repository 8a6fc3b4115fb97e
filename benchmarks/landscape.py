"""Loss landscapes: what a surface costs, ours against the same grid evaluated in PyTorch.

    python benchmarks/landscape.py              # the figures in the issue note
    python benchmarks/landscape.py --quick      # small sizes, a smoke run
    python benchmarks/landscape.py --threads 2  # let BLAS and torch use 2 threads

L1  digits MLP 64 -> 50 ReLU -> 10, no biases (lesson 4's network), trained for 30
    full-batch Adam steps so the plane goes through a real minimum, over all 1797
    images (``nn.load_digits()``), with two losses: (a) cross-entropy of the logits;
    (b) lesson 4's, the sum of squared errors between softmax(z) (a Softmax layer at
    the end of the model) and the one-hot targets, ``nn.mse(..., reduction="sum")``.
    A 41 x 41 random plane (Li et al.: Gaussian directions, filter-normalized, biases
    ignored; seed 0), 1681 full losses:
      ours (fast)    ``viz.landscape.random_plane(...)``: the first layer's output mixed
                     from three precomputed products, the rest run per point (Tensor)
      ours (plain)   the same with ``fast=False``: set the weights, call the model
      torch loop     for each grid point: ``p.copy_(theta0 + a d1 + b d2)`` for both
                     weights, forward, the loss (``F.cross_entropy``, or softmax and
                     ``((p - onehot) ** 2).sum()``), under ``torch.no_grad()``
    The three use the same directions and the same grid; the run checks they agree.
    Engines take turns (3 rounds), the median is reported.
L2  lesson 5's surface: ``MLP(1, [1, 1], tanh, bias=False)`` (W1, W2), grid
    ``arange(-2, 2, 0.05)`` squared (80 x 80 = 6400 losses), mean squared error:
      scalar path    through ``Value``, sample by sample, on the first 100 of the 1000
                     test points, with its progress bar (shown on a terminal)
      Tensor twin    ``TensorMLP`` with the same seed, all 1000 test points

Everything is float64 with one BLAS thread and one torch thread unless ``--threads``.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # before numpy loads its BLAS (as the other benchmarks)
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import argparse
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

import nn
from nn.optim import Adam
from viz.landscape import loss_surface, random_plane

try:
    import torch
except ImportError:  # pragma: no cover - the smoke run may go without it
    torch = None


def limit_threads(n: int) -> str:
    """n threads for BLAS and torch; a line saying what was checked."""
    if torch is not None:
        torch.set_num_threads(n)
    try:
        import threadpoolctl  # type: ignore[import-untyped]
    except ImportError:
        return f"threads: OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')} (not verified)"
    threadpoolctl.threadpool_limits(n)
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpoolctl.threadpool_info())
    return f"threads: {pools}" + (f"; torch {torch.get_num_threads()}" if torch is not None else "")


# ============================================================================ L1: digits plane


def digits_model(epochs: int, loss: str) -> Tuple[Any, Callable[..., Any], np.ndarray, np.ndarray]:
    """The lesson-4 network trained a little (full-batch Adam), its loss, and the digits."""
    X, labels = nn.load_digits()
    if loss == "ce":
        model = nn.TensorMLP(64, [50, 10], activation="relu", bias=False, seed=0)
        loss_fn, y = nn.cross_entropy, labels
    else:  # lesson 4: softmax by row, sum of squared errors against one-hot rows
        model = nn.TensorMLP(64, [50, 10], activation="relu", output_activation="softmax", bias=False, seed=0)
        loss_fn, y = (lambda p, t: nn.mse(p, t, reduction="sum")), nn.one_hot(labels, 10)
    nn.fit(model, loss_fn, (X, y), Adam(model.parameters(), lr=1e-2), epochs=epochs, log_every=0, progress=False)
    return model, loss_fn, X, y


def torch_plane(loss: str, state: Dict[str, np.ndarray], d1: Dict[str, np.ndarray], d2: Dict[str, np.ndarray],
                xs: np.ndarray, ys: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The same grid in PyTorch: set the weights, forward, loss, point by point."""
    layers = [torch.nn.Linear(64, 50, bias=False), torch.nn.ReLU(), torch.nn.Linear(50, 10, bias=False)]
    if loss == "sse":
        layers.append(torch.nn.Softmax(dim=1))
    net = torch.nn.Sequential(*layers).double()
    params = {"0.weight": net[0].weight, "2.weight": net[2].weight}
    t0, t1, t2 = ({k: torch.from_numpy(s[k]) for k in params} for s in (state, d1, d2))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    Z = np.empty((len(ys), len(xs)))
    with torch.no_grad():
        for i, b in enumerate(ys.tolist()):
            for j, a in enumerate(xs.tolist()):
                for k, p in params.items():
                    p.copy_(t0[k] + a * t1[k] + b * t2[k])
                out = net(Xt)
                value = torch.nn.functional.cross_entropy(out, yt) if loss == "ce" else ((out - yt) ** 2).sum()
                Z[i, j] = value.item()
    return Z


def run_l1(n: int, epochs: int, rounds: int, loss: str) -> None:
    model, loss_fn, X, y = digits_model(epochs, loss)
    surface = random_plane(model, loss_fn, (X, y), seed=0, n=n, progress=False)
    assert surface.directions is not None  # random_plane always returns them
    d1, d2 = surface.directions
    state = model.state_dict()
    runs: Dict[str, Callable[[], np.ndarray]] = {
        "autograd-lite Tensor (fast)": lambda: random_plane(model, loss_fn, (X, y), seed=0, n=n, progress=False).Z,
        "autograd-lite Tensor (plain loop)": lambda: random_plane(
            model, loss_fn, (X, y), seed=0, n=n, progress=False, fast=False
        ).Z,
    }
    if torch is not None:
        runs["PyTorch loop (no_grad)"] = lambda: torch_plane(loss, state, d1, d2, surface.xs, surface.ys, X, y)
    times: Dict[str, List[float]] = {name: [] for name in runs}
    results: Dict[str, np.ndarray] = {}
    names = list(runs)
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate who goes first
            start = time.perf_counter()
            results[name] = runs[name]()
            times[name].append(time.perf_counter() - start)
    points = n * n
    title = "cross-entropy" if loss == "ce" else "lesson 4's loss, sum (softmax - one-hot)^2"
    print(f"L1{'a' if loss == 'ce' else 'b'} digits MLP 64-50-10 ReLU (no biases), {n} x {n} random plane = {points} "
          f"losses over {len(X)} images, {title}; loss at the centre {surface.center_loss:.4f}, range "
          f"{surface.Z.min():.3f} .. {surface.Z.max():.3f}")
    torch_time = statistics.median(times["PyTorch loop (no_grad)"]) if torch is not None else None
    print(f"    {'engine':<36}{'seconds':>9}{'per point':>12}{'torch / ours':>14}")
    for name in names:
        t = statistics.median(times[name])
        ratio = f"{torch_time / t:.2f}x" if torch_time is not None else "-"
        print(f"    {name:<36}{t:>9.3f}{1e3 * t / points:>9.3f} ms{ratio:>14}")
    if torch is None:
        print("    torch: not installed (pip install torch==2.13.0)")
    reference = results[names[0]]
    for name in names[1:]:
        gap = np.abs(results[name] - reference).max() / max(1.0, np.abs(reference).max())
        print(f"    gap |Z {name} - Z fast| max (relative) {gap:.1e}")
    print()


# ============================================================================ L2: lesson 5


def run_l2(step: float, n_scalar: int) -> None:
    X, y = nn.piecewise()
    X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_fraction=0.1, seed=0)
    ws = np.arange(-2.0, 2.0, step)
    grid = (ws, ws)
    print(f"L2  lesson 5: 1 -> 1 tanh -> 1 without biases, W1, W2 over arange(-2, 2, {step}) "
          f"({len(ws)} x {len(ws)} = {len(ws) ** 2} losses), mean squared error on the test set")
    scalar = nn.MLP(1, [1, 1], activation="tanh", bias=False, seed=0)
    start = time.perf_counter()
    s_scalar = loss_surface(scalar, nn.mse, (X_test[:n_scalar], y_test[:n_scalar]), grid=grid)  # bar on a terminal
    t_scalar = time.perf_counter() - start
    twin = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False, seed=0)
    start = time.perf_counter()
    s_twin = loss_surface(twin, nn.mse, (X_test[:n_scalar], y_test[:n_scalar]), grid=grid, progress=False)
    t_twin_small = time.perf_counter() - start
    start = time.perf_counter()
    loss_surface(twin, nn.mse, (X_test, y_test), grid=grid, progress=False)
    t_twin = time.perf_counter() - start
    print(f"    {'engine':<44}{'seconds':>9}{'per point':>12}")
    for name, t in [(f"autograd-lite Value (scalar), {n_scalar} samples", t_scalar),
                    (f"autograd-lite Tensor twin, {n_scalar} samples", t_twin_small),
                    (f"autograd-lite Tensor twin, all {len(X_test)} samples", t_twin)]:
        print(f"    {name:<44}{t:>9.3f}{1e3 * t / len(ws) ** 2:>9.3f} ms")
    print(f"    gap |Z scalar - Z Tensor twin| max {np.abs(s_scalar.Z - s_twin.Z).max():.1e}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    args = parser.parse_args()
    print(limit_threads(args.threads))
    print()
    if args.quick:
        for loss in ("ce", "sse"):
            run_l1(n=7, epochs=3, rounds=1, loss=loss)
        run_l2(step=0.5, n_scalar=20)
    else:
        for loss in ("ce", "sse"):
            run_l1(n=41, epochs=30, rounds=3, loss=loss)
        run_l2(step=0.05, n_scalar=100)


if __name__ == "__main__":
    main()
