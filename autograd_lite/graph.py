"""Graph walks shared by every node type (``Value`` now, ``Tensor`` and ``viz`` later).

A node is anything with a ``_prev`` tuple holding the nodes it was computed from, in
argument order. Nothing here recurses, so a graph a million nodes deep is walked as
easily as a neuron, and nothing here depends on ``id()`` order, so every walk of the
same graph visits nodes in the same order on every run.
"""

from __future__ import annotations

from typing import Any, List, Set

__all__ = ["topological_order"]


def topological_order(root: Any) -> List[Any]:
    """Every node reachable from ``root``, each listed after all of its inputs.

    The order is exactly what the textbook recursive depth-first search produces
    (micrograd's ``build_topo``): visit the inputs in argument order, then emit the
    node. It is written with an explicit stack because CPython's recursion limit (about
    1000 frames) is far shorter than the chains a training loop or a lecture builds.

    ``root`` is the last element; reverse-mode backward walks the list from the end.
    """
    order: List[Any] = []
    seen: Set[Any] = set()
    stack = [root]
    # Bound methods fetched once: this loop runs once per node and edge of the graph.
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node = pop()
        if node is _EMIT:  # every input of the node below the marker has been emitted
            emit(pop())
            continue
        if node in seen:  # pushed twice (shared input), already handled
            continue
        mark(node)
        prev = node._prev
        if not prev:  # a leaf has no inputs to wait for
            emit(node)
            continue
        # Come back to `node` (marker) once its inputs are done; inputs are pushed last
        # first, so the first input is popped, and fully explored, first.
        push(node)
        push(_EMIT)
        stack.extend(prev[::-1])
    return order


# The stack holds nodes to explore, and this marker above a node meaning "emit it":
# a shared sentinel rather than a (node, flag) tuple pushed for every node.
_EMIT = object()
