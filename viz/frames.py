"""Save ``backward_frames`` for a lecture: numbered SVGs, an HTML stepper, a GIF.

The HTML page is one self-contained file (the SVGs are inlined, a few lines of script
switch between them, nothing is fetched from the network), so it works from a USB stick
in a classroom without internet. It is made for a lecture hall:

* a presenter's clicker works: PageDown/PageUp, Space/Shift+Space, the arrow keys,
  Enter/Backspace, Home/End for the first and last step; buttons for a mouse;
* F toggles full screen; E hides or shows the explanation;
* the graph is scaled to fill the window whatever its size, with the explanation beside
  it or under it, wherever the graph then comes out larger;
* the explanation is page text in a large font: what the step does, and the engine's own
  rule for it with the step's numbers (``viz.steps``), not only the caption in the picture;
* a progress bar and "step k of n"; hovering shows no internal ids.

The GIF is made from PNG renders with Pillow (installed with matplotlib), at a size made
for a 1920x1080 screen, and holds its last frame (``pause_ms``). PNG text needs fonts on
the machine, SVG does not.
"""

from __future__ import annotations

import html as _html  # `html` is an argument of save_frames
import io
import math
import re
from numbers import Real
from pathlib import Path
from typing import Any, List, Optional, Sequence

from nn.files import atomic_open, write_atomic

from .render import RENDERERS, DotGraph, PathLike, render_all

__all__ = ["save_frames", "stepper_page"]

#: The GIF is drawn to fit this many pixels (a 1920x1080 screen, less the slide's margins).
GIF_SIZE = (1600, 900)


def _check(frames: Any, directory: Any, gif: Any, html: Any, svg: Any, duration_ms: Any, pause_ms: Any,
           renderer: Any, title: Any) -> List[DotGraph]:
    """Every argument of save_frames, checked before anything is rendered or written."""
    try:
        frames = list(frames)
    except TypeError:
        raise TypeError(
            f"save_frames: frames must be the list backward_frames(root) returns, got {type(frames).__name__}"
        ) from None
    if not frames:
        raise ValueError("save_frames: got no frames; make them with backward_frames(root)")
    for k, f in enumerate(frames):
        if not isinstance(f, DotGraph):
            raise TypeError(
                f"save_frames: frame {k} is a {type(f).__name__}, not a DotGraph; pass the list "
                f"backward_frames(root) returns"
            )
    if not isinstance(directory, (str, Path)) and not hasattr(directory, "__fspath__"):
        raise TypeError(f"save_frames: directory must be a path, got {type(directory).__name__} {directory!r:.40}")
    for name, value in (("gif", gif), ("html", html), ("svg", svg)):
        if not isinstance(value, bool):
            raise TypeError(f"save_frames: {name}={value!r}; use True or False")
    if not (svg or html or gif):
        raise ValueError("save_frames: svg, html and gif are all False, so there is nothing to write")
    for name, value in (("duration_ms", duration_ms), ("pause_ms", pause_ms)):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or not 20 <= float(value) <= 600_000:
            raise ValueError(
                f"save_frames: {name}={value!r}; give a time per frame in milliseconds, from 20 "
                f"(what GIF players show) to 600000, e.g. {name}={1200 if name == 'duration_ms' else 3000}"
            )
    if renderer is not None and renderer not in RENDERERS:
        raise ValueError(f"save_frames: renderer={renderer!r} is not one of {RENDERERS} (or None for the first found)")
    if not isinstance(title, str):
        raise TypeError(f"save_frames: title={title!r} must be a str (the page's heading)")
    return frames


def save_frames(
    frames: Sequence[DotGraph],
    directory: PathLike,
    *,
    gif: bool = False,
    html: bool = True,
    svg: bool = True,
    duration_ms: int = 1200,
    pause_ms: int = 4000,
    renderer: Optional[str] = None,
    title: str = "backward, step by step",
) -> List[Path]:
    """Write ``frames`` into ``directory`` and return the paths written.

    ``svg``: ``frame_001.svg``, ``frame_002.svg``, ... (one slide each); ``html``:
    ``backward.html``, the stepper (see the module docstring); ``gif``: ``backward.gif``,
    an animation with ``duration_ms`` per frame that holds the last one for ``pause_ms``.

    Every option is checked and every picture rendered before the first file is written,
    so a bad argument or a failed render leaves the directory as it was.

    >>> from autograd_lite import Value
    >>> x = Value(0.5, label="x"); y = (x * x).tanh()
    >>> save_frames(backward_frames(y), "out/frames", gif=True)   # doctest: +SKIP
    [PosixPath('out/frames/frame_001.svg'), PosixPath('out/frames/frame_002.svg'), ...]
    """
    frames = _check(frames, directory, gif, html, svg, duration_ms, pause_ms, renderer, title)
    # one Graphviz run for all the frames (each is then cached in its DotGraph)
    svgs = [b.decode("utf-8") for b in render_all(frames, "svg", renderer, where="save_frames")] if (svg or html) else []
    page = stepper_page(frames, svgs, title) if html else None
    gif_bytes = _gif(frames, renderer, int(duration_ms), int(pause_ms)) if gif else None
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: List[Path] = []
    width = max(3, len(str(len(frames))))
    if svg:
        for k, text in enumerate(svgs, start=1):
            path = out / f"frame_{k:0{width}d}.svg"
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    if page is not None:
        path = out / "backward.html"
        write_atomic(path, page.encode("utf-8"))
        written.append(path)
    if gif_bytes is not None:
        path = out / "backward.gif"
        with atomic_open(path) as f:
            f.write(gif_bytes)
        written.append(path)
    return written


