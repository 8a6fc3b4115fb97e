"""Lesson 3: a neural network by hand, then by autodiff (house prices).

    python examples/lesson3_house_prices.py            # every figure, < 30 s
    python examples/lesson3_house_prices.py --full     # the notes' 100,000 epochs
    python examples/lesson3_house_prices.py --fast     # small sizes (CI)

Ten houses, (size, bedrooms) -> sold price, standardised. The notes' network has 2
inputs, 5 sigmoid hidden units and 1 sigmoid output: 21 weights w1..w21, and the loss
E = 1/2 sum (y - y_pred)^2. We write the notes' 21 chain-rule derivatives dE/dw_k as
plain formulas and check them ("check your derivatives!") against the engine's
backward() and against central differences; then train with full-batch gradient
descent on both engines (Value and Tensor give the same losses), next to the notes'
PyTorch model. Last, the ways training goes wrong: vanishing gradients in saturated
sigmoids, exploding gradients, dead ReLUs and a too-large learning rate, each with
its diagnostic figure and number. Figures are written to out/lesson3_house_prices/.
"""
# %%
import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from _lesson import Lesson
from autograd_lite import AnomalyError, Tensor, Value, detect_anomaly, gradcheck, no_grad, numerical_grad

# -- config: plain names; any of them can be set from the command line as --name=value
seed = 0  # the initial weights (nn.MLP and nn.TensorMLP with one seed hold the same numbers)
eta = 1e-3  # the notes' learning rate, full-batch gradient descent on E
epochs = 20_000  # Tensor track (the notes train 100,000 epochs: --full)
value_epochs = 3_000  # Value track: the same run, shorter (one Value node per number is slower)
torch_lr = 1e-4  # the notes' PyTorch model: SGD on MSE with reduction="sum"
deep_layers = 8  # failure modes: hidden layers of the deep stacks
deep_width = 10
explode_gain = 2.0  # weights this many times He's initialisation: the gradients explode
saturate_scale = 10.0  # the lesson's net with every weight times this: saturated sigmoids
dead_bias = -3.0  # ReLU biases that start this negative: the units are dead from the start
dead_lr = 5.0  # ... or one gradient step this large kills ReLUs
dead_epochs = 200  # training cannot revive a dead ReLU: try for this many epochs
lrs = (1e-3, 0.05, 0.5)  # the notes' (slow) / about right / too large, on the notes' PyTorch model
lr_epochs = 500
lesson = Lesson(
    "lesson3_house_prices",
    globals(),
    fast=dict(epochs=1_000, value_epochs=100, dead_epochs=20, lr_epochs=200),
    full=dict(epochs=100_000, value_epochs=10_000),
)
value_epochs = min(value_epochs, epochs)  # Value and Tensor are compared over the common epochs

# %% [markdown]
# ## The data
#
# Ten houses: (size, bedrooms) -> sold price. Inputs and prices are standardised (zero
# mean, unit variance per column), as in the notes; `scaling` turns a standardised
# price back into dollars.

# %%
X, y, scaling = nn.house_prices()  # X (10, 2) standardised, y (10,) standardised
X_raw, y_raw, _ = nn.house_prices(standardized=False)  # the table in dollars
lesson.log("data", houses=len(X), mean_price=scaling.y_mean, std_price=scaling.y_std)

# %% [markdown]
# ## The network and its 21 weights
#
# 2 inputs -> 5 sigmoid hidden units -> 1 sigmoid output. Hidden unit j (j = 0..4) and
# the output compute
#
#     h_j    = s(w_{1+j} + w_{6+j} x1 + w_{11+j} x2)
#     y_pred = s(w16 + sum_j w_{17+j} h_j)
#
# `nn.MLP(2, [5, 1], ...)` holds the same 21 numbers under PyTorch's state-dict names:
#
# | notes     | what                   | state_dict entry |
# |-----------|------------------------|------------------|
# | w1..w5    | hidden biases          | `0.bias[j]`      |
# | w6..w10   | x1 -> hidden unit j    | `0.weight[j, 0]` |
# | w11..w15  | x2 -> hidden unit j    | `0.weight[j, 1]` |
# | w16       | output bias            | `2.bias[0]`      |
# | w17..w21  | hidden unit j -> output| `2.weight[0, j]` |
#
# (`2.` because PyTorch's `Sequential(Linear, Sigmoid, Linear, Sigmoid)` puts the second
# Linear at position 2.) The loss is E = 1/2 sum (y - y_pred)^2, `nn.half_sse`.

