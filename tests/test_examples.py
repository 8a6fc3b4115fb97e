"""Every example runs as a script and prints what its lesson claims."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_neuron_example_prints_the_hand_derived_gradients() -> None:
    out = run_example("neuron.py")
    assert "o = tanh(x1*w1 + x2*w2 + b) = 0.7071" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:] if line.split() and line.split()[0] in
            {"x1", "x2", "w1", "w2", "n"}}
    # do/dn = 1 - o^2 = 0.5; do/dx1 = w1 * 0.5; do/dw1 = x1 * 0.5; do/dx2 = w2 * 0.5; do/dw2 = x2 * 0.5
    assert rows["n"][-1] == "0.5000"
    assert rows["x1"][-1] == "-1.5000" and rows["w1"][-1] == "1.0000"
    assert rows["x2"][-1] == "0.5000" and rows["w2"][-1] == "0.0000"
    assert "gradcheck: backward() agrees" in out
