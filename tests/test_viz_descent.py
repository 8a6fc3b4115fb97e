"""viz.descent: test functions, run_descent against independent numbers and PyTorch, the pictures."""

import math
import os

import numpy as np
import pytest

from autograd_lite import Tensor, Value
from nn.data import least_squares_line
from nn.optim import SGD, Adam, RMSProp
from viz.descent import (
    DescentResult,
    TestFunction,
    animate_descent,
    animate_line_fit,
    beale,
    evaluate_grid,
    himmelblau,
    least_squares_loss,
    lrs_from_curvature,
    plot_descent,
    plot_lr_panel,
    quadratic,
    rosenbrock,
    run_descent,
    save_gif,
)

# ---------------------------------------------------------------------- independent numbers

# Gradients written out by hand with numpy, independent of the engine.


def grad_quadratic(c, angle):
    cs, sn = math.cos(angle), math.sin(angle)
    R = np.array([[cs, sn], [-sn, cs]])  # (u, v) = R (x, y)
    H = R.T @ np.diag([1.0, c]) @ R
    return lambda p: H @ p


def grad_rosenbrock(a, b):
    return lambda p: np.array(
        [-2 * (a - p[0]) - 4 * b * p[0] * (p[1] - p[0] ** 2), 2 * b * (p[1] - p[0] ** 2)]
    )


def grad_beale(p):
    x, y = p
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    return np.array(
        [
            2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1),
            2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2,
        ]
    )


def grad_himmelblau(p):
    x, y = p
    return np.array([4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)])


CASES = [
    (quadratic(10.0), grad_quadratic(10.0, 0.0)),
    (quadratic(25.0, angle=0.6), grad_quadratic(25.0, 0.6)),
    (rosenbrock(), grad_rosenbrock(1.0, 100.0)),
    (rosenbrock(a=2.0, b=10.0), grad_rosenbrock(2.0, 10.0)),
    (beale(), grad_beale),
    (himmelblau(), grad_himmelblau),
]
IDS = ["quad", "quad-rot", "rosen", "rosen-a2", "beale", "himmel"]


def engine_grad(f, p):
    x, y = Value(float(p[0])), Value(float(p[1]))
    f(x, y).backward()
    return np.array([x.grad, y.grad])


def numeric_hessian(f, p, h=1e-4):
    """Central second differences of f on floats: the Hessian without the engine."""
    H = np.zeros((2, 2))
    e = np.eye(2) * h
    for i in range(2):
        for j in range(2):
            H[i, j] = (
                f(*(p + e[i] + e[j])) - f(*(p + e[i] - e[j])) - f(*(p - e[i] + e[j])) + f(*(p - e[i] - e[j]))
            ) / (4 * h * h)
    return H


def notes_least_squares(X, y, beta, eta, steps):
    """Lesson 2's loop, as the notes write it: beta -= eta (X^T X beta - X^T y)."""
    beta = np.array(beta, dtype=float)
    path = [beta.copy()]
    for _ in range(steps):
        beta = beta - eta * (X.T @ X @ beta - X.T @ y)
        path.append(beta.copy())
    return np.array(path)


# ---------------------------------------------------------------------- test functions


