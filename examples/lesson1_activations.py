"""Lesson 1: activations, a tiny network, and finding a mean by gradient descent.

    python examples/lesson1_activations.py            # every figure, a few seconds
    python examples/lesson1_activations.py --full     # finer grid, more starts, longer descents
    python examples/lesson1_activations.py --fast     # small sizes (CI)

Four pictures, each computed with this library's engines. (1) ReLU, sigmoid and tanh
of w*x + b: w sets the steepness, b shifts the curve; and each one's first and second
derivative, by the engine (a gradient of a gradient). (2) The 7-parameter network
f(x) = s(w1*s(v1*x + a1) + w2*s(v2*x + a2) + b) that the notes fit to -x**2 by moving
sliders; here the engine fits it. (3) The loss as a function of two of its weights,
with several random starts and their gradient-descent paths: two equally good minima,
and what the learning rate and stopping early do; the curvature there, from the engine's
Hessian, says how large a learning rate may be. (4) Gradient descent finds the mean of
x = 3*randn(n) + 2, as long as the learning rate is below 2/n: n is the loss's second
derivative, computed by the engine.
Figures are written to out/lesson1_activations/.
"""
# %%
import numpy as np
import matplotlib.pyplot as plt

import nn
import viz
from autograd_lite import Tensor, Value, grad, hessian
from viz import PARAM_NAMES  # ("v1", "v2", "a1", "a2", "w1", "w2", "b")
from _lesson import Lesson, in_notebook

# -- config: plain names; any of them can be set from the command line as --name=value
seed = 1  # every random draw below starts from it
activation_settings = ((1.0, 0.0), (3.0, 0.0), (1.0, 2.0), (-2.0, 1.0))  # (w, b) per panel
curve_points = 201  # f, f', f'' of each activation at this many points of [-5, 5] (x = 0 among them)
derivative_at = (-2.0, -1.0, 0.0, 1.0, 2.0)  # ...and logged at these
# A first try with the sliders, in the order v1, v2, a1, a2, w1, w2, b: one hidden unit
# rising (v1 > 0), one falling (v2 < 0), their sum a bump; the output sigmoid squashes it.
hand_start = (2.0, -2.0, 1.0, 1.0, 4.0, 4.0, -5.0)
fit_steps = 2000  # full-batch Adam steps of the engine's fit
fit_lr = 0.03  # (0.05, the sliders' default, ends with Adam bouncing: a spiky loss curve)
free = ("v1", "v2")  # the two parameters of the loss landscape (the other five stay fitted)
span = 8.0  # the landscape's window: [-span, span] on both axes
grid_n = 81  # grid points per axis
runs = 8  # random starts
descent_lrs = (2.0, 20.0, 60.0)  # too small, right, too large
descent_steps = 200
early_step = 20  # where a run that "stops early" would stop
ns = (5, 10, 100)  # sample sizes for the mean
mu0 = -0.5
lr = 0.05
steps = 5
tol = 1e-8  # the long run stops when |l'(mu)| < tol
max_steps = 1000
lesson = Lesson(
    "lesson1_activations", globals(),
    fast=dict(grid_n=41, descent_steps=100),
    full=dict(grid_n=161, runs=16, descent_steps=1000),
)

# %% [markdown]
# ## 1. Activations of w*x + b
# Each activation a is applied to z = w*x + b. The weight w stretches the curve
# (steeper for |w| > 1, mirrored for w < 0) and the bias moves its centre to x = -b/w.
# The slope at the centre is w * a'(0): w/4 for the sigmoid, w for tanh (computed
# below by backward(), not by those formulas).

