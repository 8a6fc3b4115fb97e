"""Every figure function of viz, on lesson-like inputs, against the lecture rules.

The rules themselves are in ``figure_checks`` (legends off the data, no clipped marker,
3-D paths above their surface, text size at projection, text overlap and contrast,
series told apart by more than colour and by colours a colour-blind viewer can tell
apart). Here each figure function is called as a lesson calls it, with ``ax=None`` (its
own figure), and every rule is applied; the last test makes sure no public figure
function of viz is missing from the list.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Dict

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402
from figure_checks import MIN_DELTA_E, delta_e, problems  # noqa: E402
from viz import style  # noqa: E402


def _figure(obj: Any) -> Any:
    if hasattr(obj, "savefig"):
        return obj
    if hasattr(obj, "figure") and hasattr(obj.figure, "savefig"):
        return obj.figure
    return obj._fig  # an animation keeps its figure there


# ---------------------------------------------------------------------- lesson-like inputs


def _trained_moons():
    X, y01 = nn.moons(60, noise=0.1, seed=0)
    y = 2 * y01 - 1
    model = nn.TensorMLP(2, [8, 8, 1], activation="relu", seed=0)
    h = nn.fit(model, nn.hinge, (X, y), nn.SGD(model.parameters(), lr=0.5), epochs=30, metrics={"acc": nn.accuracy},
               val_data=(X, y), log_every=0, progress=False)
    return model, X, y, h


def _two_weight_run():
    X, y = nn.piecewise(400, seed=42)
    model = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False)
    model.load_state_dict({"0.weight": np.array([[-1.0]]), "2.weight": np.array([[-1.0]])})
    h = nn.fit(model, nn.mse, nn.Batches(X, y, batch_size=100, seed=0), nn.SGD(model.parameters(), lr=1e-2), epochs=8,
               snapshot_every=4, log_every=0, progress=False)
    return model, X, y, h


def case_history_metric():
    _, _, _, h = _trained_moons()
    return viz.plot_history(h, metric="acc")


def case_history_runs():
    runs = np.exp(-np.linspace(0, 3, 50))[None, :] * np.linspace(1, 2, 12)[:, None]
    return viz.plot_history(runs, colorbar_label="batch index")


def case_history_labelled_runs():
    a, b, c = (np.exp(-k * np.linspace(0, 3, 60)) + 0.01 for k in (0.5, 1.0, 2.0))
    return viz.plot_history([a, b, c], logy=True, label=["eta = 0.001", "eta = 0.01", "eta = 0.1"])


def case_history_smooth():
    rng = np.random.default_rng(0)
    return viz.plot_history(np.exp(-np.linspace(0, 3, 200)) + 0.1 * rng.random(200), smooth=10)


def case_predictions():
    rng = np.random.default_rng(0)
    y = rng.normal(300e3, 80e3, 10)
    return viz.plot_predictions(y, y + rng.normal(0, 30e3, 10), scale=1e-3, unit="k$")


def case_weights():
    model = nn.TensorMLP(64, [50, 10], activation="relu", bias=False, seed=0)
    before = model.state_dict()
    model.load_state_dict({k: v * 1.5 for k, v in before.items()})
    return viz.plot_weights(model, before=before)


def case_function():
    return viz.plot_function(lambda x: 3 * x**2 - 4 * x + 5, (-4, 4), tangent_at=-2.0)


def case_activations():
    return viz.plot_activations(("relu", "sigmoid", "tanh"), w=2.0, b=1.0, derivatives=True)


def case_descent_1d():
    x = nn.mean_data(10, seed=1)
    data = x.tolist()

    def loss(mu):
        return 0.5 * sum((xi - mu) ** 2 for xi in data)

    path = viz.descend_1d(loss, -0.5, lr=0.05, steps=5)
    return viz.plot_descent_1d(loss, path, xlabel="mu", marks={"empirical mean": float(np.mean(x)), "true mean": 2.0})


def case_images():
    X, labels = nn.load_digits(scale=False)
    return viz.plot_images(X[:20], labels[:20].tolist(), predictions=[int(v) for v in labels[:19]] + [1], ncols=10)


def case_matrix():
    return viz.plot_matrix(np.random.default_rng(0).random((100, 64)), title="a batch", xlabel="pixel", ylabel="digit")


def case_pca():
    X, labels = nn.load_digits(scale=False)
    return viz.plot_pca(X, labels)


def case_contour_with_path():
    model, X, y, h = _two_weight_run()
    surface = viz.loss_surface(model, nn.mse, (X, y), n=21, paths=h, progress=False)
    return viz.plot_contour(surface, path=h)


def case_surface3d_with_path():
    model, X, y, h = _two_weight_run()
    surface = viz.loss_surface(model, nn.mse, (X, y), n=21, paths=h, progress=False)
    ax = viz.plot_surface3d(surface)
    viz.plot_trajectory(h, ax=ax, surface=surface)
    return ax


def case_trajectory_alone():
    model, X, y, h = _two_weight_run()
    surface = viz.loss_surface(model, nn.mse, (X, y), n=21, paths=h, progress=False)
    return viz.plot_trajectory(h, surface=surface)


def case_interpolation():
    model, X, y, _ = _two_weight_run()
    other = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False, seed=3)
    return viz.plot_interpolation(viz.interpolate(other, model, nn.mse, (X, y), n=21, extend=0.5, progress=False), log=True)


def _lesson2():
    X, y = nn.least_squares_line()
    return viz.least_squares_loss(X, y)


def case_descent():
    f = _lesson2()
    good = viz.run_descent(f, (-8, -3.2), lr=0.002, steps=300)
    bad = viz.run_descent(f, (-8, -2), lr=0.0065, steps=100)
    return viz.plot_descent(f, [good, bad])


def case_lr_panel():
    return viz.plot_lr_panel(_lesson2(), (-8, -2), lrs=(0.002, 0.0055, 0.0065), steps=100, n=60)


def case_lr_panel_default():
    return viz.plot_lr_panel(viz.quadratic(), n=60)


def case_animate_descent():
    return viz.animate_descent(viz.rosenbrock(), x0=(-1.2, 1.0), lr=1e-3, steps=30, n=60)


def case_animate_line_fit():
    X, y = nn.least_squares_line()
    run = viz.run_descent(viz.least_squares_loss(X, y), (-8, -3.2), lr=0.002, steps=50)
    return viz.animate_line_fit(X, y, run, every=10)


def case_boundary_sign():
    model, X, y, _ = _trained_moons()
    return viz.plot_decision_boundary(model, X, y, mode="sign")


def case_boundary_prob():
    X, y = nn.moons(60, noise=0.1, seed=1)
    model = nn.TensorMLP(2, [8, 1], activation="tanh", seed=0)
    nn.fit(model, nn.binary_cross_entropy_with_logits, (X, y), nn.Adam(model.parameters(), lr=0.05), epochs=60,
           log_every=0, progress=False)
    return viz.plot_decision_boundary(model, X[:40], y[:40], test=(X[40:], y[40:]))


def case_boundary_class():
    X, y = nn.blobs(90, centers=3, seed=0)
    model = nn.TensorMLP(2, [8, 3], activation="relu", seed=0)
    nn.fit(model, nn.cross_entropy, (X, y), nn.Adam(model.parameters(), lr=0.05), epochs=40, log_every=0, progress=False)
    return viz.plot_decision_boundary(model, X, y, mode="class")


def case_neuron_maps():
    model, X, y, _ = _trained_moons()
    return viz.plot_neuron_maps(model, X, y=y, n=40)


def case_gradient_flow():
    from autograd_lite import Tensor

    X, y, _ = nn.house_prices()
    net = nn.TensorMLP(2, [10] * 8 + [1], activation="sigmoid", seed=0)
    nn.half_sse(net(Tensor(X)), y).backward()
    return viz.plot_gradient_flow(net)


def case_dead_relus():
    X, _, _ = nn.house_prices()
    net = nn.TensorMLP(2, [20, 20, 1], activation="relu", seed=0, bias_init=lambda shape, rng: np.full(shape, -1.0))
    return viz.plot_dead_relus(net, X)


def case_activation_hist():
    X, _, _ = nn.house_prices()
    net = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    net.load_state_dict({k: 10 * v for k, v in net.state_dict().items()})
    return viz.plot_activation_hist(net, X, bins=20)


def case_interact_activation():
    return viz.interact_activation(static=True)


def case_interact_network():
    return viz.interact_network(static=True, steps=200)


CASES: Dict[str, Callable[[], Any]] = {name[5:]: f for name, f in globals().items() if name.startswith("case_")}

#: Which case draws each public figure function (the completeness test below reads it).
COVERS = {
    "plot_history": "history_metric", "plot_predictions": "predictions", "plot_weights": "weights",
    "plot_function": "function", "plot_activations": "activations", "plot_descent_1d": "descent_1d",
    "plot_images": "images", "plot_matrix": "matrix", "plot_pca": "pca", "plot_contour": "contour_with_path",
    "plot_surface3d": "surface3d_with_path", "plot_trajectory": "trajectory_alone",
    "plot_interpolation": "interpolation", "plot_descent": "descent", "plot_lr_panel": "lr_panel",
    "animate_descent": "animate_descent", "animate_line_fit": "animate_line_fit",
    "plot_decision_boundary": "boundary_sign", "plot_neuron_maps": "neuron_maps",
    "plot_gradient_flow": "gradient_flow", "plot_dead_relus": "dead_relus",
    "plot_activation_hist": "activation_hist", "interact_activation": "interact_activation",
    "interact_network": "interact_network",
}


@pytest.mark.parametrize("name", sorted(CASES))
# An animation is checked on its figure as first drawn; it is dropped without being saved.
@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering anything")
def test_figure_follows_the_lecture_rules(name: str) -> None:
    fig = _figure(CASES[name]())
    try:
        assert problems(fig) == [], name
    finally:
        plt.close(fig)


def test_every_public_figure_function_has_a_case() -> None:
    public = {n for n in viz.__all__ if n.startswith(("plot_", "animate_", "interact_"))}
    assert public == set(COVERS), public ^ set(COVERS)
    assert set(COVERS.values()) <= set(CASES)


def test_animations_are_1000_px_wide_with_20_px_text(tmp_path) -> None:
    from PIL import Image

    from figure_checks import text_size_problems

    for make in (case_animate_descent, case_animate_line_fit):
        anim = make()
        fig = anim._fig
        # at the GIF's own size (it is shown as it is, not fitted to the screen)
        assert fig.get_figwidth() * fig.dpi >= 1000
        assert text_size_problems(fig, scale_dpi=fig.dpi, body_px=20, min_px=20) == []
        path = viz.save_gif(anim, tmp_path / f"{make.__name__}.gif")
        with Image.open(path) as im:
            assert im.size[0] >= 1000, im.size
        plt.close(fig)


# ---------------------------------------------------------------------- the palette


def test_every_pair_of_palette_colours_is_apart_for_colour_blind_viewers() -> None:
    for a, b in itertools.combinations(style.COLORS, 2):
        assert delta_e(a, b) >= MIN_DELTA_E, (a, b, delta_e(a, b))
    # Okabe-Ito's orange and vermillion are not (why orange is left out), as the docstring says
    assert delta_e("#E69F00", style.VERMILLION) < MIN_DELTA_E


def test_series_differ_by_style_as_well_as_colour() -> None:
    looks = [style.series(i) for i in range(10)]
    for a, b in itertools.combinations(looks, 2):
        assert (a["linestyle"], a["marker"]) != (b["linestyle"], b["marker"])
    assert len({str(x["linestyle"]) for x in looks[:5]}) == 5 and len({x["marker"] for x in looks}) == 10
    with pytest.raises(ValueError, match="series number"):
        style.series(-1)


def test_text_colours_have_contrast_on_white() -> None:
    from figure_checks import contrast

    for c in (style.TEXT_RED, style.TEXT_BLUE, style.BLACK, style.GREY):
        assert contrast(c, "white") >= 4.5, c
    assert contrast(style.VERMILLION, "white") < 4.5  # why TEXT_RED exists


def test_bold_text_is_the_same_sans_serif_family() -> None:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    with style.lecture():
        regular = get_font(findfont(FontProperties(family=["sans-serif"])))
        bold = get_font(findfont(FontProperties(family=["sans-serif"], weight="bold")))
    assert regular.family_name == bold.family_name == "DejaVu Sans"
    assert "Bold" in bold.style_name and "Bold" not in regular.style_name
