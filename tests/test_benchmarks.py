"""The benchmark script runs (small sizes): the figures in the README come from it.

This is a smoke test, not a timing test: it asserts the script works and that the
deep chain backpropagates, never how fast anything is."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_script_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "W2" in out and "ours" in out
    assert "ours: backward" in out and "RecursionError" not in out.split("ours: backward")[1].splitlines()[0]


def test_viz_benchmark_script_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "viz_graph.py"), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if " draw " in line]
    assert [row.split()[0] for row in rows] == ["neuron", "mlp", "largest:"]
