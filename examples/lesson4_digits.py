"""Lesson 4: digits, a 2-layer network on 8x8 images.

    python examples/lesson4_digits.py            # the notes' run, every figure, ~30 s
    python examples/lesson4_digits.py --full     # the same, and PyTorch repeats all of it (~45 s)
    python examples/lesson4_digits.py --fast     # 50 batches, 30 steps each, a larger lr (CI)

scikit-learn's 1797 handwritten digits (8x8 pixels, 0..16), 90% to train and 10% to test.
The network is the notes': 64 -> 50 ReLU -> 10, no biases, weights randn/H, a softmax by
row, and the loss is the sum of squared errors between the softmax and the one-hot
targets. We draw 200 random batches of 100 digits and train on every batch 500 times,
with plain SGD and the notes' tiny learning rate 1e-6, so that the loss curve of each
batch can be watched falling. The notes wrote backprop by hand in numpy; here
``backward()`` does it, and PyTorch repeats the run from the same weights as a check.
Figures are written to out/lesson4_digits/.
"""
# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from autograd_lite import Tensor, gc_paused
from _lesson import Lesson

try:  # only for the comparison at the end
    import torch
except ImportError:
    torch = None

# Every matrix here is small (100 x 64 at most): one thread computes it as fast as
# several, and several threads crawl when other programs hold the cores.
try:
    from threadpoolctl import threadpool_limits  # (comes with scikit-learn, which has the digits)

    threadpool_limits(1)  # numpy's BLAS
except ImportError:
    pass
if torch is not None:
    torch.set_num_threads(1)

# -- config: plain names; any of them can be set from the command line as --name=value
hidden = 50  # H: the hidden layer's width
num_batches = 200  # random batches of batch_size training digits
batch_size = 100
epochs = 500  # passes over all the batches: each batch gets this many SGD steps
lr = 1e-6  # the notes' rate: tiny because the pixels are 0..16, not 0..1 (see below)
test_fraction = 0.1
seed = 0  # the split, the batches and the initial weights all come from it
torch_epochs = 50  # PyTorch repeats the first passes of the run (when it is installed); 0: not at all
# --fast: 50 batches x 30 steps is 1,500 steps instead of 100,000. At lr 1e-6 that
# barely moves the weights (about 20% test accuracy), so the rate is 40x the notes':
# the same loss curves in fewer steps, and it still reaches > 90% test accuracy.
# The notes' own run takes ~15-20 s here, so it is the default; PyTorch repeats only
# its first 50 passes (10,000 of the 100,000 steps, which agree as well as all of them),
# and --full has PyTorch repeat the whole run.
lesson = Lesson(
    "lesson4_digits", globals(),
    fast=dict(num_batches=50, epochs=30, lr=4e-5, torch_epochs=30),
    full=dict(torch_epochs=500),
)
torch_epochs = min(torch_epochs, epochs)

# %% [markdown]
# ## The data
# Each digit is 64 pixels with values 0..16. The notes use the raw pixels, not scaled to
# 0..1: inputs up to 16 make large gradients, which is why their learning rate is so small.

# %%
X, labels = nn.load_digits(scale=False)  # (1797, 64) pixels 0..16, (1797,) digits 0..9
X_train, X_test, y_train, y_test = nn.train_test_split(X, labels, test_fraction, seed=seed)
Y_train = nn.one_hot(y_train, 10)  # (1617, 10): row i is e_{y_i}
lesson.log("data", images=len(X), pixels=X.shape[1], train=len(X_train), test=len(X_test))

fig = viz.plot_images(X_train[:30], y_train[:30], ncols=10)
fig.suptitle("training digits and their labels")
lesson.save(fig, "digits.png")

# %% [markdown]
# ## Random batches, and the targets as one-hot rows
# A batch is a (100, 64) matrix of pixels; its targets are a (100, 10) matrix with a
# single 1 per row, in the column of the digit.

# %%
batches = nn.random_batches(X_train, Y_train, batch_size, num_batches, seed=seed + 1)