# %%
# NOTES_KEYS[k - 1] is the state-dict entry of the notes' weight w_k.
NOTES_KEYS = (
    [f"0.bias[{j}]" for j in range(5)]  # w1..w5
    + [f"0.weight[{j}, 0]" for j in range(5)]  # w6..w10
    + [f"0.weight[{j}, 1]" for j in range(5)]  # w11..w15
    + ["2.bias[0]"]  # w16
    + [f"2.weight[0, {j}]" for j in range(5)]  # w17..w21
)


def notes_weights(model: nn.Module) -> np.ndarray:
    """The 21 weights in the notes' order: w[k - 1] is w_k (read from the state dict)."""
    s = model.state_dict()
    return np.concatenate([s["0.bias"], s["0.weight"][:, 0], s["0.weight"][:, 1], s["2.bias"], s["2.weight"][0]])


model = nn.MLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
w0 = notes_weights(model)  # (21,): the starting point of every run below
lesson.log("network", sizes="2-5-1", activation="sigmoid", weights=model.num_parameters())

# %% [markdown]
# ## Check your derivatives!
#
# The notes' chain rule, written out once by hand (the one place in these examples
# where a derivative is typed in: the point is to compare it with the engine). With
# s'(z) = s(z) (1 - s(z)) and sums over the ten houses:
#
#     delta_out   = (y_pred - y) * y_pred * (1 - y_pred)
#     dE/dw16     = sum delta_out
#     dE/dw{17+j} = sum delta_out * h_j
#     delta_j     = delta_out * w_{17+j} * h_j * (1 - h_j)
#     dE/dw{1+j}  = sum delta_j
#     dE/dw{6+j}  = sum delta_j * x1
#     dE/dw{11+j} = sum delta_j * x2
#
# The engine gets the same 21 numbers from one `E.backward()`, and `gradcheck` checks
# backward() against central differences (E(w + eps) - E(w - eps)) / (2 eps).


