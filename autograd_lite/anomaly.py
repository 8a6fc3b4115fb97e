"""Anomaly mode: find the op where the numbers first became inf or nan, and your line that made it.

Training diverged and the loss is nan. ``nan`` spreads through every op after the first
one that made it, so the last op (the loss) says nothing about where it started. Run the
step again inside ``detect_anomaly()``::

    >>> from autograd_lite import Value, detect_anomaly
    >>> x = Value(1e200, label="x")
    >>> with detect_anomaly():
    ...     y = x * x                 # 1e400 does not fit in a float64: inf
    Traceback (most recent call last):
      ...
    autograd_lite.anomaly.AnomalyError: detect_anomaly: op '*' made inf from finite inputs ...

Inside the block (thread- and task-local, like ``no_grad()``; they nest either way):

* every node recorded in a graph remembers where your code made it: the first stack
  frame outside ``autograd_lite``, ``nn`` and ``viz``, with its file, line and source
  text (``site_of(node)``; in a notebook, its cell, "Cell In[5]", as IPython names it). Leaves are numbers you typed, not results: they have none.
* forward: an op of either engine whose result holds inf or nan while its inputs held
  none raises ``AnomalyError`` naming the op, its inputs' values and that line. An op
  whose inputs already hold inf or nan is a symptom, not the cause, and goes on (IEEE).
* backward (``backward()`` of both engines, and ``grad()``, which runs the rules' twins):
  the first rule that puts inf or nan into a gradient, all of them finite before it,
  raises, naming the op, the node's label, its line, the gradient the rule got and what
  it sent. A failed backward() changes no ``.grad``, as always.

Outside the block the engine pays nothing: grad mode and anomaly mode are one
ContextVar, which making a node read once already, and nothing is recorded anywhere.
Inside it every node costs a walk up the stack: a tool to find a problem, not to train.
Ops that refuse to overflow (``exp`` and ``**`` of finite numbers raise OverflowError,
naming the op) raise as they always do; anomaly mode is about the ones that follow IEEE.
"""

from __future__ import annotations

import linecache
import sys
import types
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .engine import _mode, _show, is_grad_enabled

__all__ = ["detect_anomaly", "is_anomaly_enabled", "AnomalyError", "Site", "site_of", "LIBRARY_PACKAGES"]

#: Frames of these packages are the library's own: a site is the first frame outside them.
LIBRARY_PACKAGES = ("autograd_lite", "nn", "viz")


class Site(NamedTuple):
    """Where your code made a node: file, line, function and the line's source text."""

    file: str
    line: int
    function: str
    source: str
    cell: Optional[str] = None  # "Cell In[5]" when the line is in a notebook cell (its file is a temp name)

    def __str__(self) -> str:
        if self.cell is not None:  # as IPython's own tracebacks name it
            return f"{self.cell}, line {self.line}: {self.source}"
        return f'File "{self.file}", line {self.line}, in {self.function}: {self.source}'