_PROLOG = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.S)
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(width|height)="[^"]*"')


def _inline(svg: str) -> str:
    """An SVG for inside the page: no XML prolog, no fixed size (the page scales it)."""
    body = _PROLOG.sub("", svg)
    for _ in range(2):
        body = _SIZE.sub(r"\1", body, count=1)
    return body.replace("<svg", '<svg preserveAspectRatio="xMidYMid meet"', 1)


def _explanation(frame: DotGraph) -> str:
    step = frame.info.get("step_text")
    if step is not None and hasattr(step, "html"):
        return step.html()
    caption = frame.info.get("caption")
    return f'<p class="say">{_html.escape(str(caption))}</p>' if caption else ""


def stepper_page(frames: Sequence[DotGraph], svgs: Sequence[str], title: str = "backward, step by step") -> str:
    """The HTML stepper for ``frames`` (their rendered ``svgs``): one self-contained page."""
    n = len(frames)
    slides = "\n".join(
        f'<section class="frame" id="f{k}"{" hidden" if k else ""}>'
        f'<div class="graph">{_inline(s)}</div>'
        f'<div class="explain">{_explanation(f)}</div></section>'
        for k, (f, s) in enumerate(zip(frames, svgs))
    )
    t = _html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t}</title>
<style>
/* One unit, the text's size, in proportion to the screen: 24 px on 1080 lines, 16 px on 720
   (never under 14 px: the page may sit in a notebook's frame). */
