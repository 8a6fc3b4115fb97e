"""Save ``backward_frames`` for a lecture: numbered SVGs, an HTML stepper, a GIF.

The HTML page is self-contained (the SVGs are inlined, a few lines of script switch
between them, nothing is fetched from the network), so it works from a USB stick in a
classroom without internet. The GIF is made from PNG renders with Pillow (installed with
matplotlib); PNG text needs fonts on the machine, SVG does not.
"""

from __future__ import annotations

import html as _html  # `html` is an argument of save_frames
import io
import re
from pathlib import Path
from typing import List, Optional, Sequence

from .render import DotGraph, PathLike
from nn.files import atomic_open, write_atomic

__all__ = ["save_frames"]


def save_frames(
    frames: Sequence[DotGraph],
    directory: PathLike,
    *,
    gif: bool = False,
    html: bool = True,
    svg: bool = True,
    duration_ms: int = 1200,
    renderer: Optional[str] = None,
    title: str = "backward, step by step",
) -> List[Path]:
    """Write ``frames`` into ``directory`` and return the paths written.

    ``svg``: ``frame_001.svg``, ``frame_002.svg``, ... (one slide each); ``html``:
    ``backward.html``, one page with previous/next buttons (and the arrow keys);
    ``gif``: ``backward.gif``, an animation with ``duration_ms`` per frame.

    >>> from autograd_lite import Value
    >>> x = Value(0.5, label="x"); y = (x * x).tanh()
    >>> save_frames(backward_frames(y), "out/frames", gif=True)   # doctest: +SKIP
    [PosixPath('out/frames/frame_001.svg'), PosixPath('out/frames/frame_002.svg'), ...]
    """
    frames = list(frames)
    if not frames:
        raise ValueError("save_frames: got no frames; make them with backward_frames(root)")
    for k, f in enumerate(frames):
        if not isinstance(f, DotGraph):
            raise TypeError(
                f"save_frames: frame {k} is a {type(f).__name__}, not a DotGraph; pass the list "
                f"backward_frames(root) returns"
            )
    if not (svg or html or gif):
        raise ValueError("save_frames: svg, html and gif are all False, so there is nothing to write")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: List[Path] = []
    width = max(3, len(str(len(frames))))
    svgs = [f.svg(renderer=renderer) for f in frames] if (svg or html) else []
    if svg:
        for k, text in enumerate(svgs, start=1):
            path = out / f"frame_{k:0{width}d}.svg"
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    if html:
        path = out / "backward.html"
        write_atomic(path, _stepper_page(svgs, title).encode("utf-8"))
        written.append(path)
    if gif:
        path = out / "backward.gif"
        _write_gif([f.pipe("png", renderer=renderer) for f in frames], path, duration_ms)
        written.append(path)
    return written


_PROLOG = re.compile(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.S)


def _stepper_page(svgs: Sequence[str], title: str) -> str:
    # Inline SVG must not carry the XML prolog/doctype of a standalone file.
    bodies = [_PROLOG.sub("", s) for s in svgs]
    slides = "\n".join(
        f'<div class="frame" id="f{k}"{" hidden" if k else ""}>{body}</div>' for k, body in enumerate(bodies)
    )
    t = _html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
nav {{ margin-bottom: 0.5em; }}
button {{ font-size: 1em; padding: 0.2em 0.8em; }}
.frame svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h1>{t}</h1>
<nav><button id="prev">&larr; previous</button>
<span id="pos">1 / {len(bodies)}</span>
<button id="next">next &rarr;</button> (or the arrow keys)</nav>
{slides}
<script>
var k = 0, n = {len(bodies)};
function show(j) {{
  if (j < 0 || j >= n) return;
  document.getElementById("f" + k).hidden = true;
  k = j;
  document.getElementById("f" + k).hidden = false;
  document.getElementById("pos").textContent = (k + 1) + " / " + n;
}}
document.getElementById("prev").onclick = function () {{ show(k - 1); }};
document.getElementById("next").onclick = function () {{ show(k + 1); }};
document.addEventListener("keydown", function (e) {{
  if (e.key === "ArrowLeft") show(k - 1);
  if (e.key === "ArrowRight") show(k + 1);
}});
</script>
</body></html>
"""


def _write_gif(pngs: Sequence[bytes], path: Path, duration_ms: int) -> None:
    from PIL import Image  # Pillow comes with matplotlib, a core dependency

    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    # Frames differ a little in size (labels change width); pad all to the largest on
    # white so the animation does not jump or crop.
    w = max(im.width for im in images)
    h = max(im.height for im in images)
    canvases = []
    for im in images:
        canvas = Image.new("RGB", (w, h), "white")
        canvas.paste(im, (0, 0))
        canvases.append(canvas)
    with atomic_open(path) as f:
        canvases[0].save(f, format="GIF", save_all=True, append_images=canvases[1:], duration=duration_ms, loop=0)