# %%
cols = 2
rows = -(-len(activation_settings) // cols)  # ceil
fig, axes = plt.subplots(rows, cols, figsize=(7.0 * cols, 3.9 * rows), sharex=True, sharey=True, squeeze=False,
                         layout="constrained")
for ax, (w, b) in zip(axes.flat, activation_settings):
    viz.plot_activations(("relu", "sigmoid", "tanh"), w=w, b=b, x_range=(-5.0, 5.0), ax=ax)
    ax.axvline(-b / w, color="0.35", linestyle=":", linewidth=1.5)  # the centre, x = -b/w
    ax.set_title(f"w = {w:g}, b = {b:g}: centre x = -b/w = {-b / w + 0.0:g}")
    ax.set_ylim(-1.5, 3.0)  # relu grows without bound; keep the squashing ones readable
    ax.grid(alpha=0.3)
    ax.get_legend().remove()  # the same three curves everywhere: one legend for the figure, below
for ax in axes.flat[len(activation_settings):]:
    ax.remove()  # an odd number of settings leaves one panel empty
fig.suptitle("relu, sigmoid and tanh of w x + b")
fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
lesson.save(fig, "activations.png")

# d/dx a(w x + b) at the centre x = -b/w, by the engine (activation_values runs backward()).
centres = [-b / w + 0.0 for w, b in activation_settings]  # + 0.0: 0, not -0
slopes = {name: [float(viz.activation_values(name, [c], w=w, b=b)[1][0])
                 for c, (w, b) in zip(centres, activation_settings)]
          for name in ("sigmoid", "tanh")}
lesson.log("activations", w=[w for w, _ in activation_settings], b=[b for _, b in activation_settings],
           centre=centres, sigmoid_slope=slopes["sigmoid"], tanh_slope=slopes["tanh"])

# %% [markdown]
# ### f, f' and f'', by the engine
# `grad(a(x), x, create_graph=True)` returns a'(x) as a node, with the graph of how the
# engine computed it (the activation's derivative rule, run with nodes); `grad` of that
# node is a''(x). Nothing here is a formula: the curves are the engine's.
#
# What to see. The sigmoid's and tanh's f'' is 0 at x = 0, where f' peaks and f is
# steepest; f'' is largest where f' rises fastest, and changes sign there: the curve bends
# up, then down. ReLU is a straight line on each side of 0: f' is a step (0, then 1; 0 at
# x = 0 itself, as PyTorch) and f'' = 0 everywhere. At the kink the true second
# derivative would be an infinite spike; the engine, like PyTorch, says 0 there too.

# %%
def derivatives(name, xs):
    """(f, f', f'') of activation `name` at each x in xs (3, len(xs)): f' = grad(f), f'' = grad(f')."""
    out = np.empty((3, len(xs)))
    for i, x0 in enumerate(xs):
        x = Value(float(x0), label="x")
        fx = getattr(x, name)()  # f(x)
        (d1,) = grad(fx, x, create_graph=True)  # f'(x): a node, with the graph that computed it
        (d2,) = grad(d1, x)  # f''(x): the gradient of that graph
        out[:, i] = fx.data, d1.data, d2.data
    return out


xs_curve = np.linspace(-5.0, 5.0, curve_points)
fig, axes = plt.subplots(1, 3, figsize=(15, 5.4), layout="constrained")
for ax, name in zip(axes, ("relu", "sigmoid", "tanh")):
    curves = derivatives(name, xs_curve)  # (3, curve_points)
    for k, (ys, label) in enumerate(zip(curves, ("f(x)", "f'(x)", "f''(x)"))):
        look = viz.style.series(k)  # blue solid o, vermillion dashed s, sky blue dash-dot ^
        ax.plot(xs_curve, ys, lw=3, markevery=(8 * k, 25), ms=9, label=label, **look)
    ax.axhline(0.0, color=viz.style.GREY, lw=1)
    ax.set(xlabel="x", title=f"{name}(x) and its derivatives")
    ax.grid(alpha=0.3)
    at = derivatives(name, derivative_at)
    i2 = np.argmax(curves[2]), np.argmin(curves[2])
    lesson.log("derivatives", activation=name, at=derivative_at, f=at[0], f_prime=at[1], f_second=at[2],
               points=curve_points, peak_x=xs_curve[i2[0]], peak=curves[2, i2[0]], trough_x=xs_curve[i2[1]],
               trough=curves[2, i2[1]], largest_f_prime=curves[1].max(), largest_abs_f_second=np.abs(curves[2]).max())
axes[0].set_ylim(-0.6, 2.6)  # relu grows without bound: keep its step readable
fig.suptitle("the activations, their slopes f' and their curvatures f'', by grad(grad(...))")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
lesson.save(fig, "activation_derivatives.png")

# %%
# In Jupyter: sliders for w and b and a dropdown of activations (a script has no sliders).
if in_notebook():
    from IPython.display import display

    display(viz.interact_activation())

# %% [markdown]
# ## 2. The 7-parameter network, fitted by the engine
# f(x) = s(w1*s(v1*x + a1) + w2*s(v2*x + a2) + b) with s the sigmoid: v1, v2, a1, a2 from
# the input to the two hidden units, w1, w2, b to the output. It is
# `nn.MLP(1, [2, 1], activation="sigmoid", output_activation="sigmoid")`.
#
# The notes ask for f to match -x**2 on [-1, 1]. But the outer sigmoid keeps f in (0, 1),
# and -x**2 lies in [-1, 0]: the network can only match its shape (a bump). So, as
# `viz.fit_network` and the sliders do, the target is first mapped affinely onto
# [0.1, 0.9] (inside the sigmoid's range, off its flat tails):
# t' = 0.1 + 0.8 (t - min t) / (max t - min t) = 0.1 + 0.8 (1 - x**2) = 0.9 - 0.8 x**2.
# The loss is the mean squared error on 41 evenly spaced points of [-1, 1].

# %%
start = dict(zip(PARAM_NAMES, hand_start))  # {"v1": 2.0, "v2": -2.0, ...}
model, history = viz.fit_network(lambda x: -x**2, x_range=(-1.0, 1.0), steps=fit_steps, lr=fit_lr, start=start)
fitted = viz.params_from_network(model)
start_loss = viz.network_loss(start)  # the same rescaled target and 41 points as the fit
fitted_loss = viz.network_loss(fitted)
lesson.log("network", steps=fit_steps, lr=fit_lr, start_loss=start_loss, fitted_loss=fitted_loss, **fitted)

xs = np.linspace(-1.0, 1.0, 201)
fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(14, 6), width_ratios=(1.3, 1), layout="constrained")
ax.plot(xs, 0.9 - 0.8 * xs**2, color="k", linestyle="--", label="target -x², rescaled to [0.1, 0.9]")
ax.plot(xs, viz.network_curve(start, xs), color="C0", linestyle=":", label=f"hand-picked start, loss {start_loss:.3g}")
ax.plot(xs, viz.network_curve(fitted, xs), color="C1", linestyle="-", linewidth=3,
        label=f"fitted by the engine, loss {fitted_loss:.3g}")
