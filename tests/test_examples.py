"""Every example runs as a script and prints what its lesson claims."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_neuron_example_logs_the_hand_derived_gradients(tmp_path) -> None:
    from example_runner import event, events, run_example as run_lesson

    s = run_lesson("neuron", tmp_path / "neuron")
    assert s["mode"] == "default" and (tmp_path / "neuron" / "summary.json").is_file()
    o = event(s, "forward")["o"]
    assert abs(o - 2 ** -0.5) < 1e-12  # tanh(0.8813735870195432) = sqrt(2)/2
    grads = {r["label"]: r["grad"] for r in events(s, "node")}
    # do/dn = 1 - o^2 = 0.5; do/dx1 = w1 * 0.5; do/dw1 = x1 * 0.5; do/dx2 = w2 * 0.5; do/dw2 = x2 * 0.5
    assert abs(grads["n"] - (1 - o * o)) < 1e-12 and abs(grads["n"] - 0.5) < 1e-12
    assert abs(grads["x1"] - (-3.0) * grads["n"]) < 1e-12 and abs(grads["w1"] - 2.0 * grads["n"]) < 1e-12
    assert abs(grads["x2"] - 1.0 * grads["n"]) < 1e-12 and grads["w2"] == 0.0
    assert [r["label"] for r in events(s, "node")][0] == "o"  # backward's order: the output first
    assert event(s, "gradcheck") == {"event": "gradcheck", "inputs": 5, "agrees": True}


def test_neuron_example_takes_the_kits_flags(tmp_path) -> None:
    from example_runner import event, run_example as run_lesson

    s = run_lesson("neuron", tmp_path / "n", "--fast", "--w1=-2.0")
    assert s["mode"] == "fast" and s["config"]["w1"] == -2.0
    import math

    assert abs(event(s, "forward")["o"] - math.tanh(2.0 * -2.0 + 6.8813735870195432)) < 1e-12
    bad = subprocess.run([sys.executable, str(ROOT / "examples" / "neuron.py"), "--nonsense"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert bad.returncode != 0 and "cannot read argument '--nonsense'" in bad.stderr


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


def test_tour_figures_follow_the_lecture_rules(tour) -> None:
    from example_runner import figure_problems

    out, s = tour
    assert figure_problems(s) == {}


def test_tour_trains_the_moons_mlp_and_writes_its_figures(tour) -> None:
    out, s = tour
    r = event(s, "train")
    assert r["last_loss"] < 0.5 * r["first_loss"]
    assert r["accuracy"] >= 0.9
    assert {"training.png", "loss.png", "decision_boundary.png"} <= set(s["files"])
    for name in ("training.png", "loss.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
