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

Graphviz reports trouble on stderr and often carries on with a broken picture (a
label it cannot parse is replaced by the node's internal name). Here every error a
renderer writes becomes a ``RenderError`` naming the node (``n3 (x1)``), and every
warning a ``RenderWarning``: a picture is whole or not made. The SVG that comes out has
its ``<title>`` elements removed, so hovering shows no internal ids (``n2op``).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from nn.files import write_atomic

__all__ = [
    "DotGraph",
    "RendererNotFound",
    "RenderError",
    "RenderWarning",
    "available_renderers",
    "render_dot",
    "render_all",
    "FORMATS",
    "INSTALL_HINT",
]

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


class RenderError(RuntimeError):
    """Graphviz reported an error (on stderr): the picture would be broken."""


class RenderWarning(UserWarning):
    """Graphviz reported a warning (on stderr) while drawing."""


def _has_pygraphviz() -> bool:
    try:
        import pygraphviz  # noqa: F401
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


def render_dot(
    source: str,
    format: str = "svg",
    renderer: Optional[str] = None,
    *,
    where: str = "render_dot",
    names: Optional[Dict[str, str]] = None,
    dpi: Optional[float] = None,
) -> bytes:
    """Lay out and render DOT ``source`` to ``format`` bytes.

    ``renderer=None`` picks the first available (system ``dot``, then pygraphviz);
    ``"dot"`` or ``"pygraphviz"`` insists on one. An error Graphviz reports raises
    ``RenderError`` (``names`` maps DOT ids to what the message calls them); a warning
    is a ``RenderWarning``. ``dpi`` scales PNG output (72: one pixel per point).
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
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError as e:  # viz escapes every label; a hand-written DOT may not
        raise ValueError(f"{where}: the DOT source cannot be encoded as UTF-8 ({e.reason} at {e.start}); "
                         f"build labels with viz.text.html_text") from None
    if renderer == "dot":
        args = [shutil.which("dot") or "dot", f"-T{format}"] + ([f"-Gdpi={dpi:.2f}"] if dpi else [])
        run = subprocess.run(args, input=data, capture_output=True)
        out, err, failed = run.stdout, run.stderr.decode("utf-8", "replace"), run.returncode != 0
    else:
        import pygraphviz

        # In-process layout with the Graphviz libraries bundled in the wheel: no subprocess.
        # Graphviz writes its complaints straight to the process's stderr: catch them there.
        with _stderr_captured() as captured:
            try:
                out = pygraphviz.AGraph(string=source).draw(format=format, prog="dot", args=f"-Gdpi={dpi:.2f}" if dpi else "")
                failed = False
            except Exception as e:  # a DotError or ValueError from pygraphviz: reported below
                out, failed = b"", True
                captured.append(f"Error: {e}")
        err = "".join(captured)
    _check_stderr(err, failed, where, names or {})
    if format == "svg":
        out = _TITLE.sub(b"", out)  # no internal ids ("n2op") on hover
    return out


def render_all(graphs: List["DotGraph"], format: str = "svg", renderer: Optional[str] = None, *,
               where: str = "render_all", dpi: Optional[float] = None) -> List[bytes]:
    """Render several drawings (backward frames) at once, and keep each one's bytes in its cache.

    The system ``dot`` lays out every graph of its input in one run: one process for all
    the frames instead of one each (starting ``dot`` costs about as much as drawing a
    small graph). pygraphviz renders them one by one, in-process.
    """
    found = available_renderers()
    chosen = renderer if renderer is not None else (found[0] if found else None)
    todo = [g for g in graphs if (format, renderer, dpi) not in g._cache]
    if chosen == "dot" and len(todo) > 1 and format in ("svg", "png"):
        data = "\n".join(g.source for g in todo).encode("utf-8")
        args = [shutil.which("dot") or "dot", f"-T{format}"] + ([f"-Gdpi={dpi:.2f}"] if dpi else [])
        run = subprocess.run(args, input=data, capture_output=True)
        _check_stderr(run.stderr.decode("utf-8", "replace"), run.returncode != 0, where, todo[0].info.get("names") or {})
        if format == "svg":
            parts = [p + b"</svg>\n" for p in run.stdout.split(b"</svg>\n") if p.strip()]
            # as if drawn alone: Graphviz numbers the graphs of one run in their ids
            parts = [_PAGE.sub(b'id="graph0"', _TITLE.sub(b"", p), count=1) for p in parts]
        else:
            sig = b"\x89PNG\r\n\x1a\n"
            parts = [sig + p for p in run.stdout.split(sig) if p]
        if len(parts) != len(todo):
            raise RenderError(f"{where}: Graphviz drew {len(parts)} pictures for {len(todo)} graphs")
        for g, out in zip(todo, parts):
            g._cache[(format, renderer, dpi)] = out
    return [g.pipe(format, renderer=renderer, dpi=dpi) for g in graphs]


_TITLE = re.compile(rb"<title>[^<]*</title>\n?")
_PAGE = re.compile(rb'id="page[^"]*_graph0"')
_LOCK = threading.Lock()


@contextmanager
def _stderr_captured() -> Iterator[List[str]]:
    """Whatever the process writes to file descriptor 2 inside the block (C libraries included)."""
    captured: List[str] = []
    with _LOCK, tempfile.TemporaryFile() as tmp:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (a windowed app): nothing to capture
            yield captured
            return
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.insert(0, tmp.read().decode("utf-8", "replace"))


def _check_stderr(err: str, failed: bool, where: str, names: Dict[str, str]) -> None:
    """Graphviz's stderr as a ``RenderError`` (errors) or ``RenderWarning`` (warnings), naming nodes."""
    messages: List[List[str]] = []
    for line in err.splitlines():
        if re.match(r"(Error|Warning)\b", line):
            messages.append([line.strip()])
        elif messages and line.strip() and not line.startswith("Fontconfig"):
            messages[-1].append(line.strip())
    errors = []
    for m in messages:
        text = " ".join(m)
        named = re.search(r"in label of (node|edge|graph) (\S+)", text)
        if named:
            dot_id = named.group(2)
            who = f"{named.group(1)} {dot_id}" + (f" ({names[dot_id]})" if dot_id in names else "")
            text = f"{text} [{who}]"
        if text.startswith("Error"):
            errors.append(text)
        else:
            warnings.warn(f"{where}: Graphviz: {text}", RenderWarning, stacklevel=3)
    if errors or failed:
        detail = "; ".join(errors) if errors else (err.strip() or "it exited with an error")
        raise RenderError(f"{where}: Graphviz could not draw this graph: {detail}")


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
        self._cache: Dict[Tuple[str, Optional[str], Optional[float]], bytes] = {}

    def __repr__(self) -> str:
        return f"DotGraph({self.source.count(chr(10)) + 1} lines of DOT; .save('graph.svg') to render)"

    def pipe(self, format: str = "svg", *, renderer: Optional[str] = None, dpi: Optional[float] = None) -> bytes:
        """The rendered bytes (``svg``, ``png`` or ``pdf``); ``dpi`` scales a PNG."""
        key = (format, renderer, dpi)
        if key not in self._cache:  # Jupyter asks more than once for the same picture
            self._cache[key] = render_dot(
                self.source, format, renderer, where="DotGraph.pipe", names=self.info.get("names"), dpi=dpi
            )
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
            data = render_dot(self.source, format, renderer, where="DotGraph.save", names=self.info.get("names"))
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

    def legibility(self, screen: Tuple[int, int] = (1920, 1080), *, renderer: Optional[str] = None) -> Any:
        """How the drawing reads fitted to ``screen``: text sizes in pixels and contrast
        (``viz.legibility.measure_svg``; ``.summary()`` says it in one line)."""
        from .legibility import measure_svg

        return measure_svg(self.svg(renderer=renderer), screen)

    def to_graphviz(self) -> Any:
        """This drawing as a ``graphviz.Source`` (its ``view()``, ``render(engine=...)``, ...)."""
        import graphviz

        return graphviz.Source(self.source)

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