ax.set(xlabel="x", ylabel="f(x)", title="f(x) = s(w1 s(v1 x + a1) + w2 s(v2 x + a2) + b)", ylim=(0.0, 1.05))
ax.legend(loc="lower center")
ax.grid(alpha=0.3)
viz.plot_history(history, ax=ax_loss, logy=True)
ax_loss.set_title(f"{fit_steps} Adam steps, η = {fit_lr}")
ax_loss.set_xlabel("Adam step")
ax_loss.set_ylabel("loss (MSE, log scale)")
lesson.save(fig, "network_fit.png")

# %% [markdown]
# The fitted network at one input, x = 0.5, as the engine sees it: every node of f(x),
# the seven parameters named as in the notes, each with its value and its gradient
# df/d(parameter) (simulated from the graph; nothing changes). Each hidden neuron is a
# column of its own, joining at the output. (Built inside `with nn.record_calls() as rec:`,
# `modules=rec` would also box the nodes by neuron and layer: a denser picture, for a
# notebook rather than a slide.)

# %%
f_half = model([0.5])[0]  # f(0.5), one Value
f_half.label = "f(0.5)"
named = dict(model.named_parameters())
graph = viz.draw_graph(f_half, grads="computed", params={name: named[key] for name, key in viz.PARAM_KEYS.items()})
lesson.save(graph, "network_graph.svg")
lesson.log("graph", x=0.5, f=f_half.data, values=graph.info["nodes"])

