"""Lesson 4 (digits): the script's claims, read from its summary and re-checked.

The script runs once (``--fast``) for the module. The test accuracy is recomputed here
with numpy alone from the trained weights the script saved (``model.npz``) and the raw
digits from scikit-learn; the starting loss is checked against what an untrained
network must give.
"""

import importlib.util

import numpy as np
import pytest

import nn
from example_runner import event, figure_problems, run_example

NAME = "lesson4_digits"
FIGURES = {"digits.png", "batch.png", "pca_data.png", "loss_curves.png", "wrong.png", "hidden.png",
           "weights.png", "pca_weights.png"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp(NAME)
    return run_example(NAME, out, "--fast"), out


@pytest.fixture(scope="module")
def summary(run):
    return run[0]


def test_every_figure_is_written(summary):
    assert FIGURES <= set(summary["files"])  # run_example checked each one is non-empty


def test_test_accuracy_is_at_least_90_percent(summary):
    test = event(summary, "test")
    assert test["accuracy"] >= 0.90
    assert test["total"] == 180  # 10% of 1797, rounded up
    assert test["correct"] + test["wrong"] == test["total"]
    assert test["accuracy"] == pytest.approx(test["correct"] / test["total"], abs=1e-12)


def test_accuracy_recomputed_with_numpy_from_the_saved_weights(run):
    summary, out = run
    from sklearn.datasets import load_digits

    digits = load_digits()
    config = summary["config"]
    # The split is the script's input (the same seeded nn function); the claim is what
    # the trained weights do on it, computed here without the engine.
    _, X_test, _, y_test = nn.train_test_split(
        digits.data.astype(np.float64), digits.target, config["test_fraction"], seed=config["seed"]
    )
    with np.load(out / "model.npz", allow_pickle=False) as f:
        W1, W2 = f["0.weight"], f["2.weight"]  # (50, 64), (10, 50): PyTorch's layout
    assert W1.shape == (config["hidden"], 64) and W2.shape == (10, config["hidden"])
    predicted = (np.maximum(X_test @ W1.T, 0.0) @ W2.T).argmax(axis=1)
    test = event(summary, "test")
    assert int((predicted == y_test).sum()) == test["correct"]
    assert (predicted == y_test).mean() >= 0.90


def test_loss_falls_on_every_batch(summary):
    train = event(summary, "train")
    config = summary["config"]
    assert train["batches"] == config["num_batches"] and train["steps_per_batch"] == config["epochs"]
    assert train["batches_improved"] == train["batches"]  # each batch ends lower than it started
    assert train["loss_last"] < 0.25 * train["loss_first"]


def test_loss_starts_where_an_untrained_network_must(summary):
    # Weights randn/50 make the outputs nearly equal, so the softmax is nearly 1/10 for
    # every class: each digit costs (1 - 0.1)^2 + 9 (0.1)^2 = 0.9, a batch of 100 about 90.
    train = event(summary, "train")
    assert train["loss_first"] == pytest.approx(summary["config"]["batch_size"] * 0.9, rel=0.02)


def test_pytorch_trains_the_same_network_to_the_same_weights(summary):
    record = event(summary, "torch")
    if importlib.util.find_spec("torch") is None:
        assert record["missing"] is True
        pytest.skip("torch not installed: the script logged that it skipped the comparison")
    # --fast repeats the whole run in PyTorch: same start, batches, lr and loss, float64.
    assert record["whole_run"] is True and record["passes"] == summary["config"]["epochs"]
    assert record["max_weight_diff"] < 1e-12
    assert record["max_loss_diff"] < 1e-9
    assert record["torch_loss"] == pytest.approx(record["ours_loss"], rel=1e-12)
    assert record["torch_accuracy"] == record["ours_accuracy"] == event(summary, "test")["accuracy"]


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
