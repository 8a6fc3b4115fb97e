"""Lesson 2's example: gradient descent on least squares, checked against numpy.

The script runs once (``--fast``); each test reads one claim from its summary.json and
checks it against a computation of its own: the notes' data regenerated with numpy's
global seed, ``np.linalg.lstsq``, the eigenvalues of X^T X, the notes' update iterated in
numpy, and central differences. The second-order claims (the engine's Hessian and its
power iteration, the threshold 2/L, the Newton step, the graph of f' and its backward
frames, measured as projected) are checked the same way.
"""

import numpy as np
import pytest

from example_runner import event, events, figure_problems, run_example

NAME = "lesson2_least_squares"
FIGURES = {"function.png", "derivative_graph.svg", "log_loss.png", "threshold.png", "beta_path.png", "lr_panel.png",
           "surface3d.png", "line_fit.gif", "fit.png"}


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
    top = {f for f in summary["files"] if "/" not in f}
    assert top == FIGURES
    frames = event(summary, "second_derivative")["frames"]
    assert set(summary["files"]) - top == (
        {f"derivative_backward/frame_{k:03d}.svg" for k in range(1, frames + 1)}
        | {"derivative_backward/backward.html", "derivative_backward/backward.gif"}
    )
    assert (summary["out"] / "line_fit.gif").stat().st_size < 1_000_000


# ---------------------------------------------------------------------- second order: the engine's curvature


def test_the_derivative_is_a_graph_and_its_backward_pass_gives_f_second(summary):
    rec = event(summary, "second_derivative")
    x = rec["x"]
    assert x == summary["config"]["x_tangent"]
    assert rec["f_prime"] == 6 * x - 4  # exact: small integers in floating point
    assert rec["f_second"] == 6.0  # d/dx (6x - 4), by grad() of the graph of f'
    assert rec["frames_x_grad"] == 6.0  # the same, by the frames' simulated backward pass
    assert rec["x_grad"] == 0.0  # grad() wrote no .grad field
    # -4 + 3 * (2 * x ** 1): the power rule's twin, two products, the sum of the two terms
    assert rec["ops"] == ["**", "*", "*", "+"] and rec["frames"] == len(rec["ops"])
    assert rec["nodes"] == 9  # x, four constants (1, 2, 3, -4) and the four results


def test_the_derivative_graph_and_its_frames_read_from_the_back_row(summary):
    import html

    from viz.legibility import measure_svg

    out = summary["out"]
    svg = (out / "derivative_graph.svg").read_text()
    text = html.unescape(svg)
    assert "f'(x)" in text and "data -16.0000" in text  # the derivative at x = -2 ...
    assert "grad 6.0000" in text  # ... and d f'(x) / dx = f''(x), simulated, in x's cell
    pictures = {"derivative_graph.svg": svg}
    for k in range(1, event(summary, "second_derivative")["frames"] + 1):
        name = f"derivative_backward/frame_{k:03d}.svg"
        pictures[name] = (out / name).read_text()
    for name, picture in pictures.items():  # fitted to 1920 x 1080, as projected
        m = measure_svg(picture)
        assert m.smallest_px >= 18 and m.median_px >= 24, (name, m.summary())
        assert m.lowest_contrast >= 4.5, (name, m.summary())
    page = (out / "derivative_backward" / "backward.html").read_text()
    assert page.count("<svg") >= event(summary, "second_derivative")["frames"]  # every frame inlined
    assert (out / "derivative_backward" / "backward.gif").read_bytes()[:6] in (b"GIF87a", b"GIF89a")


def test_L_by_hessian_and_by_power_iteration_on_hvp_is_the_top_eigenvalue_of_XtX(summary, notes_data):
    X, _ = notes_data
    XtX = X.T @ X
    eig = np.linalg.eigvalsh(XtX)
    rec = event(summary, "curvature")
    c = summary["config"]
    assert rec["hessian_of"] == "0.5||y-X*beta||^2"
    np.testing.assert_allclose(rec["hessian"], XtX, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rec["hessian_full"], 2 * XtX, rtol=1e-12, atol=1e-12)  # without the half: twice
    assert rec["L_hessian"] == pytest.approx(eig[-1], rel=1e-12)
    assert rec["smallest"] == pytest.approx(eig[0], rel=1e-10)
    assert rec["L_power"] == pytest.approx(eig[-1], rel=1e-12)
    assert rec["L_eigvalsh"] == pytest.approx(eig[-1], rel=1e-12)
    assert rec["power_seed"] == c["power_seed"]
    assert rec["power_residual"] <= c["power_tol"] * rec["L_power"]  # stopped because it converged ...
    assert rec["power_steps"] < c["power_max_steps"]  # ... not because it ran out of steps
    crit = event(summary, "critical")
    assert crit["L"] == rec["L_power"] and crit["two_over_L"] == pytest.approx(2 / eig[-1], rel=1e-12)
    # the lesson's three etas straddle it: two below, one above
    assert c["eta"] < c["eta_compare"] < crit["two_over_L"] < c["eta_bad"]


def test_the_sweep_of_etas_breaks_down_exactly_at_two_over_L(summary, notes_data):
    X, y = notes_data
    rec = event(summary, "threshold")
    c = summary["config"]
    etas = np.array(rec["etas"])
    assert {c["eta"], c["eta_compare"], c["eta_bad"]} <= set(rec["etas"])
    lo, hi, count = c["sweep_etas"]
    assert len(etas) >= count and etas.min() == lo and etas.max() == hi
    # The same descent in numpy: beta <- beta - eta (X^T X beta - X^T y), the notes' update.
    start = np.array(rec["start"])
    assert rec["start_loss"] == pytest.approx(0.5 * np.sum((y - X @ start) ** 2), rel=1e-12)
    for e, logged in zip(etas, rec["loss_after"]):
        beta = start.copy()
        for _ in range(rec["steps"]):
            beta = beta - e * (X.T @ (X @ beta) - X.T @ y)
        assert logged == pytest.approx(0.5 * np.sum((y - X @ beta) ** 2), rel=1e-8), e
    after = np.array(rec["loss_after"])
    two_over_L = 2 / np.linalg.eigvalsh(X.T @ X)[-1]
    np.testing.assert_array_equal(after < rec["start_loss"], etas < two_over_L)  # closer below 2/L, further above
    assert rec["largest_converging"] < two_over_L < rec["smallest_diverging"]
    assert after[etas > two_over_L].min() > 10 * rec["start_loss"]  # not a wobble: it explodes


def test_one_newton_step_lands_on_the_least_squares_solution(summary, notes_data):
    X, y = notes_data
    beta_hat = np.linalg.lstsq(X, y, rcond=None)[0]
    rec = event(summary, "newton")
    start = np.array(rec["start"])
    assert rec["start"] == list(summary["config"]["start"])
    g = X.T @ (X @ start) - X.T @ y  # the half loss's gradient at the start
    np.testing.assert_allclose(rec["gradient"], g, rtol=1e-12)
    np.testing.assert_allclose(rec["beta"], start - np.linalg.solve(X.T @ X, g), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rec["beta"], beta_hat, rtol=0, atol=1e-10)
    assert rec["distance"] < 1e-10
    assert rec["loss"] == pytest.approx(0.5 * np.sum((y - X @ beta_hat) ** 2), rel=1e-12)
    # gradient descent, after its 1000 steps, is still a million times further away
    assert rec["gd_steps"] == 1000 and rec["gd_distance"] > 1e6 * rec["distance"]


def test_every_figure_follows_the_lecture_rules(summary):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(summary) == {}