# %%
# In Jupyter: the notes' 7 sliders, with a "fit with the engine" button.
if in_notebook():
    from IPython.display import display

    display(viz.interact_network(steps=fit_steps, lr=fit_lr, seed=seed))

# %% [markdown]
# ## 3. The loss landscape of two weights, and gradient descent on it
# The notes draw a loss L(w1, w2) of two weights. We take the fitted network above,
# keep five parameters at their fitted values and let two move (`free`, by default the
# input weights v1, v2). Why those two: swapping the two hidden units gives the same
# network, and with a1 = a2, w1 = w2 (as fitted) that swap is the mirror v1 <-> v2, so the
# loss has two equally good minima, (v, -v) and (-v, v): the simplest "several optima".
# (Freeing w1, w2 instead, `--free="('w1','w2')"`, gives one valley next to a wide flat
# plateau where the output sigmoid saturates and descent does not move.)
#
# The contours come from the library's network (`viz.loss_surface`); the paths from
# `viz.run_descent`, plain gradient descent (full batch: every step sees all 41 points)
# on the same loss written out with Tensor ops, so the engine differentiates it.

# %%
KEYS = viz.PARAM_KEYS  # each parameter's place in the state dict: {"v1": "0.weight[0, 0]", ...}
x_fit = np.linspace(-1.0, 1.0, 41)  # the 41 points of the fit
t_fit = 0.9 - 0.8 * x_fit**2  # -x**2 mapped onto [0.1, 0.9], as above
X_fit = Tensor(x_fit)  # (41,) a constant: requires_grad is False


def loss_two(p, q):
    """L(p, q): the network's MSE with free[0] = p and free[1] = q, the other five as fitted."""
    theta = {**fitted, free[0]: p, free[1]: q}
    h1 = (theta["v1"] * X_fit + theta["a1"]).sigmoid()  # (41,) hidden unit 1
    h2 = (theta["v2"] * X_fit + theta["a2"]).sigmoid()  # (41,) hidden unit 2
    f = (theta["w1"] * h1 + theta["w2"] * h2 + theta["b"]).sigmoid()  # (41,) the output
    return ((f - t_fit) ** 2).mean()


surface = viz.loss_surface(
    viz.network_from_params(fitted, engine="tensor"), nn.mse, (x_fit[:, None], t_fit[:, None]),
    params=(KEYS[free[0]], KEYS[free[1]]), grid=(np.linspace(-span, span, grid_n),) * 2, progress=False,
    names=free,  # the axes are called v1, v2, as in the notes (not their state-dict keys)
)
# The written-out loss must be the network's: compare them at the fitted point.
formula_loss = float(loss_two(fitted[free[0]], fitted[free[1]]).data)
# Local minima of the grid: points lower than all 8 neighbours.
Z = surface.Z
inner = Z[1:-1, 1:-1]
is_min = np.ones_like(inner, dtype=bool)
for di in (-1, 0, 1):
    for dj in (-1, 0, 1):
        if di or dj:
            is_min &= inner < Z[1 + di:Z.shape[0] - 1 + di, 1 + dj:Z.shape[1] - 1 + dj]
lesson.log("surface", p=free[0], q=free[1], grid=grid_n, span=span, center_loss=surface.center_loss,
           formula_loss=formula_loss, grid_min=float(Z.min()), grid_minima=int(is_min.sum()))

