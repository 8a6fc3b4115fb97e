"""Lesson 0: the engine, built up in front of you (the first lecture of every backprop course).

    python examples/lesson0_engine.py            # every figure, about 10 s
    python examples/lesson0_engine.py --fast     # the same, without the GIF (CI)

Derivatives by hand first, then one local rule at a time, then the topological sort,
then `backward()`, then a neuron, then an MLP that learns, each step on this library's
real engine (`autograd_lite.Value`), not on a copy written for the lesson:

1. the slope of f(x) = 3x^2 - 4x + 5 by a difference quotient, and what happens to it as
   h shrinks (the error falls like h, until floating point wins and it grows like 1/h);
2. L = (a*b + c) * f backpropagated by hand, one local derivative at a time, each hand
   number checked against the engine's own rule for that op, run on that node;
3. the graph's topological order (`autograd_lite.graph.topological_order`), and
   `backward()`, which walks it from the end and gives exactly the hand numbers;
4. a neuron, tanh(x1*w1 + x2*w2 + b), stepped through backward one rule at a time with
   each rule's source beside it; tanh rebuilt from exp, and added as a new op the
   lecture's way (a closure), with the same gradients;
5. an MLP of scalars that learns four points, and the forgotten `zero_grad`: what the
   engine says, and what `accumulate=True` (the lecture's buggy loop) does instead.

Every stage draws its graph. micrograd's spellings work as they are (`node._backward()`,
`Value(t, (x,), "tanh")`): the README's "Coming from micrograd" lists the differences.
Figures are written to out/lesson0_engine/.
"""
# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import nn
import viz
from _lesson import Lesson, in_notebook
from autograd_lite import Value
from autograd_lite.graph import topological_order
from nn.files import write_atomic

# -- config: plain names; any of them can be set from the command line as --name=value
x0 = 3.0  # where we take the slope of f
h = 0.001  # the lecture's first step for the difference quotient
smallest_h = 16  # then h = 1e-1, 1e-2, ... down to 10**-smallest_h
mlp_sizes = [4, 4, 1]  # the lecture's MLP(3, [4, 4, 1]): tanh everywhere
lr = 0.1  # p.data += -lr * p.grad
steps = 20  # full-batch steps on the four points
seed = 0  # the MLP's initial weights, U(-1, 1) as the lecture's
gif = True  # the neuron's backward pass as a GIF too
lesson = Lesson("lesson0_engine", globals(), fast=dict(gif=False))

# %% [markdown]
# ## 1. A derivative is a slope: the difference quotient
#
# f(x) = 3x² − 4x + 5. Nudge x by a small h and see how much f moves: the slope is
# (f(x + h) − f(x)) / h, and f'(x) = 6x − 4 is its limit as h → 0 (14 at x = 3). With
# h = 0.001 the quotient is 14.003: off by 3h, since f'' = 6. Shrink h and the error
# shrinks like 3h, until the two values of f agree in so many digits that their
# difference is mostly rounding (a float64 keeps about 16): then it grows like
# ε·|f(x)|/h, and at h = 1e-16, x + h is x itself and the quotient is 0. The engine
# does no such thing: `backward()` applies the rule d(x²)/dx = 2x exactly, and gets 14.

# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


quotient = (f(x0 + h) - f(x0)) / h
x = Value(x0, label="x")
y = f(x)
y.label = "f"
y.backward()
lesson.log("slope", x=x0, h=h, quotient=quotient, by_hand=6 * x0 - 4, engine=x.grad)

hs = np.array([10.0**-k for k in range(1, smallest_h + 1)])  # 0.1, 0.01, ..., 1e-16
quotients = np.array([(f(x0 + step) - f(x0)) / step for step in hs])
errors = np.abs(quotients - x.grad)
for step, q, err in zip(hs, quotients, errors):
    lesson.log("shrink", h=step, quotient=q, error=err)
best = int(np.argmin(errors))
eps = np.finfo(float).eps
lesson.log("floating_point", best_h=hs[best], best_error=errors[best], eps=eps, sqrt_eps=math.sqrt(eps),
           x_plus_h_is_x_at=hs[np.argmax(x0 + hs == x0)])

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")
viz.plot_function(f, (-1.0, 4.0), tangent_at=x0, ax=ax1)
ax1.set_title(f"f(x) = 3x² − 4x + 5 and its tangent at x = {x0:g}")
shown = errors > 0  # a log axis cannot show an error of exactly 0
ax2.loglog(hs[shown], errors[shown], marker="o", markersize=9, color="C0", label="|slope by (f(x+h) − f(x))/h − 14|")
ax2.loglog(hs, 3 * hs, linestyle="--", color="C1", label="3h = f''·h/2: the quotient's own error")
ax2.loglog(hs, eps * abs(f(x0)) / hs, linestyle=":", linewidth=3, color="C2", label="ε·|f(x)|/h: rounding")
ax2.annotate(f"best h ≈ {hs[best]:.0e}", xy=(hs[best], errors[best]), xytext=(0, -90), textcoords="offset points",
             arrowprops=dict(arrowstyle="->"), ha="center")
