"""Module clusters: which nodes of a drawn graph each recorded module call made.

``nn.record_calls()`` writes down each module call: the module, the nodes it was given,
the nodes it returned. A call *owns* every node on the way back from its outputs to its
inputs, plus the module's own parameters; leaves that are not its parameters (the
sample's numbers, constants) stop the walk and stay outside. Calls nest (neuron inside
layer inside model), and each node belongs to the innermost call that owns it.

Kinds, for labels and for ``collapse``:

* ``"neuron"``: a call of a scalar ``nn.Neuron``;
* ``"layer"``:  a call with no recorded calls inside it other than neurons (a scalar
  ``Layer``, a ``Linear``, an activation module);
* ``"model"``:  a call with layers inside (``MLP``, ``Sequential``): a box around them.

``collapse="layer"`` (``collapse=True``) draws every layer call as one node; ``"neuron"``
draws every neuron as one node (a layer without neurons is still one node). Models stay
boxes around what they hold.

Names for people, numbered from 1 in the model's order (never Sequential positions):
a layer with parameters is ``layer 1 (2 -> 16, relu)``, its neurons ``neuron 1 of layer
1``; a parameter-free module (an activation) is named by what it does (``tanh``); a model
is ``MLP(2 -> 16 -> 16 -> 1)``. Parameters get ``W1[4, 2]`` and ``b1[4]`` (a matrix entry
of layer 1, row and column from 1) or ``W1``, ``b1`` for a Tensor layer's whole arrays;
``parameter_names`` also keeps their state-dict keys (``0.weight[3, 1]``), which drawings
show as a smaller second line.

All walks are iterative; positions are the graph's topological positions, so the result
is deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from nn.scalar import Neuron

__all__ = ["Cluster", "Clusters", "find_clusters", "parameter_names", "people_name", "COLLAPSE_LEVELS"]

COLLAPSE_LEVELS = ("layer", "neuron")


@dataclass
class Cluster:
    """One recorded call that made nodes of the drawn graph."""

    key: int  # position among the clusters (record order of the calls that made nodes)
    module: Any
    name: str  # dotted name in the recorded model ("" for the model itself)
    label: str  # what the box says: "layer 1 (2 -> 16, tanh)", "neuron 3 of layer 1"
    kind: str  # "neuron" | "layer" | "model"
    members: List[int]  # graph positions owned by this call (children's included), sorted
    outputs: List[int]  # graph positions of the call's outputs
    parent: Optional[int] = None
    children: List[int] = field(default_factory=list)
    own: List[int] = field(default_factory=list)  # members not inside a child: drawn in this box
    index: int = 0  # a neuron's place in its layer (0-based), for keeping neurons in order
    inputs: List[int] = field(default_factory=list)  # graph positions the call was given
    follows: Optional[int] = None  # an activation right after a layer: the layer's key
    activation: Optional[int] = None  # a layer followed by an activation: the activation's key
    merged: str = ""  # a layer with its activation, collapsed: "layer 1 (2 -> 16, relu)"

    @property
    def group_label(self) -> str:
        """What the node of a collapsed layer says (with the activation it absorbed, if any)."""
        return self.merged if self.merged else self.label

    @property
    def num_parameters(self) -> int:
        count = getattr(self.module, "num_parameters", None)
        return int(count()) if callable(count) else 0


@dataclass
class Clusters:
    """The clusters of one graph: a forest, with each node's innermost owner."""

    clusters: List[Cluster]
    owner: List[Optional[int]]  # graph position -> innermost cluster key (None: outside all)

    def roots(self) -> List[int]:
        return [c.key for c in self.clusters if c.parent is None]

    def group_of(self, level: str) -> List[Optional[int]]:
        """Graph position -> the cluster it is collapsed into at ``level`` (None: drawn as is)."""
        groups: Dict[int, Optional[int]] = {}
        for c in self.clusters:
            groups[c.key] = self._collapsing(c.key, level)
        if level == "layer":  # an activation drawn with the layer it follows: "layer 1 (2 -> 16, relu)"
            for c in self.clusters:
                if c.follows is not None and groups[c.key] == c.key and groups[c.follows] == c.follows:
                    groups[c.key] = c.follows
        return [None if o is None else groups[o] for o in self.owner]

    def outputs_of(self, key: int, groups: Sequence[Optional[int]]) -> List[int]:
        """The outputs of the node a collapsed group is drawn as (its activation's, if merged)."""
        c = self.clusters[key]
        if c.activation is not None and any(groups[i] == key for i in self.clusters[c.activation].outputs):
            return self.clusters[c.activation].outputs
        return c.outputs

    def _collapsing(self, key: int, level: str) -> Optional[int]:
        """The cluster at or above ``key`` that ``level`` draws as one node, if any."""
        chain = []
        k: Optional[int] = key
        while k is not None:
            chain.append(self.clusters[k])
            k = self.clusters[k].parent
        if level == "neuron":
            for c in chain:
                if c.kind == "neuron" or (c.kind == "layer" and not any(self.clusters[ch].kind == "neuron" for ch in c.children)):
                    return c.key
                if c.kind == "model":
                    return None
            return None
        for c in chain:  # level "layer": the outermost layer-kind call, else a lone neuron
            if c.kind == "layer":
                return c.key
        return chain[0].key if chain[0].kind == "neuron" and len(chain) == 1 else None


