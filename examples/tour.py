"""A tour of autograd-lite: one neuron's graph, backward step by step, and an MLP that learns.

    python examples/tour.py            # every figure, in about 10 s
    python examples/tour.py --fast     # small sizes (what CI runs)

Three things a first lecture on backpropagation shows, each computed by this library's
own engine:

1. A neuron, o = tanh(x1*w1 + x2*w2 + b), drawn as a computation graph before and after
   ``backward()``, and the backward pass one local rule at a time (a slide per step, an
   HTML stepper and a GIF).
2. micrograd's demo: a 2-16-16-1 MLP of scalar ``Value`` nodes learns the two moons,
   with the hinge loss, L2 regularisation and a decaying learning rate, behind a
   progress bar; the whole model's graph for one sample, collapsed to its layers.
3. The loss curve and the decision boundary the network learned.

Everything goes to ``out/tour/``; the log says what was written.
"""

# %%
import matplotlib.pyplot as plt

import nn
import viz
from autograd_lite import Value
from nn.files import write_atomic
from _lesson import Lesson

# -- config: plain names; any of them can be set from the command line as --name=value
n_samples = 100        # moons, as micrograd's demo
noise = 0.1
hidden = [16, 16]      # 2 -> 16 -> 16 -> 1
activation = "relu"    # as micrograd's demo
epochs = 100           # full-batch steps
lr = 1.0               # decays linearly to 0.1 * lr over the run, as micrograd's demo
alpha = 1e-4           # L2 penalty
seed = 0
lesson = Lesson("tour", globals(), fast=dict(n_samples=40, hidden=[8, 8], epochs=40))

# %% [markdown]
# ## 1. One neuron: the graph, before and after backward
#
# Every `Value` remembers the op that made it and its inputs, so the graph can be drawn
# at any time. Before `backward()` every gradient is 0 and no gradient has flowed along
# the edges yet; after it, each node holds do/d(node) and each edge the part sent back
# along it. The weights are the classic ones that make o = sqrt(2)/2, so
# do/dn = 1 - o**2 = 0.5. `inputs=[x1, x2]` says which leaves are data (drawn as inputs;
# the engine still computes their gradients); the other leaves are the parameters. Both
# drawings share one layout: the numbers change, the picture stays still.

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1; x1w1.label = "x1*w1"
x2w2 = x2 * w2; x2w2.label = "x2*w2"
n = x1w1 + x2w2 + b; n.label = "n"
o = n.tanh(); o.label = "o"

lesson.save(viz.draw_graph(o, inputs=[x1, x2], edge_labels="flow"), "neuron_before.svg")
o.backward()
lesson.save(viz.draw_graph(o, inputs=[x1, x2], edge_labels="flow"), "neuron_after.svg")
lesson.log("neuron", o=o.data, grad_n=n.grad, grad_x1=x1.grad, grad_w1=w1.grad, grad_x2=x2.grad, grad_w2=w2.grad)

# %% [markdown]
# ## Backward, one rule at a time
#
# Each frame runs one node's local rule: the node ringed in orange passes its gradient
# (bold, on yellow), times its local derivative, to its inputs (bold arrows); a gradient
# still waiting for a part is in italics with a "…". After the last frame the gradients
# are exactly what `backward()` computed. The stepper page (keys: PageDown/PageUp or a
# clicker, Home/End; F for full screen) shows each step's rule as it is written in
# `autograd_lite/engine.py`, with the step's numbers; `viz.backward_steps(o)` prints the
# same in a terminal.

# %%
frames = viz.backward_frames(o, inputs=[x1, x2])
written = viz.save_frames(frames, lesson.path("backward"), gif=True)
lesson.files += written
# In a notebook: the stepper page inline, with its previous/next buttons and arrow keys
# (a script has written it to out/tour/backward/backward.html: open it in a browser).
lesson.show_page(lesson.path("backward/backward.html"), height=380)
lesson.log("frames", steps=len(frames), files=len(written), matches_backward=frames[-1].info["grads"][0] == x1.grad)
steps = viz.backward_steps(o, inputs=[x1, x2])  # print(steps) in a terminal: one block per step
write_atomic(lesson.path("backward/steps.txt"), str(steps).encode("utf-8"))
lesson.files.append(lesson.path("backward/steps.txt"))
lesson.show(steps)  # in a notebook: the steps as text
lesson.log("steps", rules=len(steps), first=steps[0].rule)

# %% [markdown]
# ## 2. An MLP of scalars learns the two moons
#
# micrograd's demo on `nn`: labels -1/+1, the hinge loss max(0, 1 - y*score) plus an L2
# penalty, full-batch SGD with the learning rate going down from 1.0 to 0.1.

# %%
X, y01 = nn.moons(n_samples, noise=noise, seed=seed)   # (N, 2), labels 0/1
y = 2 * y01 - 1                                         # labels -1/+1 for the hinge loss
model = nn.MLP(2, [*hidden, 1], activation=activation, seed=seed)
lesson.log("model", parameters=sum(1 for _ in model.parameters()), layers=len(hidden) + 1)

# The whole network's graph for one sample is too big to read node by node: draw each
# layer as one node, with its outputs' values and gradients, and the loss as one more.
lesson.save(viz.draw_model(model, X[0], y[:1], nn.hinge, collapse=True), "mlp_layers.svg")

opt = nn.SGD(model.parameters(), lr=lr)
sched = nn.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=epochs)
history = nn.fit(
    model, nn.hinge, (X, y), opt, epochs,
    scheduler=sched, regularizer=lambda m: nn.l2(m.parameters(), alpha),
    metrics={"acc": nn.accuracy}, log_every=0,
    progress=None,  # a bar on a terminal (and in Jupyter); none in logs and CI
)
lesson.log("train", epochs=epochs, first_loss=history.loss[0], last_loss=history.loss[-1],
           accuracy=nn.evaluate(model, nn.hinge, (X, y), metrics={"acc": nn.accuracy})["acc"])

# %% [markdown]
# ## 3. The loss curve and the decision boundary

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6), layout="constrained", width_ratios=(1, 1.1))
# (the boundary first: its colourbar and legend settle the layout the loss curve's legend is placed in)
viz.plot_decision_boundary(model, X, y, mode="sign", ax=ax2)
viz.plot_history(history, ax=ax1, metric="acc")
ax1.set_title("hinge loss + L2, and training accuracy")
lesson.save(fig, "training.png")
# each on its own too, for a slide (a notebook has just shown both: saved, not shown again)
lesson.save(viz.plot_history(history, metric="acc").figure, "loss.png", show=False)
lesson.save(viz.plot_decision_boundary(model, X, y, mode="sign").figure, "decision_boundary.png", show=False)

lesson.finish()
