"""First-order speed and memory, before and after a change: two checkouts, taking turns.

    git worktree add /tmp/base main                      # the checkout to compare against
    python benchmarks/before_after.py /tmp/base          # W1, W2, W3, W4; 3 rounds (~15 min)
    python benchmarks/before_after.py /tmp/base --rounds 5 --only W2 W3
    python benchmarks/before_after.py /tmp/base --quick  # small sizes (the smoke test)

Each round runs ``benchmarks/run.py --only W`` of the base checkout and of this one, one
after the other, in fresh interpreters (each imports its own ``autograd_lite``: run.py
puts its checkout first on sys.path), alternating which goes first. A busy machine slows
both alike within a round; the spread of the same checkout across rounds is the noise,
printed beside each figure. ``new / base`` inside that noise means "unchanged".

Figures read from run.py's output: W1 (median step, ms, default collector and inside
``gc_paused()``), W2 at each size (build, backward and total ns/node, bytes/node), W3a
and W3b (median step, us, ours and ours in ``gc_paused()``), W4 (the whole loop, ms).
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
WORKLOADS = ["W1", "W2", "W3", "W4"]


def run(checkout: str, workload: str, quick: bool) -> str:
    script = os.path.join(checkout, "benchmarks", "run.py")
    command = [sys.executable, script, "--only", workload] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, cwd=checkout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def figures(workload: str, out: str) -> Dict[str, float]:
    """The figures of one run.py --only W output, by name (lower is better for all)."""
    found: Dict[str, float] = {}
    if workload == "W1":
        for name, pattern in [("W1 step, default (ms)", r"ours, default collector\s+([\d.]+)"),
                              ("W1 step, gc_paused (ms)", r"ours, gc_paused\(\)\s+([\d.]+)")]:
            m = re.search(pattern, out)
            if m:
                found[name] = float(m.group(1))
    elif workload == "W2":
        for m in re.finditer(r"^\s*(\d+)\s+ours\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out, flags=re.M):
            n = int(m.group(1))
            for k, what in enumerate(["build ns/node", "backward ns/node", "total ns/node", "bytes/node"]):
                found[f"W2 {n:>7} {what}"] = float(m.group(k + 2))
    elif workload == "W3":
        for section in ("W3a", "W3b"):
            block = out.split(section, 1)[1].split("\n\n", 1)[0] if section in out else ""
            for name, pattern in [("ours", r"^\s+ours\s+step\s+([\d.]+) us"),
                                  ("ours, gc_paused", r"^\s+ours, gc_paused\(\)\s+step\s+([\d.]+) us")]:
                m = re.search(pattern, block, flags=re.M)
                if m:
                    found[f"{section} step, {name} (us)"] = float(m.group(1))
    elif workload == "W4":
        m = re.search(r"^\s+ours\s+([\d.]+) ms", out, flags=re.M)
        if m:
            found["W4 whole loop (ms)"] = float(m.group(1))
    if not found:
        raise RuntimeError(f"no {workload} figures found in run.py's output:\n{out}")
    return found


def spread(xs: List[float]) -> float:
    """max / min - 1 of the runs of one checkout: how far apart identical code lands."""
    return max(xs) / min(xs) - 1.0 if min(xs) > 0 else float("nan")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the checkout to compare against (e.g. a worktree of main)")
    parser.add_argument("--new", default=os.path.dirname(HERE), help="the checkout under test (default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=WORKLOADS)
    parser.add_argument("--quick", action="store_true", help="run.py --quick sizes (a smoke test, not figures)")
    args = parser.parse_args(argv)
    base, new = os.path.abspath(args.base), os.path.abspath(args.new)
    runs: Dict[str, Dict[str, List[float]]] = {"base": {}, "new": {}}
    for r in range(args.rounds):
        for workload in args.only:
            order = [("base", base), ("new", new)] if r % 2 == 0 else [("new", new), ("base", base)]
            for who, checkout in order:
                for name, value in figures(workload, run(checkout, workload, args.quick)).items():
                    runs[who].setdefault(name, []).append(value)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"base: {base}\nnew:  {new}\n{args.rounds} rounds, the two checkouts taking turns; medians, "
          f"and the spread (max/min - 1) of each checkout's runs: the noise")
    print(f"\n{'figure':<34} {'base':>10} {'new':>10} {'new/base':>9} {'base spread':>12} {'new spread':>11}")
    for name in runs["base"]:
        b, n = runs["base"][name], runs["new"].get(name, [])
        if not n:
            continue
        mb, mn = statistics.median(b), statistics.median(n)
        print(f"{name:<34} {mb:>10.1f} {mn:>10.1f} {mn / mb:>9.3f} {spread(b):>11.1%} {spread(n):>10.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
