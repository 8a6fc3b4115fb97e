"""Lesson 3 (house prices): the script's claims, read from its summary and re-checked.

The script runs once (``--fast``) for the module. Every derivative claim is checked
again here with numpy alone, from the notes' raw table and the logged weights: central
differences of E, without the engine.
"""

import numpy as np
import pytest

from example_runner import event, events, figure_problems, run_example

NAME = "lesson3_house_prices"

# The notes' table: (size, bedrooms) -> sold price.
HOUSES = np.array(
    [
        [2104, 3, 399900], [1600, 3, 329900], [2400, 3, 369000], [1416, 2, 232000], [3000, 4, 539900],
        [1985, 4, 299900], [1534, 3, 314900], [1427, 3, 198999], [1380, 3, 212000], [1494, 3, 242500],
    ],
    dtype=np.float64,
)
# The notes' naming of the 21 weights, as state-dict entries (w_k is KEYS[k - 1]).
KEYS = (
    [f"0.bias[{j}]" for j in range(5)]
    + [f"0.weight[{j},0]" for j in range(5)]
    + [f"0.weight[{j},1]" for j in range(5)]
    + ["2.bias[0]"]
    + [f"2.weight[0,{j}]" for j in range(5)]
)


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    return run_example(NAME, tmp_path_factory.mktemp(NAME), "--fast")


@pytest.fixture(scope="module")
def data():
    """X (10, 2) and y (10,) standardised with numpy (ddof=0), independently of nn.data."""
    Z = (HOUSES - HOUSES.mean(axis=0)) / HOUSES.std(axis=0)
    return Z[:, :2], Z[:, 2]


def E_numpy(w, X, y):
    """E = 1/2 sum (y - y_pred)^2 of the 2-5-1 sigmoid network in the notes' naming."""
    s = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    h = s(w[0:5] + X[:, :1] * w[5:10] + X[:, 1:2] * w[10:15])  # (10, 5)
    y_pred = s(w[15] + h @ w[16:21])  # (10,)
    return 0.5 * np.sum((y - y_pred) ** 2)


def test_the_21_weights_are_named_as_in_the_notes(summary):
    rows = events(summary, "dE_dw")
    assert [r["w"] for r in rows] == [f"w{k}" for k in range(1, 22)]
    assert [r["key"] for r in rows] == KEYS


def test_hand_derivatives_equal_the_engine(summary):
    rows = events(summary, "dE_dw")
    for r in rows:
        assert r["hand"] == pytest.approx(r["engine"], abs=1e-12), r["w"]
    assert event(summary, "derivatives")["max_hand_vs_engine"] < 1e-12


def test_engine_derivatives_match_numpy_central_differences(summary, data):
    X, y = data
    rows = events(summary, "dE_dw")
    w = np.array([r["value"] for r in rows])
    assert E_numpy(w, X, y) == pytest.approx(event(summary, "derivatives")["E"], rel=1e-12)
    eps = 1e-6
    for k, r in enumerate(rows):
        e = np.zeros(21)
        e[k] = eps
        numeric = (E_numpy(w + e, X, y) - E_numpy(w - e, X, y)) / (2 * eps)
        assert r["engine"] == pytest.approx(numeric, abs=1e-7), r["w"]


def test_gradcheck_passes(summary):
    d = event(summary, "derivatives")
    assert d["gradcheck"] is True and d["n"] == 21
    assert d["max_engine_vs_numeric"] < 1e-6
    assert d["E_notes_formula"] == pytest.approx(d["E"], rel=1e-12)  # the model is the notes' network


def test_house_price_loss_falls_towards_but_not_below_the_sigmoid_floor(summary, data):
    _, y = data
    floor = 0.5 * np.sum((y - np.clip(y, 0, 1)) ** 2)  # the best a (0, 1) output can do
    E0 = event(summary, "derivatives")["E"]
    for engine in ("value", "tensor"):
        run = event(summary, "train", engine=engine)
        assert run["initial_loss"] == pytest.approx(E0, rel=1e-12)
        assert run["final_loss"] < run["initial_loss"]
        assert run["final_loss"] > floor
        assert run["E_floor"] == pytest.approx(floor, rel=1e-12)
    tensor = event(summary, "train", engine="tensor")
    assert tensor["final_loss"] < 0.95 * tensor["initial_loss"]


def test_value_and_tensor_agree(summary):
    agree = event(summary, "agree")
    assert agree["epochs"] == event(summary, "train", engine="value")["epochs"]
    assert agree["max_loss_diff"] < 1e-10
    assert agree["max_weight_diff"] < 1e-10