ax2.annotate("x + h = x:\nslope 0", xy=(hs[-1], errors[-1]), xytext=(1e-14, 1e-7), arrowprops=dict(arrowstyle="->"),
             ha="center")
ax2.set_ylim(1e-11, 1e3)
ax2.set(xlabel="h", ylabel="error of the slope", title="as h shrinks, floating point wins")
ax2.invert_xaxis()  # h shrinks to the right
ax2.legend(loc="upper left")
lesson.save(fig, "function.png")

# %% [markdown]
# The graph `backward()` walked for that 14: f is a few multiplications and additions of
# x and numbers. Each value is a box (label | data | grad); each op a small node.

# %%
lesson.save(viz.draw_graph(y), "f_graph.svg")

# %% [markdown]
# ## 2. L = (a·b + c)·f, backpropagated by hand
#
# Four inputs, three ops: e = a·b, d = e + c, L = d·f. The chain rule, from the output
# down: dL/dL = 1; L = d·f gives dL/dd = f and dL/df = d; d = e + c passes its
# gradient on unchanged (dd/de = dd/dc = 1); e = a·b gives dL/da = dL/de · b and
# dL/db = dL/de · a. Each line below is one of those local derivatives, computed by hand.
#
# Then the same numbers from the engine, one rule at a time. Each op has its rule next
# to its forward code in `autograd_lite/engine.py`: `Value._mul_backward(L)` adds
# `f.data * L.grad` into `d.grad` and `d.data * L.grad` into `f.grad`, and nothing
# else. `L._backward()` is the same call (micrograd's spelling). Last, a nudge, as a
# third opinion: (L(a + h) − L(a)) / h for each input.

# %%
a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
f_ = Value(-2.0, label="f")  # (f_ in the code: f is part 1's function)
e = a * b; e.label = "e"
d = e + c; d.label = "d"
L = d * f_; L.label = "L"

hand = {"L": 1.0}
hand["d"] = hand["L"] * f_.data  # L = d * f:  dL/dd = f
hand["f"] = hand["L"] * d.data  #              dL/df = d
hand["c"] = hand["d"] * 1.0  # d = e + c:      dL/dc = dL/dd * 1
hand["e"] = hand["d"] * 1.0  #                 dL/de = dL/dd * 1
hand["a"] = hand["e"] * b.data  # e = a * b:   dL/da = dL/de * b
hand["b"] = hand["e"] * a.data  #              dL/db = dL/de * a

# The engine's rules, one at a time, from the output down
L.grad = 1.0
Value._mul_backward(L)  # the rule of L = d * f (L._backward() calls exactly this)
Value._add_backward(d)  # the rule of d = e + c
Value._mul_backward(e)  # the rule of e = a * b
nodes = {"L": L, "d": d, "f": f_, "c": c, "e": e, "a": a, "b": b}


def L_of(nudged, by):
    """L from plain numbers, with the value called ``nudged`` moved by ``by``: the lecture's check."""
    v = {name: node.data for name, node in nodes.items()}
    v[nudged] += by
    e_ = v["e"] if nudged == "e" else v["a"] * v["b"]  # an inner value nudged is used as it is
    d_ = v["d"] if nudged == "d" else e_ + v["c"]
    return v["L"] if nudged == "L" else d_ * v["f"]


step = 1e-6
for name in ("L", "d", "f", "c", "e", "a", "b"):
    nudge = (L_of(name, step) - L.data) / step  # (L(x + h) - L(x)) / h
    lesson.log("by_hand", node=name, data=nodes[name].data, hand=hand[name], engine=nodes[name].grad, nudge=nudge)
lesson.log("rules", called="Value._mul_backward(L),Value._add_backward(d),Value._mul_backward(e)",
           same_as_backward_method=L._backward.__func__ is Value._mul_backward,
           all_equal=all(nodes[k].grad == hand[k] for k in hand))

# %% [markdown]
# The graph with each edge's local derivative d(out)/d(in) (∂) and each value's gradient,
# as we just computed them: multiply the ∂ along the path from L to an input, and you
# have that input's gradient.

