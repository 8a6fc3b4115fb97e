"""Lesson 5: the loss surface of a 2-weight network, with the SGD path on it.

    python examples/lesson5_loss_surface.py            # every figure, the notes' sizes, < 30 s
    python examples/lesson5_loss_surface.py --full     # a finer random plane, a longer-trained MLP
    python examples/lesson5_loss_surface.py --fast     # small sizes (CI)

A network 1 -> 1 tanh -> 1 without biases computes f(x) = W2 tanh(W1 x): it has exactly
two weights, so its loss is a surface over the (W1, W2) plane that we can compute at
every point of a grid and look at whole. We draw the test loss over W1, W2 in
[-2, 2) (80 x 80), start SGD at W1 = W2 = -1 and draw its path on that surface, epoch by
epoch. A real network has thousands of weights; the last part looks at a 1 -> 16 -> 16
-> 1 network on a random plane through its trained weights (Li et al. 2018), on the
line from its initial to its trained weights, and on the plane its training path spans.
Last, the sharpness along both training paths: the largest eigenvalue of the training
loss's Hessian, by power iteration on the engine's Hessian-vector products (`hvp`).
Figures written to out/lesson5_loss_surface/.
"""
# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from autograd_lite import Tensor, hessian, hvp
from _lesson import Lesson

# -- config: plain names; any of them can be set from the command line as --name=value
n = 10_000  # samples (the notes: 10000)
data_seed = 42  # the notes' np.random.seed(42)
test_fraction = 0.2  # held out for the test loss the surface shows
split_seed = 0
grid_step = 0.05  # W1, W2 in arange(-2, 2, grid_step): 80 x 80 (the notes)
w_start = -1.0  # SGD starts at W1 = W2 = w_start (the notes)
lr = 1e-2  # SGD learning rate (the notes)
epochs = 25  # (the notes)
batch_size = 500  # 16 steps per epoch: the path stays in the notes' window; see "The SGD path" below
batch_seed = 0  # the order of the batches, epoch after epoch
hidden = (16, 16)  # the bigger network of the last part: 1 -> 16 -> 16 -> 1, tanh
mlp_seed = 0
mlp_lr = 1e-2  # Adam: a short run, enough to leave the initial weights far behind
mlp_batch_size = 64
mlp_epochs = 20
plane_n = 41  # random plane: plane_n x plane_n points over [-plane_span, plane_span]^2
plane_span = 1.0
plane_seed = 0
power_seed = 0  # power iteration starts from a random unit vector drawn from this seed...
power_tol = 1e-4  # ...and stops when |H v - lam v| <= power_tol * |lam|
power_max_steps = 1000
chunk = 2000  # H v of the training loss is summed over chunks of this many samples (small arrays: faster)
lesson = Lesson(
    "lesson5_loss_surface",
    globals(),
    fast=dict(n=2000, grid_step=0.2, epochs=5, mlp_epochs=3, plane_n=11),
    full=dict(mlp_epochs=100, plane_n=81),
)

# %% [markdown]
# ## The data
# One input x ~ N(1, 4.5^2) and a target made of three pieces: a line for x < -2, a sine
# in the middle, a falling cubic for x >= 2; plus N(0, 1) noise. `nn.piecewise` draws
# exactly the notes' numbers. We hold out a test set: the surface is the *test* loss.

# %%
X, y = nn.piecewise(n, seed=data_seed)  # X (n, 1), y (n,)
X_train, X_test, y_train, y_test = nn.train_test_split(X, y, test_fraction=test_fraction, seed=split_seed)
batches = nn.Batches(X_train, y_train, batch_size=batch_size, seed=batch_seed)  # the data loader


def target(x: np.ndarray) -> np.ndarray:
    """The noise-free function the data come from (as the notes write it)."""
    return np.where(x < -2, 2 * x + 5, np.where(x < 2, 7.3 * np.sin(x), -0.03 * x**3 + 2))