# %%
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def hand_derivatives(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The notes' dE/dw_k, k = 1..21, by the chain rule in numpy (w[k - 1] is w_k)."""
    x1, x2 = X[:, 0:1], X[:, 1:2]  # (10, 1) each
    h = sigmoid(w[0:5] + x1 * w[5:10] + x2 * w[10:15])  # (10, 5): h_j for every house
    y_pred = sigmoid(w[15] + h @ w[16:21])  # (10, 5) @ (5,) -> (10,)
    delta_out = (y_pred - y) * y_pred * (1 - y_pred)  # (10,)
    delta = delta_out[:, None] * w[16:21] * h * (1 - h)  # (10, 5): delta_j for every house
    return np.concatenate(
        [
            delta.sum(axis=0),  # dE/dw1..w5
            (delta * x1).sum(axis=0),  # dE/dw6..w10
            (delta * x2).sum(axis=0),  # dE/dw11..w15
            [delta_out.sum()],  # dE/dw16
            delta_out @ h,  # dE/dw17..w21: (10,) @ (10, 5) -> (5,)
        ]
    )


def E_of_weights(*w: Value) -> Value:
    """E(w1, ..., w21) = 1/2 sum (y - y_pred)^2, the network written in the notes' names."""
    total = Value(0.0)
    for (x1, x2), target in zip(X.tolist(), y.tolist()):
        h = [(w[j] + w[5 + j] * x1 + w[10 + j] * x2).sigmoid() for j in range(5)]
        y_pred = (w[15] + sum(w[16 + j] * h[j] for j in range(5))).sigmoid()
        total = total + (target - y_pred) ** 2
    return 0.5 * total


# The engine: the model's forward pass on the ten houses, then one backward().
E = nn.half_sse([model(row) for row in X.tolist()], y)
E.backward()
params = dict(model.named_parameters())  # "0.weight[3, 1]" -> the Value of that weight
engine = np.array([params[key].grad for key in NOTES_KEYS])
hand = hand_derivatives(w0, X, y)
numeric = np.array(numerical_grad(E_of_weights, *w0))  # central differences, no backward

for k in range(1, 22):
    lesson.log("dE_dw", w=f"w{k}", key=NOTES_KEYS[k - 1].replace(" ", ""), value=w0[k - 1],
               hand=hand[k - 1], engine=engine[k - 1], numeric=numeric[k - 1])
# gradcheck raises GradcheckError, naming the weight, if backward() and central
# differences disagree on any of the 21; getting past this line means they all agree.
passed = gradcheck(E_of_weights, *[Value(v, label=f"w{k}") for k, v in enumerate(w0, start=1)])
lesson.log(
    "derivatives",
    n=21,
    E=E.data,
    E_notes_formula=E_of_weights(*[Value(v) for v in w0]).data,
    max_hand_vs_engine=np.abs(hand - engine).max(),
    max_engine_vs_numeric=np.abs(engine - numeric).max(),
    gradcheck=passed,
)
model.zero_grad()

# %% [markdown]
# ## The graph that backward() walks
#
# The loss of one house as a computation graph, boxed by module: each hidden neuron
# inside the hidden layer inside the network. Each parameter's grad cell is its dE/dw
# for this house alone (the gradients are simulated from the graph; no `.grad` changes).
# Node by node it is 64 values; drawn one node per neuron, it is the picture of the
# notes' network with its numbers on it.

# %%
graph = viz.draw_model(model, X[0], y[:1], nn.half_sse)  # every node (open the SVG and zoom)
lesson.save(graph, "graph_one_house.svg")
neurons = viz.draw_model(model, X[0], y[:1], nn.half_sse, collapse="neuron")  # one node per neuron
lesson.save(neurons, "graph_neurons.svg")
lesson.log("graph", values=graph.info["nodes"], house=0)

# %% [markdown]
# ## Training: full-batch gradient descent, on both engines
#
# w <- w - eta dE/dw with eta = 1e-3, every epoch on all ten houses (`nn.fit` with
# `nn.SGD`). The scalar `MLP` and the `TensorMLP` start from the same seed, so they hold
# the same weights and follow the same path: their losses agree to rounding. The
# Tensor one runs much longer (one node per layer instead of one per number).
#
# Note the floor: a sigmoid output lies in (0, 1), but the standardised prices run from
# -1.2 to 2.3, so no weights can do better than E_floor = 1/2 sum (y - clip(y, 0, 1))^2.

# %%
model_value = nn.MLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
hist_value = nn.fit(model_value, nn.half_sse, (X, y), nn.SGD(model_value.parameters(), lr=eta),
                    epochs=value_epochs, log_every=0, progress=False)
model_tensor = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
# snapshot_every=value_epochs: the Tensor weights at the Value run's last epoch, to compare
hist_tensor = nn.fit(model_tensor, nn.half_sse, (X, y), nn.SGD(model_tensor.parameters(), lr=eta),
                     epochs=epochs, log_every=0, progress=False, snapshot_every=value_epochs)
E_floor = 0.5 * float(np.sum((y - np.clip(y, 0.0, 1.0)) ** 2))

for name, hist in (("value", hist_value), ("tensor", hist_tensor)):
    lesson.log("train", engine=name, epochs=hist.epochs, eta=eta, initial_loss=hist.epoch_loss[0],
               final_loss=hist.epoch_loss[-1], E_floor=E_floor, seconds=round(hist.elapsed, 2))
tensor_at = dict(hist_tensor.snapshots)[value_epochs]  # flat, in state-dict order
value_at = np.concatenate([np.ravel(a) for a in model_value.state_dict().values()])
lesson.log(
    "agree",
    epochs=value_epochs,
    max_loss_diff=np.abs(np.array(hist_value.epoch_loss) - hist_tensor.epoch_loss[:value_epochs]).max(),
    max_weight_diff=np.abs(value_at - tensor_at).max(),
)

# %% [markdown]
# ## The notes' PyTorch model
#
# The notes compare with PyTorch: `Linear(2, 5), Sigmoid(), Linear(5, 1)` with
# `MSELoss(reduction='sum')` and `SGD(lr=1e-4)`. That model has **no output sigmoid**
# (a linear output can reach every price, so it has no floor), and MSE with sum is
# 2E, so its step on E is 2e-4. We train it from the same initial weights, and also its
# twin on our engine (`output_activation="linear"`, `nn.mse(reduction="sum")`): the two
# losses agree to rounding. Losses below are reported as E = MSE_sum / 2.

# %%
try:
    import torch
except ImportError:  # the comparison is optional: our twin below stands in for it
    torch = None


def mse_sum(pred, target):
    """The notes' PyTorch loss, MSELoss(reduction='sum'): sum (y_pred - y)^2 = 2E."""
    return nn.mse(pred, target, reduction="sum")


twin = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="linear", seed=seed)
start = twin.state_dict()  # the PyTorch model starts here too
hist_twin = nn.fit(twin, mse_sum, (X, y), nn.SGD(twin.parameters(), lr=torch_lr),
                   epochs=epochs, log_every=0, progress=False)
