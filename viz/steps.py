"""Backward, step by step, tied to the engine's source: each rule's own lines, with numbers.

The readers of this library step through ``autograd_lite/engine.py``. ``backward_steps(root)``
(``viz.graph``, beside ``backward_frames``, which draws the same steps) prints, for each step of ``backward()``, the derivative rule that runs there, read from the
engine at run time (``inspect.getsource`` of the node's rule function, parsed with
``ast``), so it can never drift from the code, and each line that writes a gradient once
more with the step's numbers in place of its names::

    >>> from autograd_lite import Value
    >>> from viz import backward_steps
    >>> n = Value(0.8813735870195432, label="n"); o = n.tanh(); o.label = "o"
    >>> print(backward_steps(o))                       # doctest: +ELLIPSIS
    step 1 of 1: o = tanh(n)
      the tanh rule gets o.grad = 1.0000 and sends 0.5000 to n
      Value._tanh_backward  (autograd_lite/engine.py, line ...)  with out = o, x = n
        | def _tanh_backward(out: "Value") -> None:
        |     # d/dx tanh x = 1 - tanh^2 x
      > |     (x,) = out._prev
      > |     t = out.data
      > |     x.grad += (1.0 - t * t) * out.grad
              n.grad += (1 - 0.7071²) × 1.0000 = 0.5000

How it is done: the rule runs once more, exactly as ``backward()`` runs it, on the same
throwaway copy the drawings use (``viz.nodes``), under a line tracer that sees the rule's
own frame only. At each line the tracer reads the values the line is about to use; after
it, which input's gradient changed and by how much. So the substituted numbers are the
rule's, and the value after ``=`` is what the line added (for ``-=``, what it
subtracted). A rule with a branch (``relu``, ``abs``, ``**``) shows every line, those
that ran marked ``>``, and each ``if`` with its numbers and its outcome; a long rule
(``matmul``) shows its comments and the lines that ran. ``Tensor`` rules read the same,
arrays written out when they have at most 4 elements and shown by their shape otherwise.
micrograd's closures work too (their lines mention ``self``, ``other`` and ``out``).

The HTML stepper of ``save_frames`` shows the same text beside each frame.
"""

from __future__ import annotations

import ast
import html
import inspect
import sys
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from .nodes import SMALL, array_text, fmt, shape_text
from .text import visible

__all__ = ["Step", "Steps", "Write", "explain_step"]

#: Rules longer than this many lines show their comments and the lines that ran only.
LONG_RULE = 14


@dataclass
class Write:
    """One line of a rule that added to an input's gradient, with its numbers."""

    line: int  # line number in the engine's file
    edge: int  # which input edge (its position in the node's inputs)
    target: str  # the input's name (``n``)
    op: str  # "+=", "-=" or "="
    expression: str  # the right-hand side with the step's numbers
    value: Any  # what the line added to the input's gradient (the part)
    value_text: str  # ``value`` as the drawing writes it (for "-=": what was subtracted)

    def text(self) -> str:
        target = f"({self.target})" if any(c in self.target for c in " +-*/") else self.target
        return f"{target}.grad {self.op} {self.expression} = {self.value_text}"