# With no biases the network outputs 0 when W1 = 0 or W2 = 0, so along both axes of the
# (W1, W2) plane the loss is mean(y^2) (the test targets' mean square): a landmark.
# largest_term: the share of that mean that the most extreme test sample makes alone.
loss_at_zero = float(np.mean(y_test**2))
lesson.log("data", n=n, train=len(X_train), test=len(X_test), batches_per_epoch=len(batches),
           y_mean=float(y_test.mean()), y_var=float(y_test.var()), loss_at_zero=loss_at_zero,
           y_min=float(y_test.min()), largest_term=float(np.max(y_test**2) / len(y_test)))

xs_line = np.linspace(X.min(), X.max(), 400)
fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
ax.scatter(X_train[:, 0], y_train, s=8, alpha=0.3, marker="o", color="C0", linewidths=0, label=f"train ({len(X_train)})")
ax.scatter(X_test[:, 0], y_test, s=16, alpha=0.7, marker="^", color="C1", linewidths=0, label=f"test ({len(X_test)})")
ax.plot(xs_line, target(xs_line), color="k", linestyle="-", linewidth=2.5, label="the function, before the noise")
ax.axvline(-2, color="0.35", linestyle=":", label="where the pieces meet (x = -2, 2)")
ax.axvline(2, color="0.35", linestyle=":")
ax.set(xlabel="x", ylabel="y", title="Lesson 5's data: y = piecewise(x) + N(0, 1) noise")
viz.place_legend(ax)
lesson.save(fig, "data.png")

# %% [markdown]
# ## A network with exactly two weights
# Linear(1, 1, no bias) -> tanh -> Linear(1, 1, no bias): f(x) = W2 tanh(W1 x). The loss is
# the mean squared error (PyTorch's MSELoss, `nn.mse`). We use the Tensor track (a batch
# is one node per layer); its scalar twin `nn.MLP` holds the same two weights as Values
# and computes the same loss, one sample at a time.

# %%
model = nn.TensorMLP(1, [1, 1], activation="tanh", bias=False)  # Linear, Tanh, Linear
start = {"0.weight": np.array([[w_start]]), "2.weight": np.array([[w_start]])}  # (nout, nin) = (1, 1) each
model.load_state_dict(start)
twin = nn.MLP(1, [1, 1], activation="tanh", bias=False)  # the scalar track: two Values
twin.load_state_dict(model.state_dict())
tensor_loss = nn.evaluate(model, nn.mse, (X_test, y_test))["loss"]
scalar_loss = nn.evaluate(twin, nn.mse, (X_test, y_test))["loss"]
lesson.log("network", params=model.num_parameters(), names=[k for k, _ in model.named_parameters()],
           tensor_loss=tensor_loss, scalar_loss=scalar_loss, difference=abs(tensor_loss - scalar_loss))

# %% [markdown]
# ## The loss surface
# The test loss at every point of the grid W1, W2 in [-2, 2) in steps of 0.05: 6400 full
# evaluations of the test set, each one the number `nn.evaluate` gives for those weights.
# The network is odd in its weights, f(x; -W1, -W2) = f(x; W1, W2), so the surface is
# symmetric through the origin: every valley has a twin.

# %%
# Rounded so that the grid holds -1 exactly (arange's -2 + 20 * 0.05 is -0.9999999999999991):
# the surface then passes through the very start of the SGD path.
grid = np.round(np.arange(-2, 2, grid_step), 10)
t0 = time.perf_counter()
surface = viz.loss_surface(model, nn.mse, (X_test, y_test), params=("0.weight[0, 0]", "2.weight[0, 0]"),
                           grid=(grid, grid), progress=False)
seconds = time.perf_counter() - t0
i, j = np.unravel_index(np.argmin(surface.Z), surface.Z.shape)  # Z[i, j] sits at (W1 = xs[j], W2 = ys[i])
lesson.log("surface", grid=f"{len(surface.xs)}x{len(surface.ys)}", points=surface.Z.size, seconds=round(seconds, 2),
           min_loss=float(surface.Z.min()), min_W1=float(surface.xs[j]), min_W2=float(surface.ys[i]),
           max_loss=float(surface.Z.max()))