# %%
lesson.save(viz.draw_graph(L, edge_labels="local"), "L_by_hand.svg")

# %% [markdown]
# ## 3. The topological order, and backward()
#
# By hand we ran the rules in an order where a node's gradient is complete before it is
# passed on: L before d, d before e. For any graph that order is a topological sort:
# every node after all of its inputs, read backwards. `topological_order` is the one
# the engine uses (a depth-first search, as micrograd's `build_topo`, written without
# recursion so that a million-node chain works). `backward()` is then three lines: seed
# the output with 1, and run each node's rule from the end of the list. The lecture's
# loop, `for node in reversed(order): node._backward()`, does exactly that; both give
# the hand numbers, bit for bit.

# %%
order = topological_order(L)
lesson.log("topological_order", order=[n.label for n in order])
if in_notebook():  # the graph as a tree, each node with its place in that order (#0 first)
    print(viz.to_text(L))

for node in order:
    node.grad = 0.0
L.backward()
from_backward = {k: n.grad for k, n in nodes.items()}

for node in order:
    node.grad = 0.0
L.grad = 1.0
for node in reversed(order):
    node._backward()  # a leaf's does nothing
from_loop = {k: n.grad for k, n in nodes.items()}
lesson.log("backward", equals_hand=from_backward == hand, loop_equals_backward=from_loop == from_backward,
           a=a.grad, b=b.grad, c=c.grad, f=f_.grad)

# %% [markdown]
# After `backward()`, each edge carries the part of the gradient sent along it (←): L
# sends f·1 = −2 to d and d·1 = 4 to f; d passes −2 on to e and c; e sends −2·b = 6 to
# a and −2·a = −4 to b.

# %%
lesson.save(viz.draw_graph(L, edge_labels="flow"), "L_backward.svg")

# %% [markdown]
# ## 4. A neuron, one rule at a time
#
# o = tanh(x1·w1 + x2·w2 + b), with the lecture's numbers (b chosen so that o = √2/2 and
# do/dn = 1 − o² = 0.5). The stepper runs backward one rule per frame: the node whose
# rule runs is ringed, the parts it sends are bold, and beside each frame is the rule
# itself, read from `autograd_lite/engine.py`, with that step's numbers substituted.
# (In a terminal: `print(viz.backward_steps(o))`.)

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1; x1w1.label = "x1*w1"
x2w2 = x2 * w2; x2w2.label = "x2*w2"
n = x1w1 + x2w2 + b; n.label = "n"
o = n.tanh(); o.label = "o"
o.backward()
lesson.save(viz.draw_graph(o, inputs=[x1, x2], edge_labels="flow"), "neuron.svg")

frames = viz.backward_frames(o, inputs=[x1, x2])
written = viz.save_frames(frames, lesson.path("neuron_steps"), gif=gif)
lesson.files += written
lesson.show_page(lesson.path("neuron_steps/backward.html"), height=420)
steps_text = viz.backward_steps(o, inputs=[x1, x2])
write_atomic(lesson.path("neuron_steps/steps.txt"), str(steps_text).encode("utf-8"))
lesson.files.append(lesson.path("neuron_steps/steps.txt"))
neuron_grads = [x1.grad, w1.grad, x2.grad, w2.grad, b.grad]
lesson.log("neuron", o=o.data, dn=n.grad, x1=x1.grad, w1=w1.grad, x2=x2.grad, w2=w2.grad, b=b.grad,
           frames=len(frames), rules=[s.rule for s in steps_text])

# %% [markdown]
# ### tanh from exp, and tanh as a new op
#
# tanh x = (e^2x − 1)/(e^2x + 1): built from exp, +, − and / (itself a·b⁻¹), the
# graph has more nodes but the same gradients, since every piece has its rule. Or add
# tanh as a new op, the lecture's way: compute t, make the result with
# `Value(t, (x,), "tanh")` (micrograd's constructor: the data, the inputs, the op's
# name) and give it its rule as a closure, `out._backward = _backward`; `backward()`
# runs it like any other rule.

# %%
def tanh_by_hand(self):
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def neuron(tanh):
    """The same neuron on fresh leaves, its tanh given: (o, [x1, w1, x2, w2, b])."""
    leaves = [Value(v.data, label=v.label) for v in (x1, w1, x2, w2, b)]
    p1, q1, p2, q2, bias = leaves
    n2 = p1 * q1 + p2 * q2 + bias
    n2.label = "n"
    out = tanh(n2)
    out.label = "o"
    out.backward()
    return out, leaves