twin_E = np.array(hist_twin.epoch_loss) / 2

if torch is not None:
    torch.set_num_threads(1)  # ten houses: threads only cost time (and the machine is shared)
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 1)).double()
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in start.items()})
    torch_opt = torch.optim.SGD(torch_model.parameters(), lr=torch_lr)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    X_t, y_t = torch.tensor(X), torch.tensor(y).reshape(-1, 1)  # (10, 2), (10, 1)
    torch_losses = []
    for _ in range(epochs):
        torch_opt.zero_grad()
        loss = loss_fn(torch_model(X_t), y_t)
        loss.backward()
        torch_opt.step()
        torch_losses.append(loss.item())
    torch_E = np.array(torch_losses) / 2
    lesson.log("pytorch", installed=True, output="linear", lr=torch_lr, epochs=epochs, final_E=torch_E[-1],
               ours_final_E=twin_E[-1], max_loss_diff=np.abs(torch_E - twin_E).max(),
               sigmoid_out_final_E=hist_tensor.epoch_loss[-1])
else:
    lesson.log("pytorch", installed=False, output="linear", lr=torch_lr, epochs=epochs, ours_final_E=twin_E[-1],
               sigmoid_out_final_E=hist_tensor.epoch_loss[-1])

# %%
fig, ax = plt.subplots(figsize=(10, 6.5), layout="constrained")
ax.set_xscale("log")  # the early epochs and the long tail, both visible
ax.axhline(E_floor, color="k", linestyle=(0, (1, 3)), linewidth=1.5,
           label=f"floor of a sigmoid output, E = {E_floor:.2f}")
viz.plot_history(
    [hist_tensor.epoch_loss, hist_value.epoch_loss, twin_E],
    per="epoch",
    ax=ax,
    label=[f"Tensor, sigmoid output (η {eta:g})", "Value, sigmoid output (the same run)",
           f"the notes' PyTorch model, linear output\n(ours; η {torch_lr:g} on 2E)"],
)
ax.set_ylabel("E = ½ Σ (y − y_pred)²")
ax.set_title("house prices: full-batch gradient descent")
lesson.save(fig, "loss.png")

# %%
with no_grad():
    pred_sigmoid = scaling.unscale_y(model_tensor(Tensor(X)).data)  # (10, 1), in dollars
    pred_linear = scaling.unscale_y(twin(Tensor(X)).data)
fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), layout="constrained")
# A sigmoid's (0, 1) in standardised units is (mean, mean + std) in dollars: the band it can reach.
for level in (scaling.y_mean, scaling.y_mean + scaling.y_std):
    axes[0].axhline(level * 1e-3, color=viz.style.TEXT_RED, linestyle=":", linewidth=1.5)
