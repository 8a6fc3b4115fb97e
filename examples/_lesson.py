"""What every example shares: its command line, its output folder, its log, its saves.

An example reads top to bottom like nanoGPT's ``train.py``: a config block of plain
names, then one call that lets the command line override them::

    n = 10          # config: plain names, each one overridable as --n=100
    eta = 0.002
    lesson = Lesson("lesson2_least_squares", globals(), fast=dict(steps=50), full=dict(steps=100_000))

Command line (scripts) or environment (notebooks, whose kernel has its own argv):

    --out DIR        figures and summary.json go here    (AUTOGRAD_LITE_OUT=DIR/NAME's parent)
    --fast           small sizes, for CI and a quick look (AUTOGRAD_LITE_MODE=fast)
    --full           the notes' long runs                 (AUTOGRAD_LITE_MODE=full)
    --NAME=VALUE     any config name, parsed like a Python literal (--eta=0.0065)

The default mode is what a lecturer runs: every figure, under a minute on 2 cores.
Everything an example draws is in viz's lecture look (``viz.style.use()``: the
colour-blind-safe palette, text sized for a projector), scripts and notebooks alike.

The log is one line per event, in one fixed format that tests parse::

    [lesson2_least_squares] descent    eta=0.002 steps=1000 final_loss=5.21 diverged=False

``LOG_LINE`` is its regex. ``finish()`` also writes every logged event to
``OUT/summary.json`` (atomically), so a test can read numbers instead of scraping text.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

# Every file goes through nn's atomic writer: a temporary file in the same folder, then
# one rename, so a crash never leaves half a figure under the real name.
from nn.files import write_atomic as _write_atomic

__all__ = ["Lesson", "LOG_LINE", "in_notebook"]

#: ``[name] event key=value key=value``: values have no spaces.
LOG_LINE = re.compile(r"^\[(?P<name>\w+)\] (?P<event>\w+)(?P<fields>(?: +\w+=\S+)*)\s*$")

MODES = ("default", "fast", "full")
_PLAIN = (bool, int, float, str, tuple, list)  # what counts as a config name
_IPYTHON = {"In", "Out"}  # a notebook's own globals, not config


def in_notebook() -> bool:
    """True inside a Jupyter kernel (figures then display inline, and argv is the kernel's)."""
    return "ipykernel" in sys.modules


def _format(value: Any) -> str:
    if hasattr(value, "tolist"):  # numpy scalars and arrays: plain numbers, no padding
        value = value.tolist()
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_format(v) for v in value)
    return str(value).replace(" ", "_")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    return value