def tanh_from_exp(n2):
    two_n = 2 * n2; two_n.label = "2n"
    e2 = two_n.exp(); e2.label = "e"
    top = e2 - 1; top.label = "e - 1"
    bottom = e2 + 1; bottom.label = "e + 1"
    return top / bottom  # top * bottom**-1: division is a power and a product


o_exp, leaves_exp = neuron(tanh_from_exp)
o_op, leaves_op = neuron(tanh_by_hand)
lesson.log("tanh", nodes_builtin=len(topological_order(o)), nodes_from_exp=len(topological_order(o_exp)),
           max_diff_from_exp=max(abs(p.grad - g) for p, g in zip(leaves_exp, neuron_grads)),
           max_diff_new_op=max(abs(p.grad - g) for p, g in zip(leaves_op, neuron_grads)))
# The picture: tanh from exp on its own, from n (its input here) to o
n_in = Value(n.data, label="n")
o_in = tanh_from_exp(n_in); o_in.label = "o"
o_in.backward()
lesson.save(viz.draw_graph(o_in, inputs=[n_in]), "tanh_from_exp.svg")

# %% [markdown]
# ## 5. An MLP that learns, and the forgotten zero_grad
#
# The lecture's network: 3 inputs, two hidden layers of 4 tanh neurons, 1 tanh output,
# weights and biases drawn from U(−1, 1); four points and their targets ±1. The loss is
# the sum of squared errors. Each step: forward, zero the gradients, `backward()`,
# nudge every parameter against its gradient. (`nn.MLP` returns a list of outputs, one
# here: the prediction is `model(x)[0]`.)

# %%
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]


def make_model():
    return nn.MLP(3, mlp_sizes, output_activation="tanh", init="uniform", bias_init="uniform", seed=seed)


def sse(pred, target):
    return nn.mse(pred, target, reduction="sum")  # the lecture's sum of (yout - ygt)**2


model = make_model()
model.save(lesson.path("mlp_start.npz"))  # the starting weights (the test replays the loops from them)
lesson.files.append(lesson.path("mlp_start.npz"))
losses = []
for k in range(steps):
    ypred = [model(xi)[0] for xi in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    model.zero_grad()  # every p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data += -lr * p.grad
    losses.append(loss.data)
final = [model(xi)[0].data for xi in xs]
lesson.log("mlp", parameters=model.num_parameters(), lr=lr, steps=steps, first_loss=losses[0], last_loss=losses[-1],
           predictions=final, targets=ys)
lesson.save(viz.draw_model(model, xs[0], ys[:1], sse, collapse="neuron"), "mlp_neurons.svg")

# %% [markdown]
# Forget `model.zero_grad()` and the gradients of every step add up on the weights: the
# lecture's famous bug. This engine stops it at the second `backward()`, with an error
# that says how to fix it. `backward(accumulate=True)` adds on purpose: the lecture's
# buggy loop, step for step. Each step then moves the weights by the sum of all the
# gradients so far. The loss falls at first (the problem is easy), faster even than
# with zero_grad, then lurches: the old gradients keep pushing the way they pushed,
# until one output's tanh saturates on the wrong side. Its error is then 2, the loss
# 2² = 4, and tanh's gradient there is all but 0: nothing can bring it back.

# %%
forgetful = make_model()
try:
    for k in range(steps):
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, [forgetful(xi)[0] for xi in xs]))
        loss.backward()  # no zero_grad: the second call raises
        for p in forgetful.parameters():
            p.data += -lr * p.grad
except RuntimeError as error:
    message = str(error)
lesson.log("forgot_zero_grad", raised_at_step=k, error=message.split(". ")[0])
if in_notebook():
    print(message)

buggy = make_model()
buggy_losses = []
for k in range(steps):
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, [buggy(xi)[0] for xi in xs]))
    loss.backward(accumulate=True)  # the lecture's loop without zero_grad, on purpose
    for p in buggy.parameters():
        p.data += -lr * p.grad
    buggy_losses.append(loss.data)
lesson.log("accumulate", steps=steps, first_loss=buggy_losses[0], last_loss=buggy_losses[-1],
           min_loss=min(buggy_losses), correct_last_loss=losses[-1],
           predictions=[buggy(xi)[0].data for xi in xs], targets=ys)

# %%
fig, ax = plt.subplots(figsize=(11, 6.5), layout="constrained")
viz.plot_history([losses, buggy_losses], ax=ax, logy=True,
                 label=["with zero_grad", "without (backward(accumulate=True))"])
ax.set(xlabel="step", ylabel="loss: sum of squared errors",
       title="the lecture's MLP on four points: zero_grad, or not")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
lesson.save(fig, "training.png")

# %%
lesson.finish()