@dataclass
class Step:
    """One step of backward(): the node whose rule runs, the rule's source, its numbers."""

    number: int
    total: int
    node: str  # the node's name (``o``)
    formula: str  # ``o = tanh(n)``
    op: str
    upstream: str  # the node's gradient when its rule runs
    sent: List[Tuple[str, str]]  # (input, part) for each edge that received one
    rule: str  # qualified name: ``Value._tanh_backward``
    path: str  # ``autograd_lite/engine.py``
    first_line: int
    source: List[Tuple[int, str, bool]] = field(default_factory=list)  # (line, text, ran); text None-free
    bindings: List[Tuple[str, str]] = field(default_factory=list)  # (the rule's name, the node's name)
    writes: List[Write] = field(default_factory=list)
    tests: List[Tuple[int, str, bool]] = field(default_factory=list)  # (line, the test with numbers, outcome)

    @property
    def summary(self) -> str:
        """One sentence: what this step does."""
        node = f"({self.node})" if any(c in self.node for c in " +-*/") else self.node
        if self.sent:
            parts = ", ".join(f"{part} to {name}" for name, part in self.sent)
            return f"the {self.op} rule gets {node}.grad = {self.upstream} and sends {parts}"
        return f"the {self.op} rule gets {node}.grad = {self.upstream} and sends nothing back"

    def lines(self) -> List[Tuple[str, str]]:
        """The block as (kind, text) lines: kinds "head", "say", "rule", "src", "ran", "num", "test"."""
        out: List[Tuple[str, str]] = [("head", f"step {self.number} of {self.total}: {self.formula}"), ("say", self.summary)]
        where = f"{self.rule}  ({self.path}, line {self.first_line})" if self.path else self.rule
        if self.bindings:
            where += "  with " + ", ".join(f"{a} = {b}" for a, b in self.bindings)
        out.append(("rule", where))
        writes: Dict[int, List[Write]] = {}
        for w in self.writes:
            writes.setdefault(w.line, []).append(w)
        tests: Dict[int, List[Tuple[str, bool]]] = {}
        for line, text, outcome in self.tests:
            tests.setdefault(line, []).append((text, outcome))
        for line, text, ran in self.source:
            out.append(("ran" if ran else "src", text))
            for t, outcome in tests.get(line, ()):
                out.append(("test", f"{t}  is {outcome}"))
            for w in writes.get(line, ()):
                out.append(("num", w.text()))
        return out

    def __str__(self) -> str:
        marks = {"head": "", "say": "  ", "rule": "  ", "src": "    | ", "ran": "  > | ", "num": "          ", "test": "          "}
        return "\n".join(marks[kind] + text for kind, text in self.lines())

    def html(self) -> str:
        """The block for a web page: a heading, the sentence, the rule's lines with the numbers."""
        parts = [f'<h2 class="head">{html.escape(self.formula)}</h2>', f'<p class="say">{html.escape(self.summary)}</p>']
        rule = next(text for kind, text in self.lines() if kind == "rule")
        parts.append(f'<p class="rule">{html.escape(rule)}</p>')
        code = []
        for kind, text in self.lines()[3:]:
            mark = {"src": "  ", "ran": "▶ ", "num": "  ", "test": "  "}[kind]
            code.append(f'<span class="{kind}">{html.escape(mark + text)}</span>')
        parts.append('<pre class="code">' + "\n".join(code) + "</pre>")
        return "\n".join(parts)


