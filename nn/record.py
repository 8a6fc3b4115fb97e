"""Which module made which nodes: a record of module calls, for drawings grouped by module.

A graph of a scalar MLP has a node per multiply and add; a lecture slide wants them boxed
by neuron and by layer. The engine cannot know about modules (arrows point from nn to
autograd_lite, never back), so nn writes down, while a forward pass runs, each call:
the module, the nodes it was given, the nodes it returned. ``viz.draw_graph(root,
modules=record)`` turns that into clusters: a call owns every node between its inputs
and its outputs, plus its own parameters.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], seed=0)
    >>> with nn.record_calls() as record:
    ...     out = model([1.0, -2.0])
    >>> [type(c.module).__name__ for c in record.calls]      # inner calls finish first
    ['Neuron', 'Neuron', 'Neuron', 'Layer', 'Neuron', 'Layer', 'MLP']

Recording is per thread and per asyncio task, as ``no_grad()`` is: a block opened in one
thread records the calls made in that thread (and in tasks it starts inside the block),
never another thread's, and keeps no other thread's nodes alive. The open records live in
a ``ContextVar``. Off, a module call still pays only one test of an empty list (``if
_ACTIVE:``), which ``benchmarks/viz_graph.py`` measures against an unrecorded forward pass:
``_ACTIVE`` holds every open record of the process, so it is empty whenever no block is
open anywhere, and a call made while some other thread records pays one ContextVar
lookup in ``_record`` and records nothing.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Tuple

from autograd_lite import Tensor, Value

__all__ = ["Call", "CallRecord", "record_calls"]

# Every open record of the process, in any thread or task. Modules test it with
# `if _ACTIVE:` (an empty list when nothing records anywhere: the off path stays one test);
# the list object never changes identity, so `from .record import _ACTIVE` stays valid.
_ACTIVE: List["CallRecord"] = []

# The records open in this thread or task (a tuple: blocks may nest), as no_grad's flag.
_OPEN: contextvars.ContextVar[Tuple["CallRecord", ...]] = contextvars.ContextVar("nn_record_calls", default=())


@dataclass(frozen=True)
class Call:
    """One call of a module: the nodes it was given and the nodes it returned."""

    module: Any
    inputs: Tuple[Any, ...]
    outputs: Tuple[Any, ...]


@dataclass(eq=False)
class CallRecord:
    """The calls made while a ``record_calls()`` block was open, in the order they finished
    (a neuron's call before its layer's, the layer's before the model's)."""

    calls: List[Call] = field(default_factory=list)

    def names(self) -> Dict[int, str]:
        """id(module) -> its dotted name inside the outermost recorded model ("" for that
        model itself); a scalar Layer's neurons are ``"<layer>.neurons.<j>"``."""
        modules = {id(c.module): c.module for c in self.calls}
        inside = set()
        for m in modules.values():
            for name, sub in _named_modules(m):
                if name:
                    inside.add(id(sub))
        out: Dict[int, str] = {}
        for m in modules.values():
            if id(m) not in inside:  # an outermost model: name everything under it
                for name, sub in _named_modules(m):
                    out.setdefault(id(sub), name)
        return out

    def __len__(self) -> int:
        return len(self.calls)


def _named_modules(module: Any) -> Iterator[Tuple[str, Any]]:
    """``named_modules()``, plus the modules each one calls that are not state children
    (``Module._called_parts``: a scalar Layer's neurons). Asked of the module, so this file
    needs no module class and imports nothing from nn (module.py and scalar.py import it)."""
    named = getattr(module, "named_modules", None)
    if named is None:
        return
    for name, sub in named():
        yield name, sub
        parts = getattr(sub, "_called_parts", None)
        for part, m in parts() if parts is not None else ():
            yield (f"{name}.{part}" if name else part), m


def _nodes(x: Any) -> Tuple[Any, ...]:
    """The graph nodes in an argument or a result: a node, or a list/tuple of them."""
    if isinstance(x, (Value, Tensor)):
        return (x,)
    if isinstance(x, (list, tuple)):
        return tuple(v for v in x if isinstance(v, (Value, Tensor)))
    return ()


def _record(module: Any, inputs: Any, outputs: Any) -> None:
    """Append one call to every record open in this thread or task (modules call this only
    when some record is open somewhere)."""
    records = _OPEN.get()
    if not records:
        return  # another thread or task is recording, not this one
    call = Call(module, _nodes(inputs), _nodes(outputs))
    for record in records:
        record.calls.append(call)


@contextmanager
def record_calls() -> Iterator[CallRecord]:
    """Record every module call made inside the block, in this thread or task; yields the
    ``CallRecord``.

    The record holds the nodes themselves (so it keeps that graph alive while you hold it);
    drop it with the graph. Nothing about the computation changes. Calls made in other
    threads, or in asyncio tasks started before the block, are not recorded.
    """
    record = CallRecord()
    token = _OPEN.set(_OPEN.get() + (record,))
    _ACTIVE.append(record)
    try:
        yield record
    finally:
        # by identity: two records are different blocks even when they hold equal calls
        del _ACTIVE[next(i for i, r in enumerate(_ACTIVE) if r is record)]
        _OPEN.reset(token)