axes[0].plot([], [], color=viz.style.TEXT_RED, linestyle=":", linewidth=1.5, label="all a sigmoid output can reach")
viz.plot_predictions(y_raw, pred_sigmoid, ax=axes[0], scale=1e-3, unit="k$")
axes[0].set_title(f"sigmoid output, {epochs:,} epochs\n" + axes[0].get_title())
viz.plot_predictions(y_raw, pred_linear, ax=axes[1], scale=1e-3, unit="k$")
axes[1].set_title("linear output (the notes' PyTorch model)\n" + axes[1].get_title())
lesson.save(fig, "predictions.png")

# %% [markdown]
# ## When training goes wrong
#
# ### Vanishing and exploding gradients
#
# Backpropagation multiplies, layer by layer from the output, by w and by the
# activation's derivative. A sigmoid's derivative is at most 1/4, so in a deep stack of
# sigmoids the first layer's gradient is orders of magnitude below the last one's: it
# barely learns (vanishing gradients). ReLU with He's initialisation keeps every layer's
# gradient about the same size. The same ReLU stack with weights `explode_gain` times
# larger explodes: the output is gain^L times larger, and the backward signal is
# multiplied by the gain again in every layer on the way back, about gain^2 per layer
# in all. Same depth, same data (the ten houses), one backward() each.


# %%
def backward_on_houses(net: nn.Module) -> dict:
    """One forward and backward of E on the houses; mean |dE/dW| per weight matrix."""
    net.zero_grad()
    nn.half_sse(net(Tensor(X)), y).backward()
    return viz.gradient_norms(net)


def first_over_last(stats: dict) -> float:
    names = list(stats)
    return stats[names[0]].mean / stats[names[-1]].mean


hidden = [deep_width] * deep_layers + [1]
sigmoid_stack = nn.TensorMLP(2, hidden, activation="sigmoid", seed=seed)
he_stack = nn.TensorMLP(2, hidden, activation="relu", init="kaiming_normal", seed=seed)
# The same draws as he_stack, times explode_gain (biases start at 0 either way).
big_stack = nn.TensorMLP(2, hidden, activation="relu", seed=seed,
                         init=lambda shape, rng: explode_gain * nn.init.kaiming_normal(shape, rng))
stats = {name: backward_on_houses(net) for name, net in
         (("sigmoid", sigmoid_stack), ("relu", he_stack), ("big", big_stack))}
lesson.log("vanishing", layers=deep_layers + 1, activation="sigmoid", first_over_last=first_over_last(stats["sigmoid"]),
           relu_he_first_over_last=first_over_last(stats["relu"]))
first = next(iter(stats["relu"]))  # "0.weight": the first layer
growth = stats["big"][first].mean / stats["relu"][first].mean
lesson.log("exploding", layers=deep_layers + 1, gain=explode_gain, first_layer_grad=stats["big"][first].mean,
           he_first_layer_grad=stats["relu"][first].mean, growth=growth,
           per_layer=growth ** (1 / (deep_layers + 1)))

fig, axes = plt.subplots(1, 3, figsize=(15, 5.6), sharey=True, layout="constrained")
titles = [f"sigmoid, {deep_layers + 1} layers:\nvanishing", "ReLU, He init:\nhealthy",
          f"ReLU, {explode_gain:g} × He init:\nexploding"]
for ax, net, title in zip(axes, (sigmoid_stack, he_stack, big_stack), titles):
    viz.plot_gradient_flow(net, ax=ax)
    ax.set_title(title)
    ax.get_legend().remove()  # the same two bars in every panel: one legend, below
    if ax is not axes[0]:
        ax.set_ylabel("")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
lesson.save(fig, "gradient_flow.png")
for net in (sigmoid_stack, he_stack, big_stack):
    net.zero_grad()

# %% [markdown]
# ### Saturated sigmoids in the lesson's own network
#
# Multiply the lesson's 21 starting weights by `saturate_scale`: most hidden units now
# sit at 0 or 1, where s'(z) = s(z) (1 - s(z)) is nearly 0, so the hidden weights'
# gradients all but vanish, although the loss is larger.

