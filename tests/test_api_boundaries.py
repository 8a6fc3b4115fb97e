"""The public API is what the site documents: honest boundaries between the packages.

What counts as public:

* a name listed in its module's ``__all__`` (the site's API reference is built from the
  packages' ``__all__``), documented, type-hinted;
* the node protocol, public by design as in micrograd although spelled with underscores:
  a node's ``data``, ``grad``, ``label``, ``requires_grad``, ``_prev`` (its inputs, in
  argument order), ``_op`` (the op's name), ``_rule`` (the derivative rule, called as
  ``rule(node)``; ``ClosureRule`` for one made by hand), micrograd's ``_backward``, and a
  Tensor's ``_ctx`` (the op's settings, such as an axis). These are attributes of nodes,
  read by ``viz`` and ``nn`` as DESIGN.md describes; the checks below are about modules.

Everything else spelled with a leading underscore belongs to its own package. The checks,
by parsing every module (``ast``), so a shortcut cannot come back quietly:

1. no module of ``autograd_lite``, ``nn``, ``viz`` (nor an example, script or benchmark,
   which show users how the library is used) imports a private name or a private module
   from another package, or reads one as an attribute of another package's module;
2. every name a package (or an example) takes from another is public in that sense;
3. the import graph of the three packages has no cycle, imports inside functions counted
   (a local import that only hides a cycle still ties the two modules together).

The tests themselves are exempt from 1 and 2: a white-box test may reach an internal to
check it (``_accumulate`` directly, ``_ACTIVE`` being empty again).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_lite", "nn", "viz")
# Code that shows users how the library is used: it must use the public API too.
USERS = ("examples", "scripts", "benchmarks")
# The exceptions, each with its reason: (file, module, name) -> why.
ALLOWED = {
    ("benchmarks/viz_graph.py", "nn.scalar.Neuron._forward"):
        "measures the cost of the record check on the hot path by swapping Neuron's inner "
        "forward for a copy without the check (a white-box measurement, put back after)",
}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _files(folders: Tuple[str, ...]) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).glob("*.py"))


def _owner(path: Path) -> str:
    """The package a file belongs to (its top folder)."""
    return path.relative_to(ROOT).parts[0]


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (``from .x import y`` in nn/a.py -> nn.x)."""
    if not node.level:
        return node.module or ""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _crossings(path: Path, source: Optional[str] = None) -> Iterator[Tuple[int, str]]:
    """(line, dotted name) for everything this file takes from another of the packages:
    ``from pkg.mod import name`` gives ``pkg.mod.name``, ``import pkg.mod`` gives ``pkg.mod``,
    and ``pkg.mod.Class._attr``, read as an attribute of a module imported so, gives itself."""
    owner = _owner(path)
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    aliases: Dict[str, str] = {}  # a local name bound to another package's module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top in PACKAGES and top != owner:
                    yield node.lineno, a.name
                    aliases[a.asname or top] = a.name if a.asname else top
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            top = module.split(".")[0]
            if top in PACKAGES and top != owner:
                for a in node.names:
                    yield node.lineno, f"{module}.{a.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and not isinstance(getattr(node, "parent", None), ast.Attribute):
            chain: List[str] = [node.attr]
            value = node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                yield node.lineno, ".".join([aliases[value.id]] + list(reversed(chain)))


def _split(dotted: str) -> Tuple[str, str]:
    """``nn.train.fit.__doc__`` -> (``nn.train``, ``fit``): the longest importable module, and
    the first name read from it ("" when the whole is a module)."""
    parts = dotted.split(".")
    k = 1
    while (k < len(parts) and hasattr(importlib.import_module(".".join(parts[:k])), "__path__")
           and importlib.util.find_spec(".".join(parts[: k + 1])) is not None):
        k += 1  # a package, and the next part is one of its modules
    return ".".join(parts[:k]), (parts[k] if k < len(parts) else "")


def test_the_scan_finds_what_it_must() -> None:
    """The scanner itself: each way of reaching another package's name is seen (a scan that
    finds nothing would pass everything), and a package's own relative imports are not."""
    source = (
        "from nn.train import _forward\n"
        "from autograd_lite._hidden import x\n"
        "import nn.files as f\n"
        "import autograd_lite.engine\n"
        "from ._figures import predict\n"
        "def g():\n"
        "    from nn.record import _ACTIVE\n"
        "    return f._UMASK, autograd_lite.engine._node\n"
    )
    found = {dotted for _, dotted in _crossings(ROOT / "viz" / "probe.py", source)}
    assert not any(d.startswith("viz") for d in found), found
    assert {"nn.train._forward", "autograd_lite._hidden.x", "nn.record._ACTIVE", "nn.files._UMASK",
            "autograd_lite.engine._node"} <= found, found
    assert _split("nn.train.fit.__doc__") == ("nn.train", "fit") and _split("nn.files") == ("nn.files", "")


