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


# ---------------------------------------------------------------- the flagship: tour.py

import html  # noqa: E402

import pytest  # noqa: E402

from example_runner import event, run_example as run_lesson  # noqa: E402


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    return out, run_lesson("tour", out, "--fast")


def test_tour_neuron_gradients_are_the_chain_rule_ones(tour) -> None:
    out, s = tour
    r = event(s, "neuron")
    o = r["o"]
    assert abs(o - 2 ** -0.5) < 1e-12
    # do/dn = 1 - o^2; then the sum passes it on, the products swap their factors
    assert abs(r["grad_n"] - (1 - o * o)) < 1e-12
    assert abs(r["grad_x1"] - (-3.0) * r["grad_n"]) < 1e-12 and abs(r["grad_w1"] - 2.0 * r["grad_n"]) < 1e-12
    assert abs(r["grad_x2"] - 1.0 * r["grad_n"]) < 1e-12 and r["grad_w2"] == 0.0


def test_tour_draws_the_graph_before_and_after_backward(tour) -> None:
    out, s = tour
    before = (out / "neuron_before.svg").read_text()
    after = html.unescape((out / "neuron_after.svg").read_text())  # Graphviz writes "-" as &#45;
    assert "grad 0.0000" in before and "grad 0.5000" not in before  # nothing computed yet
    assert "no gradient has flowed yet" in before                    # and the picture says so
    assert "grad 0.5000" in after and "grad -1.5000" in after      # do/dn and do/dx1
    assert {"neuron_before.svg", "neuron_after.svg", "mlp_layers.svg"} <= set(s["files"])
    layers = html.unescape((out / "mlp_layers.svg").read_text())
    assert "layer 1 (2 -> 8, relu)" in layers and "loss: hinge" in layers  # collapsed to layers


def test_tour_steps_through_backward_one_rule_per_frame(tour) -> None:
    out, s = tour
    r = event(s, "frames")
    assert r["steps"] == 5  # two products, two sums, one tanh: one local rule each
    assert r["matches_backward"] is True
    frames = sorted((out / "backward").glob("frame_*.svg"))
    assert len(frames) == r["steps"]
    gif = out / "backward" / "backward.gif"
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    # the terminal twin of the stepper: each step's rule from the engine, with its numbers
    steps = (out / "backward" / "steps.txt").read_text()
    assert event(s, "steps")["rules"] == r["steps"] and steps.startswith("step 1 of 5: o = tanh(n)")
    assert "x.grad += (1.0 - t * t) * out.grad" in steps and "n.grad += (1 - 0.7071²) × 1.0000 = 0.5000" in steps


def test_tour_trains_the_moons_mlp_and_writes_its_figures(tour) -> None:
    out, s = tour
    r = event(s, "train")
    assert r["last_loss"] < 0.5 * r["first_loss"]
    assert r["accuracy"] >= 0.9
    assert {"training.png", "loss.png", "decision_boundary.png"} <= set(s["files"])
    for name in ("training.png", "loss.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
