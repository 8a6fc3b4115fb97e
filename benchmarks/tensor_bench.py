"""W3 and W4: the ``Tensor`` engine against hand-written numpy and PyTorch, in one process.

    python benchmarks/run.py --only W3          # or W4; --quick for small sizes
    python benchmarks/tensor_profile.py         # where our step's time goes, line by line

Everything is float64 with numpy's BLAS and torch limited to one thread (set before
numpy is imported: ``run.py`` does it, and so does this file when run as a script; then
checked with threadpoolctl when it is installed). Every engine starts from the same
weights (drawn once with numpy) and sees the same batches in the same order, so they
compute the same numbers: the run checks that, and prints the largest differences.

W3  digits MLP, the lecture's network: ``load_digits`` / 16 (scikit-learn; without it a
    synthetic digits-shaped set, and the output says so), a seeded 90/10 split,
    64 -> 50 ReLU -> 10 with NO biases (as the lecture's net; the same for all engines),
    weights randn / sqrt(fan_in), softmax by row, batches of 100 (reshuffled every epoch
    by a seeded generator; the last partial batch is dropped), plain SGD. Two losses:
    (a) the lecture's: sum over the batch of ||softmax(z) - onehot||^2, lr 0.02;
    (b) cross-entropy: -mean over the batch of sum(onehot * log_softmax(z)), lr 0.5.
    A step is forward + backward + SGD update and returns the loss as a float. The
    engines take turns step by step (in a rotating order), so a noisy machine slows
    them all alike; the median of 200 steps after 20 warm-ups is reported, ours with
    the default collector and inside ``gc_paused()``. Test accuracy after 20 epochs.
W4  house prices (LESSONS.md lesson 3): 10 rows (price per square metre, bedrooms) ->
    sold price, inputs and outputs standardised, 2 -> 5 sigmoid -> 1 linear, with
    biases (as the lecture's w1..w21), weights randn / sqrt(fan_in) and zero biases,
    loss sum((pred - y)^2) (PyTorch's MSELoss(reduction='sum')), full-batch SGD with
    lr 0.01 for 10,000 epochs, the loss recorded every epoch (the lecture plots it).
    The whole loop is timed; engines alternate over 3 rounds, the median is reported.

The numpy floor is what a careful lecturer writes: the same math, the chain rule by
hand, plain array expressions (no ``out=`` buffers or fused kernels, which the other
engines cannot use either). Ratios are engine time / numpy time (x the floor) and torch
time / our time (how much faster we are than torch).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # before numpy loads its BLAS (run.py does the same)
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import argparse
import gc
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from autograd_lite import Tensor, gc_paused

try:
    import torch
except ImportError:  # pragma: no cover - the smoke test may run without it
    torch = None

try:
    from sklearn.datasets import load_digits
except ImportError:  # pragma: no cover
    load_digits = None

try:
    import threadpoolctl
except ImportError:  # pragma: no cover
    threadpoolctl = None

Array = np.ndarray


def limit_threads() -> str:
    """One thread for BLAS and torch; a line saying what was checked."""
    if torch is not None:
        torch.set_num_threads(1)
    if threadpoolctl is None:
        env = os.environ.get("OPENBLAS_NUM_THREADS")
        return f"threads: OPENBLAS_NUM_THREADS={env} (threadpoolctl not installed, not verified)" + (
            f", torch {torch.get_num_threads()}" if torch is not None else ""
        )
    threadpoolctl.threadpool_limits(1)  # in case numpy was imported before the variables were set
    pools = [f"{p['internal_api']} {p['num_threads']}" for p in threadpoolctl.threadpool_info()]
    line = "threads (threadpoolctl): " + ", ".join(pools)
    if torch is not None:
        line += f"; torch.get_num_threads() {torch.get_num_threads()}"
    return line


# ============================================================================ W3 data


def digits(seed: int = 0) -> Tuple[Array, Array, Array, Array, str]:
    """(X_train, y_train, X_test, y_test, source): 8x8 digits scaled to [0, 1], 90/10."""
    if load_digits is not None:
        d = load_digits()
        X, y = d.data / 16.0, d.target.astype(np.int64)
        source = "sklearn load_digits / 16"
    else:
        X, y = synthetic_digits(1797, seed=12345)
        source = "SYNTHETIC digits-shaped data (scikit-learn not installed): 10 noisy prototypes"
    perm = np.random.default_rng(seed).permutation(len(X))
    n_test = round(0.1 * len(X))
    test, train = perm[:n_test], perm[n_test:]
    return X[train], y[train], X[test], y[test], source


def synthetic_digits(n: int, seed: int) -> Tuple[Array, Array]:
    """n images of 64 pixels in {0, 1/16, ..., 1}: a random prototype per class plus noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 64)) ** 2
    y = rng.integers(0, 10, n)
    X = np.clip(prototypes[y] + 0.25 * rng.standard_normal((n, 64)), 0.0, 1.0)
    return np.round(X * 16) / 16, y