html {{ font-size: clamp(14px, calc(100vh / 45), 48px); }}
html, body {{ margin: 0; height: 100%; background: #ffffff; color: #000000; font-family: Helvetica, Arial, sans-serif; }}
body {{ display: flex; flex-direction: column; overflow: hidden; font-size: 1rem; }}
header {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.2rem 0.5rem; padding: 0.2rem 0.5rem; white-space: nowrap; }}
/* A narrow frame (a notebook cell, a phone): the buttons wrap onto a second line, never off the edge. */
@media (max-width: 600px) {{ #keys {{ display: none; }} header h1 {{ flex-basis: 100%; }} }}
header h1 {{ font-size: 1.1rem; margin: 0; flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }}
button {{ font: inherit; font-size: 0.9rem; padding: 0.05rem 0.5rem; background: #eeeeee; color: #000000;
  border: 2px solid #555555; border-radius: 0.25rem; }}
#pos {{ font-weight: bold; }}
#keys {{ color: #555555; font-size: 0.8rem; flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }}
#track {{ height: 0.4rem; background: #dddddd; flex: none; }}
#bar {{ height: 100%; width: 0; background: #005a8c; }}
main {{ flex: 1; min-height: 0; display: flex; }}
.frame {{ flex: 1; min-height: 0; min-width: 0; display: flex; flex-direction: column; }}
.frame[hidden] {{ display: none; }}
body.side .frame {{ flex-direction: row; }}
.graph {{ flex: 1; min-height: 0; min-width: 0; }}
.graph svg {{ display: block; width: 100%; height: 100%; }}
.explain {{ flex: none; max-height: 45vh; overflow: auto; padding: 0.1rem 0.6rem 0.3rem; border-top: 3px solid #dddddd; }}
body.side .explain {{ max-height: none; width: 34vw; border-top: none; border-left: 3px solid #dddddd; }}
body.hide .explain {{ display: none; }}
.explain h2 {{ font-size: 1.25rem; margin: 0.1rem 0; }}
.explain p {{ margin: 0.15rem 0; }}
.explain .rule {{ color: #333333; }}
pre.code {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 1rem; line-height: 1.25;
  margin: 0.2rem 0; white-space: pre-wrap; }}
pre.code .src {{ color: #555555; }}
pre.code .ran {{ color: #000000; font-weight: bold; }}
pre.code .num {{ color: #a63603; font-weight: bold; }}
pre.code .test {{ color: #005a8c; }}
</style></head>
<body>
<header><h1>{t}</h1>
<button id="first" title="first step (Home)">&laquo; first</button>
<button id="prev" title="previous step (PageUp, Left)">&larr; previous</button>
<span id="pos" aria-live="polite">step 1 of {n}</span>
<button id="next" title="next step (PageDown, Space, Right)">next &rarr;</button>
<button id="last" title="last step (End)">last &raquo;</button>
<button id="full" title="full screen (F)">full screen</button>
<span id="keys">keys: PgDn/PgUp, Space, arrows, Home/End; F full screen; E explanation</span></header>
<div id="track"><div id="bar"></div></div>
<main>
{slides}
</main>
<script>
(function () {{
  var k = 0, n = {n};
  function frame(j) {{ return document.getElementById("f" + j); }}
  function show(j) {{
    j = Math.max(0, Math.min(n - 1, j));
    frame(k).hidden = true;
    k = j;
    frame(k).hidden = false;
    document.getElementById("pos").textContent = "step " + (k + 1) + " of " + n;
    document.getElementById("bar").style.width = (100 * (k + 1) / n) + "%";
    arrange();
  }}
  // The explanation goes beside the graph or under it: wherever the graph comes out larger.
  function arrange() {{
    var svg = frame(k).querySelector("svg");
    if (!svg || !svg.viewBox || !svg.viewBox.baseVal) return;
    var vb = svg.viewBox.baseVal, body = document.body;
    if (body.classList.contains("hide")) return;
    var main = document.querySelector("main"), W = main.clientWidth, H = main.clientHeight;
    var ex = frame(k).querySelector(".explain");
    body.classList.remove("side");
    var under = Math.min(W / vb.width, Math.max(1, H - ex.offsetHeight) / vb.height);
    var beside = Math.min(W * 0.66 / vb.width, H / vb.height);
    if (beside > under) body.classList.add("side");
  }}
  function fullscreen() {{
    if (document.fullscreenElement) {{ document.exitFullscreen(); }}
    else if (document.documentElement.requestFullscreen) {{ document.documentElement.requestFullscreen(); }}
  }}
  document.getElementById("first").onclick = function () {{ show(0); }};
  document.getElementById("prev").onclick = function () {{ show(k - 1); }};
  document.getElementById("next").onclick = function () {{ show(k + 1); }};
  document.getElementById("last").onclick = function () {{ show(n - 1); }};
  document.getElementById("full").onclick = fullscreen;
  document.addEventListener("keydown", function (e) {{
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var key = e.key, handled = true;
    if (key === "PageDown" || key === "ArrowRight" || key === "ArrowDown" || key === "Enter" || (key === " " && !e.shiftKey)) show(k + 1);
    else if (key === "PageUp" || key === "ArrowLeft" || key === "ArrowUp" || key === "Backspace" || (key === " " && e.shiftKey)) show(k - 1);
    else if (key === "Home") show(0);
    else if (key === "End") show(n - 1);
    else if (key === "f" || key === "F") fullscreen();
    else if (key === "e" || key === "E") {{ document.body.classList.toggle("hide"); arrange(); }}
    else handled = false;
    if (handled) e.preventDefault();
  }});
  window.addEventListener("resize", arrange);
  document.addEventListener("fullscreenchange", arrange);
  window.stepper = {{ show: show, current: function () {{ return k; }}, count: n }};
  show(0);
}})();
</script>
</body></html>
"""


def _gif(frames: Sequence[DotGraph], renderer: Optional[str], duration_ms: int, pause_ms: int) -> bytes:
    """The animation as GIF bytes: every frame at one size, the last one held."""
    from PIL import Image  # Pillow comes with matplotlib, a core dependency

    first = frames[0].legibility(GIF_SIZE, renderer=renderer)
    dpi = 72.0 * first.scale  # frames share one canvas: one scale fits them all
    pngs = render_all(list(frames), "png", renderer, where="save_frames", dpi=dpi)
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    # Frames share one layout; pad anyway (a renderer may round a pixel differently) on white.
    w = max(im.width for im in images)
    h = max(im.height for im in images)
    canvases = []
    for im in images:
        canvas = Image.new("RGB", (w, h), "white")
        canvas.paste(im, (0, 0))
        canvases.append(canvas)
    durations = [duration_ms] * (len(canvases) - 1) + [pause_ms]
    buf = io.BytesIO()
    canvases[0].save(buf, format="GIF", save_all=True, append_images=canvases[1:], duration=durations, loop=0)
    return buf.getvalue()
