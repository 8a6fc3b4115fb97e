"""First-order work in CPU instructions, base against new: deterministic, unlike timings.

    git worktree add /tmp/base main
    python benchmarks/instructions.py /tmp/base            # W1, W1p, W2, W3a, W3b, W4 (~10 min)
    python benchmarks/instructions.py /tmp/base --only W2 W4
    python benchmarks/instructions.py /tmp/base --only W2 --seeds 5   # the median of 5 hash seeds

On a machine shared by several people, wall-clock medians move by tens of percent from
run to run. Instruction counts do not: each workload runs under ``valgrind --tool=callgrind``
in a fresh interpreter of each checkout (its own ``autograd_lite`` first on sys.path),
once with k units of work and once with 2k; the difference divided by k is the cost of
one unit, with interpreter start-up, imports and set-up cancelled out.

What is counted is the engine's own work: the cyclic collector is switched off once
set-up is done (``gc.collect(); gc.disable()``), and hashing is fixed (PYTHONHASHSEED=0).
With the collector on, when a full collection happens depends on how many objects the
imports left alive (a few more functions in one checkout than the other): the same code
then counts 5-15% apart from run to run. The collector's work follows from the number of
objects alive, which ``run.py``'s W2 bytes/node (tracemalloc) compares exactly.

Fixed hashing makes a count repeatable, not representative: the same code counts a few
percent apart under another hash seed (where dicts and the allocator put things differs),
so a change of a few percent under one seed may be the seed's. ``--seeds N`` counts under
seeds 0..N-1 and prints the median and the spread (max/min - 1) of each checkout. torch is
not imported (no workload here uses it). Units: W2 one
node (build + backward of run.py's graphs), W1 one demo step (run.py's MLP; W1p the same
inside ``gc_paused()``, to count that context manager too), W3a/W3b one digits step (tensor_bench's
``OursDigits``), W4 one epoch of the house-price loop (``w4_ours``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
# workload -> (k, unit): each is run with k and with 2k units
SIZES = {"W2": (20_000, "node"), "W1": (1, "step"), "W1p": (1, "step"), "W3a": (10, "step"), "W3b": (10, "step"), "W4": (100, "epoch")}


def probe(checkout: str, workload: str, k: int) -> None:
    """Run k units of ``workload`` with ``checkout``'s engine (inside callgrind)."""
    import gc

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    sys.meta_path.insert(0, _NoTorch())  # tensor_bench runs without it; imports stay quick
    sys.path.insert(0, os.path.join(checkout, "benchmarks"))
    import run  # puts its checkout first on sys.path: that autograd_lite is the one imported

    def start() -> None:  # after set-up: count the engine's work only
        gc.collect()
        gc.disable()

    if workload == "W2":
        numbers = run.graph_numbers(k // 2, seed=0)
        start()
        run.build_graph(run.Value, numbers).backward()
    elif workload in ("W1", "W1p"):
        import random

        random.seed(1337)
        model = run.MLP(2, [16, 16, 1])
        X, y = run.moons()
        start()
        for step in range(k):
            if workload == "W1p":
                with run.gc_paused():
                    run.demo_step(model, X, y, run.Value, step)
            else:
                run.demo_step(model, X, y, run.Value, step)
    elif workload in ("W3a", "W3b"):
        import tensor_bench as tb

        loss = "sse" if workload == "W3a" else "ce"
        X, labels, _, _, _ = tb.digits(seed=0)
        engine = tb.OursDigits(tb.init_weights([64, 50, 10], seed=1), loss, tb.W3_LR[loss])
        batches = tb.batch_order(len(X), 100, 1, seed=0)[:k]
        start()
        for batch in batches:
            engine.step(X[batch], tb.one_hot(labels[batch]))
    elif workload == "W4":
        import tensor_bench as tb

        X, y = tb.houses()
        params = tb.house_params()
        start()
        tb.w4_ours(params, X, y, k, 0.01)


class _NoTorch:
    """An import hook that makes ``import torch`` fail (under callgrind it takes minutes)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is not imported by benchmarks/instructions.py")
        return None


def instructions(checkout: str, workload: str, k: int, seed: int = 0) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, os.path.abspath(__file__), "--probe", checkout, workload, str(k)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": str(seed)})
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", nargs="?", help="the checkout to compare against")
    parser.add_argument("--new", default=os.path.dirname(HERE), help="the checkout under test (default: this one)")
    parser.add_argument("--only", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--seeds", type=int, default=1, help="count under hash seeds 0..N-1: medians and spreads")
    parser.add_argument("--probe", nargs=3, help=argparse.SUPPRESS)  # checkout workload k: used under valgrind
    args = parser.parse_args(argv)
    if args.probe:
        checkout, workload, k = args.probe
        probe(checkout, workload, int(k))
        return 0
    if args.base is None:
        parser.error("give the base checkout")
    print(f"base: {os.path.abspath(args.base)}\nnew:  {os.path.abspath(args.new)}")
    seeds = list(range(max(1, args.seeds)))
    print("instructions per unit of work (callgrind, 2k units minus k units, over k)"
          + (f"; the median over hash seeds {seeds[0]}..{seeds[-1]}" if len(seeds) > 1 else "") + "\n")
    spread_head = f" {'base spread':>12} {'new spread':>11}" if len(seeds) > 1 else ""
    print(f"{'workload':<9} {'unit':<6} {'base':>14} {'new':>14} {'new/base':>9}" + spread_head)
    for workload in args.only:
        k, unit = SIZES[workload]
        per: Dict[str, List[float]] = {"base": [], "new": []}
        for seed in seeds:
            for who, checkout in (("base", args.base), ("new", args.new)):
                path = os.path.abspath(checkout)
                per[who].append((instructions(path, workload, 2 * k, seed) - instructions(path, workload, k, seed)) / k)
        b, n = statistics.median(per["base"]), statistics.median(per["new"])
        spreads = (f" {max(per['base']) / min(per['base']) - 1:>11.1%} {max(per['new']) / min(per['new']) - 1:>10.1%}"
                   if len(seeds) > 1 else "")
        print(f"{workload:<9} {unit:<6} {b:>14,.0f} {n:>14,.0f} {n / b:>9.4f}" + spreads, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