class AnomalyError(FloatingPointError):
    """``detect_anomaly()`` met the first inf or nan: a ``FloatingPointError`` with its facts.

    ``op`` is the op whose result (``phase == "forward"``) or derivative rule (``"backward"``)
    made it; ``site`` is where your code made that node (a ``Site``, or None if it was made
    outside ``detect_anomaly()``); ``label`` is the node's label (backward), or None.
    """

    def __init__(
        self, message: str, *, op: str, phase: str, site: Optional[Site], label: Optional[str] = None,
        made: str = "", inputs: str = "",
    ) -> None:
        super().__init__(message)
        self.op, self.phase, self.site, self.label = op, phase, site, label
        self.made, self.inputs = made, inputs  # (forward) what the op made, from which inputs


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, the first inf or nan made by an op or a derivative rule raises
    ``AnomalyError`` naming the op and the line of your code that made the node (see above).

    Composes with ``no_grad()`` (inside it, results are still checked; no graph is kept),
    and is local to the thread or asyncio task that enters it, as ``no_grad()`` is.
    """
    token = _mode.set(_WATCHING if is_grad_enabled() else _WATCHING_NO_GRAD)
    try:
        yield
    finally:
        _mode.reset(token)


def is_anomaly_enabled() -> bool:
    """``True`` inside ``detect_anomaly()``."""
    return type(_mode.get()) is Anomaly


def site_of(node: Any) -> Optional[Site]:
    """Where your code made ``node``, if it was recorded inside ``detect_anomaly()``; else None."""
    return _SITES.get(node)


# ---------------------------------------------------------------------- the mode object


class Anomaly:
    """What the engine's mode ContextVar holds inside ``detect_anomaly()``.

    ``grad`` says whether ops also record a graph (False inside ``no_grad()``). The
    engine calls ``watch`` for every node it makes and ``run_rule`` for every rule it
    runs; both engines, so the checks read ``data`` and ``grad`` as floats or arrays.
    ``grad()``'s walk calls ``twin_step`` for every twin it runs.
    """

    __slots__ = ("grad",)

    def __init__(self, grad: bool) -> None:
        self.grad = grad

    def __bool__(self) -> bool:
        # Falsy: the engine's test of its usual case (grad mode on: the mode is True) fails,
        # and the node goes the way that calls watch(). One test, as cheap as before.
        return False

    def with_grad(self, enabled: bool) -> "Anomaly":
        return _WATCHING if enabled else _WATCHING_NO_GRAD

    def watch(self, out: Any, op: str, prev: Tuple[Any, ...], needs_grad: bool) -> bool:
        """Check a new node's result; remember its line if it joins a graph (and say whether it does)."""
        if not _finite(out.data) and all(_finite(p.data) for p in prev):
            site = creation_site()
            raise AnomalyError(
                _forward_message(out, op, prev, site), op=op, phase="forward", site=site,
                made=_what(out.data), inputs=_inputs(prev),
            )
        if needs_grad and self.grad:
            _SITES[out] = creation_site()
            return True
        return False

    def run_rule(self, rule: Callable[[Any], None], node: Any) -> None:
        """Run ``rule(node)`` as backward() does, then check every gradient it wrote."""
        prev = node._prev
        before = [p.grad for p in prev]
        rule(node)
        for k, p in enumerate(prev):
            if p.grad is not before[k] and not _finite(p.grad) and _finite(before[k]):
                raise _backward_error(node, node.grad, k, before[k], p.grad)

    def twin_step(self, twin: Callable[..., Tuple[Any, ...]], node: Any, g: Any, grads: Dict[Any, Any], on_path: Any) -> None:
        """One step of ``grad()``'s walk (``autograd_lite.functional``) with every part checked:
        run the node's twin and add its parts into ``grads``, as the walk does without checks."""
        try:
            parts = twin(node, g)
            for k, (x, part) in enumerate(zip(node._prev, parts)):
                if part is None or x not in on_path:
                    continue
                if not _finite(part.data):
                    raise _backward_error(node, g.data, k, None, part.data, twin=True)
                total = grads.get(x)
                grads[x] = part if total is None else total + part
                if not _finite(grads[x].data):
                    raise _backward_error(node, g.data, k, None if total is None else total.data, grads[x].data, twin=True)
        except AnomalyError as exc:
            if exc.phase != "forward":
                raise
            # An op inside the twin (or the sum of parts) made the inf: that is this node's derivative.
            raise _backward_error(node, g.data, None, None, None, twin=True, inner=exc) from exc

    def __repr__(self) -> str:
        return f"<detect_anomaly {'with' if self.grad else 'without'} grad mode>"


_WATCHING = Anomaly(True)
_WATCHING_NO_GRAD = Anomaly(False)

# node -> Site, for nodes recorded inside detect_anomaly(). Weak: a site lives as long as
# its node, and a node holds nothing more than it did (nodes hash by identity).
_SITES: "weakref.WeakKeyDictionary[Any, Optional[Site]]" = weakref.WeakKeyDictionary()


# ---------------------------------------------------------------------- where: the caller's line

_LINES: Dict[Tuple[Any, int], Site] = {}  # (code, line) -> Site: one Site per line of code


def creation_site() -> Optional[Site]:
    """The first frame up the stack whose module is not in ``LIBRARY_PACKAGES``, as a ``Site``."""
    frame: Optional[types.FrameType] = sys._getframe(1)
    while frame is not None and _in_library(frame):
        frame = frame.f_back
    if frame is None:
        return None
    code, line = frame.f_code, frame.f_lineno
    site = _LINES.get((code, line))
    if site is None:
        source = linecache.getline(code.co_filename, line, frame.f_globals).strip()
        site = _LINES[(code, line)] = Site(
            code.co_filename, line, code.co_name, source or "<source not available>", _notebook_cell(code.co_filename)
        )
    return site


def _notebook_cell(filename: str) -> Optional[str]:
    """"Cell In[5]" if ``filename`` is the code of a notebook cell, else None.

    IPython compiles each cell as a temporary file (``/tmp/ipykernel_123/3922698544.py``);
    its compiler knows which execution count that file is, as its tracebacks show.
    """
    ipython = sys.modules.get("IPython")  # never imported here: only a running shell matters
    shell = ipython.get_ipython() if ipython is not None else None
    name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    found = name(filename) if callable(name) else None
    return " ".join(found) if found else None


def _in_library(frame: types.FrameType) -> bool:
    name = frame.f_globals.get("__name__") or ""
    return name.partition(".")[0] in LIBRARY_PACKAGES


# ---------------------------------------------------------------------- checks and messages