@pytest.mark.parametrize("f, grad", CASES, ids=IDS)
def test_engine_gradient_matches_the_formula(f, grad):
    rng = np.random.default_rng(0)
    for p in rng.uniform(-2, 2, size=(5, 2)):
        np.testing.assert_allclose(engine_grad(f, p), grad(p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f, grad", CASES, ids=IDS)
def test_minima_are_minima(f, grad):
    for m in f.minima:
        m = np.array(m)
        g = engine_grad(f, m)
        assert np.abs(g).max() < 1e-9, (f.name, m, g)
        assert f(*m) == pytest.approx(0.0, abs=1e-20)  # all these minima have value 0
        # a minimum, not a saddle: the Hessian (without the engine) is positive definite
        assert np.linalg.eigvalsh(numeric_hessian(f, m)).min() > 0
        assert f.xrange[0] < m[0] < f.xrange[1] and f.yrange[0] < m[1] < f.yrange[1]


@pytest.mark.parametrize("f", [c[0] for c in CASES], ids=IDS)
def test_functions_run_on_floats_values_tensors_and_grids(f):
    xs, ys = np.array([0.3, -1.1, 2.0]), np.array([0.7, 0.4, -1.5])
    floats = np.array([f(a, b) for a, b in zip(xs.tolist(), ys.tolist())])
    values = np.array([f(Value(a), Value(b)).data for a, b in zip(xs.tolist(), ys.tolist())])
    tensor = f(Tensor(xs), Tensor(ys)).data
    np.testing.assert_allclose(values, floats, rtol=1e-14)
    np.testing.assert_allclose(tensor, floats, rtol=1e-14)
    np.testing.assert_allclose(f(xs, ys), floats, rtol=1e-14)


@pytest.mark.parametrize("c, angle", [(10.0, 0.0), (25.0, 0.6), (0.2, 1.0)])
def test_quadratic_L_is_its_largest_curvature(c, angle):
    q = quadratic(c, angle=angle)
    for p in [np.zeros(2), np.array([1.3, -0.4])]:
        H = numeric_hessian(q, p)
        assert q.L == pytest.approx(np.linalg.eigvalsh(H).max(), rel=1e-6)


def test_least_squares_loss_is_half_the_sum_of_squares():
    X, y = least_squares_line()
    for half, scale in [(True, 0.5), (False, 1.0)]:
        f = least_squares_loss(X, y, half=half)
        beta = np.array([0.4, -1.2])
        assert f(*beta) == pytest.approx(scale * np.sum((y - X @ beta) ** 2), rel=1e-13)
        # the Hessian is 2 scale X^T X: L is its largest eigenvalue
        assert f.L == pytest.approx(2 * scale * np.linalg.eigvalsh(X.T @ X).max(), rel=1e-13)
        m = np.array(f.minima[0])
        np.testing.assert_allclose(m, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
        assert np.abs(engine_grad(f, m)).max() < 1e-9
    # the notes' update X^T X beta - X^T y is the gradient of the half sum
    f = least_squares_loss(X, y)
    np.testing.assert_allclose(engine_grad(f, beta), X.T @ X @ beta - X.T @ y, rtol=1e-12)


def test_himmelblau_start_decides_the_minimum():
    f = himmelblau()
    ends = {tuple(np.round(run_descent(f, s, lr=0.01, steps=300).path[-1], 4)) for s in [(1, 1), (-1, 1), (-1, -1), (1, -1)]}
    assert ends == {tuple(np.round(m, 4)) for m in f.minima}


# ---------------------------------------------------------------------- run_descent


@pytest.mark.parametrize("f, grad", CASES, ids=IDS)
@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_first_step_is_x0_minus_lr_gradient(f, grad, engine):
    x0 = np.array(f.start)
    lr = 1e-3
    run = run_descent(f, x0, "sgd", lr=lr, steps=3, engine=engine)
    assert run.path.shape == (4, 2) and run.losses.shape == (4,)
    np.testing.assert_array_equal(run.path[0], x0)
    np.testing.assert_allclose(run.path[1], x0 - lr * grad(x0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(run.losses, [f(*p) for p in run.path], rtol=1e-13)


@pytest.mark.parametrize("angle", [0.0, 0.6])
def test_sgd_on_quadratic_converges_below_2_over_L_and_diverges_above(angle):
    q = quadratic(10.0, angle=angle)
    # L derived from the function itself (its Hessian by finite differences), not from q.L
    L = np.linalg.eigvalsh(numeric_hessian(q, np.zeros(2))).max()
    x0 = np.array([-2.5, 1.5])
    d0 = np.linalg.norm(x0)
    for factor in [0.3, 0.9, 0.99]:
        run = run_descent(q, x0, "sgd", lr=factor * 2 / L, steps=300)
        assert np.linalg.norm(run.path[-1]) < 0.05 * d0, factor
        assert not run.diverged and run.stopped_at is None
    for factor in [1.01, 1.1, 1.5]:
        run = run_descent(q, x0, "sgd", lr=factor * 2 / L, steps=300)
        assert np.linalg.norm(run.path[-1]) > 2 * d0, factor
        assert run.diverged


def test_least_squares_lesson_2():
    X, y = least_squares_line()
    f = least_squares_loss(X, y)
    L = np.linalg.eigvalsh(X.T @ X).max()
    assert 0.002 < 0.0055 < 2 / L < 0.0065  # the notes' rates straddle the edge
    good = run_descent(f, (-8, -3.2), "sgd", lr=0.002, steps=1000)
    np.testing.assert_allclose(good.path, notes_least_squares(X, y, (-8, -3.2), 0.002, 1000), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(good.path[-1], f.minima[0], atol=1e-3)
    assert not good.diverged
    bad = run_descent(f, (-8, -2), "sgd", lr=0.0065, steps=100)
    np.testing.assert_allclose(bad.path, notes_least_squares(X, y, (-8, -2), 0.0065, 100), rtol=1e-9)
    assert bad.diverged and bad.stopped_at is None and bad.final_loss > 100 * bad.losses[0]
    compare = run_descent(f, (-8, -2), "sgd", lr=0.0055, steps=100)
    assert not compare.diverged and compare.final_loss < 0.05 * compare.losses[0]


def test_overflow_stops_the_run_without_crashing():
    q = quadratic(10.0, angle=0.3)
    runs = [run_descent(q, (-2.5, 1.5), "sgd", lr=10 / q.L, steps=2000, engine=e) for e in ("value", "tensor")]
    for run in runs:
        assert run.stopped_at is not None and run.stopped_at < 2000 and run.diverged
        assert len(run.path) == len(run.losses) == run.stopped_at + 1
        assert np.isfinite(run.path).all()
        assert np.isfinite(run.losses[:-1]).all()
        # each point still follows the update rule up to where it stopped
        np.testing.assert_allclose(run.path[1:], run.path[:-1] - 10 / q.L * np.array([grad_quadratic(10.0, 0.3)(p) for p in run.path[:-1]]), rtol=1e-12)
    assert runs[0].stopped_at == runs[1].stopped_at
    np.testing.assert_array_equal(runs[0].path, runs[1].path)


def test_value_and_tensor_engines_give_the_same_path():
    f = rosenbrock()
    a = run_descent(f, f.start, Adam, lr=0.05, steps=40)
    b = run_descent(f, f.start, "adam", lr=0.05, steps=40, engine="tensor")
    np.testing.assert_allclose(a.path, b.path, rtol=1e-14, atol=1e-15)
    assert a.optimizer == b.optimizer == "Adam"


@pytest.mark.parametrize(
    "ours, theirs, kwargs, f",
    [
        ("adam", "Adam", dict(lr=0.1), rosenbrock()),
        ("adam", "Adam", dict(lr=0.05, betas=(0.8, 0.99), amsgrad=True), beale()),
        (SGD, "SGD", dict(lr=1e-3, momentum=0.9), rosenbrock()),
        ("sgd", "SGD", dict(lr=1e-3, momentum=0.9, nesterov=True), beale()),
        (RMSProp, "RMSprop", dict(lr=0.01, momentum=0.9), himmelblau()),
    ],
    ids=["adam-rosen", "amsgrad-beale", "momentum-rosen", "nesterov-beale", "rmsprop-momentum-himmel"],
)
def test_paths_equal_pytorch(torch, ours, theirs, kwargs, f):
    steps = 20
    x0 = f.start
    run = run_descent(f, x0, ours, steps=steps, **kwargs)
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, theirs)([p], **kwargs)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(p[0], p[1]).backward()  # the same TestFunction, on torch tensors
        opt.step()
        path.append(p.detach().numpy().copy())
    np.testing.assert_allclose(run.path, np.array(path), rtol=1e-10, atol=1e-12)


def test_optimizer_factory_and_kwargs():
    f = quadratic(4.0)
    made = []

    def factory(params, lr):
        made.append(len(params))
        return SGD(params, lr=lr, momentum=0.5)

    a = run_descent(f, (1.0, 1.0), factory, lr=0.1, steps=10)
    b = run_descent(f, (1.0, 1.0), "SGD", lr=0.1, steps=10, momentum=0.5)
    assert made == [2]  # two Value parameters
    np.testing.assert_array_equal(a.path, b.path)
    assert b.label == "SGD, η = 0.1, momentum = 0.5" and a.label == "gradient descent, η = 0.1"  # the lectures' words


def test_run_descent_errors():
    f = rosenbrock()
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        run_descent(f, (0, 0), "lbfgs", lr=0.1)
    with pytest.raises(TypeError, match="pass its class"):
        run_descent(f, (0, 0), SGD([Value(1.0)], lr=0.1), lr=0.1)
    with pytest.raises(ValueError, match="engine must be"):
        run_descent(f, (0, 0), lr=0.1, engine="torch")
    with pytest.raises(ValueError, match=r"x0 must have shape \(2\)"):
        run_descent(f, (0, 0, 0), lr=0.1)
    with pytest.raises(ValueError, match="x0 holds nan"):
        run_descent(f, (0, float("nan")), lr=0.1)
    with pytest.raises(ValueError, match="steps must be an int >= 0"):
        run_descent(f, (0, 0), lr=0.1, steps=-1)
    with pytest.raises(ValueError, match="learning rate"):
        run_descent(f, (0, 0), lr=-0.1)
    with pytest.raises(TypeError, match="f must return one Value"):
        run_descent(lambda x, y: 1.0, (0, 0), lr=0.1)
    with pytest.raises(TypeError, match="f must be a function"):
        run_descent("rosenbrock", (0, 0), lr=0.1)
    with pytest.raises(ValueError, match="no constant curvature"):
        lrs_from_curvature(f)
    with pytest.raises(ValueError, match="X has 10 rows and y has 3"):
        least_squares_loss(least_squares_line()[0], [1.0, 2.0, 3.0])


def test_lrs_from_curvature():
    q = quadratic(8.0)
    np.testing.assert_allclose(lrs_from_curvature(q), np.array([0.1, 1.0, 2.1]) / 8.0)
    assert lrs_from_curvature(4.0, factors=(1.0, 2.0)) == (0.25, 0.5)


# ---------------------------------------------------------------------- pictures


def test_evaluate_grid_layout():
    f = himmelblau()
    xs, ys, Z = evaluate_grid(f, n=7)
    assert Z.shape == (7, 7)
    np.testing.assert_allclose(xs, np.linspace(*f.xrange, 7))
    for i, j in [(0, 6), (3, 1), (6, 2)]:
        assert Z[i, j] == pytest.approx(f(xs[j], ys[i]), rel=1e-14)
    with pytest.raises(ValueError, match="pass xrange"):
        evaluate_grid(lambda x, y: x * y)
    with pytest.raises(TypeError, match="could not be evaluated on a grid of Tensors"):
        evaluate_grid(lambda x, y: math.exp(x) + y, xrange=(0, 1), yrange=(0, 1))


def test_lr_panel_draws_three_runs():
    import matplotlib.pyplot as plt
    from matplotlib.contour import ContourSet

    q = quadratic(10.0, angle=0.4)
    fig = plot_lr_panel(q, steps=40)
    axes = fig.axes
    assert len(axes) == 3
    lrs = lrs_from_curvature(q)
    for ax, lr, kind in zip(axes, lrs, ["too small", "right", "too large"]):
        run = run_descent(q, q.start, lr=lr, steps=40)
        lines = ax.get_lines()
        x, y = run.path[-1]
        off = not (q.xrange[0] < x < q.xrange[1] and q.yrange[0] < y < q.yrange[1])
        # path, start, end, minimum; a run that left the window has no end marker to cut off
        assert len(lines) == 4 - off and ("end" in {ln.get_gid() for ln in lines}) == (not off)
        np.testing.assert_array_equal(np.column_stack(lines[0].get_data()), run.path)
        assert any(isinstance(c, ContourSet) for c in ax.collections)
        title = ax.get_title()
        assert title.startswith(f"η = {lr:.3g} ({kind})")
        assert f"final loss {run.final_loss:.3g}" in title
        assert ("diverging" in title) == run.diverged
        assert ax.get_xlim() == q.xrange
    assert [ax.get_title().endswith("(diverging)") for ax in axes] == [False, False, True]
    # explicit lrs on given axes, one of which overflows
    fig2, axes2 = plt.subplots(1, 2)
    plot_lr_panel(q, (-2.5, 1.5), lrs=[0.05, 1.0], steps=2000, axes=axes2)
    run = run_descent(q, (-2.5, 1.5), lr=1.0, steps=2000)
    assert run.stopped_at is not None
    assert axes2[1].get_title() == f"η = 1\ndiverged at step {run.stopped_at + 1}"
    assert axes2[0].get_title().startswith("η = 0.05\nfinal loss")
    with pytest.raises(ValueError, match="got 2 Axes for 3 learning rates"):
        plot_lr_panel(q, axes=axes2)


def test_plot_descent_several_paths_and_log_levels():
    from matplotlib.contour import ContourSet

    f = rosenbrock()
    runs = [run_descent(f, s, "adam", lr=0.05, steps=30) for s in [(-1.5, 2.5), (0.5, -0.5)]]
    raw = np.array([[-1.0, 0.0], [-0.5, 0.5], [0.0, 0.5]])
    ax = plot_descent(f, runs + [raw], levels=12)
    lines = ax.get_lines()
    assert len(lines) == 3 * 3 + 1
    for k, path in enumerate([r.path for r in runs] + [raw]):
        np.testing.assert_array_equal(np.column_stack(lines[3 * k].get_data()), path)
        np.testing.assert_array_equal(np.ravel(lines[3 * k + 1].get_data()), path[0])  # start
        np.testing.assert_array_equal(np.ravel(lines[3 * k + 2].get_data()), path[-1])  # end
    np.testing.assert_array_equal(np.ravel(lines[-1].get_data()), np.array(f.minima[0]))
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == [r.label for r in runs]
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    ratios = cs.levels[1:] / cs.levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0])  # geometric levels
    assert len(cs.levels) == 12
    assert ax.get_xlabel() == "x" and ax.get_title() == f.name
    # linear levels on request; a plain function needs a window
    ax2 = plot_descent(lambda x, y: x * y, raw, log=False, levels=5, xrange=(-2, 2), yrange=(-1, 1))
    (cs2,) = [c for c in ax2.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(np.diff(cs2.levels), np.diff(cs2.levels)[0])
    with pytest.raises(ValueError, match="got 1 labels for 3 paths"):
        plot_descent(f, runs + [raw], labels=["a"])


def test_animate_descent_frames_and_gif(tmp_path):
    import matplotlib.pyplot as plt
    from PIL import Image

    f = himmelblau()
    steps = 12
    runs = [run_descent(f, s, lr=0.01, steps=steps) for s in [(0.0, 0.0), (-1.0, -1.0)]]
    fig, ax = plt.subplots(figsize=(3, 3), dpi=50)
    anim = animate_descent(f, runs, interval=50, ax=ax)
    assert len(list(anim.new_frame_seq())) == steps + 1
    out = tmp_path / "descent.gif"
    out.write_bytes(b"old")  # replaced atomically
    assert save_gif(anim, out, fps=5) == str(out)
    with Image.open(out) as im:
        assert im.format == "GIF" and im.n_frames == steps + 1
    assert os.listdir(tmp_path) == ["descent.gif"]  # no temporary file left
    # after the last frame, the growing lines hold the whole paths
    growing = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == steps + 1]
    assert len(growing) == 2
    for ln, run in zip(growing, runs):
        np.testing.assert_array_equal(np.column_stack(ln.get_data()), run.path)
    assert ax.get_title() == f"{f.name}: step {steps}"
    with pytest.raises(ValueError, match="got both paths and settings"):
        animate_descent(f, runs, lr=0.1)


def test_animate_descent_runs_descent_itself_with_every(tmp_path):
    from PIL import Image

    q = quadratic(5.0)
    anim = animate_descent(q, x0=(-2.0, 2.0), lr=0.05, steps=20, every=6)
    assert len(list(anim.new_frame_seq())) == len(range(0, 21, 6)) + 1  # 0, 6, 12, 18 and 20
    path = save_gif(anim, tmp_path / "q.gif", fps=20)
    with Image.open(path) as im:
        assert im.n_frames == 5
    with pytest.raises(ValueError, match="pass paths"):
        animate_descent(q)


def test_animate_line_fit(tmp_path):
    from PIL import Image

    import matplotlib.pyplot as plt

    X, y = least_squares_line()
    run = run_descent(least_squares_loss(X, y), (-8, -3.2), lr=0.002, steps=9)
    fig = plt.figure(figsize=(3, 3), dpi=50)
    anim = animate_line_fit(X, y, run, fig=fig)
    assert len(list(anim.new_frame_seq())) == 10
    path = save_gif(anim, tmp_path / "fit.gif")
    with Image.open(path) as im:
        assert im.n_frames == 10
    (ax,) = fig.axes
    fit = [ln for ln in ax.get_lines() if ln.get_label() == "gradient descent"][0]
    xs, ys = fit.get_data()
    b0, b1 = run.path[-1]
    np.testing.assert_allclose(ys, b0 + b1 * np.asarray(xs))
    sol = [ln for ln in ax.get_lines() if ln.get_label() == "least squares"][0]
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(sol.get_ydata(), beta[0] + beta[1] * sol.get_xdata())


def test_save_gif_errors(tmp_path):
    f = quadratic()
    anim = animate_descent(f, np.array([[1.0, 1.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="does not end in .gif"):
        save_gif(anim, tmp_path / "a.mp4")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_gif(anim, tmp_path / "missing" / "a.gif")
    with pytest.raises(TypeError, match="expected a matplotlib Animation"):
        save_gif("anim", tmp_path / "a.gif")
    save_gif(anim, tmp_path / "a.gif")  # rendered once, so matplotlib does not warn


def test_testfunction_is_a_plain_value():
    f = TestFunction("xy", lambda x, y: x * y + y**2, minima=(), xrange=(-1, 1), yrange=(-1, 1))
    run = run_descent(f, (0.5, 0.5), lr=0.1, steps=2)
    assert isinstance(run, DescentResult) and run.path.shape == (3, 2)
    assert not TestFunction.__test__  # pytest must not collect it


def test_function_surface_puts_a_test_function_on_the_landscape_plots() -> None:
    from viz import function_surface, plot_surface3d, plot_trajectory

    X, y = least_squares_line()
    f = least_squares_loss(X, y)
    s = function_surface(f, n=30)
    xs, ys, Z = evaluate_grid(f, n=30)
    np.testing.assert_array_equal(s.Z, Z)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]  # the minimum, independently
    np.testing.assert_allclose(s.center, beta, rtol=1e-9)
    assert s.center_loss == pytest.approx(0.5 * np.sum((y - X @ beta) ** 2), rel=1e-12)
    run = run_descent(f, (-8.0, -3.2), lr=0.002, steps=50)
    ax = plot_surface3d(s)
    plot_trajectory(run.path, ax=ax, z=run.losses)
    line = [l for l in ax.lines if l.get_gid() == "trajectory"][0]
    np.testing.assert_allclose(line.get_data_3d()[2], run.losses)
    # a plain function (no minima): centred on the grid
    plain = function_surface(lambda a, b: a * a + b, xrange=(0.0, 2.0), yrange=(-1.0, 1.0), n=5)
    assert plain.center == (1.0, 0.0) and plain.center_loss == 1.0
