"""The second-order benchmark and the before/after harness run (small sizes).

Smoke tests, not timing tests: the scripts work, the engines they compare compute the
same numbers (hvp and hessian against PyTorch, L against numpy), and the harness reads
the figures out of run.py's output."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> str:
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_second_order_benchmark_runs_and_the_engines_agree() -> None:
    out = run("benchmarks/second_order.py", "--quick")
    gaps = [float(g) for g in re.findall(r"gap ([0-9.]+e[-+][0-9]+)", out)]
    assert len(gaps) >= 4 and max(gaps) < 1e-12, out
    L, eig = re.search(r"power iteration on hvp ([0-9.]+), eigvalsh\(X\^T X\) ([0-9.]+)", out).groups()
    assert L == eig  # lesson 2's L by the engine, to the printed digits
    for section in ("H1", "H2a", "H2b"):
        assert re.search(rf"{section} .*\n(.*\n)*?\s+hvp\s+ours\s+[0-9.]+ us\s+torch\s+[0-9.]+ us", out), section
    assert out.count("grad twins") == 2


def test_before_after_harness_reads_run_py() -> None:
    out = run("benchmarks/before_after.py", str(ROOT), "--quick", "--rounds", "1", "--only", "W2", "W4")
    rows = [line for line in out.splitlines() if line.startswith("W")]
    assert any("bytes/node" in r for r in rows) and any("W4 whole loop" in r for r in rows), out
    for line in rows:
        base, new = (float(x) for x in line.split()[-5:-3])
        assert base > 0 and new > 0


def test_instruction_probes_run_without_valgrind() -> None:
    """benchmarks/instructions.py's workloads still match run.py's and tensor_bench's API
    (the probes themselves, one unit each; valgrind is too slow for the test suite)."""
    for workload, k in [("W2", "200"), ("W1", "1"), ("W1p", "1"), ("W3a", "1"), ("W3b", "1"), ("W4", "2")]:
        run("benchmarks/instructions.py", "--probe", str(ROOT), workload, k)