x0, t0 = batches[0]
fig, (ax_x, ax_t) = plt.subplots(1, 2, figsize=(9, 5), gridspec_kw=dict(width_ratios=[64, 16]), layout="constrained")
viz.plot_matrix(x0, ax=ax_x, title=f"batch 0: {len(x0)} digits x 64 pixels", xlabel="pixel", ylabel="digit in the batch", cmap="gray_r")
viz.plot_matrix(t0, ax=ax_t, title="its one-hot targets", xlabel="class", ylabel="digit in the batch", cmap="gray_r", colorbar=False)
ax_t.set_xticks(range(10))
lesson.save(fig, "batch.png")

ax = viz.plot_pca(X, labels, title="all 1797 digits on their first two principal components")
lesson.save(ax.figure, "pca_data.png")

# %% [markdown]
# ## The network
# h = relu(x W1^T), p = softmax(h W2^T) by row, loss = sum over the batch of
# ||p - onehot||^2. No biases, and every weight starts as randn / H (H = 50), as in the
# notes. (`nn` stores a weight as (out, in), PyTorch's layout: W1 is (50, 64).)

# %%
def randn_over_H(shape, rng):
    """The notes' initial weights: standard normal numbers divided by the hidden width H."""
    return rng.standard_normal(shape) / hidden


def sse(probs, targets):
    """Sum of squared errors, sum_nk (p_nk - t_nk)^2 (the same as nn.mse(..., reduction="sum"))."""
    return ((probs - targets) ** 2).sum()


model = nn.TensorMLP(64, [hidden, 10], activation="relu", output_activation="softmax",
                     bias=False, init=randn_over_H, seed=seed + 2)
initial = model.state_dict()  # copies: the weights before training, for the figures and for PyTorch
model  # a notebook shows the layers here; a script ignores this line

# %% [markdown]
# ## Training
# The notes' loop: for each pass, for each batch, one step (forward, loss, zero_grad,
# backward, update). Each batch is visited once per pass, so after the run each batch
# has had `epochs` steps, and we keep the loss of every batch at every pass.

# %%
optimizer = nn.SGD(model.parameters(), lr=lr)
batch_tensors = [(Tensor.from_numpy(x), Tensor.from_numpy(t)) for x, t in batches]  # wrap once, no copies
losses = np.empty((num_batches, epochs))  # losses[j, e]: batch j's loss on pass e

