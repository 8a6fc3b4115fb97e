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

All walks are iterative; positions are the graph's topological positions, so the result
is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from nn.scalar import Neuron

__all__ = ["Cluster", "Clusters", "find_clusters", "COLLAPSE_LEVELS"]

COLLAPSE_LEVELS = ("layer", "neuron")


@dataclass
class Cluster:
    """One recorded call that made nodes of the drawn graph."""

    key: int  # position among the clusters (record order of the calls that made nodes)
    module: Any
    name: str  # dotted name in the recorded model ("" for the model itself)
    label: str  # what the box says: "0: Layer(2 -> 16, tanh)", "neuron 3"
    kind: str  # "neuron" | "layer" | "model"
    members: List[int]  # graph positions owned by this call (children's included), sorted
    outputs: List[int]  # graph positions of the call's outputs
    parent: Optional[int] = None
    children: List[int] = field(default_factory=list)
    own: List[int] = field(default_factory=list)  # members not inside a child: drawn in this box

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
        return [None if o is None else groups[o] for o in self.owner]

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
        found.append(Cluster(len(found), call.module, names.get(id(call.module), ""), "", "", sorted(seen), outs))
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
    for c in found:
        calls_seen[id(c.module)] = calls_seen.get(id(c.module), 0) + 1
        c.label = _label(c, counts[id(c.module)], calls_seen[id(c.module)])
    return Clusters(found, owner)


def _label(c: Cluster, calls: int, nth: int) -> str:
    m = c.module
    extra = m.extra_repr() if hasattr(m, "extra_repr") else ""
    if c.kind == "neuron" and ".neurons." in c.name:
        layer, j = c.name.rsplit(".neurons.", 1)
        text = f"neuron {j}" + (f" of layer {layer}" if layer else "")
    else:
        # a container with nothing to add says its name; a layer says its sizes, as PyTorch prints
        what = type(m).__name__ if c.kind == "model" and not extra else f"{type(m).__name__}({extra})"
        text = f"{c.name}: {what}" if c.name else what
    return text + (f"  (call {nth} of {calls})" if calls > 1 else "")