# %% [markdown]
# ## The SGD path
# From W1 = W2 = -1, plain SGD with learning rate 0.01 for 25 epochs over shuffled
# mini-batches (`nn.Batches`, the data loader). We record the weights before training and
# after every epoch (`snapshot_every` = steps per epoch) and the test loss at each of
# those 26 points.
#
# The batch size: 500, so 16 steps per epoch and 400 in all. SGD drops into a valley and
# then walks along its floor towards ever more negative W1, where tanh(W1 x) becomes a
# step and the loss hardly changes; how far it walks is set by the number of steps. With
# 500 the whole walk stays inside the notes' window W1 >= -2; with batches of 64 (3125
# steps) it ends near W1 = -3, off the grid, at the same test loss (try --batch_size=64).

# %%
model.load_state_dict(start)
history = nn.fit(model, nn.mse, batches, nn.SGD(model.parameters(), lr=lr), epochs=epochs,
                 snapshot_every=len(batches), val_data=(X_test, y_test), log_every=0, progress=False)
path = viz.trajectory(history, surface)  # (epochs + 1, 2): (W1, W2) before training and after each epoch
path_loss = viz.snapshot_losses(model, nn.mse, (X_test, y_test), history)  # (epochs + 1,) test losses
# The path starts on a grid point: the surface there is the path's first test loss.
at_start = float(surface.Z[np.argmin(np.abs(surface.ys - w_start)), np.argmin(np.abs(surface.xs - w_start))])
lesson.log("sgd_start", W1=path[0, 0], W2=path[0, 1], test_loss=path_loss[0], surface_loss=at_start)
lesson.log("sgd_end", W1=path[-1, 0], W2=path[-1, 1], test_loss=path_loss[-1], epochs=history.epochs,
           steps=history.steps, batch_size=batch_size, fell=bool(path_loss[-1] < path_loss[0]),
           # fit's own validation after each epoch is the same number as the snapshots' losses
           val_loss_gap=float(np.max(np.abs(path_loss[1:] - np.array(history.val_loss)))))

fig = plt.figure(figsize=(16, 7.5), layout="constrained")
ax2d = fig.add_subplot(1, 2, 1)
viz.plot_contour(surface, ax=ax2d, levels=40, center=False, legend=False,
                 title=f"test loss over (W1, W2)\nand the SGD path ({history.epochs} epochs)")
# the lowest grid point, drawn half a marker inside the frame when it lies on the grid's edge
low = (surface.xs[j], surface.ys[i])
ax2d.plot(*low, linestyle="none", marker="D", color="w", markersize=11, markeredgecolor="k", label="lowest point of the grid",
          zorder=12)
pad = 0.03 * (surface.xs[-1] - surface.xs[0])
ax2d.set_xlim(surface.xs[0] - pad, surface.xs[-1] + pad)
ax2d.set_ylim(surface.ys[0] - pad, surface.ys[-1] + pad)
viz.plot_trajectory(path, ax=ax2d, labels=[f"SGD, η {lr:g}, batch {batch_size}"])  # legend: beside the contours
ax3d = fig.add_subplot(1, 2, 2, projection="3d")
viz.plot_surface3d(surface, ax=ax3d, alpha=0.7)
viz.plot_trajectory(path, ax=ax3d, z=path_loss, legend=False)  # each point at its own test loss, above the surface
ax3d.set(xlabel="W1", ylabel="W2", zlabel="test loss", title="the same surface in 3-D\n(the path drawn above it)")
ax3d.view_init(elev=30, azim=-130)  # from the side where the path runs
lesson.save(fig, "surface_path.png")

# %% [markdown]
# The loss falls fastest in the first epochs, as SGD drops into the valley in front of
# it (W2 from -1 towards -0.3); then it creeps along the valley floor, where tanh
# saturates and W1 barely matters. That valley is not the lowest point of the grid: with
# two weights and no bias, local valleys are real, and where you start decides which one
# you get. Either way two weights fit almost nothing of this data: f(x) = W2 tanh(W1 x)
# is odd and bounded by |W2|, while y has mean -3.7 and falls to -190.
#
# The test loss sits well above the training loss: the test set happens to hold the most
# extreme sample of all (x near 19, y near -190), whose squared error alone adds
# `largest_term` (logged with the data) to the mean.

