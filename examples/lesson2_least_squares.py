"""Lesson 2: gradient descent on least squares.

    python examples/lesson2_least_squares.py            # every figure, < 1 min
    python examples/lesson2_least_squares.py --full     # more animation frames, finer grids
    python examples/lesson2_least_squares.py --fast     # small grids, few frames (CI)

First one number: f(x) = 3x^2 - 4x + 5. Its slope at x = -2 comes from `backward()`
(-16, the tangent's slope; the hand-derived 6x - 4 agrees), and gradient descent on f
walks to the minimum x = 2/3. Then a line through ten noisy points: the loss
||y - X beta||^2 of the intercept and slope beta = (beta0, beta1) is a quadratic bowl.
From (-8, -3.2) with eta = 0.002, 1000 steps, the log-loss falls, the beta path curves
into the minimum and the fitted line lands on the least-squares line. From (-8, -2) with
eta = 0.0065 it is a total disaster: each step overshoots across the valley further than
the last. The border is eta = 2/L, L the largest eigenvalue of X^T X: 0.0064, between
0.0055 (which still converges, zig-zagging) and 0.0065. Figures written to
out/lesson2_least_squares/.
"""
# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from _lesson import Lesson

# -- config: plain names; any of them can be set from the command line as --name=value
x_tangent = -2.0  # where the tangent of f touches
x_start = -2.0  # gradient descent on f starts here...
eta_f = 0.1  # ...with this learning rate...
steps_f = 30  # ...for this many steps
n = 10  # data points
seed = 1  # the notes' np.random.seed(1)
start = (-8.0, -3.2)  # the converging run: start, learning rate, steps
eta = 0.002
steps = 1000
start_bad = (-8.0, -2.0)  # the diverging run and its comparison: start, steps
eta_bad = 0.0065
eta_compare = 0.0055
steps_bad = 100
grid_n = 120  # grid points per axis for contours and the 3-D surface
gif_every = 20  # one animation frame every this many steps (1024 x 640 px each; the GIF stays under 1 MB)
lesson = Lesson(
    "lesson2_least_squares",
    globals(),
    fast=dict(grid_n=40, gif_every=100),
    full=dict(grid_n=200, gif_every=5),
)

# %% [markdown]
# ## A derivative by the engine
# f(x) = 3x^2 - 4x + 5. `viz.derivative` makes x a `Value`, builds f(x) and calls
# `backward()`: x.grad is the slope. The notes derive f'(x) = 6x - 4 by hand; we draw
# both and log how far apart they are (rounding only). Then gradient descent on f,
# x <- x - eta f'(x) with f' again by the engine, finds the minimum at x = 2/3.

# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


def f_prime_by_hand(x):
    return 6 * x - 4  # the notes' derivative, only to compare with the engine's


_, slope = viz.derivative(f, x_tangent)  # f(x).backward(), then x.grad
xs = np.linspace(-4.0, 4.0, 81)
engine_slopes = np.array([viz.derivative(f, x)[1] for x in xs])  # one backward() per point
gap = float(np.abs(engine_slopes - f_prime_by_hand(xs)).max())
lesson.log("tangent", x=x_tangent, slope=slope, hand_slope=f_prime_by_hand(x_tangent), max_gap_vs_6x_minus_4=gap)

path_f = viz.descend_1d(f, x_start, eta_f, steps_f)  # (steps_f + 1,) iterates
lesson.log("minimum_f", x0=x_start, eta=eta_f, steps=steps_f, x_min=path_f[-1], f_min=f(path_f[-1]))

fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 5.6), constrained_layout=True)
viz.plot_function(f, (-4.0, 4.0), tangent_at=x_tangent, ax=ax1)
ax1.set_title("f(x) = 3x² - 4x + 5\nand its tangent")
ax2.plot(xs, engine_slopes, linestyle="none", marker="o", ms=6, color="C0", label="f'(x) by backward()")
ax2.plot(xs, f_prime_by_hand(xs), linestyle="--", color="C1", label="6x - 4 (by hand)")
ax2.set(xlabel="x", ylabel="f'(x)", title=f"the derivative\n(largest gap {gap:.1g})")
ax2.legend(loc="upper left")
viz.plot_descent_1d(f, path_f, ax=ax3, marks={"minimum x = 2/3": 2 / 3}, x_range=(-2.5, 2.0))
ax3.set_title(f"gradient descent on f, η = {eta_f:g}:\nx → {path_f[-1]:.4f}")
lesson.save(fig, "function.png")