def test_our_twin_of_the_notes_pytorch_model_matches_pytorch(summary, torch):
    p = event(summary, "pytorch")
    assert p["installed"] is True and p["output"] == "linear"
    assert p["max_loss_diff"] < 1e-9
    assert p["final_E"] < p["sigmoid_out_final_E"]  # a linear output has no floor


def test_vanishing_and_exploding_gradients(summary):
    v = event(summary, "vanishing")
    assert v["first_over_last"] < 1e-4  # sigmoid stack: the first layer hardly learns
    assert v["relu_he_first_over_last"] > 1e-2  # ReLU + He: the same order throughout
    x = event(summary, "exploding")
    assert x["growth"] == pytest.approx(x["first_layer_grad"] / x["he_first_layer_grad"])
    assert x["growth"] > 1e3 and x["per_layer"] > 2
    s = event(summary, "saturated")
    assert s["shrink"] < 0.1 and s["saturated_share"] > 0.25


def test_dead_relus_stay_dead(summary):
    d = event(summary, "dead_relu")
    assert d["healthy"] < 0.2
    assert d["after_big_step"] > d["healthy"]
    assert d["dead_at_start"] == 1.0 and d["dead_after_training"] == 1.0
    assert d["first_layer_grad"] == 0.0  # exactly: relu'(z) = 0 for every sample
    assert d["final_loss"] >= d["constant_E"] - 1e-9  # no better than predicting the mean


def test_too_large_learning_rate_diverges_and_fit_stops(summary):
    runs = events(summary, "learning_rate")
    assert len(runs) == 3
    *fine, big = sorted(runs, key=lambda r: r["lr"])
    assert big["stopped"].startswith("non-finite loss") and big["grew"] is True
    assert big["epochs"] < summary["config"]["lr_epochs"]  # stopped before the end
    for r in fine:
        assert r["stopped"] is None and r["final_loss"] < r["initial_loss"]


def test_detect_anomaly_names_the_op_and_the_line_where_the_loss_first_overflowed(summary):
    """fit's message says to re-run the step under detect_anomaly(); the lesson does, and
    the error names the square of the error (d * d) and the lesson's own line."""
    from pathlib import Path

    big = max(events(summary, "learning_rate"), key=lambda r: r["lr"])
    rec = event(summary, "anomaly")
    assert rec["lr"] == big["lr"] and rec["step"] == big["epochs"] + 1 and rec["fit_suggests"] is True
    assert rec["op"] == "*" and rec["phase"] == "forward" and rec["made"] == "inf"
    script = (Path(__file__).resolve().parent.parent / "examples" / f"{NAME}.py").read_text().splitlines()
    watched = [i + 1 for i, text in enumerate(script) if text.strip() == "nn.half_sse(net(Tensor(X)), y).backward()"
               and any("detect_anomaly()" in above for above in script[i - 3:i])]  # the step, inside the block
    assert rec["file"] == f"{NAME}.py" and [rec["line"]] == watched and rec["source"] == script[watched[0] - 1].strip()
    # the worst error is a float, its square is not: the first overflow is that square
    largest = np.finfo(np.float64).max
    assert np.sqrt(largest) < rec["largest_error"] < largest
    assert big["final_loss"] < largest  # the step before was still finite


def test_figures_written(summary):
    assert set(summary["files"]) == {
        "loss.png", "predictions.png", "gradient_flow.png", "saturation.png", "dead_relus.png", "learning_rates.png",
        "graph_one_house.svg", "graph_neurons.svg",
    }


def test_graphs_of_one_house_show_its_loss_and_every_neuron(summary, data):
    import html
    from pathlib import Path

    out = Path(event(summary, "config")["out"])
    w = np.array([r["value"] for r in events(summary, "dE_dw")])  # w1..w21 as logged
    X, y = data
    E0 = E_numpy(w, X[:1], y[:1])  # the first house's loss, by numpy alone
    full = html.unescape((out / "graph_one_house.svg").read_text())
    neurons = html.unescape((out / "graph_neurons.svg").read_text())
    assert f"data {E0:.4f}" in full and f"data {E0:.4f}" in neurons
    assert event(summary, "graph")["values"] > 21  # every weight is a node, and more
    assert all(f"neuron {j} of layer 1" in neurons for j in range(1, 6)) and "neuron 1 of layer 2" in neurons


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