def one_hot(y: Array) -> Array:
    out = np.zeros((len(y), 10))
    out[np.arange(len(y)), y] = 1.0
    return out


def batch_order(n: int, batch: int, epochs: int, seed: int) -> List[Array]:
    """The index arrays of every step: one permutation per epoch, partial batch dropped."""
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        steps += [perm[i : i + batch] for i in range(0, n - batch + 1, batch)]
    return steps


def init_weights(sizes: Sequence[int], seed: int) -> List[Array]:
    """randn(fan_in, fan_out) / sqrt(fan_in) for each layer, drawn once with numpy."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]


# ============================================================================ W3 engines
# Each engine: grads(x, y) -> (loss, [dW1, dW2]) and step(x, y) -> loss (forward,
# backward, SGD update), on numpy batches x (100, 64) and one-hot y (100, 10).


class NumpyDigits:
    """Backprop by hand: the floor."""

    name = "numpy"

    def __init__(self, weights: List[Array], loss: str, lr: float) -> None:
        self.W1, self.W2 = (w.copy() for w in weights)
        self.loss, self.lr = loss, lr

    def grads(self, x: Array, y: Array) -> Tuple[float, List[Array]]:
        W1, W2 = self.W1, self.W2
        a = x @ W1  # (N, 64) @ (64, 50)
        h = np.maximum(a, 0.0)  # relu
        z = h @ W2  # (N, 50) @ (50, 10)
        zs = z - z.max(axis=1, keepdims=True)  # softmax(z) = softmax(z - max): no overflow
        e = np.exp(zs)
        s = e.sum(axis=1, keepdims=True)
        p = e / s  # softmax, by row
        if self.loss == "sse":
            d = p - y
            loss = (d**2).sum()
            dp = 2.0 * d
            dz = p * (dp - (dp * p).sum(axis=1, keepdims=True))  # softmax's Jacobian, row by row
        else:
            n = len(x)
            loss = -(y * (zs - np.log(s))).sum() / n  # log_softmax = zs - log sum e^zs
            dz = (p - y) / n  # d(-sum y log softmax z)/dz = softmax(z) - y (rows of y sum to 1)
        dW2 = h.T @ dz  # (50, N) @ (N, 10)
        dh = dz @ W2.T  # (N, 10) @ (10, 50)
        dW1 = x.T @ (dh * (a > 0.0))  # relu'(a) = 1 where a > 0
        return float(loss), [dW1, dW2]

    def step(self, x: Array, y: Array) -> float:
        loss, (dW1, dW2) = self.grads(x, y)
        self.W1 -= self.lr * dW1
        self.W2 -= self.lr * dW2
        return loss

    def weights(self) -> List[Array]:
        return [self.W1, self.W2]


class OursDigits:
    """The same network on our Tensor: the forward pass only, backward() does the rest."""

    name = "ours"

    def __init__(self, weights: List[Array], loss: str, lr: float) -> None:
        self.W1, self.W2 = (Tensor(w, requires_grad=True) for w in weights)
        self.loss, self.lr = loss, lr

    def grads(self, x: Array, y: Array) -> Tuple[float, List[Array]]:
        xt, yt = Tensor.from_numpy(x), Tensor.from_numpy(y)  # no copy, as torch.from_numpy below
        z = (xt @ self.W1).relu() @ self.W2  # (N, 64) @ (64, 50) -> (N, 50) @ (50, 10)
        if self.loss == "sse":
            loss = ((z.softmax(axis=1) - yt) ** 2).sum()
        else:
            loss = -(yt * z.log_softmax(axis=1)).sum() / len(x)
        loss.backward()
        return loss.item(), [self.W1.grad, self.W2.grad]

    def step(self, x: Array, y: Array) -> float:
        loss, _ = self.grads(x, y)
        for W in (self.W1, self.W2):
            W.data -= self.lr * W.grad
            W.grad = None
        return loss

    def weights(self) -> List[Array]:
        return [self.W1.data, self.W2.data]


class OursPausedDigits(OursDigits):
    """Ours, with the whole step inside gc_paused()."""

    name = "ours, gc_paused()"

    def step(self, x: Array, y: Array) -> float:
        with gc_paused():
            return OursDigits.step(self, x, y)


class TorchDigits:
    """The same network with PyTorch autograd (CPU, float64, one thread)."""

    name = "torch"

    def __init__(self, weights: List[Array], loss: str, lr: float) -> None:
        self.W1, self.W2 = (torch.tensor(w, requires_grad=True) for w in weights)
        self.loss, self.lr = loss, lr

    def grads(self, x: Array, y: Array) -> Tuple[float, List[Array]]:
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        z = torch.relu(xt @ self.W1) @ self.W2
        if self.loss == "sse":
            loss = ((torch.softmax(z, dim=1) - yt) ** 2).sum()
        else:
            loss = -(yt * torch.log_softmax(z, dim=1)).sum() / len(x)
        loss.backward()
        return loss.item(), [self.W1.grad.numpy(), self.W2.grad.numpy()]

    def step(self, x: Array, y: Array) -> float:
        loss, _ = self.grads(x, y)
        with torch.no_grad():
            for W in (self.W1, self.W2):
                W -= self.lr * W.grad
                W.grad = None
        return loss

    def weights(self) -> List[Array]:
        return [self.W1.detach().numpy(), self.W2.detach().numpy()]


W3_LR = {"sse": 0.02, "ce": 0.5}  # sse: 0.05 kills the ReLUs (10% accuracy); ce: 1.0 also trains
W3_LOSS_NAMES = {"sse": "(a) sum of squared error of softmax vs one-hot", "ce": "(b) cross-entropy (log_softmax)"}


def accuracy(weights: List[Array], X: Array, y: Array) -> float:
    W1, W2 = weights
    return float((np.argmax(np.maximum(X @ W1, 0.0) @ W2, axis=1) == y).mean())


def first_step_gaps(engines: List[Any], x: Array, y: Array) -> Dict[str, float]:
    """Largest relative difference of each engine's loss and gradients from numpy's."""
    ref_loss, ref = engines[0].grads(x, y)
    gaps = {}
    for e in engines[1:]:
        loss, gs = e.grads(x, y)
        gap = abs(loss - ref_loss) / abs(ref_loss)
        for g, r in zip(gs, ref):
            gap = max(gap, float(np.abs(g - r).max() / np.abs(r).max()))
        for W in getattr(e, "W1", None), getattr(e, "W2", None):
            if W is not None and hasattr(W, "grad"):
                W.grad = None  # leave the engine ready for its first step
        gaps[e.name] = gap
    return gaps


def w3(loss: str, epochs: int, warmup: int, timed: int, quick: bool = False) -> Dict[str, Any]:
    """Train every available engine side by side; times, losses, accuracies, gaps."""
    Xtr, ytr, Xte, yte, source = digits(seed=0)
    Ytr = one_hot(ytr)
    weights = init_weights([64, 50, 10], seed=1)
    kinds: List[Callable[..., Any]] = [NumpyDigits, OursDigits, OursPausedDigits]
    if torch is not None:
        kinds.append(TorchDigits)
    engines = [k(weights, loss, W3_LR[loss]) for k in kinds]
    steps = batch_order(len(Xtr), 100, epochs, seed=2)
    gaps = first_step_gaps(engines, Xtr[steps[0]], Ytr[steps[0]])
    times: Dict[str, List[float]] = {e.name: [] for e in engines}
    losses: Dict[str, List[float]] = {e.name: [] for e in engines}
    clock = time.perf_counter
    gc.collect()
    for k, idx in enumerate(steps):
        x, y = Xtr[idx], Ytr[idx]  # gathered outside the timer: the same for everyone
        for j in range(len(engines)):
            e = engines[(j + k) % len(engines)]  # rotate who goes first
            t0 = clock()
            losses[e.name].append(e.step(x, y))
            times[e.name].append(clock() - t0)
    window = slice(warmup, warmup + timed)
    ref = losses["numpy"]
    return {
        "source": source,
        "steps": len(steps),
        "timed": len(times["numpy"][window]),
        "median": {n: statistics.median(t[window]) for n, t in times.items()},
        "accuracy": {e.name: accuracy(e.weights(), Xte, yte) for e in engines},
        "final_loss": {n: l[-1] for n, l in losses.items()},
        "first_step_gap": gaps,
        "loss_gap": {n: max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(l, ref)) for n, l in losses.items() if n != "numpy"},
        "weight_gap": {
            e.name: max(float(np.abs(w - r).max()) for w, r in zip(e.weights(), engines[0].weights()))
            for e in engines[1:]
        },
        "n_test": len(yte),
    }


def w3_table(quick: bool) -> None:
    epochs, warmup, timed = (2, 4, 28) if quick else (20, 20, 200)
    for loss in ("sse", "ce"):
        r = w3(loss, epochs, warmup, timed, quick)
        med = r["median"]
        print(f"\nW3{'ab'[loss == 'ce']} digits MLP 64-50-10 ReLU, no biases, batch 100: {W3_LOSS_NAMES[loss]}, lr {W3_LR[loss]}")
        print(f"  data: {r['source']}; {r['steps']} steps ({epochs} epochs), median of {r['timed']} after {warmup} warm-ups")
        base = med["numpy"]
        for name, t in med.items():
            extra = ""
            if name.startswith("ours") and "torch" in med:
                extra = f"   torch / this {med['torch'] / t:5.2f}x"
            print(f"  {name:<18} step {t * 1e6:8.1f} us   {t / base:5.2f}x numpy{extra}")
        if "torch" not in med:
            print("  torch: not installed, skipped")
        accs = "  ".join(f"{n} {a * 100:.1f}%" for n, a in r["accuracy"].items())
        print(f"  test accuracy ({r['n_test']} images): {accs}")
        print("  final batch loss: " + "  ".join(f"{n} {v:.6f}" for n, v in r["final_loss"].items()))
        fg = max(r["first_step_gap"].values())
        lg = max(r["loss_gap"].values())
        wg = max(r["weight_gap"].values())
        print(f"  same numbers: first-step loss/grad gap {fg:.1e}, loss gap over all steps {lg:.1e} (relative), final weight gap {wg:.1e}")


# ============================================================================ W4

HOUSES = [
    (2104, 3, 399900), (1600, 3, 329900), (2400, 3, 369000), (1416, 2, 232000), (3000, 4, 539900),
    (1985, 4, 299900), (1534, 3, 314900), (1427, 3, 198999), (1380, 3, 212000), (1494, 3, 242500),
]  # fmt: skip


def houses() -> Tuple[Array, Array]:
    """Standardised inputs (10, 2) and prices (10, 1): zero mean, unit variance."""
    t = np.array(HOUSES, dtype=np.float64)
    t = (t - t.mean(axis=0)) / t.std(axis=0)
    return t[:, :2].copy(), t[:, 2:].copy()


def house_params(seed: int = 3) -> List[Array]:
    W1, W2 = init_weights([2, 5, 1], seed)
    return [W1, np.zeros(5), W2, np.zeros(1)]


def w4_numpy(params: List[Array], X: Array, y: Array, epochs: int, lr: float) -> List[float]:
    W1, b1, W2, b2 = (p.copy() for p in params)
    losses = []
    for _ in range(epochs):
        h = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))  # (10, 2) @ (2, 5): sigmoid hidden layer
        d = h @ W2 + b2 - y  # (10, 5) @ (5, 1): linear output, minus the target
        losses.append(float((d**2).sum()))
        dout = 2.0 * d  # dE/dpred
        dz = (dout @ W2.T) * h * (1.0 - h)  # back through the sigmoid: s' = s (1 - s)
        W2 -= lr * (h.T @ dout)
        b2 -= lr * dout.sum(axis=0)
        W1 -= lr * (X.T @ dz)
        b1 -= lr * dz.sum(axis=0)
    return losses


def w4_ours(params: List[Array], X: Array, y: Array, epochs: int, lr: float) -> List[float]:
    W1, b1, W2, b2 = ps = [Tensor(p, requires_grad=True) for p in params]
    Xt, yt = Tensor(X), Tensor(y)
    losses = []
    for _ in range(epochs):
        pred = (Xt @ W1 + b1).sigmoid() @ W2 + b2
        loss = ((pred - yt) ** 2).sum()
        loss.backward()
        for p in ps:
            p.data -= lr * p.grad
            p.grad = None
        losses.append(loss.item())
    return losses


def w4_ours_paused(params: List[Array], X: Array, y: Array, epochs: int, lr: float) -> List[float]:
    with gc_paused():
        return w4_ours(params, X, y, epochs, lr)


def w4_torch(params: List[Array], X: Array, y: Array, epochs: int, lr: float) -> List[float]:
    W1, b1, W2, b2 = ps = [torch.tensor(p, requires_grad=True) for p in params]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for _ in range(epochs):
        pred = torch.sigmoid(Xt @ W1 + b1) @ W2 + b2
        loss = ((pred - yt) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    return losses


def w4(epochs: int, rounds: int) -> Dict[str, Any]:
    X, y = houses()
    params = house_params()
    runs: Dict[str, Callable[..., List[float]]] = {
        "numpy": w4_numpy, "ours": w4_ours, "ours, gc_paused()": w4_ours_paused,
    }  # fmt: skip
    if torch is not None:
        runs["torch"] = w4_torch
    times: Dict[str, List[float]] = {n: [] for n in runs}
    losses: Dict[str, List[float]] = {}
    gc.collect()
    for r in range(rounds):
        names = list(runs)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            losses[name] = runs[name](params, X, y, epochs, 0.01)
            times[name].append(time.perf_counter() - t0)
    ref = losses["numpy"]
    return {
        "median": {n: statistics.median(t) for n, t in times.items()},
        "first_loss": ref[0],
        "final_loss": {n: l[-1] for n, l in losses.items()},
        "loss_gap": {n: max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(l, ref)) for n, l in losses.items() if n != "numpy"},
    }


def w4_table(quick: bool) -> None:
    epochs, rounds = (500, 1) if quick else (10_000, 3)
    if not quick:
        w4(200, 1)  # warm-up
    r = w4(epochs, rounds)
    med = r["median"]
    print(f"\nW4  house prices 2-5-1 sigmoid/linear, sum of squared error, full batch, lr 0.01, {epochs:,} epochs")
    print(f"  whole loop, median of {rounds} round(s); loss at epoch 1: {r['first_loss']:.6f}")
    base = med["numpy"]
    for name, t in med.items():
        extra = f"   torch / this {med['torch'] / t:5.2f}x" if name.startswith("ours") and "torch" in med else ""
        print(f"  {name:<18} {t * 1e3:8.1f} ms  {t / epochs * 1e6:6.1f} us/epoch  {t / base:5.2f}x numpy{extra}")
    if "torch" not in med:
        print("  torch: not installed, skipped")
    print("  final loss: " + "  ".join(f"{n} {v:.10f}" for n, v in r["final_loss"].items()))
    print(f"  same numbers: loss gap over all epochs {max(r['loss_gap'].values()):.1e} (relative)")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["W3", "W4"])
    args = parser.parse_args(argv)
    print(limit_threads())
    if args.only in (None, "W3"):
        w3_table(args.quick)
    if args.only in (None, "W4"):
        w4_table(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