class Steps(list):
    """The steps of one backward pass; prints (and shows in a REPL) one block per step."""

    def __str__(self) -> str:
        return "\n\n".join(str(s) for s in self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(str(self))


# ---------------------------------------------------------------------- values as text


def _short(x: Any) -> str:
    """A number from the source (a constant): ``1.0`` -> ``1``, ``0.5`` -> ``0.5``."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return repr(x)
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _value_text(v: Any, names: Dict[int, str]) -> Optional[str]:
    """A runtime value as the substituted line shows it (None: keep the name as written)."""
    if id(v) in names:
        return names[id(v)]
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return fmt(float(v))
    if isinstance(v, np.ndarray):
        if v.size <= SMALL:
            return array_text(v) if v.dtype.kind in "fc" else str(v.tolist())
        return f"{shape_text(v.shape)} array"
    if isinstance(v, tuple) and all(isinstance(e, (int, np.integer)) for e in v):
        return str(tuple(int(e) for e in v))
    if isinstance(v, (tuple, list)) and len(v) <= SMALL:
        inner = [_value_text(e, names) for e in v]
        texts = [t for t in inner if t is not None]
        if len(texts) == len(inner):
            return "(" + ", ".join(texts) + ("," if len(texts) == 1 else "") + ")"
    return None


_PREC = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.MatMult: 2, ast.FloorDiv: 2, ast.Mod: 2, ast.Pow: 4}
_SYM = {ast.Add: "+", ast.Sub: "-", ast.Mult: "×", ast.Div: "/", ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}
_CMP = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not"}


class _Subst:
    """Renders an expression with each name and attribute read replaced by its value."""

    def __init__(self, frame: types.FrameType, names: Dict[int, str]) -> None:
        self.env = dict(frame.f_globals)
        self.env.update(frame.f_locals)
        self.names = names

    def value(self, node: ast.expr) -> Any:
        return eval(compile(ast.Expression(node), "<viz.steps>", "eval"), self.env)  # noqa: S307 - reads only

    def prec(self, node: ast.expr) -> int:
        if isinstance(node, ast.BinOp):
            return _PREC.get(type(node.op), 0)
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.IfExp)):
            return 0
        if isinstance(node, ast.UnaryOp):
            return 3
        return 9

    def text(self, node: ast.expr) -> str:
        try:
            return self._text(node)
        except Exception:  # an expression this renderer does not know: as written
            return ast.unparse(node)

    def _read(self, node: ast.expr) -> Optional[str]:
        """A name or attribute read: its value as text, or None to keep it as written."""
        try:
            v = self.value(node)
        except Exception:
            return None
        if isinstance(v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)) or callable(v) and not isinstance(v, np.ndarray) and id(v) not in self.names:
            return None
        return _value_text(v, self.names)

    def _text(self, node: ast.expr) -> str:
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            got = self._read(node)
            if got is not None:
                return got
            if isinstance(node, ast.Attribute):
                return f"{self.text(node.value)}.{node.attr}"
            return ast.unparse(node)
        if isinstance(node, ast.Constant):
            return _short(node.value)
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            p = _PREC.get(op, 0)
            left, right = node.left, node.right
            same = isinstance(op(), ast.Mult) and ast.dump(left) == ast.dump(right) and isinstance(left, (ast.Name, ast.Attribute))
            square = same or (op is ast.Pow and isinstance(right, ast.Constant) and right.value == 2)
            if square:
                base = self._wrap(left, 4)
                return f"{base}²"
            lt = self._wrap(left, p)
            rt = self._wrap(right, p + (1 if op in (ast.Sub, ast.Div, ast.Pow) else 0))
            return f"{lt} {_SYM.get(op, '?')} {rt}"
        if isinstance(node, ast.UnaryOp):
            sym = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not ", ast.Invert: "~"}[type(node.op)]
            return sym + self._wrap(node.operand, 3)
        if isinstance(node, ast.Compare):
            out = self._wrap(node.left, 1)
            for cmp, right in zip(node.ops, node.comparators):
                out += f" {_CMP.get(type(cmp), '?')} {self._wrap(right, 1)}"
            return out
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            return word.join(self._wrap(v, 1) for v in node.values)
        if isinstance(node, ast.IfExp):
            taken = node.body if self.value(node.test) else node.orelse  # only the branch that ran
            return self.text(taken)
        if isinstance(node, ast.Call):
            args = [self.text(a) for a in node.args] + [f"{k.arg}={self.text(k.value)}" for k in node.keywords]
            return f"{self._callee(node.func)}({', '.join(args)})"
        if isinstance(node, ast.Tuple):
            items = [self.text(e) for e in node.elts]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return ast.unparse(node)

    def _callee(self, func: ast.expr) -> str:
        """A called function as written (``np.where``), or a method on a value with the value
        substituted (``out.grad.reshape`` -> ``[[...]].reshape``)."""
        if isinstance(func, ast.Attribute):
            try:
                base = self.value(func.value)
            except Exception:
                return ast.unparse(func)
            if isinstance(base, (types.ModuleType, type)):
                return ast.unparse(func)
            return f"{self._wrap(func.value, 9)}.{func.attr}"
        return ast.unparse(func)

    def _wrap(self, node: ast.expr, parent: int) -> str:
        t = self.text(node)
        return f"({t})" if self.prec(node) < parent else t


# ---------------------------------------------------------------------- running a rule under a tracer


_SOURCES: Dict[Any, Tuple[List[Tuple[int, str]], Optional[ast.AST], int]] = {}


def _source(rule: Callable[..., Any]) -> Tuple[List[Tuple[int, str]], Optional[ast.AST], int]:
    """The rule's lines (line number, text) from its ``def`` on, its AST, and its first line
    (read once per rule's code object: a reloaded engine module has new code objects)."""
    code = getattr(rule, "__code__", None)
    if code is not None and code in _SOURCES:
        return _SOURCES[code]
    found = _read_source(rule)
    if code is not None:
        _SOURCES[code] = found
    return found


def _read_source(rule: Callable[..., Any]) -> Tuple[List[Tuple[int, str]], Optional[ast.AST], int]:
    try:
        raw, start = inspect.getsourcelines(rule)
    except (OSError, TypeError):
        return [], None, 0
    body = textwrap.dedent("".join(raw))
    tree = ast.parse(body)
    fn = tree.body[0]
    skip = 0
    if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.decorator_list:
        skip = fn.lineno - 1  # decorators (``@staticmethod``) are not the rule
    text_lines = body.splitlines()
    lines = [(start + k, text_lines[k].rstrip()) for k in range(skip, len(text_lines))]
    return lines, tree, start - 1


def _where(rule: Callable[..., Any]) -> str:
    module = getattr(rule, "__module__", None) or ""
    return module.replace(".", "/") + ".py" if module else ""


def explain_step(g: Any, i: int, upstream: Any, sent: List[Any], number: int, total: int) -> Step:
    """The step at node ``i`` of the drawn graph ``g`` (a ``viz.graph._Graph``), whose rule gets
    ``upstream`` and sent ``sent`` (one part per input edge, as ``contributions`` gives)."""
    a = g.adapter
    node = g.order[i]
    rule = a.rule(node)
    name = g.describe(i)
    ins = g.inputs[i]
    op = visible(a.op(node))
    in_names = [g.describe(j) for j in ins]
    expression = (f" {op} ".join(in_names) if len(ins) == 2 and op in ("+", "-", "*", "/", "**", "@")
                  else f"{op}({', '.join(in_names)})")
    formula = expression if expression == name else f"{name} = {expression}"
    sent_text = [(g.describe(j), a.number_text(p)) for j, p in zip(ins, sent) if p is not None]
    step = Step(number, total, name, formula, op, a.number_text(upstream), sent_text,
                getattr(rule, "__qualname__", repr(rule)), _where(rule), getattr(getattr(rule, "__code__", None), "co_firstlineno", 0))
    lines, tree, offset = _source(rule)
    code = getattr(rule, "__code__", None)
    run, targets, collect = a.prepare(node, upstream)
    if tree is None or code is None:
        try:
            run()
        finally:
            collect()
        return step
    names: Dict[int, str] = {id(t): g.describe(j) for t, j in zip(targets, ins)}
    names[id(node)] = name
    statements: Dict[int, ast.stmt] = {}
    for st in ast.walk(tree):
        if isinstance(st, ast.stmt) and not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            statements.setdefault(st.lineno + offset, st)
    ran: set = set()
    pending: List[Any] = []  # the write line that is running: (line, statement, before-grads, texts)
    bindings: Dict[str, str] = {}

    def grads_now() -> List[Any]:
        return [getattr(t, "grad", None) for t in targets]

    def finish() -> None:
        if not pending:
            return
        line, st, before, sub = pending.pop()
        after = grads_now()
        written = _written(st, sub, targets)
        for k, (b, n) in enumerate(zip(before, after)):
            if written is not None:
                if k != written:
                    continue  # the line wrote this input's gradient (a zero part included)
            elif n is b or (b is not None and n is not None and _equal(n, b)):
                continue
            if n is None:
                continue
            delta = n if b is None else n - b
            target, opr, expr = _write_parts(st, sub, names, targets[k])
            shown = -delta if opr == "-=" else delta
            step.writes.append(Write(line, k, names[id(targets[k])], opr, expr, delta, a.number_text(shown)))

    def local(frame: types.FrameType, event: str, arg: Any) -> Any:
        if code.co_argcount and not bindings:  # the rule's argument is (a copy of) this node: `out`
            names.setdefault(id(frame.f_locals.get(code.co_varnames[0])), name)
        if event in ("line", "return"):
            finish()
            for key, v in frame.f_locals.items():
                if id(v) in names and key not in bindings:
                    bindings[key] = names[id(v)]
        if event == "line":
            line = frame.f_lineno
            ran.add(line)
            st = statements.get(line)
            if st is not None:
                sub = _Subst(frame, names)
                if isinstance(st, (ast.If, ast.While)):
                    if not _about_requires_grad(st.test):
                        try:
                            outcome = bool(sub.value(st.test))
                            step.tests.append((line, f"{ast.unparse(st.test)}  →  {sub.text(st.test)}", outcome))
                        except Exception:
                            pass
                elif isinstance(st, (ast.AugAssign, ast.Assign, ast.Expr)):
                    pending.append((line, st, grads_now(), sub))
        return local

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code is code:
            return local
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(previous)
        collect()
    step.bindings = list(bindings.items())
    step.source = _shown_lines(lines, ran, tree, offset)
    return step


def _equal(x: Any, y: Any) -> bool:
    try:
        return bool(np.array_equal(x, y)) and getattr(x, "shape", None) == getattr(y, "shape", None)
    except Exception:
        return False


def _written(st: ast.stmt, sub: "_Subst", targets: List[Any]) -> Optional[int]:
    """Which input edge a statement writes (``x.grad += ...``, ``_accumulate(x, ...)``), if it says."""
    node: Optional[ast.expr] = None
    if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Attribute) and st.target.attr == "grad":
        node = st.target.value
    elif isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Attribute) and st.targets[0].attr == "grad":
        node = st.targets[0].value
    elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and st.value.args:
        node = st.value.args[0]
    if node is None:
        return None
    try:
        obj = sub.value(node)
    except Exception:
        return None
    for k, t in enumerate(targets):
        if t is obj:
            return k
    return None