# %%
fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(16, 6.5), layout="constrained")
ax_loss.plot(np.arange(len(path_loss)), path_loss, marker="o", linestyle="-", color="C1",
             label="test loss (the path's heights)")
ax_loss.plot(np.arange(1, history.epochs + 1), history.epoch_loss, marker="s", linestyle="--", color="C0",
             label="training loss\n(mean over the epoch's batches)")
ax_loss.axhline(surface.Z.min(), color="k", linestyle=":", label="lowest test loss on the grid")
ax_loss.set(xlabel="epoch (0 = before training)", ylabel="MSE", title="SGD on the two weights")
viz.place_legend(ax_loss)
# the test data, cut at y = -40: only points inside the view, so none sits on the frame
shown = (y_test > -40) & (y_test < 15)
ax_fit.scatter(X_test[shown, 0], y_test[shown], s=8, alpha=0.4, color="0.45", linewidths=0, label="test data")
for k, ((w1, w2), name) in enumerate((((path[0, 0], path[0, 1]), "start"), ((path[-1, 0], path[-1, 1]), "after SGD"),
                                      ((surface.xs[j], surface.ys[i]), "lowest grid point"))):
    look = viz.style.series(k)
    ax_fit.plot(xs_line, w2 * np.tanh(w1 * xs_line), color=look["color"], linestyle=look["linestyle"], linewidth=3,
                label=f"{name}: W1 = {w1:.2f}, W2 = {w2:.2f}")
ax_fit.set(xlabel="x", ylabel="f(x) = W2 tanh(W1 x)", title="what two weights can fit\n(y cut at -40)", ylim=(-40, 15))
viz.place_legend(ax_fit)
lesson.save(fig, "sgd_loss_and_fit.png")

# %% [markdown]
# ## A bigger network: a random plane through its weights
# A 1 -> 16 -> 16 -> 1 tanh network has 321 parameters, so no grid covers them. Li et al.
# (2018) look at a plane instead: theta + a d1 + b d2 with two random Gaussian directions,
# each neuron's row of d1, d2 rescaled to the norm of that neuron's weights ("filter
# normalisation", biases left out), so a = 1 changes every neuron by about its own size.
# The trained network sits at the centre (a = b = 0).

# %%
mlp = nn.TensorMLP(1, [*hidden, 1], activation="tanh", seed=mlp_seed)
init_state = mlp.state_dict()  # kept for the line from initial to trained weights
mlp_batches = nn.Batches(X_train, y_train, batch_size=mlp_batch_size, seed=batch_seed)
mlp_history = nn.fit(mlp, nn.mse, mlp_batches, nn.Adam(mlp.parameters(), lr=mlp_lr), epochs=mlp_epochs,
                     snapshot_every=len(mlp_batches), log_every=0, progress=False)
mlp_loss = nn.evaluate(mlp, nn.mse, (X_test, y_test))["loss"]
lesson.log("mlp", sizes=[1, *hidden, 1], params=mlp.num_parameters(), epochs=mlp_epochs, optimizer="Adam",
           lr=mlp_lr, batch_size=mlp_batch_size, test_loss=mlp_loss, two_weight_loss=path_loss[-1])

fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
ax.scatter(X_test[:, 0], y_test, s=8, alpha=0.4, color="0.45", linewidths=0, label="test data")
curve = viz.predict(mlp, xs_line[:, None])[:, 0]  # (400, 1) -> (400, 1), no graph recorded
# blue solid against vermillion dashed: apart in colour for every viewer, and in line style
ax.plot(xs_line, curve, linestyle="-", color="C0", linewidth=3, label=f"1-16-16-1 tanh, test MSE {mlp_loss:.1f}")
ax.plot(xs_line, path[-1, 1] * np.tanh(path[-1, 0] * xs_line), linestyle="--", color="C1", linewidth=3,
        label=f"two weights after SGD, test MSE {path_loss[-1]:.1f}")
ax.set(xlabel="x", ylabel="y", title=f"{mlp.num_parameters()} parameters against 2")
viz.place_legend(ax)
lesson.save(fig, "mlp_fit.png")