# %%
normal_net = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
saturated_net = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="sigmoid", seed=seed)
saturated_net.load_state_dict({k: saturate_scale * v for k, v in normal_net.state_dict().items()})
g_normal, g_saturated = backward_on_houses(normal_net), backward_on_houses(saturated_net)
hidden_acts = viz.layer_activations(saturated_net, X)[0][1]  # (10, 5): h_j for every house
lesson.log("saturated", scale=saturate_scale, saturated_share=viz.saturation("sigmoid", hidden_acts),
           hidden_grad=g_saturated["0.weight"].mean, normal_hidden_grad=g_normal["0.weight"].mean,
           shrink=g_saturated["0.weight"].mean / g_normal["0.weight"].mean)
fig = viz.plot_activation_hist(saturated_net, X, bins=20)
fig.suptitle(f"the lesson's network, weights × {saturate_scale:g}: saturated sigmoids", y=1.06)
lesson.save(fig, "saturation.png")

# %% [markdown]
# ### Dead ReLUs
#
# A ReLU unit whose input is negative on every sample outputs 0 and passes no gradient
# (relu'(z) = 0 for z <= 0): nothing can bring it back. Two ways to kill them: biases
# that start very negative, or one gradient step that is far too large. We then train
# the dead network for `dead_epochs` epochs: its hidden weights get exactly zero
# gradient, so the dead units stay dead, and only the output bias learns: the network
# predicts one constant, at best the mean price (E = 1/2 sum (y - mean y)^2).

# %%
relu_sizes = [20, 20, 1]
healthy = nn.TensorMLP(2, relu_sizes, activation="relu", seed=seed)
kicked = nn.TensorMLP(2, relu_sizes, activation="relu", seed=seed)
nn.fit(kicked, nn.half_sse, (X, y), nn.SGD(kicked.parameters(), lr=dead_lr), epochs=1, log_every=0, progress=False)
dead_start = nn.TensorMLP(2, relu_sizes, activation="relu", seed=seed,
                          bias_init=lambda shape, rng: np.full(shape, dead_bias))
dead_before = viz.dead_relu_fraction(dead_start, X)
dead_hist = nn.fit(dead_start, nn.half_sse, (X, y), nn.SGD(dead_start.parameters(), lr=0.01),
                   epochs=dead_epochs, log_every=0, progress=False)
first_weight_grad = np.abs(dead_start[0].weight.grad).max()  # the last step's dE/dW of layer 0
# Only the output bias still learns, so the dead network is at best a constant: the mean.
constant_E = 0.5 * float(np.sum((y - y.mean()) ** 2))
lesson.log("dead_relu", healthy=max(viz.dead_relu_fraction(healthy, X).values()),
           after_big_step=max(viz.dead_relu_fraction(kicked, X).values()), big_lr=dead_lr,
           bias=dead_bias, dead_at_start=min(dead_before.values()),
           dead_after_training=min(viz.dead_relu_fraction(dead_start, X).values()), epochs=dead_epochs,
           first_layer_grad=first_weight_grad, final_loss=dead_hist.epoch_loss[-1], constant_E=constant_E)

fig, axes = plt.subplots(1, 3, figsize=(14, 5.2), sharey=True, layout="constrained")
for ax, net, title in zip(axes, (healthy, kicked, dead_start),
                          ("default init", f"after one step\nwith η = {dead_lr:g}",
                           f"biases start at {dead_bias:g},\nthen {dead_epochs} epochs")):
    viz.plot_dead_relus(net, X, ax=ax)
    ax.set_title(title)
    if ax is not axes[0]:
        ax.set_ylabel("")
fig.suptitle(f"dead ReLUs on the {len(X)} houses: the share of units that output 0 for every house")
lesson.save(fig, "dead_relus.png")

