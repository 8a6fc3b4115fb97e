"""One neuron, forward and backward: the first picture of backpropagation.

    python examples/neuron.py

A neuron with two inputs computes o = tanh(x1*w1 + x2*w2 + b). We build it from
``Value`` nodes, call ``o.backward()``, and print do/d(node) for every node: the numbers
a lecture derives by hand with the chain rule (do/dn = 1 - o**2 = 0.5, then through
the sum and the products). The weights are the classic ones that make o = sqrt(2)/2.
"""

from autograd_lite import Value, gradcheck
from autograd_lite.graph import topological_order

# -- config: inputs, weights, bias
x1, x2 = 2.0, 0.0
w1, w2 = -3.0, 1.0
b = 6.8813735870195432


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
o.backward()

print(f"o = tanh(x1*w1 + x2*w2 + b) = {o.data:.4f}")
print(f"{'node':>8} {'op':>5} {'data':>9} {'grad':>9}")
for node in reversed(topological_order(o)):  # the order backward() visited them
    print(f"{node.label or '':>8} {node._op:>5} {node.data:>9.4f} {node.grad:>9.4f}")

# Check the analytic gradients against central differences, as the notes ask.
gradcheck(neuron, *leaves)
print("gradcheck: backward() agrees with central differences for all 5 inputs")