def find_clusters(record: Any, order: Sequence[Any], index: Dict[int, int], inputs: Sequence[Sequence[int]], where: str) -> Clusters:
    """The clusters the calls in ``record`` (an ``nn.CallRecord``) form in this graph."""
    calls = getattr(record, "calls", None)
    if calls is None or not callable(getattr(record, "names", None)):
        raise TypeError(
            f"{where}: modules= takes the record of nn.record_calls() "
            f"(with nn.record_calls() as rec: out = model(x); then modules=rec), got {type(record).__name__}"
        )
    names = record.names()
    found: List[Cluster] = []
    counts: Dict[int, int] = {}
    for call in calls:
        outs = sorted({index[id(o)] for o in call.outputs if id(o) in index})
        if not outs:
            continue  # a call whose results are not in this graph
        stop = {index[id(x)] for x in call.inputs if id(x) in index}
        params = {id(p) for p in call.module.parameters()} if hasattr(call.module, "parameters") else set()
        seen = set()
        stack = list(outs)
        while stack:  # iterative walk back from the outputs to the inputs
            i = stack.pop()
            if i in seen or i in stop:
                continue
            if not inputs[i] and id(order[i]) not in params:
                continue  # a leaf that is not this module's: the sample, a constant
            seen.add(i)
            stack.extend(inputs[i])
        counts[id(call.module)] = counts.get(id(call.module), 0) + 1
        found.append(Cluster(len(found), call.module, names.get(id(call.module), ""), "", "", sorted(seen), outs, inputs=sorted(stop)))
    # Nesting: by increasing size, each node's first owner is its innermost call; a bigger
    # call that meets a node already owned adopts the top of that node's owner chain.
    owner: List[Optional[int]] = [None] * len(order)
    for c in sorted(found, key=lambda c: (len(c.members), c.key)):
        for i in c.members:
            first = owner[i]
            if first is None:
                owner[i] = c.key
                continue
            top = first
            parent = found[top].parent
            while parent is not None:
                top, parent = parent, found[parent].parent
            if top != c.key:
                found[top].parent = c.key
                found[c.key].children.append(top)
    for c in found:
        c.children.sort()
        child_members = set()
        for ch in c.children:
            child_members.update(found[ch].members)
        c.own = [i for i in c.members if i not in child_members]
    for c in sorted(found, key=lambda c: (len(c.members), c.key)):  # children before parents
        kinds = {found[ch].kind for ch in c.children}
        c.kind = "neuron" if isinstance(c.module, Neuron) else ("model" if kinds - {"neuron"} else "layer")
    calls_seen: Dict[int, int] = {}
    numbers = _layer_numbers(names, [call.module for call in calls])
    for c in found:
        calls_seen[id(c.module)] = calls_seen.get(id(c.module), 0) + 1
        c.label = _label(c, counts[id(c.module)], calls_seen[id(c.module)], numbers)
    # An activation module right after a layer (Linear, ReLU): collapsed, they are one layer.
    for c in found:
        if c.kind != "layer" or _has_parameters(c.module) or not c.inputs:
            continue
        for b in found:
            if (b.key != c.key and b.parent == c.parent and b.kind == "layer" and _has_parameters(b.module)
                    and b.activation is None and sorted(b.outputs) == c.inputs):
                c.follows, b.activation = b.key, c.key
                what = c.label.split("  (call")[0]
                b.merged = (b.label[:-1] + f", {what})") if b.label.endswith(")") else f"{b.label} + {what}"
                break
    return Clusters(found, owner)


