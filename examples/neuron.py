"""One neuron, forward and backward: the first picture of backpropagation.

    python examples/neuron.py                  # the classic weights, o = sqrt(2)/2
    python examples/neuron.py --w1=-2.0        # any input, weight or bias: --NAME=VALUE
    python examples/neuron.py --out DIR        # the log's numbers also go to DIR/summary.json

A neuron with two inputs computes o = tanh(x1*w1 + x2*w2 + b). We build it from
``Value`` nodes, call ``o.backward()``, and log do/d(node) for every node, in the order
backward() visited them: the numbers a lecture derives by hand with the chain rule
(do/dn = 1 - o**2 = 0.5, then through the sum and the products). The default weights
are the classic ones that make o = sqrt(2)/2. Last, ``gradcheck`` compares every
gradient with central differences, as the notes ask.
"""
# %%
from autograd_lite import Value, gradcheck
from autograd_lite.graph import topological_order
from _lesson import Lesson

# -- config: inputs, weights, bias; any of them can be set from the command line as --name=value
x1, x2 = 2.0, 0.0
w1, w2 = -3.0, 1.0
b = 6.8813735870195432
# (one neuron is instant: --fast and --full run the same numbers as the default)
lesson = Lesson("neuron", globals())

# %% [markdown]
# ## Forward: the neuron as a graph of Values
# Each intermediate result gets a label, so the log (and a drawing) can name it.


# %%
def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


leaves = [
    Value(x1, label="x1"),
    Value(x2, label="x2"),
    Value(w1, label="w1"),
    Value(w2, label="w2"),
    Value(b, label="b"),
]
o = neuron(*leaves)
lesson.log("forward", o=o.data, formula="tanh(x1*w1+x2*w2+b)")

# %% [markdown]
# ## Backward: do/d(node) for every node
# One line per node, in the order backward() visits them (the output first).

# %%
o.backward()
for node in reversed(topological_order(o)):  # the order backward() visited them
    lesson.log("node", label=node.label or "-", op=node._op or "leaf", data=node.data, grad=node.grad)

# %% [markdown]
# ## Check your derivatives
# gradcheck raises, naming the input, if backward() and central differences disagree.

# %%
passed = gradcheck(neuron, *leaves)
lesson.log("gradcheck", inputs=len(leaves), agrees=passed)

# %%
lesson.finish()
