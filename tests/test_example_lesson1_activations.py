"""examples/lesson1_activations.py: run once in --fast mode, then check each number it claims.

Every check recomputes the claim independently where that is cheap: the 7-parameter
network and its rescaled target with plain numpy, the mean data from numpy's generator
exactly as ``nn.mean_data`` draws it, the descent's closed form for the mean.
"""

from typing import Any, Dict

import numpy as np
import pytest
from example_runner import event, events, figure_problems, run_example

NAME = "lesson1_activations"
FIGURES = {"activations.png", "activation_derivatives.png", "network_fit.png", "network_graph.svg", "landscape.png",
           "mean_descent.png"}


@pytest.fixture(scope="module")
def s(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    return run_example(NAME, tmp_path_factory.mktemp(NAME), "--fast")


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def network(p: Dict[str, float], x: np.ndarray) -> np.ndarray:
    """f(x) = s(w1 s(v1 x + a1) + w2 s(v2 x + a2) + b), in numpy."""
    h1 = sigmoid(p["v1"] * x + p["a1"])
    h2 = sigmoid(p["v2"] * x + p["a2"])
    return sigmoid(p["w1"] * h1 + p["w2"] * h2 + p["b"])


def rescaled_target(x: np.ndarray) -> np.ndarray:
    """-x**2 mapped affinely onto [0.1, 0.9], min and max taken over [-1, 1] (viz.interact's rule)."""
    fine = -np.linspace(-1.0, 1.0, 201) ** 2
    return 0.1 + 0.8 * (-(x**2) - fine.min()) / (fine.max() - fine.min())


def test_every_figure_is_written_and_the_log_has_its_events(s: Dict[str, Any]) -> None:
    assert s["mode"] == "fast"
    assert set(s["files"]) == FIGURES  # run_example checked each is non-empty
    lrs = s["config"]["descent_lrs"]
    counts = {name: len(events(s, name)) for name in
              ("config", "activations", "derivatives", "network", "graph", "surface", "landscape", "curvature", "mean",
               "done")}
    assert counts == {"config": 1, "activations": 1, "derivatives": 3, "network": 1, "graph": 1, "surface": 1,
                      "landscape": len(lrs), "curvature": 1, "mean": len(s["config"]["ns"]), "done": 1}
    assert s["stdout"].count("\n") == sum(counts.values())  # nothing but the fixed-format lines


def test_the_slope_at_the_centre_is_w_times_the_activations_slope_at_0(s: Dict[str, Any]) -> None:
    a = event(s, "activations")
    w, b = np.array(a["w"]), np.array(a["b"])
    assert [tuple(p) for p in s["config"]["activation_settings"]] == list(zip(w, b))
    np.testing.assert_allclose(a["centre"], -b / w, rtol=0, atol=1e-15)
    # sigmoid'(0) = 1/4, tanh'(0) = 1, times w by the chain rule
    np.testing.assert_allclose(a["sigmoid_slope"], w / 4, rtol=1e-12)
    np.testing.assert_allclose(a["tanh_slope"], w, rtol=1e-12)


# f, f', f'' in closed form: only to check the engine's grad(grad(...)), which never sees them
CLOSED_FORMS = {
    "relu": lambda x: (np.maximum(x, 0.0), (x > 0).astype(float), np.zeros_like(x)),  # relu'(0) = 0, relu'' = 0
    "sigmoid": lambda x: (lambda v: (v, v * (1 - v), v * (1 - v) * (1 - 2 * v)))(sigmoid(x)),
    "tanh": lambda x: (lambda t: (t, 1 - t**2, -2 * t * (1 - t**2)))(np.tanh(x)),
}


def test_the_engines_second_derivatives_of_the_activations_are_the_closed_forms(s: Dict[str, Any]) -> None:
    for name, forms in CLOSED_FORMS.items():
        r = event(s, "derivatives", activation=name)
        at = np.array(r["at"])
        assert list(at) == list(s["config"]["derivative_at"]) and 0.0 in at  # the kink, and the inflection points
        for logged, expected in zip((r["f"], r["f_prime"], r["f_second"]), forms(at)):
            np.testing.assert_allclose(logged, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        # the figure's curves: their extremes on the same grid, recomputed from the closed forms
        xs = np.linspace(-5.0, 5.0, r["points"])
        f, d1, d2 = forms(xs)
        assert r["largest_f_prime"] == pytest.approx(d1.max(), rel=1e-12)
        assert r["largest_abs_f_second"] == pytest.approx(np.abs(d2).max(), rel=1e-12, abs=0)
        if name == "relu":
            assert r["largest_abs_f_second"] == 0.0  # relu'' = 0 everywhere, at the kink too (as PyTorch)
            continue
        assert (r["peak_x"], r["trough_x"]) == (xs[np.argmax(d2)], xs[np.argmin(d2)])
        assert r["peak"] == pytest.approx(d2.max(), rel=1e-12) and r["trough"] == pytest.approx(d2.min(), rel=1e-12)
        # where f' rises and falls fastest: x = -/+ ln(2 + sqrt 3) for the sigmoid, -/+ atanh(1/sqrt 3) for tanh
        true = np.log(2 + np.sqrt(3)) if name == "sigmoid" else np.arctanh(1 / np.sqrt(3))
        step = xs[1] - xs[0]
        assert abs(r["peak_x"] + true) <= step / 2 + 1e-12 and abs(r["trough_x"] - true) <= step / 2 + 1e-12


def test_the_engine_fits_the_seven_parameter_network_to_minus_x_squared(s: Dict[str, Any]) -> None:
    r = event(s, "network")
    x = np.linspace(-1.0, 1.0, 41)  # the fit's 41 points
    t = rescaled_target(x)
    fitted = {k: r[k] for k in ("v1", "v2", "a1", "a2", "w1", "w2", "b")}
    start = dict(zip(("v1", "v2", "a1", "a2", "w1", "w2", "b"), s["config"]["hand_start"]))
    # The logged losses are the MSE of these very parameters against the rescaled target.
    assert r["fitted_loss"] == pytest.approx(np.mean((network(fitted, x) - t) ** 2), rel=1e-9)
    assert r["start_loss"] == pytest.approx(np.mean((network(start, x) - t) ** 2), rel=1e-9)
    assert r["fitted_loss"] < r["start_loss"] / 10
    # A meaningful bar: the best constant (the plateau fit_network's NOTE warns of) scores
    # var(t); the fit must explain 99% of the target's variance (R^2 > 0.99).
    assert r["fitted_loss"] < 0.01 * np.var(t)


def test_the_graph_of_the_fitted_network_names_the_seven_parameters(s: Dict[str, Any]) -> None:
    import html
    from pathlib import Path

    r, g = event(s, "network"), event(s, "graph")
    fitted = {k: r[k] for k in ("v1", "v2", "a1", "a2", "w1", "w2", "b")}
    assert g["f"] == pytest.approx(float(network(fitted, np.array(g["x"]))), rel=1e-12)
    svg = html.unescape((Path(event(s, "config")["out"]) / "network_graph.svg").read_text())
    # each parameter's row: its name in bold, then its value
    for name, value in fitted.items():
        assert f">{name}<" in svg and f"data {value:.4f}" in svg, name
    assert f"data {g['f']:.4f}" in svg and ">f(0.5)<" in svg


def test_the_landscape_has_two_mirror_minima_and_the_lr_decides_who_reaches_them(s: Dict[str, Any]) -> None:
    surf = event(s, "surface")
    # The written-out loss_two and the library's network (loss_surface) are the same loss.
    assert surf["formula_loss"] == pytest.approx(surf["center_loss"], rel=1e-12)
    assert (surf["p"], surf["q"]) == ("v1", "v2")
    assert surf["grid_minima"] == 2
    curv = event(s, "curvature")
    small, good, large = sorted(s["config"]["descent_lrs"])
    runs = {lr: event(s, "landscape", lr=lr) for lr in (small, good, large)}

    g = runs[good]
    final = np.array(g["final_loss"])
    assert final.max() == pytest.approx(curv["loss"], rel=1e-9)  # every run at the minimum's height
    v1, v2 = np.array(g["end_v1"]), np.array(g["end_v2"])
    np.testing.assert_allclose(v1, -v2, atol=1e-6)  # on the mirror line v2 = -v1
    np.testing.assert_allclose(np.abs(v1), abs(curv["p"]), atol=1e-6)
    assert (v1 > 0).any() and (v1 < 0).any()  # and at both minima

    assert small < curv["lr_limit"] < large and good < curv["lr_limit"]
    assert curv["lam_min"] > 0  # a bowl: both curvatures positive
    assert curv["lr_limit"] == pytest.approx(2 / curv["lam_max"], rel=1e-15)
    # Stopping early: after early_step steps the small lr is far behind the good one.
    assert np.mean(runs[small]["early_loss"]) > 5 * np.mean(g["early_loss"])
    assert max(runs[small]["final_loss"]) > 10 * curv["loss"]
    # Past 2 / lam_max no run settles: each ends well above the minimum.
    assert min(runs[large]["final_loss"]) > 2 * curv["loss"]


def test_the_engines_hessian_at_the_minimum_is_the_curvature_of_the_numpy_loss(s: Dict[str, Any]) -> None:
    curv, net = event(s, "curvature"), event(s, "network")
    H = np.array(curv["hessian"])
    assert curv["asymmetry"] < 1e-15 and H[0, 1] == pytest.approx(H[1, 0], rel=1e-12)
    assert curv["central_difference_gap"] < 1e-7 * np.abs(H).max()  # the engine's check in the lesson

    # Independently: second central differences of the loss in numpy (the network above, the
    # 41 points, the rescaled target), at the minimum, the other five parameters as fitted.
    x = np.linspace(-1.0, 1.0, 41)
    t = rescaled_target(x)
    theta = {k: net[k] for k in ("v1", "v2", "a1", "a2", "w1", "w2", "b")}

    def L(p: float, q: float) -> float:
        return float(np.mean((network({**theta, "v1": p, "v2": q}, x) - t) ** 2))

    p, q, h = curv["p"], curv["q"], 1e-4
    fd = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e, f = np.eye(2)[i] * h, np.eye(2)[j] * h
            fd[i, j] = (L(p + e[0] + f[0], q + e[1] + f[1]) - L(p + e[0] - f[0], q + e[1] - f[1])
                        - L(p - e[0] + f[0], q - e[1] + f[1]) + L(p - e[0] - f[0], q - e[1] - f[1])) / (4 * h * h)
    np.testing.assert_allclose(H, fd, rtol=1e-4, atol=1e-6 * np.abs(H).max())
    lam = np.linalg.eigvalsh(fd)
    assert curv["lam_min"] == pytest.approx(lam[0], rel=1e-3) and curv["lam_max"] == pytest.approx(lam[1], rel=1e-3)


def test_gradient_descent_finds_the_mean_when_lr_is_below_2_over_n(s: Dict[str, Any]) -> None:
    config = s["config"]
    lr, mu0, steps, seed, tol = config["lr"], config["mu0"], config["steps"], config["seed"], config["tol"]
    assert 10 in config["ns"]
    for n in config["ns"]:
        r = event(s, "mean", n=n)
        x = 3.0 * np.random.default_rng(seed).standard_normal(n) + 2.0  # nn.mean_data(n, seed)
        mean = np.mean(x)
        assert r["mean"] == pytest.approx(mean, rel=1e-14)
        assert abs(r["grad_gap"]) < 1e-12 * n * (1 + np.abs(x).max())  # engine = sum(mu0 - x)
        # Each step multiplies mu - mean by (1 - lr n): after k steps (1 - lr n)^k (mu0 - mean).
        # l''(mu) = n, by grad(grad(...)): exactly (a sum of n ones)
        assert r["second_derivative"] == n and r["lr_limit"] == 2 / n
        assert r["below_limit"] is (lr < 2 / n)
        assert r["found"] is r["below_limit"]  # the limit says which runs find the mean
        factor = 1 - lr * n
        assert r["factor"] == pytest.approx(factor)
        expected = factor**steps * (mu0 - mean)
        assert r["gap"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert r["mu"] == pytest.approx(mean + expected, rel=1e-9, abs=1e-12)
        if abs(factor) < 1:  # found: |l'(mu)| = n |mu - mean| < tol
            assert r["found"] is True
            assert abs(r["long_grad"]) < tol
            assert abs(r["long_mu"] - mean) < tol / n
        else:  # lr > 2/n: each step overshoots further
            assert r["found"] is False
            assert abs(r["long_mu"] - mean) > 1e6
    assert event(s, "mean", n=10)["found"] is True


def test_every_figure_follows_the_lecture_rules(s):
    # legends off the data, no clipped marker, 3-D paths above the surface, text size at
    # projection, no overlapping text, contrast, series told apart for colour-blind viewers
    # (tests/figure_checks.py, applied to every figure the script saved)
    assert figure_problems(s) == {}
