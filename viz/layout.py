"""Choosing a drawing's shape for the screen it will be shown on.

A lecture graph is drawn to be read fitted to a projector (1920x1080): what matters is
how tall its text is once the whole drawing is scaled to touch the screen's edges. A
chain of ops laid out left to right with one-line rows is 4 to 8 times wider than tall,
so fitted to a 16:9 screen its text is small. ``choose`` estimates, before anything is
rendered, the size of the drawing for each candidate shape:

* rank direction: ``LR`` (inputs on the left, micrograd's convention) or ``TB`` (top down);
* value cells: ``row`` (``label | data | grad`` on one line, micrograd's look) or
  ``column`` (label, data, grad stacked: narrower, taller);

and picks the one whose text comes out largest when fitted to ``screen``, keeping to the
preferred shape unless another reads more than 10% larger (the estimate is not exact).
Left to right is preferred (micrograd's convention), except with edge labels: left to right
the labels of the edges into one op stack up beside each other, top down they sit beside
their own edges.

The estimate follows what ``dot`` does: ranks by longest path from the inputs with
leaves pulled next to their consumers, each rank as deep as its deepest node plus
``ranksep``, as wide as its nodes plus ``nodesep`` each; edge labels get ranks of their
own; boxes (module clusters) add their margin and label. It only ranks candidates, so
being within 20% of the real layout is enough; the tests check the real drawings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ["Box", "Link", "Plan", "estimate", "choose", "CANDIDATES"]

#: (rankdir, cells), in order of preference when they read about as large.
CANDIDATES: Tuple[Tuple[str, str], ...] = (("LR", "column"), ("LR", "row"), ("TB", "row"), ("TB", "column"))


@dataclass
class Box:
    """One DOT node as the estimator sees it: its size in points (for both cell shapes)."""

    id: str
    size: Dict[str, Tuple[float, float]]  # cells -> (width, height)
    depth: int = 0  # how many cluster boxes it sits in


@dataclass
class Link:
    src: str
    dst: str
    label: Tuple[float, float] = (0.0, 0.0)  # (width, height) of its label, 0 when none


@dataclass
class Plan:
    """What ``choose`` decided, and the estimates behind it (for tests and curious readers)."""

    rankdir: str
    cells: str
    scale: float  # fitted scale of the chosen shape on the screen
    estimates: Dict[Tuple[str, str], Tuple[float, float]] = field(default_factory=dict)


def _ranks(boxes: Sequence[Box], links: Sequence[Link], labelled: bool) -> Dict[str, int]:
    """dot-like ranks: longest path from the sources, then sources pulled up to their consumers."""
    step = 2 if labelled else 1  # an edge label takes a rank of its own
    ids = [b.id for b in boxes]
    ins: Dict[str, List[str]] = {i: [] for i in ids}
    outs: Dict[str, List[str]] = {i: [] for i in ids}
    for link in links:
        if link.src in ins and link.dst in ins:
            outs[link.src].append(link.dst)
            ins[link.dst].append(link.src)
    # Kahn's algorithm in the boxes' order (deterministic), no recursion.
    waiting = {i: len(ins[i]) for i in ids}
    ready = [i for i in ids if waiting[i] == 0]
    order: List[str] = []
    k = 0
    while k < len(ready):
        i = ready[k]
        k += 1
        order.append(i)
        for j in outs[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    rank = {i: 0 for i in ids}
    for i in order:
        for j in outs[i]:
            rank[j] = max(rank[j], rank[i] + step)
    for i in reversed(order):  # a source sits just before its first consumer
        if not ins[i] and outs[i]:
            rank[i] = min(rank[j] for j in outs[i]) - step
    return rank


def estimate(
    boxes: Sequence[Box],
    links: Sequence[Link],
    rankdir: str,
    cells: str,
    *,
    nodesep: float,
    ranksep: float,
    box_margin: float,
    box_label: float,
    footer: Tuple[float, float] = (0.0, 0.0),
) -> Tuple[float, float]:
    """The (width, height) in points that ``dot`` will give this graph, roughly."""
    labelled = any(link.label[0] > 0 for link in links)
    rank = _ranks(boxes, links, labelled)
    lr = rankdir == "LR"
    along: Dict[int, float] = {}  # rank -> its depth along the rank direction
    across: Dict[int, float] = {}  # rank -> the room its nodes take side by side
    count: Dict[int, int] = {}
    deepest = 0
    for b in boxes:
        w, h = b.size[cells]
        a, c = (w, h) if lr else (h, w)
        r = rank[b.id]
        along[r] = max(along.get(r, 0.0), a)
        across[r] = across.get(r, 0.0) + c
        count[r] = count.get(r, 0) + 1
        deepest = max(deepest, b.depth)
    for link in links:
        if link.src not in rank or link.dst not in rank:
            continue
        r0, r1 = rank[link.src], rank[link.dst]
        w, h = link.label
        if w > 0:  # the label sits in the rank between the two ends
            a, c = (w, h) if lr else (h, w)
            mid = r0 + 1
            along[mid] = max(along.get(mid, 0.0), a)
            across[mid] = across.get(mid, 0.0) + c
            count[mid] = count.get(mid, 0) + 1
        for r in range(r0 + 1, r1):  # a long edge passes each rank in between as a thin virtual node
            if w > 0 and r == r0 + 1:
                continue
            across[r] = across.get(r, 0.0) + 4.0
            count[r] = count.get(r, 0) + 1
    if not along:
        return (0.0, 0.0)
    ranks = sorted(along)
    length = sum(along[r] for r in ranks) + ranksep * (len(ranks) - 1)
    breadth = max(across[r] + nodesep * (count[r] - 1) for r in ranks)
    # Nested boxes: a margin on every side per level, and a label line at the top.
    length += 2 * box_margin * deepest
    breadth += (2 * box_margin + box_label) * deepest
    width, height = (length, breadth) if lr else (breadth, length)
    width = max(width, footer[0])
    height += footer[1]
    return (width + 8.0, height + 8.0)  # the graph's pad


def choose(
    boxes: Sequence[Box],
    links: Sequence[Link],
    screen: Tuple[int, int],
    *,
    rankdirs: Sequence[str],
    cells: Sequence[str],
    nodesep: float,
    ranksep: float,
    box_margin: float,
    box_label: float,
    footer: Callable[[float], Tuple[float, float]],
) -> Plan:
    """The candidate (rankdir, cells) whose text reads largest fitted to ``screen``.

    ``footer(width)`` is the size of what sits under the graph (caption, legend) when the
    graph is ``width`` wide. ``rankdirs`` lists the directions allowed, preferred first."""
    best: Optional[Plan] = None
    estimates: Dict[Tuple[str, str], Tuple[float, float]] = {}
    ordered = sorted(CANDIDATES, key=lambda c: (list(rankdirs).index(c[0]) if c[0] in rankdirs else 9, CANDIDATES.index(c)))
    for rd, cl in ordered:
        if rd not in rankdirs or cl not in cells:
            continue
        w, h = estimate(boxes, links, rd, cl, nodesep=nodesep, ranksep=ranksep, box_margin=box_margin, box_label=box_label)
        fw, fh = footer(w)  # the caption and legend under it, wrapped to its width
        w, h = max(w, fw), h + fh
        estimates[(rd, cl)] = (w, h)
        scale = min(screen[0] / w, screen[1] / h) if w > 0 and h > 0 else 1.0
        if best is None or scale > best.scale * 1.1:  # a clear win over the preferred shapes
            best = Plan(rd, cl, scale)
    assert best is not None, "choose: no candidate allowed"
    best.estimates = estimates
    return best