with gc_paused():  # our graphs have no reference cycles: the collector only costs time here
    for e in range(epochs):
        for j, (x, t) in enumerate(batch_tensors):
            probs = model(x)  # (100, 64) -> (100, 50) relu -> (100, 10) softmax by row
            loss = sse(probs, t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses[j, e] = loss.item()
        if e + 1 == torch_epochs:
            checkpoint = model.state_dict()  # where PyTorch's repeat of the run stops

lesson.log("train", batches=num_batches, batch_size=batch_size, steps_per_batch=epochs, lr=lr,
           loss_first=losses[:, 0].mean(), loss_last=losses[:, -1].mean(),
           batches_improved=int((losses[:, -1] < losses[:, 0]).sum()))

fig, ax = plt.subplots(figsize=(8, 5))
viz.plot_history(losses, ax=ax, colorbar_label="batch index")  # one curve per batch (row j), coloured by j
ax.set_xlabel("step on this batch (pass over all batches)")
ax.set_ylabel("sum of squared errors on the batch")
ax.set_title(f"{num_batches} batches, {epochs} steps each, lr {lr:g}")
lesson.save(fig, "loss_curves.png")

# %% [markdown]
# ## Test accuracy, and the digits it gets wrong
# The predicted digit is the largest output (the softmax does not change which one).

# %%
def predict(net, X):
    """The digit with the largest output, for each row of X: (N, 64) -> (N, 10) -> (N,)."""
    return viz.predict(net, X).argmax(axis=1)  # viz.predict records no graph


predicted = predict(model, X_test)  # (180,)
wrong = np.flatnonzero(predicted != y_test)
accuracy = 1.0 - len(wrong) / len(y_test)
lesson.log("test", accuracy=accuracy, correct=len(y_test) - len(wrong), total=len(y_test), wrong=len(wrong))
model.save(lesson.path("model.npz"))  # the trained weights, for a later lesson (and the test)

shown = wrong if len(wrong) else np.arange(10)  # all correct: show a few, in black
fig = viz.plot_images(X_test[shown], y_test[shown].tolist(), predictions=predicted[shown].tolist(), ncols=10)
fig.suptitle(f"test accuracy {accuracy:.1%}: the {len(wrong)} test digits it gets wrong,\n"
             "each titled true label → the network's prediction")
lesson.save(fig, "wrong.png")

# %% [markdown]
# ## Inside the network
# The hidden activations of the test digits, sorted by label, before and after training:
# after training, digits of one class light up similar hidden units.

# %%
before = nn.TensorMLP(64, [hidden, 10], activation="relu", output_activation="softmax", bias=False, init="zeros")
before.load_state_dict(initial)  # the untrained network, to compare with
order = np.argsort(y_test, kind="stable")
fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for ax, (when, net) in zip(axes, [("before", before), ("after", model)]):
    name, h = viz.layer_activations(net, X_test[order])[0]  # ("1 (relu)", (180, 50))
    viz.plot_matrix(h, ax=ax, title=f"hidden activations {when} training", xlabel="hidden unit",
                    ylabel="test digit, sorted by label", cmap="magma")
    starts = np.searchsorted(y_test[order], np.arange(11))  # where each digit's rows begin (and end)
    ax.set_yticks((starts[:-1] + starts[1:] - 1) / 2, [str(d) for d in range(10)])  # a label mid-block
lesson.save(fig, "hidden.png")

fig = viz.plot_weights(model, before=initial)
fig.suptitle("weights before and after training (rows: output units)")
lesson.save(fig, "weights.png")

# The rows of W1 are 50 points in the 64-pixel space, one per hidden unit. Coloured by
# the digit each unit pushes up most (the largest entry of its column of W2).
W1 = model[0].weight.data  # (50, 64)
favourite = model[2].weight.data.argmax(axis=0)  # (10, 50) -> (50,)
ax = viz.plot_pca(W1, favourite.tolist(), title="first-layer weight rows (hidden units) after training", s=30,
                  legend_title="favourite digit")
lesson.save(ax.figure, "pca_weights.png")

# %% [markdown]
# ## The same network in PyTorch
# Same initial weights, same batches in the same order, same lr, same loss (MSELoss with
# reduction="sum" is our sse), for the first `torch_epochs` passes (the whole run with
# --fast and --full). Both are float64, so the weights agree to rounding error.

# %%
if torch is None or torch_epochs == 0:
    lesson.log("torch", missing=torch is None, passes=0)
else:
    twin = torch.nn.Sequential(
        torch.nn.Linear(64, hidden, bias=False), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10, bias=False), torch.nn.Softmax(dim=1),
    ).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in initial.items()})  # the same keys and shapes
    torch_loss_fn = torch.nn.MSELoss(reduction="sum")
    torch_batches = [(torch.from_numpy(x), torch.from_numpy(t)) for x, t in batches]
    torch_losses = np.empty((num_batches, torch_epochs))
    for e in range(torch_epochs):
        for j, (x, t) in enumerate(torch_batches):
            loss = torch_loss_fn(twin(x), t)
            twin.zero_grad()
            loss.backward()
            with torch.no_grad():  # the SGD step, written out as in the notes' PyTorch version
                for p in twin.parameters():  # (torch.optim.SGD does the same; importing it takes ~1.5 s)
                    p -= lr * p.grad
            torch_losses[j, e] = loss.item()

    # Ours at the same point of the run (the trained model itself when PyTorch did the whole run).
    ours = nn.TensorMLP(64, [hidden, 10], activation="relu", output_activation="softmax", bias=False, init="zeros")
    ours.load_state_dict(checkpoint)
    with torch.no_grad():
        torch_predicted = twin(torch.from_numpy(X_test)).numpy().argmax(axis=1)
    weight_diff = max(float(np.abs(checkpoint[k] - v.numpy()).max()) for k, v in twin.state_dict().items())
    lesson.log("torch", passes=torch_epochs, whole_run=torch_epochs == epochs,
               ours_loss=losses[:, torch_epochs - 1].mean(), torch_loss=torch_losses[:, -1].mean(),
               ours_accuracy=float((predict(ours, X_test) == y_test).mean()),
               torch_accuracy=float((torch_predicted == y_test).mean()),
               max_loss_diff=float(np.abs(losses[:, :torch_epochs] - torch_losses).max()),
               max_weight_diff=weight_diff)

# %%
lesson.finish()