def _finite(x: Any) -> bool:
    """Whether a float, an int or an array holds no inf or nan (None: no gradient yet, fine)."""
    if type(x) is float:
        return x - x == 0.0
    if x is None:
        return True
    if isinstance(x, np.ndarray):
        return bool(np.isfinite(x).all())
    try:
        return bool(np.isfinite(x).all())
    except TypeError:  # not a number at all: not this mode's business
        return True


def _numbers(x: Any) -> str:
    """A Value's data, or an array written out on one line when small, summarised when not."""
    if isinstance(x, np.ndarray) and x.size > 6:
        with np.errstate(all="ignore"):
            bad = ~np.isfinite(x)
            text = f"an array of shape {x.shape}"
            if bad.any():
                first = tuple(int(i) for i in np.argwhere(bad)[0])
                return f"{text} holding {int(bad.sum())} inf/nan (the first at {first}: {x[first]})"
            return f"{text}, |x| up to {float(np.abs(x).max()):.6g}"
    if isinstance(x, np.ndarray):
        text = np.array2string(x, separator=", ", formatter={"float_kind": lambda v: f"{v:.6g}"})
        return " ".join(text.split())
    return f"{x:.6g}" if isinstance(x, float) else _show(x)


def _what(x: Any) -> str:
    """'inf', 'nan', '-inf' for a number; for an array, what it holds."""
    if isinstance(x, np.ndarray):
        kinds = [k for k, test in (("nan", np.isnan(x).any()), ("inf", np.isposinf(x).any()), ("-inf", np.isneginf(x).any())) if test]
        return " and ".join(kinds) or "finite numbers"
    return repr(float(x))


def _name(node: Any) -> str:
    return f"label {node.label!r}" if getattr(node, "label", None) is not None else "no label"


def _made_at(site: Optional[Site]) -> str:
    """Where a node was made, as two lines of a message (a traceback's look)."""
    if site is None:
        return "  made outside detect_anomaly(): no line recorded"
    if site.cell is not None:  # a notebook cell: its file is a temporary name
        return f"  made at {site.cell}, line {site.line}\n    {site.source}"
    return f'  made at File "{site.file}", line {site.line}, in {site.function}\n    {site.source}'


def _inputs(prev: Sequence[Any]) -> str:
    return ", ".join(f"{_numbers(p.data)} ({_name(p)})" for p in prev)


def _forward_message(out: Any, op: str, prev: Sequence[Any], site: Optional[Site]) -> str:
    lines = [f"detect_anomaly: op {op!r} made {_what(out.data)} from finite inputs"]
    lines += [f"  input {k} = {_numbers(p.data)} ({_name(p)})" for k, p in enumerate(prev)]
    lines.append(_made_at(site) if site is not None else "  (no line of yours on the stack)")
    lines.append(
        "This is where the numbers first stopped being finite: an overflow (past the float's largest, "
        "~1.8e308 for float64) or an undefined result (inf - inf, 0 * inf)."
    )
    return "\n".join(lines)


def _backward_error(
    node: Any, upstream: Any, k: Optional[int], before: Any, after: Any, *, twin: bool = False,
    inner: Optional[AnomalyError] = None,
) -> AnomalyError:
    """The error for the first rule that sent inf or nan: ``node``'s rule got ``upstream`` and
    made input ``k``'s gradient ``after`` (it was ``before``; None: a part, ``grad()``'s way);
    ``inner`` when an op inside a twin raised instead."""
    op = node._op
    site = _SITES.get(node)
    rule = "derivative rule (its twin, in grad())" if twin else "derivative rule"
    lines = [
        f"detect_anomaly: backward met the first inf or nan in the {rule} of op {op!r}",
        f"  the node: {_name(node)}, data {_numbers(node.data)}",
        _made_at(site),
    ]
    if inner is not None:
        lines.append(
            f"  it got the gradient {_numbers(upstream)}, and its op {inner.op!r} made "
            f"{inner.made} from {inner.inputs}"
        )
    else:
        x = node._prev[k]
        target = f"its input {k} ({_name(x)}, data {_numbers(x.data)})"
        if before is None:
            lines.append(f"  it got the gradient {_numbers(upstream)} and sent {_what(after)} to {target}")
        else:
            lines.append(
                f"  it got the gradient {_numbers(upstream)} and made the gradient of {target} "
                f"{_what(after)} (it was {_numbers(before)})"
            )
    lines.append("Every gradient before this step was finite.")
    if not all(_finite(p.data) for p in node._prev) or not _finite(node.data):
        lines.append(
            "The forward values here already hold inf or nan: build the graph inside detect_anomaly() "
            "too, to find the op that made them."
        )
    return AnomalyError("\n".join(lines), op=op, phase="backward", site=site, label=node.label)