plane = viz.random_plane(mlp, nn.mse, (X_test, y_test), seed=plane_seed, span=plane_span, n=plane_n, progress=False)
middle = plane_n // 2  # for odd plane_n the middle grid point is exactly a = b = 0
lesson.log("plane", grid=f"{plane_n}x{plane_n}", span=plane_span, normalization="filter",
           center_loss=plane.center_loss, evaluate_loss=mlp_loss, grid_center=float(plane.Z[middle, middle]),
           min_loss=float(plane.Z.min()), max_loss=float(plane.Z.max()))

fig = plt.figure(figsize=(16, 7), layout="constrained")
ax2d = fig.add_subplot(1, 2, 1)
viz.plot_contour(plane, ax=ax2d, levels=30, log=True)  # log levels show the floor of the basin
ax2d.set(xlabel="a (direction 1)", ylabel="b (direction 2)",
         title=f"{mlp.num_parameters()}-parameter network:\ntest loss on a random plane")
ax3d = fig.add_subplot(1, 2, 2, projection="3d")
viz.plot_surface3d(plane, ax=ax3d, log=True)
ax3d.set(xlabel="a", ylabel="b", title="the same plane in 3-D (log10 loss)")
ax3d.view_init(elev=35, azim=-60)
lesson.save(fig, "random_plane.png")

# %% [markdown]
# ## From the initial weights to the trained ones
# Goodfellow et al. (2015): the loss on the straight line (1 - t) theta_init + t theta_trained.
# And the plane that the training path itself spans (Li et al., section 7: the top two
# principal directions of the weights recorded after each epoch), with the path on it:
# on a random plane the path would be invisible, since random directions in 321
# dimensions are almost orthogonal to it.

# %%
init_model = nn.TensorMLP(1, [*hidden, 1], activation="tanh", seed=mlp_seed)
init_model.load_state_dict(init_state)  # the initial weights, whatever the seed drew
# t from -0.5 to 1.5 in steps of 1/32, a binary fraction: t = 0 and t = 1 are grid points exactly
line = viz.interpolate(init_model, mlp, nn.mse, (X_test, y_test), n=65, extend=0.5, progress=False)
at = {t: float(line.loss[line.t == t][0]) for t in (0.0, 1.0)}
lesson.log("interpolate", loss_init=at[0.0], evaluate_init=nn.evaluate(init_model, nn.mse, (X_test, y_test))["loss"],
           loss_trained=at[1.0], evaluate_trained=mlp_loss, max_loss=float(line.loss.max()))

pcs = viz.pca_directions(mlp_history, n=2)
pca_path = viz.trajectory(mlp_history, pcs)  # (mlp_epochs + 1, 2): the path in PCA coordinates
# the grid: the path's bounding box and a quarter of its size around it
lo, hi = pca_path.min(axis=0), pca_path.max(axis=0)
pad = 0.25 * (hi - lo)
pca_grid = tuple(np.linspace(lo[k] - pad[k], hi[k] + pad[k], plane_n) for k in range(2))
pca_plane = viz.random_plane(mlp, nn.mse, (X_test, y_test), directions=pcs, grid=pca_grid, progress=False)
lesson.log("pca", explained=[float(r) for r in pcs.explained_variance_ratio], points=len(pca_path))

fig, (ax_line, ax_pca) = plt.subplots(1, 2, figsize=(16, 7), layout="constrained")
# (the contours first: their colourbar and legend settle the layout the line's legend is placed in)
viz.plot_contour(pca_plane, ax=ax_pca, levels=30, log=True, path=pca_path, labels=[f"Adam, {mlp_epochs} epochs"],
                 title="the training path on the plane\nof its two principal directions")
viz.plot_interpolation(line, ax=ax_line, log=True, names=("initial", "trained"))
ax_line.set(ylabel="test loss (log scale)", title="the straight line\nfrom initial (t = 0) to trained (t = 1)")
lesson.save(fig, "interpolation_and_pca.png")