# %% [markdown]
# ### A too-large learning rate
#
# The notes' PyTorch model (linear output) on our engine, from the same weights, with
# three learning rates on E: the notes' 1e-3 (safe but slow: hence their 100,000
# epochs), 0.05 (there in a few hundred epochs) and 0.5 (too large). A sigmoid output
# could not show the last one: its E is bounded.
# With a linear output the loss near the minimum is close to a quadratic, and gradient
# descent on a quadratic diverges once eta passes 2 / (its largest curvature): the loss
# grows by a constant factor every epoch until it overflows; `nn.fit` stops at the
# first non-finite loss and returns the history up to there.
#
# Where exactly did the numbers first stop being finite? fit's message says how to find
# out: the model still holds the parameters the failing step started from, so run that
# step once more inside `detect_anomaly()`. The first op whose result is inf while its
# inputs were finite raises `AnomalyError`, naming the op and the line below that made
# it. It is `*`: the square of a house's error, d * d inside `nn.half_sse`. The
# predictions are still numbers, but the worst error has passed 1.3e154, and its square
# does not fit in a float64 (the log line `anomaly` has the op, the line, the error).

# %%
runs, nets, messages = [], [], []
for lr in lrs:
    net = nn.TensorMLP(2, [5, 1], activation="sigmoid", output_activation="linear", seed=seed)
    # An overflow to inf is what this demo shows: numpy need not warn about it, and
    # fit's own message goes to a buffer (the log line below reports it).
    out = io.StringIO()
    with np.errstate(over="ignore", invalid="ignore"):
        h = nn.fit(net, nn.half_sse, (X, y), nn.SGD(net.parameters(), lr=lr), epochs=lr_epochs,
                   log_every=0, progress=False, file=out)
    runs.append(h)
    nets.append(net)
    messages.append(out.getvalue())
    # Full batch: one step per epoch, so h.loss (per step) is the loss per epoch.
    lesson.log("learning_rate", lr=lr, epochs=h.steps, initial_loss=h.loss[0], final_loss=h.loss[-1],
               grew=h.loss[-1] > h.loss[0], stopped=h.stopped)

for lr, h, net, message in zip(lrs, runs, nets, messages):
    if h.stopped:  # the step fit stopped at, once more, watched
        with np.errstate(over="ignore", invalid="ignore"), detect_anomaly():
            try:
                nn.half_sse(net(Tensor(X)), y).backward()
            except AnomalyError as error:
                found = error
        with no_grad():
            largest_error = float(np.abs(net(Tensor(X)).data[:, 0] - y).max())  # |y_pred - y|, the worst house
        lesson.log("anomaly", lr=lr, step=h.steps + 1, fit_suggests=("detect_anomaly()" in message), op=found.op,
                   phase=found.phase, file=found.site.cell or Path(found.site.file).name, line=found.site.line,
                   source=found.site.source, made=found.made, largest_error=largest_error)

fig, ax = plt.subplots(figsize=(10, 6.5), layout="constrained")
# per="step": fit's per-epoch mean (loss * batch size / batch size) overflows a moment
# before the step losses do, so the step losses are the ones to draw.
# (errstate: matplotlib's automatic log-axis margin above 7e307 overflows, harmlessly:
# the limits are set just below.)
with np.errstate(over="ignore"):
    viz.plot_history(runs, per="step", ax=ax, logy=True,
                     label=[f"η = {lr:g}" + (" (stopped: loss overflowed)" if h.stopped else "")
                            for lr, h in zip(lrs, runs)])
ax.set_xlabel("epoch (= step: full batch)")
# The diverging run climbs to float64's largest number (1.8e308) before it stops: cut
# the axis at 1e12 so the other runs stay readable (and say where it ended).
ax.set_ylim(0.1 * min(min(h.loss) for h in runs), 1e12)
for lr, h in zip(lrs, runs):
    if h.stopped:
        ax.annotate(f"η = {lr:g}: E = {h.loss[-1]:.1e} at epoch {h.steps},\nthen inf: fit stops",
                    xy=(0.25, 0.55), xycoords="axes fraction", va="top")
ax.get_legend().remove()
viz.place_legend(ax)  # again, in this view: a corner clear of the curves
ax.set_ylabel("E (log scale)")
ax.set_title("linear-output network: learning rate too large")
lesson.save(fig, "learning_rates.png")

# %%
lesson.finish()