class Lesson:
    """Parse the command line into the example's config names; then log and save for it.

    ``config`` is the script's ``globals()``: every plain name already defined there
    (numbers, strings, booleans, tuples, lists; not modules or functions) is a config
    name. ``fast`` and ``full`` are the overrides of those modes; ``--NAME=VALUE`` on
    the command line wins over both.
    """

    def __init__(
        self,
        name: str,
        config: Dict[str, Any],
        *,
        fast: Optional[Dict[str, Any]] = None,
        full: Optional[Dict[str, Any]] = None,
        argv: Optional[List[str]] = None,
    ) -> None:
        self.name = name
        self.started = time.perf_counter()
        self.records: List[Dict[str, Any]] = []
        self.files: List[Path] = []
        names = {
            k: v for k, v in config.items() if not k.startswith("_") and k not in _IPYTHON and isinstance(v, _PLAIN)
        }
        modes = {"fast": dict(fast or {}), "full": dict(full or {})}
        for mode, overrides in modes.items():
            unknown = sorted(set(overrides) - set(names))
            if unknown:
                raise NameError(f"Lesson({name!r}): {mode}= overrides {unknown}, which are not config names")

        if argv is None:
            argv = [] if in_notebook() else sys.argv[1:]
        self.mode = os.environ.get("AUTOGRAD_LITE_MODE", "default")
        out_root = os.environ.get("AUTOGRAD_LITE_OUT")
        out: Optional[str] = None
        sets: Dict[str, Any] = {}
        args = list(argv)
        while args:
            arg = args.pop(0)
            if arg in ("-h", "--help"):
                print(self._usage(names))
                for mode, overrides in modes.items():
                    print(f"--{mode}: " + (", ".join(f"{k}={v!r}" for k, v in overrides.items()) or "the defaults"))
                raise SystemExit(0)
            if arg in ("--fast", "--full"):
                self.mode = arg[2:]
            elif arg == "--out" or arg.startswith("--out="):
                if "=" in arg:
                    out = arg.split("=", 1)[1]
                elif args:
                    out = args.pop(0)
                else:
                    raise SystemExit(f"{name}: --out needs a folder (--out out/{name})")
            elif arg.startswith("--") and "=" in arg:
                key, text = arg[2:].split("=", 1)
                if key not in names:
                    raise SystemExit(f"{name}: unknown config name {key!r}; the config names are {sorted(names)}")
                sets[key] = self._parse(key, text, names[key])
            else:
                raise SystemExit(f"{name}: cannot read argument {arg!r}\n{self._usage(names)}")
        if self.mode not in MODES:
            raise SystemExit(f"{name}: AUTOGRAD_LITE_MODE={self.mode!r} is not one of {MODES}")

        # Mode overrides, then the command line's, written back into the script's names.
        chosen = {**modes.get(self.mode, {}), **sets}
        config.update(chosen)
        self.config = {k: config[k] for k in names}
        if out is None:
            out = str(Path(out_root) / name) if out_root else str(Path("out") / name)
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)

        if not in_notebook():
            # A script writes files and never opens a window: the same on a laptop, a
            # headless server and CI.
            import matplotlib

            matplotlib.use("Agg")
        from viz import style

        style.use()  # the lecture look for everything the example draws itself, too
        self.log("config", mode=self.mode, out=str(self.out), **{k: v for k, v in chosen.items()})

    # -------------------------------------------------------------- command line

    def _parse(self, key: str, text: str, default: Any) -> Any:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text  # a bare word is a string: --activation=relu
        if isinstance(default, bool) and not isinstance(value, bool):
            raise SystemExit(f"{self.name}: --{key} must be True or False, got {text!r}")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, type(default)):
            raise SystemExit(
                f"{self.name}: --{key}={text} is a {type(value).__name__}, but {key} is a "
                f"{type(default).__name__} (default {default!r})"
            )
        return value

    def _usage(self, names: Dict[str, Any]) -> str:
        lines = [f"usage: python examples/{self.name}.py [--fast | --full] [--out DIR] [--NAME=VALUE ...]", "config:"]
        lines += [f"  --{k}={v!r}" for k, v in names.items()]
        return "\n".join(lines)

    # ---------------------------------------------------------------- log, save

    def log(self, event: str, **values: Any) -> Dict[str, Any]:
        """Print one fixed-format line (``LOG_LINE``) and keep the event for summary.json."""
        if not re.fullmatch(r"\w+", event):
            raise ValueError(f"Lesson.log: event {event!r} must be one word (letters, digits, _)")
        fields = "".join(f" {k}={_format(v)}" for k, v in values.items())
        print(f"[{self.name}] {event:<10}{fields}", flush=True)
        record = {"event": event, **{k: _jsonable(v) for k, v in values.items()}}
        self.records.append(record)
        return record

    def path(self, filename: str) -> Path:
        """``OUT/filename``, with its folder made."""
        p = self.out / filename
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def save(self, obj: Any, filename: str, *, show: bool = True, **kwargs: Any) -> Optional[Path]:
        """Save a figure, a drawn graph or an animation to ``OUT/filename``, atomically.

        In a notebook it is also displayed inline, once (``show=False``: saved only, for a
        figure whose pictures the notebook already showed). A graph with no Graphviz
        renderer on the machine is written as ``.dot`` text with the install hint, so
        the example still finishes.
        """
        target = self.path(filename)
        from matplotlib.animation import Animation
        from matplotlib.figure import Figure

        if isinstance(obj, Figure):
            import io

            buf = io.BytesIO()
            fmt = target.suffix.lstrip(".") or "png"
            obj.savefig(buf, format=fmt, bbox_inches="tight", **{"dpi": 110, **kwargs})
            _write_atomic(target, buf.getvalue())
            if show:
                self._show(obj)
            import matplotlib.pyplot as plt

            plt.close(obj)
        elif isinstance(obj, Animation):
            from viz import save_gif

            save_gif(obj, str(target), **kwargs)
            if show:
                self._show_animation(obj)
            import matplotlib.pyplot as plt

            plt.close(obj._fig)  # type: ignore[attr-defined]  # the animation keeps its figure (no public name)
        elif hasattr(obj, "pipe") and hasattr(obj, "source"):  # viz's DotGraph
            from viz.render import INSTALL_HINT, RendererNotFound

            fmt = target.suffix.lstrip(".") or "svg"
            try:
                _write_atomic(target, obj.pipe(fmt))
            except RendererNotFound:
                target = target.with_suffix(".dot")
                _write_atomic(target, obj.source.encode())
                # stderr: the log on stdout keeps its one format.
                print(f"{self.name}: {INSTALL_HINT}; wrote the DOT source to {target}", file=sys.stderr)
            if show:
                self._show(obj)
        else:
            raise TypeError(
                f"Lesson.save: cannot save a {type(obj).__name__} to {filename!r}; pass a matplotlib "
                f"Figure, a FuncAnimation or a viz graph (DotGraph)"
            )
        self.files.append(target)
        return target

    def show(self, obj: Any) -> None:
        """Display ``obj`` inline in a notebook (a graph, a figure); nothing in a script."""
        self._show(obj)

    def show_page(self, path: Path, height: int = 400) -> None:
        """Show a written HTML page (the backward stepper) inline in a notebook; nothing in a script.

        The page itself goes into the notebook (an iframe's ``srcdoc``), not a link to the
        file: the notebook shows it wherever it is opened, whatever folder the output is in.
        """
        if in_notebook():
            import html

            from IPython.display import display

            page = Path(path).read_text(encoding="utf-8")
            frame = (f'<iframe srcdoc="{html.escape(page, quote=True)}" width="100%" height="{int(height)}" '
                     f'style="border: 1px solid #ccc" title="{html.escape(Path(path).name)}"></iframe>')
            # raw: the HTML as it is (IPython.display.HTML warns about any iframe, even this self-contained one)
            display({"text/html": frame}, raw=True)

    def _show(self, obj: Any) -> None:
        if in_notebook():
            from IPython.display import display

            display(obj)

    def _show_animation(self, anim: Any) -> None:
        if in_notebook():
            from IPython.display import HTML, display

            display(HTML(anim.to_jshtml()))

    def finish(self) -> Dict[str, Any]:
        """Log the run's time and files, write ``summary.json``, and return the summary."""
        seconds = time.perf_counter() - self.started
        self.log("done", mode=self.mode, seconds=round(seconds, 2), files=len(self.files), out=str(self.out))
        summary = {
            "example": self.name,
            "mode": self.mode,
            "seconds": seconds,
            "config": {k: _jsonable(v) for k, v in self.config.items()},
            "files": [str(p.relative_to(self.out)) for p in self.files],
            "records": self.records,
        }
        _write_atomic(self.out / "summary.json", (json.dumps(summary, indent=1) + "\n").encode())
        return summary