# %% [markdown]
# ## Sharpness: the curvature along the path
# How curved is the loss where training goes? The curvature along a direction is a second
# derivative, and the largest one, the top eigenvalue lam_max of the Hessian, is called the
# sharpness (Keskar et al. 2017; Cohen et al. 2021, "edge of stability"). It matters for the
# step size, as in lesson 2: plain gradient descent with learning rate eta is stable on a
# quadratic only while lam_max < 2/eta.
#
# With 321 parameters the Hessian has 103,041 entries; power iteration never forms it. From
# a random unit vector v (seeded), repeat v <- Hv / |Hv| until Hv = lam v to a tolerance;
# each Hv is one `hvp` (the gradient of <grad L, v>, on Tensor). The loss is the *training*
# loss, the one SGD descends, over the whole training set: it is a mean, so H v is the
# chunks' H v weighted by their sizes (the same number, in arrays small enough to be fast).
# Both networks are written as functions of their weights (`mse_of` below, checked against
# `nn.evaluate`). Checks: for the 2-weight network the whole 2 x 2 `hessian` at every point
# (which also gives the smallest curvature lam_min), for the MLP the 321 x 321 `hessian` at
# the end of training, and a second seed.

# %%
def mse_of(names, X, y):
    """The network's MSE on (X, y) as a function of its parameters, given in `names` order:
    Linear layers (h @ W.T + b) with tanh between them, as nn.TensorMLP(..., "tanh") computes."""
    X, y = Tensor(X), Tensor(y[:, None])  # (N, 1), (N, 1): constants
    layers = sorted({name.split(".")[0] for name in names}, key=int)  # "0", "2", "4": the Linear layers

    def loss(*params):
        p = dict(zip(names, params))
        h = X
        for k, layer in enumerate(layers):
            h = h @ p[f"{layer}.weight"].T  # (N, nin) @ (nin, nout)
            if f"{layer}.bias" in p:
                h = h + p[f"{layer}.bias"]
            if k < len(layers) - 1:
                h = h.tanh()
        return ((h - y) ** 2).mean()

    return loss


def chunked(names):
    """[(loss on one chunk of the training set, its share of the samples)]: the training loss is their weighted sum."""
    return [(mse_of(names, X_train[k:k + chunk], y_train[k:k + chunk]), len(X_train[k:k + chunk]) / len(X_train))
            for k in range(0, len(X_train), chunk)]


def sharpness(parts, params, seed):
    """lam_max of the training loss's Hessian at params (a list of arrays), by power iteration on hvp.

    Returns (lam, steps, residual). Power iteration finds the eigenvalue largest in absolute
    value; the hessian() checks below confirm it is the largest here."""
    shapes = [p.shape for p in params]
    cuts = np.cumsum([p.size for p in params])[:-1]

    def H_times(v):  # (n,) -> (n,): the chunks' H v, weighted
        vs = [part.reshape(shape) for part, shape in zip(np.split(v, cuts), shapes)]
        return sum(w * np.concatenate([h.ravel() for h in hvp(f, params, vs)]) for f, w in parts)

    v = np.random.default_rng(seed).standard_normal(int(sum(p.size for p in params)))
    v /= np.linalg.norm(v)
    for step in range(1, power_max_steps + 1):
        Hv = H_times(v)
        lam = float(v @ Hv)  # the Rayleigh quotient
        residual = float(np.linalg.norm(Hv - lam * v))
        v = Hv / np.linalg.norm(Hv)
        if residual <= power_tol * abs(lam):
            break
    return lam, step, residual


def full_hessian(parts, params):
    """The training loss's whole Hessian (n, n), by hessian(), summed over the chunks."""
    return sum(w * hessian(f, *params) for f, w in parts)