starts = np.random.default_rng(seed).uniform(-0.9 * span, 0.9 * span, size=(runs, 2))  # (runs, 2)
fig, axes = plt.subplots(1, len(descent_lrs), figsize=(5.0 * len(descent_lrs), 5.6), layout="constrained")
best = None  # the lowest point any run reached: the minimum, for the curvature below
for k, (ax, eta) in enumerate(zip(np.atleast_1d(axes), descent_lrs)):
    results = [viz.run_descent(loss_two, s, "sgd", lr=eta, steps=descent_steps, engine="tensor") for s in starts]
    # contours, the fitted network (x) and each random start's path (o start, * end), without a legend
    # per panel: one legend for the figure, under the panels
    viz.plot_contour(surface, ax=ax, log=True, levels=25, colorbar=k == len(descent_lrs) - 1, legend=False,
                     title=f"gradient descent, η = {eta:g}\n{descent_steps} steps")
    viz.plot_trajectory([r.path for r in results], ax=ax, legend=False)
    if k:
        ax.set_ylabel("")
    lesson.log(
        "landscape", lr=eta, steps=descent_steps, early_step=early_step,
        early_loss=[float(r.losses[min(early_step, len(r.losses) - 1)]) for r in results],
        final_loss=[r.final_loss for r in results],
        **{f"end_{free[0]}": [float(r.path[-1, 0]) for r in results],
           f"end_{free[1]}": [float(r.path[-1, 1]) for r in results]},
    )
    for r in results:
        if best is None or r.final_loss < best.final_loss:
            best = r
from matplotlib.lines import Line2D  # noqa: E402  (the markers' meaning, once for the three panels)

fig.legend([Line2D([], [], ls="none", marker="X", color="k", mec="w", ms=11),
            Line2D([], [], ls="none", marker="o", color="w", mec="k", mew=2, ms=9),
            Line2D([], [], ls="none", marker="*", color="0.35", mec="k", ms=15),
            Line2D([], [], color="0.35", lw=2.2)],
           ["the fitted network", f"{runs} random starts", "where each run ends", "its descent path"],
           loc="outside lower center", ncols=4)
lesson.save(fig, "landscape.png")

# %% [markdown]
# How large may the learning rate be? Near a minimum the loss is a bowl whose
# curvatures are the eigenvalues lam of its Hessian; one step multiplies the distance
# to the minimum along each eigenvector by (1 - lr lam), so descent settles only if
# lr < 2 / lam_max (lesson 2 derives this). Above it, the runs end bouncing between two
# points on either side of the minimum. The Hessian here is the engine's: `hessian` takes
# the gradient of each entry of the gradient (`grad` of the graph `grad` built). Central
# differences of the gradient, the way to get it without second derivatives, check it.

# %%
minimum = best.path[-1]  # (2,): the lowest point any run reached
H = hessian(lambda point: loss_two(point[0], point[1]), minimum)  # (2, 2): d2 L / dp dq at the minimum
lam = np.linalg.eigvalsh(H)  # the curvatures, ascending


def grad_two(point):
    """grad L at point (2,), by backward()."""
    p = Tensor(point, requires_grad=True)  # (2,)
    loss_two(p[0], p[1]).backward()
    return p.grad  # (2,)


h = 1e-5  # row j of the check: d grad / d point_j, by central differences along the unit vector e_j
H_fd = np.stack([(grad_two(minimum + h * e) - grad_two(minimum - h * e)) / (2 * h) for e in np.eye(2)])
lesson.log("curvature", p=float(minimum[0]), q=float(minimum[1]), loss=best.final_loss, hessian=H,
           lam_min=float(lam[0]), lam_max=float(lam[1]), lr_limit=2 / float(lam[1]),
           asymmetry=float(abs(H[0, 1] - H[1, 0])), central_difference_gap=float(np.abs(H - H_fd).max()))

# %% [markdown]
# The notes' questions, with the numbers logged above. Several optima: with a good
# learning rate every run ends at one of the two mirror minima, at the same loss.
# The learning rate: too small (the first panel), and after `early_step` steps most
# runs are still high up; above 2 / lam_max (the last panel), they never settle.
# Stopping early: compare each run's `early_loss` with its `final_loss`.