# %% [markdown]
# ## The data and the design matrix
# The notes' numbers: np.random.seed(1); xlin = -10 + 20*random(n); y = 1 + 0.5 xlin +
# noise. `nn.least_squares_line` draws exactly these and returns X = [1, x], a column
# of ones first, so beta = (intercept, slope) and the fit is X @ beta. The best line,
# for comparison, is numpy's least-squares solution.

# %%
X, y = nn.least_squares_line(n, seed=seed)  # X (n, 2) = [1, xlin], y (n,)
beta_hat = np.linalg.lstsq(X, y, rcond=None)[0]  # (2,): the minimum of the bowl
lstsq_loss = 0.5 * float(np.sum((y - X @ beta_hat) ** 2))  # the half sum of squares there
lesson.log("data", n=n, seed=seed, ones_column=bool(np.all(X[:, 0] == 1.0)), lstsq_beta=beta_hat.tolist(),
           lstsq_loss=lstsq_loss)

# %% [markdown]
# ## Gradient descent on the loss
# The notes update beta <- beta - eta (X^T X beta - X^T y). That is the gradient of
# HALF the squared error, so we descend on 0.5 ||y - X beta||^2 (`viz.least_squares_loss`)
# with plain SGD: the engine's gradient then is exactly the notes' update, and their eta
# gives their path. Every loss below is this half sum of squares.
#
# Why 2/L: the Hessian is H = X^T X. Along its stiffest eigenvector (eigenvalue L), one
# step multiplies the distance to the minimum by 1 - eta L. For eta < 2/L that factor is
# in (-1, 1): the path converges (negative: it zig-zags across the valley). For eta > 2/L
# it is below -1: every zig-zag is wider than the last.

# %%
loss = viz.least_squares_loss(X, y, start=start)  # 0.5 ||y - X beta||^2 as f(beta0, beta1)
critical = 2.0 / loss.L  # L: the largest eigenvalue of X^T X
lesson.log("critical", L=loss.L, two_over_L=critical, below=eta_compare, above=eta_bad)

# Only to describe the runs (the descent itself never sees them): the Hessian's
# eigenvalues, smallest first, and the stiff direction.
curvatures, directions = np.linalg.eigh(X.T @ X)
stiff = directions[:, -1]  # (2,): the direction of the largest curvature L


def zigzags(path, first=10):
    """How often the path crosses the valley floor in its first steps: sign flips along the
    stiff direction. (Later, a converged path's remainder is rounding noise.)"""
    along = (path[: first + 1] - beta_hat) @ stiff  # (first+1, 2) @ (2,)
    return int(np.sum(np.sign(along[1:]) != np.sign(along[:-1])))


runs = {}
for name, x0, lr, k in [("converge", start, eta, steps), ("compare", start_bad, eta_compare, steps_bad),
                        ("diverge", start_bad, eta_bad, steps_bad)]:
    run = viz.run_descent(loss, x0, "sgd", lr=lr, steps=k)  # engine gradients, nn.optim.SGD
    runs[name] = run
    # Per step, the distance to the minimum is multiplied by 1 - eta*L along the stiff
    # direction and by 1 - eta*(smallest curvature) along the valley floor.
    lesson.log("descent", run=name, eta=lr, steps=k, start=x0, final_beta=run.path[-1].tolist(),
               start_loss=run.losses[0], final_loss=run.final_loss, diverged=run.diverged,
               stopped_at=run.stopped_at, stiff_factor=1.0 - lr * curvatures[-1],
               floor_factor=1.0 - lr * curvatures[0], zigzags_in_10=zigzags(run.path),
               distance_to_lstsq=float(np.linalg.norm(run.path[-1] - beta_hat)))
good, compare, bad = runs["converge"], runs["compare"], runs["diverge"]
labels = [f"η = {r.lr:g} from ({r.path[0, 0]:g}, {r.path[0, 1]:g})" for r in (good, compare, bad)]

