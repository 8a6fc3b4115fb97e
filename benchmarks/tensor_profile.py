"""Where our Tensor step's time goes, line by line, next to the hand-written numpy floor.

    python benchmarks/tensor_profile.py            # W3 (a) step and W4 epoch
    python benchmarks/tensor_profile.py --loss ce  # W3 (b)

cProfile is no help here: it charges the BLAS time of ``a @ b`` to whichever Python
function evaluates it and adds its own cost to every call of our small functions. This
script times each forward line of the W3/W4 step, and each node's derivative rule
(wrapping ``node._rule`` of the recorded graph, in this script only), with the
collector off, and prints the mean over many steps. The timer costs ~0.1 us per line.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import argparse
import gc
import time
from collections import defaultdict
from typing import Callable, Dict, List


import tensor_bench as tb
from autograd_lite import Tensor
from autograd_lite.graph import topological_order

clock = time.perf_counter


class Lines:
    """Accumulated seconds per label; ``mark(label)`` charges the time since the last mark."""

    def __init__(self) -> None:
        self.total: Dict[str, float] = defaultdict(float)
        self.t = clock()

    def start(self) -> None:
        self.t = clock()

    def mark(self, label: str) -> None:
        now = clock()
        self.total[label] += now - self.t
        self.t = clock()

    def time_rules(self, root: Tensor) -> None:
        """Charge each node's derivative rule to 'rule <op>' during the next backward()."""
        for node in topological_order(root):
            rule = node._rule
            if rule is not None:

                def timed(out: Tensor, rule: Callable[[Tensor], None] = rule, key: str = f"  rule {node._op}") -> None:
                    t0 = clock()
                    rule(out)
                    self.total[key] += clock() - t0

                node._rule = timed

    def report(self, title: str, n: int, groups: Dict[str, List[str]]) -> None:
        print(f"\n{title} (us per step, mean of {n})")
        for k, v in self.total.items():
            print(f"  {k:<44} {v / n * 1e6:7.2f}")
        for name, keys in groups.items():
            print(f"  = {name:<42} {sum(self.total[k] for k in keys) / n * 1e6:7.2f}")


def w3(loss: str, n: int) -> None:
    Xtr, ytr, _, _, _ = tb.digits(seed=0)
    x, y = Xtr[:100].copy(), tb.one_hot(ytr[:100])
    W1, W2 = (Tensor(w, requires_grad=True) for w in tb.init_weights([64, 50, 10], seed=1))
    L = Lines()
    gc.disable()
    for _ in range(n):
        L.start()
        xt = Tensor.from_numpy(x)  # as the benchmark (and torch.from_numpy)
        L.mark("Tensor.from_numpy(x)")
        yt = Tensor.from_numpy(y)
        L.mark("Tensor.from_numpy(y)")
        a = xt @ W1
        L.mark("x @ W1")
        h = a.relu()
        L.mark("relu")
        z = h @ W2
        L.mark("h @ W2")
        if loss == "sse":
            p = z.softmax(axis=1)
            L.mark("softmax (5 nodes: max, -, exp, sum, /)")
            out = ((p - yt) ** 2).sum()
            L.mark("(p - y) ** 2, sum")
        else:
            lp = z.log_softmax(axis=1)
            L.mark("log_softmax (6 nodes)")
            out = -(yt * lp).sum() / 100
            L.mark("-(y * logp).sum() / N")
        L.time_rules(out)
        t0 = clock()
        order = topological_order(out)
        L.total["(topological_order alone)"] += clock() - t0
        L.start()
        out.backward()
        L.mark("backward() total")
        for W in (W1, W2):
            W.data -= 0.0 * W.grad  # lr 0: the same step every time
            W.grad = None
        L.mark("SGD update")
        out.item()
        L.mark("item()")
    # the floor, the same way
    npe = tb.NumpyDigits(tb.init_weights([64, 50, 10], seed=1), loss, 0.0)
    for _ in range(n):
        L.start()
        npe.step(x, y)
        L.mark("numpy floor: whole step")
    gc.enable()
    rules = [k for k in L.total if k.startswith("  rule")]
    L.total["backward() bookkeeping (sort, checks, seed)"] = L.total["backward() total"] - sum(L.total[k] for k in rules)
    L.report(
        f"W3 ({loss}) step, {len(order)} nodes",
        n,
        {"ours, whole step": [k for k in L.total if not k.startswith(("  rule", "(", "numpy", "backward() book"))]},
    )


def w4(n: int) -> None:
    X, y = tb.houses()
    ps = [Tensor(p, requires_grad=True) for p in tb.house_params()]
    W1, b1, W2, b2 = ps
    Xt, yt = Tensor(X), Tensor(y)
    L = Lines()
    gc.disable()
    for _ in range(n):
        L.start()
        a = Xt @ W1 + b1
        L.mark("X @ W1 + b1")
        h = a.sigmoid()
        L.mark("sigmoid")
        pred = h @ W2 + b2
        L.mark("h @ W2 + b2")
        out = ((pred - yt) ** 2).sum()
        L.mark("((pred - y) ** 2).sum()")
        L.time_rules(out)
        L.start()
        out.backward()
        L.mark("backward() total")
        for p in ps:
            p.data -= 0.0 * p.grad
            p.grad = None
        L.mark("SGD update")
        out.item()
        L.mark("item()")
    params = tb.house_params()
    for _ in range(n // 100):  # n epochs in all, 100 per call
        L.start()
        tb.w4_numpy(params, X, y, 100, 0.0)
        L.mark("numpy floor: whole epoch")
    gc.enable()
    rules = [k for k in L.total if k.startswith("  rule")]
    L.total["backward() bookkeeping (sort, checks, seed)"] = L.total["backward() total"] - sum(L.total[k] for k in rules)
    L.report("W4 epoch", n, {"ours, whole epoch": [k for k in L.total if not k.startswith(("  rule", "numpy", "backward() book"))]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loss", choices=["sse", "ce"], default="sse")
    parser.add_argument("-n", type=int, default=3000)
    args = parser.parse_args()
    print(tb.limit_threads())
    w3(args.loss, args.n)
    w4(args.n * 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