# %% [markdown]
# ## 4. Finding a mean by gradient descent
# Data x = 3*randn(n) + 2 (true mean 2). The loss l(mu) = 1/2 sum_i (x_i - mu)**2 has
# gradient l'(mu) = sum_i (mu - x_i) = n (mu - mean(x)) and second derivative l''(mu) = n:
# each of the n terms curves by 1. So one step of size lr moves mu - mean(x) to
# (1 - lr l'')(mu - mean(x)), and descent finds the empirical mean when |1 - lr l''| < 1,
# i.e. lr < 2/l'' = 2/n. With lr = 0.05 that holds for n = 5 and 10 but not for n = 100,
# where each step overshoots 4 times further. The engine computes l'' itself, as the
# gradient of the gradient: `grad(l(mu), mu, create_graph=True)` is l'(mu) as a graph, and
# `grad` of that is l''(mu).

# %%
def mean_loss(x):
    """l(mu) = 1/2 sum_i (x_i - mu)**2 as a function of a Value mu (x: the data)."""
    data = x.tolist()
    return lambda mu: 0.5 * sum((xi - mu) ** 2 for xi in data)


def descend_until(loss, mu, eta, tol, max_steps):
    """mu <- mu - eta l'(mu) until |l'(mu)| < tol (found) or > 1e12 (diverged); l' by backward()."""
    for k in range(max_steps + 1):
        grad = viz.derivative(loss, mu)[1]
        if abs(grad) < tol or abs(grad) > 1e12 or k == max_steps:
            return mu, grad, k
        mu = mu - eta * grad


fig, axes = plt.subplots(1, len(ns), figsize=(5.0 * len(ns), 5.2), layout="constrained")
for ax, n in zip(np.atleast_1d(axes), ns):
    x = nn.mean_data(n, seed=seed)  # (n,) 3 * standard_normal(n) + 2 from default_rng(seed)
    loss = mean_loss(x)
    mean = float(np.mean(x))
    path = viz.descend_1d(loss, mu0, lr=lr, steps=steps)  # (steps + 1,) each slope by backward()
    grad0 = viz.derivative(loss, mu0)[1]
    mu = Value(mu0, label="μ")
    (dl,) = grad(loss(mu), mu, create_graph=True)  # l'(mu) = sum(mu - x_i), as a graph
    (d2l,) = grad(dl, mu)  # l''(mu): the gradient of the gradient
    curvature = d2l.data
    mu_long, grad_long, steps_long = descend_until(loss, mu0, lr, tol, max_steps)
    lesson.log(
        "mean", n=n, lr=lr, steps=steps, mu0=mu0, mu=float(path[-1]), mean=mean, gap=float(path[-1]) - mean,
        second_derivative=curvature, lr_limit=2 / curvature, below_limit=lr < 2 / curvature,
        factor=1 - lr * curvature, grad_gap=grad0 - float(np.sum(mu0 - x)),  # engine vs the notes' sum(mu - x)
        long_steps=steps_long, long_mu=mu_long, long_gap=mu_long - mean, long_grad=grad_long,
        found=abs(grad_long) < tol,
    )
    # the steps: stars on a dotted line; the two means: a square and a diamond (the legend says which)
    viz.plot_descent_1d(loss, path, ax=ax, xlabel="μ", marks={"empirical mean": mean, "true mean": 2.0})
    # (ℓ, not l: a sans-serif l looks like I)
    ax.set_title(f"n = {n}: ℓ''(μ) = {curvature:g}, 2/ℓ'' = {2 / curvature:g}\n"
                 f"η = {lr:g} {'<' if lr < 2 / curvature else '>'} 2/ℓ'': gap × {1 - lr * curvature:g} per step")
    ax.grid(alpha=0.3)
lesson.save(fig, "mean_descent.png")

# %%
lesson.finish()