# %%
# losses[k] is the loss after step k, so losses[1:] sits at iterations 1, 2, ...
# (the loss here is half the squared error, on a log axis: not the "log-loss" of classifiers)
fig, ax = plt.subplots(figsize=(9, 5.6), layout="constrained")
ax.axhline(lstsq_loss, color="k", lw=1.2, ls=(0, (1, 3)), label="minimum (np.linalg.lstsq)")
viz.plot_history([r.losses[1:] for r in (good, compare, bad)], logy=True, label=labels, ax=ax)
ax.set(xlabel="iteration", ylabel="½‖y − Xβ‖² (log scale)",
       title=f"the loss per iteration, on a log scale\n(divergence starts at 2/L = {critical:.5f})")
lesson.save(fig, "log_loss.png")

# %% [markdown]
# ## The path of beta on the loss surface
# Contours of the bowl (a long, narrow valley: X^T X has eigenvalues about 5 and 312)
# with the converging path (circle: start, square: end): one quick drop across the
# valley, then a long curve along its floor into the minimum (+). Then three learning
# rates side by side from (-8, -2), 100 steps each: too careful, zig-zagging in, and
# thrown out of the valley further at every step.

# %%
fig, ax = plt.subplots(figsize=(9, 6.4), layout="constrained")
viz.plot_descent(loss, good, n=grid_n, ax=ax, title=f"the path of β, η = {good.lr:g}, {good.steps} steps from {start}")
lesson.save(fig, "beta_path.png")

fig = viz.plot_lr_panel(loss, start_bad, lrs=(eta, eta_compare, eta_bad), steps=steps_bad, n=grid_n)
lesson.save(fig, "lr_panel.png")

# %%
surface = viz.function_surface(loss, n=grid_n)  # the bowl on a grid, evaluated as Tensors
fig = plt.figure(figsize=(15, 7), constrained_layout=True)
# Left the bowl as it is; right log10 of the loss, where the valley floor (the path's
# last 990 steps, flat on a linear scale) becomes visible. The path is drawn above the
# surface (never hidden behind it), with its shadow on the floor.
for i, (log, view) in enumerate([(False, (30, -150)), (True, (30, -60))]):
    ax = fig.add_subplot(1, 2, i + 1, projection="3d")
    viz.plot_surface3d(surface, ax=ax, alpha=0.55, log=log)
    viz.plot_trajectory(good.path, ax=ax, z=good.losses, log=log, labels=[labels[0]])
    ax.view_init(*view)
    ax.set_title("the path on the quadratic surface" + (",\nlog10 of the loss" if log else ""))
lesson.save(fig, "surface3d.png")

# %% [markdown]
# ## The line fitting the data
# Each frame is the line y = beta0 + beta1 x of one step of the converging run; the
# dashed line is the least-squares solution it should end on. Then the final fit.

# %%
anim = viz.animate_line_fit(X, y, good, every=gif_every)  # 1024 x 640 px frames
lesson.save(anim, "line_fit.gif", fps=10)

fig, ax = plt.subplots(figsize=(9, 6), layout="constrained")
span_x = np.ptp(X[:, 1])
line_x = np.array([X[:, 1].min() - 0.05 * span_x, X[:, 1].max() + 0.05 * span_x])
ax.plot(X[:, 1], y, linestyle="none", marker="o", ms=9, mec="k", color="C0", label="data")
ax.plot(line_x, good.path[-1, 0] + good.path[-1, 1] * line_x, linestyle="-", color="C1", lw=4,
        label=f"gradient descent, η = {good.lr:g}:\nβ = ({good.path[-1, 0]:.4f}, {good.path[-1, 1]:.4f})")
ax.plot(line_x, beta_hat[0] + beta_hat[1] * line_x, linestyle="--", color="k", lw=2,
        label=f"np.linalg.lstsq:\nβ = ({beta_hat[0]:.4f}, {beta_hat[1]:.4f})")
ax.set(xlabel="x", ylabel="y", title=f"the fitted line after {good.steps} steps", xlim=tuple(line_x))
ax.legend(loc="upper left")
lesson.save(fig, "fit.png")

lesson.log("fit", eta=good.lr, steps=good.steps, beta=good.path[-1].tolist(), lstsq_beta=beta_hat.tolist(),
           distance=float(np.linalg.norm(good.path[-1] - beta_hat)))

# %%
lesson.finish()