def test_no_module_takes_a_private_name_from_another_package() -> None:
    bad = []
    for path in _files(PACKAGES + USERS):
        for line, dotted in _crossings(path):
            if (path.relative_to(ROOT).as_posix(), dotted) in ALLOWED:
                continue
            if any(_private(p) for p in dotted.split(".")):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {dotted}")
    assert not bad, "private names taken across packages (give them a public home):\n" + "\n".join(bad)


def _documented() -> Set[int]:
    """ids of everything the site documents: each package's ``__all__``, and the ``__all__``
    of each module a package lists in its own (``nn.train``, ``nn.files``, ...)."""
    ids: Set[int] = set()
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        for name in pkg.__all__:
            obj = getattr(pkg, name)
            ids.add(id(obj))
            if inspect.ismodule(obj):
                ids |= {id(getattr(obj, n)) for n in getattr(obj, "__all__", ())}
    return ids


def test_every_name_taken_across_packages_is_documented() -> None:
    """What another package (or an example) uses is in its module's ``__all__``; a function
    or class is on the site too: exported by its package, or in a module the package exports
    (a constant such as ``viz.render.INSTALL_HINT`` needs only its module's ``__all__``)."""
    documented = _documented()
    bad = []
    for path in _files(PACKAGES + USERS):
        for line, dotted in _crossings(path):
            if (path.relative_to(ROOT).as_posix(), dotted) in ALLOWED:
                continue
            module, name = _split(dotted)
            if not name or name == "*":
                continue  # a module itself, or `import *` (which takes __all__ only)
            mod = importlib.import_module(module)
            obj = getattr(mod, name)
            if name not in getattr(mod, "__all__", ()):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module}.{name} is not in {module}.__all__")
            elif (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in documented:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module}.{name} is not documented (export "
                           f"it from its package, or list {module} in its package's __all__)")
    assert not bad, "names used across packages but not public:\n" + "\n".join(bad)


def test_public_names_are_documented_and_typed() -> None:
    """Every function and class in a module's ``__all__`` has a docstring; every public
    function has its parameters and return type annotated."""
    missing = []
    for path in _files(PACKAGES):
        name = _module_name(path)
        mod = importlib.import_module(name)
        for public in getattr(mod, "__all__", ()):
            obj = getattr(mod, public)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != name:
                continue  # re-exported: checked where it is defined
            if not (obj.__doc__ or "").strip():
                missing.append(f"{name}.{public}: no docstring")
            if inspect.isfunction(obj):
                sig = inspect.signature(obj)
                untyped = [p for p in sig.parameters.values()
                           if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
                if untyped or sig.return_annotation is inspect.Signature.empty:
                    missing.append(f"{name}.{public}: untyped {[p.name for p in untyped] or 'return'}")
    assert not missing, "\n".join(missing)


def test_docstring_examples_of_the_public_homes_run() -> None:
    """The examples in the docstrings of the names given a public home here (and their
    modules' other examples) run as written; the site shows them."""
    import doctest

    for name in ("nn.train", "nn.metrics", "nn.record"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.attempted > 0 and result.failed == 0, name


def _import_graph() -> Dict[str, Dict[str, int]]:
    """module -> {module it imports: line}, over the three packages; imports inside functions
    count as well as those at the top (``from .x import y`` names the submodule x when it is
    one, else the package: ``from . import style`` is viz.style, ``from viz import f`` is viz)."""
    modules = {_module_name(p): p for p in _files(PACKAGES)}
    edges: Dict[str, Dict[str, int]] = {m: {} for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(path, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    edges[name].setdefault(t, node.lineno)
    return edges


def _cycles(edges: Dict[str, Dict[str, int]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm,
    iterative), each in a deterministic order."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack = set()
    found: List[List[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(edges[start])))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    edges = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}, "e": {"f": 1}, "f": {"e": 2}}
    assert _cycles(edges) == [["a", "b", "c"], ["e", "f"]]
    assert _cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_imports_go_in_a_circle() -> None:
    edges = _import_graph()
    assert edges["viz.graph"] and edges["nn.module"], "the graph is empty: the scan is broken"
    cycles = _cycles(edges)
    lines = [f"  {a} -> {b} (line {edges[a][b]})" for c in cycles for a in c for b in edges[a] if b in c]
    assert not cycles, "imports in a circle (move the shared piece where both can import it):\n" + "\n".join(lines)
    # The arrows of DESIGN.md: viz -> nn -> autograd_lite, viz -> autograd_lite, never back.
    rank = {"autograd_lite": 0, "nn": 1, "viz": 2}
    back = [f"{a} -> {b}" for a in edges for b in edges[a] if rank[b.split(".")[0]] > rank[a.split(".")[0]]]
    assert not back, back