def _has_parameters(module: Any) -> bool:
    params = getattr(module, "parameters", None)
    return callable(params) and any(True for _ in params())


def _layer_numbers(names: Dict[int, str], modules: Sequence[Any]) -> Dict[str, int]:
    """Dotted name of each layer with parameters -> its number from 1, in the model's order
    (scalar MLP layers sit at Sequential positions 0, 2, 4: they are layers 1, 2, 3)."""
    by_id = {id(m): m for m in modules}
    layers = sorted(
        (name for key, name in names.items() if name and "." not in name and key in by_id and _has_parameters(by_id[key])),
        key=lambda n: int(n) if n.isdigit() else n,
    )
    return {name: k for k, name in enumerate(layers, start=1)}


def _label(c: Cluster, calls: int, nth: int, numbers: Dict[str, int]) -> str:
    m = c.module
    custom = getattr(m, "viz_label", None)  # a call viz records itself (draw_model's loss)
    if isinstance(custom, str):
        return custom + (f"  (call {nth} of {calls})" if calls > 1 else "")
    extra = m.extra_repr() if hasattr(m, "extra_repr") else ""
    if c.kind == "neuron" and "neurons." in c.name:
        layer, j = c.name.rsplit("neurons.", 1)
        layer = layer.rstrip(".")
        c.index = int(j)
        text = f"neuron {c.index + 1}"
        if layer:
            text += f" of layer {numbers[layer]}" if layer in numbers else f" of {layer}"
    elif c.kind == "model":
        # a container with nothing to add says its name; a model with sizes says them, as PyTorch prints
        text = type(m).__name__ if not extra else f"{type(m).__name__}({extra})"
    elif c.name in numbers:
        what = extra or type(m).__name__
        text = f"layer {numbers[c.name]} ({what})"
    elif not _has_parameters(m):
        text = type(m).__name__.lower() + (f" ({extra})" if extra else "")  # an activation: what it does
    else:
        what = f"{type(m).__name__}({extra})"
        text = f"{c.name}: {what}" if c.name else what
    return text + (f"  (call {nth} of {calls})" if calls > 1 else "")


_KEY = re.compile(r"^(?:(\d+)\.)?(weight|bias)(?:\[(\d+)(?:, (\d+))?\])?$")


def parameter_names(record: Any) -> Dict[int, Tuple[str, str]]:
    """``{id(parameter): (state-dict key, name for people)}`` for the outermost models of an
    ``nn.record_calls()`` record (their keys are the state dict's)."""
    calls = getattr(record, "calls", None)
    if calls is None or not callable(getattr(record, "names", None)):
        return {}
    names = record.names()
    out: Dict[int, Tuple[str, str]] = {}
    seen = set()
    for call in calls:
        m = call.module
        if id(m) in seen or names.get(id(m), "") != "" or not callable(getattr(m, "named_parameters", None)):
            continue
        seen.add(id(m))
        subs = [sub for _, sub in m.named_modules()] if callable(getattr(m, "named_modules", None)) else []
        numbers = _layer_numbers(names, subs)
        for key, p in m.named_parameters():
            out[id(p)] = (key, people_name(key, numbers))
    return out


def people_name(key: str, numbers: Optional[Dict[str, int]] = None) -> str:
    """``0.weight[3, 1]`` -> ``W1[4, 2]``, ``2.bias`` -> ``b2``, ``weight[0]`` -> ``w[1]``;
    any other key is kept as it is. ``numbers`` maps a layer's name to its number.

    >>> people_name("0.weight[3, 1]", {"0": 1}), people_name("4.bias", {"0": 1, "2": 2, "4": 3})
    ('W1[4, 2]', 'b3')
    """
    m = _KEY.match(key)
    if m is None:
        return key
    layer, what, i, j = m.groups()
    number = ""
    if layer is not None:
        if numbers is None or layer not in numbers:
            return key
        number = str(numbers[layer])
    letter = ("W" if number else "w") if what == "weight" else "b"
    index = ""
    if i is not None:
        index = f"[{int(i) + 1}" + (f", {int(j) + 1}" if j is not None else "") + "]"
    return f"{letter}{number}{index}"
