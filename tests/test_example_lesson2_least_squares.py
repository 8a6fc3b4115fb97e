"""Lesson 2's example: gradient descent on least squares, checked against numpy.

The script runs once (``--fast``); each test reads one claim from its summary.json and
checks it against a computation of its own: the notes' data regenerated with numpy's
global seed, ``np.linalg.lstsq``, the eigenvalues of X^T X, and central differences.
"""

import numpy as np
import pytest

from example_runner import event, events, figure_problems, run_example

NAME = "lesson2_least_squares"
FIGURES = {"function.png", "log_loss.png", "beta_path.png", "lr_panel.png", "surface3d.png", "line_fit.gif", "fit.png"}


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp(NAME)
    s = run_example(NAME, out, "--fast")
    s["out"] = out
    return s


@pytest.fixture(scope="module")
def notes_data(summary):
    """X, y exactly as the notes make them (global seed), restoring numpy's global state after."""
    n = summary["config"]["n"]
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        xlin = -10 + 20 * np.random.random(n)
        y = 1 + 0.5 * xlin + np.random.randn(n)
    finally:
        np.random.set_state(saved)
    return np.column_stack([np.ones(n), xlin]), y


def f(x):
    return 3 * x**2 - 4 * x + 5


def test_tangent_slope_at_minus_two_is_minus_sixteen(summary):
    rec = event(summary, "tangent")
    x0, h = rec["x"], 1e-4
    central = (f(x0 + h) - f(x0 - h)) / (2 * h)  # exact for a quadratic, up to rounding
    assert rec["slope"] == pytest.approx(central, abs=1e-6)
    assert rec["slope"] == pytest.approx(6 * x0 - 4)  # the notes' f'(x) = 6x - 4: -16 at -2
    assert rec["max_gap_vs_6x_minus_4"] < 1e-12


def test_descent_on_f_finds_the_vertex(summary):
    rec = event(summary, "minimum_f")
    a, b = 3.0, -4.0
    assert rec["x_min"] == pytest.approx(-b / (2 * a), abs=1e-8)  # 2/3
    assert rec["f_min"] == pytest.approx(f(-b / (2 * a)), abs=1e-12)


def test_data_and_lstsq_match_the_notes(summary, notes_data):
    X, y = notes_data
    beta_hat = np.linalg.lstsq(X, y, rcond=None)[0]
    rec = event(summary, "data")
    assert rec["ones_column"] is True
    np.testing.assert_allclose(rec["lstsq_beta"], beta_hat, rtol=1e-5)
    assert rec["lstsq_loss"] == pytest.approx(0.5 * np.sum((y - X @ beta_hat) ** 2), rel=1e-5)


def test_eta_0002_converges_to_the_lstsq_solution(summary, notes_data):
    X, y = notes_data
    beta_hat = np.linalg.lstsq(X, y, rcond=None)[0]
    run = event(summary, "descent", eta=0.002)
    assert run["start"] == [-8.0, -3.2] and run["steps"] == 1000
    assert run["diverged"] is False and run["stopped_at"] is None
    assert np.linalg.norm(np.array(run["final_beta"]) - beta_hat) < 1e-3
    assert run["final_loss"] == pytest.approx(0.5 * np.sum((y - X @ beta_hat) ** 2), rel=1e-6)
    assert run["zigzags_in_10"] == 0  # 1 - eta L > 0: it never crosses the valley floor
    fit = event(summary, "fit")
    np.testing.assert_allclose(fit["lstsq_beta"], beta_hat, rtol=1e-5)
    assert fit["distance"] == pytest.approx(np.linalg.norm(np.array(fit["beta"]) - beta_hat), rel=1e-4)


def test_eta_00065_diverges(summary):
    run = event(summary, "descent", eta=0.0065)
    assert run["start"] == [-8.0, -2.0] and run["steps"] == 100
    assert run["diverged"] is True
    assert run["final_loss"] > 100 * run["start_loss"]  # orders of magnitude, not a wobble
    assert run["zigzags_in_10"] == 10  # overshoots across the valley at every step


def test_eta_00055_zigzags_but_converges(summary, notes_data):
    X, y = notes_data
    lstsq_loss = 0.5 * np.sum((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2)
    run = event(summary, "descent", eta=0.0055)
    assert run["diverged"] is False and run["stopped_at"] is None
    assert run["zigzags_in_10"] == 10
    assert lstsq_loss < run["final_loss"] < 1.2 * lstsq_loss  # close after 100 steps, not there yet
    assert -1 < run["stiff_factor"] < 0  # shrinking oscillation


def test_critical_learning_rate_lies_between(summary, notes_data):
    X, _ = notes_data
    L = np.linalg.eigvalsh(X.T @ X).max()  # the Hessian of 0.5 ||y - X b||^2 is X^T X
    rec = event(summary, "critical")
    assert rec["two_over_L"] == pytest.approx(2 / L, rel=1e-5)
    assert 0.0055 < rec["two_over_L"] < 0.0065
    assert len(events(summary, "descent")) == 3


def test_figures_are_written(summary):
    assert set(summary["files"]) == FIGURES
    assert (summary["out"] / "line_fit.gif").stat().st_size < 1_000_000


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