t0 = time.perf_counter()
records = {}
for label, hist, net, eta in (("1-1-1", history, model, lr), ("1-16-16-1", mlp_history, mlp, mlp_lr)):
    parts = chunked(hist.param_names)  # the training loss, chunk by chunk
    # the weights before training and after each epoch, as lists of arrays in hist.param_names order
    points = [[hist.unflatten(vector)[name] for name in hist.param_names] for _, vector in hist.snapshots]
    rows = np.array([sharpness(parts, params, power_seed) for params in points])  # (epochs + 1, 3): lam, steps, residual
    end = points[-1]
    record = dict(network=label, epochs=list(range(len(points))), lam_max=rows[:, 0],
                  power_steps=rows[:, 1].astype(int), residual=rows[:, 2], seed=power_seed, tol=power_tol,
                  other_seed_lam=sharpness(parts, end, power_seed + 1)[0],  # the same top, from another start
                  two_over_lr=2 / eta, samples=len(X_train), chunks=len(parts),
                  train_loss=float(sum(w * f(*[Tensor(a) for a in end]).data for f, w in parts)),
                  evaluate_loss=nn.evaluate(net, nn.mse, (X_train, y_train))["loss"])
    if label == "1-1-1":  # the whole 2 x 2 Hessian at every point: both curvatures
        curv = np.array([np.linalg.eigvalsh(full_hessian(parts, params)) for params in points])  # ascending
        record.update(W=[[float(w[0, 0]) for w in params] for params in points], lam_min=curv[:, 0],
                      lam_max_hessian=curv[:, 1])
    else:  # the whole 321 x 321 Hessian at the end of training
        H_end = full_hessian(parts, end)
        ends = np.linalg.eigvalsh((H_end + H_end.T) / 2)  # ascending
        record.update(hessian_size=H_end.shape[0], end_lam_max_hessian=ends[-1], end_lam_min_hessian=ends[0],
                      asymmetry=float(np.abs(H_end - H_end.T).max() / np.abs(H_end).max()))
    records[label] = lesson.log("sharpness", **record)
lesson.log("sharpness_time", seconds=round(time.perf_counter() - t0, 2))

# %% [markdown]
# Left, the 2-weight network under SGD: lam_max falls a little, from about 2.5 to 1.8, and
# lam_min falls tenfold, towards 0: the valley floor that SGD creeps along is nearly flat
# (W1 barely matters once tanh saturates). Both stay far below 2/eta = 200: this learning
# rate is a hundred times more careful than stability requires, which is why the path
# creeps. Right, the 1-16-16-1 MLP under Adam: lam_max grows by orders of magnitude as it
# trains ("progressive sharpening", Cohen et al. 2021), far past 2/eta. Plain gradient
# descent with this eta could not stay there; Adam can, because it divides each step by
# its running gradient size, so its own limit is on that rescaled Hessian (Cohen et al.
# 2022). Sharp regions are where a given learning rate stops being safe.

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 6.5), layout="constrained")
small, big = records["1-1-1"], records["1-16-16-1"]
axes[0].semilogy(small["epochs"], small["lam_max"], label="largest curvature, 2 weights (power iteration on hvp)",
                 **viz.style.series(0))
axes[0].semilogy(small["epochs"], small["lam_min"], label="smallest curvature, 2 weights (hessian)",
                 **viz.style.series(2))
axes[0].set_title(f"2 weights, SGD η = {lr:g}: the largest curvature\ngoes from {small['lam_max'][0]:.2f} to "
                  f"{small['lam_max'][-1]:.2f}, far below 2/η")
axes[1].semilogy(big["epochs"], big["lam_max"], label="largest curvature, 1-16-16-1 (power iteration on hvp)",
                 **viz.style.series(1))
axes[1].set_title(f"1-16-16-1 MLP, Adam η = {mlp_lr:g}: the largest curvature\n"
                  f"grows {big['lam_max'][-1] / big['lam_max'][0]:.0f}-fold (progressive sharpening)")
for ax, rec in zip(axes, (small, big)):
    ax.axhline(rec["two_over_lr"], color="k", linestyle=(0, (1, 2)), lw=2.5,
               label=f"2/η = {rec['two_over_lr']:g}: plain gradient descent's limit")
    ax.set(xlabel="epoch (0 = before training)", ylabel="curvature of the training loss\n(log scale)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3, which="both")
handles, labels = axes[0].get_legend_handles_labels()
more = axes[1].get_legend_handles_labels()
fig.legend(handles[:2] + more[0][:1] + handles[2:], labels[:2] + more[1][:1] + labels[2:], loc="outside lower center",
           ncols=2)
lesson.save(fig, "sharpness.png")

# %%
lesson.finish()