def _about_requires_grad(test: ast.expr) -> bool:
    """``if a.requires_grad:`` is bookkeeping, not maths: not worth a line of numbers."""
    return any(isinstance(n, ast.Attribute) and n.attr == "requires_grad" for n in ast.walk(test))


def _write_parts(st: ast.stmt, sub: _Subst, names: Dict[int, str], target: Any) -> Tuple[str, str, str]:
    """(target, operator, right-hand side with numbers) of a statement that wrote a gradient."""
    if isinstance(st, ast.AugAssign):
        return names[id(target)], "+=" if isinstance(st.op, ast.Add) else ("-=" if isinstance(st.op, ast.Sub) else "op="), sub.text(st.value)
    if isinstance(st, ast.Assign):
        return names[id(target)], "=", sub.text(st.value)
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and len(st.value.args) >= 2:
        # the engine's `_accumulate(x, part)`: x.grad += part
        return names[id(target)], "+=", sub.text(st.value.args[1])
    return names[id(target)], "+=", sub.text(st.value) if isinstance(st, ast.Expr) else ast.unparse(st)


def _shown_lines(lines: List[Tuple[int, str]], ran: set, tree: ast.AST, offset: int) -> List[Tuple[int, str, bool]]:
    """Every line of a short rule; of a long one, its def, its comments and the lines that ran."""
    if len(lines) <= LONG_RULE:
        return [(n, text, n in ran) for n, text in lines]
    out: List[Tuple[int, str, bool]] = []
    skipped = False
    heading = True  # the comments right under the def: the rule's maths
    for k, (n, text) in enumerate(lines):
        comment = text.strip().startswith("#")
        heading = heading and (k == 0 or comment)
        keep = k == 0 or n in ran or heading
        if keep:
            out.append((n, text, n in ran))
            skipped = False
        elif not skipped:
            indent = len(text) - len(text.lstrip())
            out.append((n, " " * indent + "...", False))
            skipped = True
    return out
