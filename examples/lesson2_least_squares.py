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
the last. The border is eta = 2/L, L the largest eigenvalue of the loss's Hessian X^T X:
0.0064, between 0.0055 (which still converges, zig-zagging) and 0.0065. The engine computes
L itself, as a gradient of a gradient (`hessian`, and power iteration on `hvp`), and the
derivative f'(x) is drawn as the graph the engine built for it, whose own backward pass
gives f''(x). With the Hessian, Newton's method lands on the least-squares solution in one
step. Figures written to out/lesson2_least_squares/.
"""
# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from autograd_lite import Value, grad, hessian, hvp
from autograd_lite.graph import topological_order
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
power_seed = 0  # power iteration on hvp starts from a random unit vector drawn from this seed...
power_tol = 1e-10  # ...and stops when |H v - lam v| <= power_tol * |lam|
power_max_steps = 100
sweep_etas = (0.0005, 0.0075, 41)  # the threshold figure: this many etas from ... to ..., each run steps_bad steps
gif_every = 20  # one animation frame every this many steps (1024 x 640 px each; the GIF stays under 1 MB)
lesson = Lesson(
    "lesson2_least_squares",
    globals(),
    fast=dict(grid_n=40, gif_every=100, sweep_etas=(0.0005, 0.0075, 15)),
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
# ## The derivative is a graph too
# `backward()` writes f'(x) into x.grad as a number. `grad(f(x), x, create_graph=True)`
# returns it as a node instead, with the graph of how the engine computed it: each op's
# derivative rule, run with nodes. Here f'(-2) = 6x - 4 = -16, built as -4 + 3 * (2 * x ** 1):
# the -4 is d(-4x)/dx, and 3 * (2 * x ** 1) is the power rule for x ** 2 times the 3 in front
# of it. That graph is like any other: draw it, and run its backward pass. Its gradient at
# x is the derivative of f'(x), the second derivative f''(x) = 6 (the drawing's grad column,
# simulated; `grad(f'(x), x)` computes the same). One frame per local rule: the stepper page
# `derivative_backward/backward.html`, the GIF beside it.

# %%
x = Value(x_tangent, label="x")
fx = f(x)
(df,) = grad(fx, x, create_graph=True)  # f'(x): a node, with the graph that computed it
df.label = "f'(x)"
(d2f,) = grad(df, x)  # f''(x): the gradient of that graph (a constant: create_graph=False)
derivative_graph = viz.draw_graph(df, grads="computed")  # grads: d f'(x) / d(node), simulated
lesson.save(derivative_graph, "derivative_graph.svg")
# one picture per local rule of f'(x)'s backward pass; font_size: a tall chain with its legend rows
# under it reads at 23 px on a 1920 x 1080 screen at the default 14 pt, at 26 px at 20 pt
frames = viz.backward_frames(df, font_size=20)
written = viz.save_frames(frames, lesson.path("derivative_backward"), gif=True)
lesson.files += written
lesson.show_page(lesson.path("derivative_backward/backward.html"), height=420)
order = topological_order(df)  # the drawing's node order: x's gradient after the last frame is f''(x)
lesson.log("second_derivative", x=x.data, f_prime=df.data, f_second=d2f.data, nodes=len(order),
           ops=[node._op for node in order if node._prev], frames=len(frames),
           frames_x_grad=frames[-1].info["grads"][order.index(x)], x_grad=x.grad)

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
# Why 2/L: the Hessian (the matrix of second derivatives) of this loss is H = X^T X. Along
# its stiffest eigenvector (eigenvalue L), one step multiplies the distance to the minimum
# by 1 - eta L. For eta < 2/L that factor is in (-1, 1): the path converges (negative: it
# zig-zags across the valley). For eta > 2/L it is below -1: every zig-zag is wider than
# the last.

# %%
loss = viz.least_squares_loss(X, y, start=start)  # 0.5 ||y - X beta||^2 as f(beta0, beta1)

# %% [markdown]
# ## The curvature L, by the engine
# Row i of the Hessian is the gradient of the i-th entry of the gradient: `hessian(loss, b0,
# b1)` computes it so, `grad` applied to the graph that `grad(..., create_graph=True)` built.
# For the half sum of squares that is X^T X, at every beta (the loss is quadratic). Mind the
# half: ||y - X beta||^2 has Hessian 2 X^T X, and descent on it breaks down at half the
# learning rate. The notes' update is the half's gradient, so their etas meet 2/L with L the
# largest eigenvalue of X^T X.
#
# A Hessian has n^2 entries: fine for two numbers, not for a network's thousands. Power
# iteration never forms it. From a random unit vector v, repeat v <- Hv / |Hv|: the part of v
# along the stiffest direction grows fastest, so v turns towards it, and v . Hv (the
# Rayleigh quotient) tends to L. Each Hv is one `hvp`, the gradient of <grad f, v>: a few
# walks through graphs. numpy's `eigvalsh(X^T X)` checks both.

# %%
H = hessian(loss, *start)  # (2, 2): d2 loss / d beta_i d beta_j at the start (the same at every beta)
H_full = hessian(viz.least_squares_loss(X, y, half=False), *start)  # of ||y - X beta||^2: 2 X^T X


def top_eigenvalue(f, point, seed, tol, max_steps):
    """The largest eigenvalue of f's Hessian at point, by power iteration on hvp (H never formed).

    Returns (lam, v, steps, residual): lam = v . Hv for the last unit vector v, after
    |Hv - lam v| <= tol |lam| (v is an eigenvector to that tolerance) or max_steps steps.
    Power iteration finds the eigenvalue largest in absolute value: the largest, L, when
    every curvature is positive (a bowl, as here)."""
    v = np.random.default_rng(seed).standard_normal(len(point))
    v /= np.linalg.norm(v)
    for step in range(1, max_steps + 1):
        Hv = np.array(hvp(f, tuple(point), tuple(v.tolist())))  # (2,): H v, the gradient of <grad f, v>
        lam = float(v @ Hv)
        residual = float(np.linalg.norm(Hv - lam * v))
        v = Hv / np.linalg.norm(Hv)
        if residual <= tol * abs(lam):
            break
    return lam, v, step, residual


L, v_top, power_steps, residual = top_eigenvalue(loss, start, power_seed, power_tol, power_max_steps)
curvatures, directions = np.linalg.eigh(H)  # the engine's Hessian: both curvatures (smallest first), their directions
stiff = directions[:, -1]  # (2,): the direction of the largest curvature L
critical = 2.0 / L
lesson.log("curvature", hessian_of="0.5||y-X*beta||^2", hessian=H.tolist(), hessian_full=H_full.tolist(),
           L_hessian=curvatures[-1], L_power=L, power_seed=power_seed, power_steps=power_steps,
           power_residual=residual, L_eigvalsh=float(np.linalg.eigvalsh(X.T @ X)[-1]), smallest=curvatures[0])
lesson.log("critical", L=L, two_over_L=critical, below=eta_compare, above=eta_bad)


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
# ## The threshold 2/L, from the engine's L
# Left: the factor |1 - eta lam| by which one step multiplies the distance to the minimum
# along each eigenvector of H, for the engine's two curvatures lam (L about 312 across the
# valley, about 5 along its floor). The stiff direction's factor passes 1 at eta = 2/L.
# Right: the loss after `steps_bad` steps from `start_bad`, run by the engine for many etas
# (the lesson's three marked): larger steps get closer, until eta passes 2/L and the loss
# explodes.

# %%
lo, hi, count = sweep_etas
etas = np.union1d(np.linspace(lo, hi, count), [eta, eta_compare, eta_bad])  # the lesson's three etas among them
sweep = [viz.run_descent(loss, start_bad, "sgd", lr=e, steps=steps_bad) for e in etas]
after = np.array([r.final_loss for r in sweep])  # the loss after steps_bad steps, per eta
lesson.log("threshold", start=start_bad, steps=steps_bad, etas=etas, loss_after=after, start_loss=sweep[0].losses[0],
           two_over_L=critical, largest_converging=float(etas[after < sweep[0].losses[0]].max()),
           smallest_diverging=float(etas[after > sweep[0].losses[0]].min()))

fig, (ax_f, ax_l) = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")
line = np.linspace(0.0, hi, 400)
for k, (lam, name) in enumerate([(curvatures[-1], "across the valley"), (curvatures[0], "along its floor")]):
    look = viz.style.series(2 * k)  # blue solid, sky blue dash-dot
    ax_f.plot(line, np.abs(1 - line * lam), color=look["color"], linestyle=look["linestyle"], lw=3,
              label=f"{name}: λ = {lam:.4g}")
ax_f.axhline(1.0, color=viz.style.GREY, linestyle=":", lw=2, label="1: no closer, no further")
ax_l.semilogy(etas, after, color=viz.style.GREY, linestyle="-", marker=".", ms=8, label=f"after {steps_bad} steps")
ax_l.axhline(lstsq_loss, color="k", lw=1.5, ls=(0, (1, 3)), label="the minimum")
for k, (r, e) in enumerate(zip((good, compare, bad), (eta, eta_compare, eta_bad))):
    look = viz.style.series(k)  # as in the loss-per-iteration figure
    ax_l.plot([e], [after[etas == e][0]], linestyle="none", marker=look["marker"], color=look["color"], ms=13,
              mec="k", zorder=5, label=f"η = {e:g}")
    ax_f.plot([e], [abs(1 - e * curvatures[-1])], linestyle="none", marker=look["marker"], color=look["color"], ms=13,
              mec="k", zorder=5)
for ax in (ax_f, ax_l):
    ax.axvline(critical, color="k", linestyle="--", lw=2.5, label=f"2/L = {critical:.5f}")
    ax.set_xlabel("learning rate η")
ax_f.set(ylabel="|1 − ηλ| per step", ylim=(0.0, 1.45), xlim=(0.0, hi),
         title="one step multiplies the distance to the\nminimum by |1 − ηλ| along each direction")
ax_l.set(ylabel="½‖y − Xβ‖² (log scale)", xlim=(0.0, hi), ylim=(lstsq_loss / 2, 1e8),  # past 1e8: off the top
         title=f"the loss after {steps_bad} steps from {start_bad},\nby gradient descent on the engine")
viz.place_legend(ax_f)
viz.place_legend(ax_l)
fig.suptitle(f"the threshold 2/L: L = {L:.2f}, the Hessian's largest eigenvalue, by power iteration on hvp")
lesson.save(fig, "threshold.png")

# %% [markdown]
# ## The path of beta, and one Newton step
# Contours of the bowl (a long, narrow valley: X^T X has eigenvalues about 5 and 312)
# with the converging path (circle: start, square: end): one quick drop across the
# valley, then a long curve along its floor into the minimum (+).
#
# Newton's method uses the curvature too. Near beta the loss is the quadratic
# loss(beta) + g . d + 1/2 d . H d in the step d (g the gradient, H the Hessian), lowest at
# d = -H^{-1} g. Least squares IS that quadratic, so one Newton step, with g from `grad`
# and H from `hessian`, lands on the least-squares solution from anywhere: the 1000 steps
# in one. (For a network the quadratic is only a local model, H has negative curvatures
# too, and with n weights it is n x n: that is why networks are trained with gradient
# steps.)

# %%
b = [Value(start[0], label="β0"), Value(start[1], label="β1")]
g = np.array([d.data for d in grad(loss(*b), b)])  # (2,): the gradient at the start, by the engine
newton = np.array(start) - np.linalg.solve(H, g)  # beta - H^{-1} g, H the engine's Hessian
lesson.log("newton", start=start, gradient=g, beta=newton, lstsq_beta=beta_hat,
           distance=float(np.linalg.norm(newton - beta_hat)), loss=float(loss(*newton)), lstsq_loss=lstsq_loss,
           gd_steps=good.steps, gd_distance=float(np.linalg.norm(good.path[-1] - beta_hat)))

fig, ax = plt.subplots(figsize=(13, 6.4), layout="constrained")  # wide: the legend goes beside the contours
# Newton's step first, so that the descent plot's legend lists it with the path
ax.plot([start[0], newton[0]], [start[1], newton[1]], color=viz.style.BLUE, linestyle="--", lw=3, marker="D",
        markevery=[1], ms=18, mfc="none", mec=viz.style.BLUE, mew=3, zorder=6, label="one Newton step: β − H⁻¹g")
viz.plot_descent(loss, good, n=grid_n, ax=ax, labels=[f"gradient descent, η = {good.lr:g}, {good.steps} steps"],
                 title=f"from {start}: {good.steps} steps of gradient descent,\nor one step of Newton's method")
lesson.save(fig, "beta_path.png")

# %% [markdown]
# Three learning rates side by side from (-8, -2), 100 steps each: too careful,
# zig-zagging in, and thrown out of the valley further at every step.

# %%

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
