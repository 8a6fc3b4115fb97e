"""``DotGraph``: DOT source that shows itself in Jupyter and saves to svg/png/pdf.

Two renderers, tried in this order:

1. ``dot``, the system Graphviz program, when it is on PATH (through the ``graphviz``
   Python package, a core dependency);
2. pygraphviz (``pip install "autograd-lite[render]"``), which lays the same DOT out
   in-process; its wheels bundle Graphviz for Linux x86_64/aarch64, macOS arm64 and
   Windows x64, so a classroom laptop needs no system package.

With neither, Jupyter shows the install hint and the DOT source (no traceback), and
``save`` raises ``RendererNotFound`` naming both fixes. SVG is the default format: it
needs no fonts on the machine to come out right, PNG does.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from nn.files import write_atomic

__all__ = ["DotGraph", "RendererNotFound", "available_renderers", "render_dot", "FORMATS", "INSTALL_HINT"]

FORMATS = ("svg", "png", "pdf")
RENDERERS = ("dot", "pygraphviz")

INSTALL_HINT = (
    "no Graphviz renderer found. Fix either way: install Graphviz so that `dot` is on "
    "PATH (apt-get install graphviz / brew install graphviz / conda install graphviz / "
    "winget install graphviz), or `pip install \"autograd-lite[render]\"` (pygraphviz, "
    "whose wheels bundle Graphviz). The DOT source is in .source; to_text() needs neither."
)


class RendererNotFound(RuntimeError):
    """Neither the system ``dot`` nor pygraphviz is available."""


def _has_pygraphviz() -> bool:
    try:
        import pygraphviz  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


def available_renderers() -> List[str]:
    """The renderers usable right now, in the order ``render_dot`` tries them."""
    found = []
    if shutil.which("dot") is not None:  # looked up per call: PATH may change (tests do)
        found.append("dot")
    if _has_pygraphviz():
        found.append("pygraphviz")
    return found


def render_dot(source: str, format: str = "svg", renderer: Optional[str] = None, *, where: str = "render_dot") -> bytes:
    """Lay out and render DOT ``source`` to ``format`` bytes.

    ``renderer=None`` picks the first available (system ``dot``, then pygraphviz);
    ``"dot"`` or ``"pygraphviz"`` insists on one.
    """
    if format not in FORMATS:
        raise ValueError(f"{where}: format {format!r} is not one of {', '.join(FORMATS)}; svg needs no fonts")
    if renderer is not None and renderer not in RENDERERS:
        raise ValueError(f"{where}: renderer {renderer!r} is not one of {RENDERERS} (or None for the first found)")
    found = available_renderers()
    if renderer is None:
        if not found:
            raise RendererNotFound(f"{where}: cannot render {format}: {INSTALL_HINT}")
        renderer = found[0]
    elif renderer not in found:
        fix = "install Graphviz so that `dot` is on PATH" if renderer == "dot" else (
            'pip install "autograd-lite[render]"')
        raise RendererNotFound(f"{where}: renderer {renderer!r} is not available here; {fix}, or pass renderer=None")
    if renderer == "dot":
        import graphviz  # type: ignore[import-untyped]

        return graphviz.Source(source).pipe(format=format)
    import pygraphviz

    # In-process layout with the Graphviz libraries bundled in the wheel: no subprocess.
    return pygraphviz.AGraph(string=source).draw(format=format, prog="dot")


PathLike = Union[str, "os.PathLike[str]"]


class DotGraph:
    """A drawn graph: its DOT ``source``, inline display in Jupyter, ``save`` to a file.

    >>> g = DotGraph('digraph { a -> b }')
    >>> g.source
    'digraph { a -> b }'
    >>> path = g.save("out/ab.svg")        # doctest: +SKIP

    ``save`` takes the format from the file's suffix (``.svg``, ``.png``, ``.pdf``); a
    path without a suffix gets ``.svg``.
    """

    def __init__(self, source: str, *, info: Optional[Dict[str, Any]] = None) -> None:
        self.source = source
        #: What the drawing computed (node count, gradients shown, step), for programs and tests.
        self.info: Dict[str, Any] = dict(info or {})
        self._cache: Dict[Tuple[str, Optional[str]], bytes] = {}

    def __repr__(self) -> str:
        return f"DotGraph({self.source.count(chr(10)) + 1} lines of DOT; .save('graph.svg') to render)"

    def pipe(self, format: str = "svg", *, renderer: Optional[str] = None) -> bytes:
        """The rendered bytes (``svg``, ``png`` or ``pdf``)."""
        key = (format, renderer)
        if key not in self._cache:  # Jupyter asks more than once for the same picture
            self._cache[key] = render_dot(self.source, format, renderer, where="DotGraph.pipe")
        return self._cache[key]

    def save(self, path: PathLike, format: Optional[str] = None, *, renderer: Optional[str] = None) -> Path:
        """Render to ``path`` and return it; the format comes from the suffix unless given."""
        target = Path(path)
        suffix = target.suffix.lower().lstrip(".")
        if format is None:
            if not suffix:
                target, suffix = target.with_suffix(".svg"), "svg"
            format = suffix
        if format not in FORMATS:
            raise ValueError(
                f"DotGraph.save: cannot tell a format from {str(path)!r}; use a .svg, .png or "
                f".pdf suffix, or pass format=..."
            )
        try:
            data = render_dot(self.source, format, renderer, where="DotGraph.save")
        except RendererNotFound as e:
            raise RendererNotFound(f"{e} (while saving {str(target)!r})") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)  # a crash mid-save never leaves half a picture
        return target

    # graphviz.Digraph's name for the same thing, so habits carry over.
    def render(self, filename: PathLike = "graph", format: str = "svg", *, renderer: Optional[str] = None) -> Path:
        """Like ``save``, with graphviz.Digraph's argument names (``format`` defaults to svg)."""
        target = Path(filename)
        if target.suffix.lower().lstrip(".") != format:
            target = Path(f"{target}.{format}")
        return self.save(target, format, renderer=renderer)

    def svg(self, *, renderer: Optional[str] = None) -> str:
        """The SVG document as text."""
        return self.pipe("svg", renderer=renderer).decode("utf-8")

    # ---------------------------------------------------------------- Jupyter

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, str]:
        try:
            return {"image/svg+xml": self.svg()}
        except RendererNotFound:
            # A notebook cell should teach, not crash: the fix, and the graph as DOT text.
            return {
                "text/plain": f"{INSTALL_HINT}\n\n{self.source}",
                "text/html": f"<p>{html.escape(INSTALL_HINT)}</p><pre>{html.escape(self.source)}</pre>",
            }

    def _repr_svg_(self) -> Optional[str]:
        try:
            return self.svg()
        except RendererNotFound:
            return None  # IPython then falls back to the other representations
