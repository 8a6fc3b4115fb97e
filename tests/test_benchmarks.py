"""The benchmark script runs (small sizes): the figures in the README come from it.

This is a smoke test, not a timing test: it asserts the script works, that the deep
chain backpropagates, and that the engines compared side by side compute the same
numbers (the W3/W4 comparisons are only fair if they do), never how fast anything is."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import tensor_bench  # noqa: E402


def run_quick(*extra: str, block: str = "") -> str:
    """benchmarks/run.py --quick in a fresh interpreter; ``block`` names modules to hide."""
    code = (
        "import runpy, sys\n"
        f"for name in {block.split()!r}: sys.modules[name] = None  # import raises ImportError\n"
        f"sys.argv = ['benchmarks/run.py', '--quick', *{list(extra)!r}]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def gaps(out: str, section: str) -> list:
    """Every number printed after 'gap' in the lines of one workload's section."""
    block = out.split(section, 1)[1].split("\n\n", 1)[0]
    return [float(x) for x in re.findall(r"gap[^0-9]*?([0-9.]+e[-+][0-9]+)", block)]


def test_benchmark_script_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "W2" in out and "ours" in out
    assert "ours: backward" in out and "RecursionError" not in out.split("ours: backward")[1].splitlines()[0]
    # W3 (both losses) and W4 ran, and every engine computed the same numbers as numpy
    for section in ("W3a", "W3b", "W4"):
        found = gaps(out, section)
        assert found and max(found) < 1e-9, (section, found, out)
    for section in ("W3a", "W3b"):
        accs = re.findall(r"(\d+\.\d)%", out.split(section, 1)[1].split("\n\n", 1)[0])
        assert len(accs) >= 3 and len(set(accs)) == 1, (section, accs)  # every engine, the same accuracy


def test_quick_run_needs_no_torch_micrograd_or_sklearn() -> None:
    # CI's smoke test may run with the test extra only: W3 falls back to synthetic data
    out = run_quick("--only", "W3", block="torch sklearn micrograd")
    assert "SYNTHETIC" in out and "torch: not installed" in out
    for section in ("W3a", "W3b"):
        assert max(gaps(out, section)) < 1e-9
    out = run_quick("--only", "W4", block="torch sklearn micrograd")
    assert max(gaps(out, "W4")) < 1e-9


@pytest.mark.parametrize("loss", ["sse", "ce"])
def test_w3_engines_compute_the_same_loss_and_gradients(loss: str) -> None:
    X, y, _, _, _ = tensor_bench.digits(seed=0)
    x, Y = X[:100], tensor_bench.one_hot(y[:100])
    weights = tensor_bench.init_weights([64, 50, 10], seed=1)
    kinds = [tensor_bench.NumpyDigits, tensor_bench.OursDigits]
    if tensor_bench.torch is not None:
        kinds.append(tensor_bench.TorchDigits)
    engines = [k(weights, loss, tensor_bench.W3_LR[loss]) for k in kinds]
    ref_loss, ref_grads = engines[0].grads(x, Y)
    assert all(np.abs(g).max() > 0 for g in ref_grads)  # a dead network would agree trivially
    for e in engines[1:]:
        l, gs = e.grads(x, Y)
        assert l == pytest.approx(ref_loss, rel=1e-12), e.name
        for g, r in zip(gs, ref_grads):
            np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-12 * np.abs(r).max(), err_msg=e.name)
    # and a few training steps keep them together
    for e in engines:
        e.__init__(weights, loss, tensor_bench.W3_LR[loss])
        for _ in range(3):
            e.step(x, Y)
    for e in engines[1:]:
        for w, r in zip(e.weights(), engines[0].weights()):
            np.testing.assert_allclose(w, r, rtol=1e-10, atol=1e-12, err_msg=e.name)


def test_w4_engines_follow_the_same_loss_curve() -> None:
    X, y = tensor_bench.houses()
    assert X.shape == (10, 2) and y.shape == (10, 1)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(), 1.0)
    params = tensor_bench.house_params()
    runs = [tensor_bench.w4_numpy, tensor_bench.w4_ours]
    if tensor_bench.torch is not None:
        runs.append(tensor_bench.w4_torch)
    curves = [run(params, X, y, 200, 0.01) for run in runs]
    assert curves[0][-1] < 0.5 * curves[0][0]  # it trains
    for c in curves[1:]:
        np.testing.assert_allclose(c, curves[0], rtol=1e-10)


def test_profile_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tensor_profile.py"), "-n", "100"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "rule matmul" in result.stdout and "numpy floor" in result.stdout


def test_viz_benchmark_script_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "viz_graph.py"), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    against, lecture = result.stdout.split("lecture drawing", 1)
    rows = [line for line in against.splitlines() if " draw " in line]
    assert [row.split()[0] for row in rows] == ["neuron", "mlp", "largest:", "tensor", "collapsed:"]
    for name in ("recording off (as shipped)", "no record check (reference)", "recording on", "recording on in another thread"):
        assert name in against
    for name in ("neuron: draw", "collapsed MLP: render svg", "neuron frames: make all 5", "neuron frames: save svg + stepper + gif"):
        assert name in lecture


def test_landscape_benchmark_script_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "landscape.py"), "--quick"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "PyTorch" in result.stdout or "torch" in result.stdout
