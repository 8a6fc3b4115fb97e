"""How the lecture graphs read when projected: text size at 1920x1080, contrast, frame stability.

    python benchmarks/viz_legibility.py            # every lecture drawing, one line each
    python benchmarks/viz_legibility.py --svg DIR  # also write the SVGs (to look at them)

For each drawing: its canvas (SVG units), the scale that fits it to 1920x1080, the
smallest and the median text on that screen in pixels, and the lowest text contrast
against the fill behind it (``viz.legibility.measure_svg``; targets: >= 18 px smallest,
>= 24 px median, >= 4.5:1). For backward frames: how many canvas sizes the frames have
and how far a node moves between frames (0 when one layout serves them all).

To measure another checkout with the same measuring code (before/after a change), run
this file with that checkout first on the path: ``PYTHONPATH=/tmp/base python
benchmarks/viz_legibility.py``; options that checkout's viz does not know (``inputs=``)
are dropped, and its drawings are made the way its examples made them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, List, Tuple

if not os.environ.get("PYTHONPATH"):  # measure this checkout, unless told which one
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import importlib.util  # noqa: E402

import nn  # noqa: E402
import viz  # noqa: E402

# The lecture graphs as the tests build them (tests/lecture_graphs.py: public Value/Tensor API
# only, so the engine measured may be another checkout's).
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from lecture_graphs import fan_out, lecture_L, tensor_mlp, tour_neuron  # noqa: E402

# The measuring code of this file's checkout, whichever viz is being measured.
_spec = importlib.util.spec_from_file_location(
    "_legibility", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "viz", "legibility.py")
)
_legibility = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["_legibility"] = _legibility  # dataclasses look their module up
_spec.loader.exec_module(_legibility)  # type: ignore[union-attr]
measure_svg, node_boxes = _legibility.measure_svg, _legibility.node_boxes


def _call(fn: Any, *args: Any, **options: Any) -> Any:
    """``fn(*args, **options)``, dropping the options an older viz does not take."""
    while True:
        try:
            return fn(*args, **options)
        except TypeError as e:
            bad = [k for k in options if f"'{k}'" in str(e)]
            if not bad:
                raise
            for k in bad:
                options.pop(k)


def _svg_ids(svg: str) -> str:
    """Older viz kept Graphviz's <title> per node: key nodes by it as newer viz's ids do."""
    return re.sub(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', r'<g id="\1" class="node">', svg)


def drawings() -> List[Tuple[str, Any]]:
    """The lecture drawings, made as the examples make them (the tour's neuron with inputs=)."""
    out: List[Tuple[str, Any]] = []
    o, inputs = tour_neuron()
    out.append(("neuron before backward", _call(viz.draw_graph, o, inputs=inputs, edge_labels="flow")))
    o.backward()
    out.append(("neuron after backward", _call(viz.draw_graph, o, inputs=inputs, edge_labels="flow")))
    out.append(("neuron after, no edge labels", _call(viz.draw_graph, o, inputs=inputs)))
    L = lecture_L()
    L.backward()
    out.append(("L = (a*b + c)*f", viz.draw_graph(L)))
    out.append(("L, flow", viz.draw_graph(L, edge_labels="flow")))
    out.append(("L, local", viz.draw_graph(L, edge_labels="local")))
    out.append(("L, circuit", viz.draw_graph(L, style="circuit")))
    b = fan_out()
    b.backward()
    out.append(("b = a + a, flow", viz.draw_graph(b, edge_labels="flow")))
    X, y = nn.moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    out.append(("MLP 2-16-16-1 collapsed (tour)", viz.draw_model(model, X[0], (2 * y - 1)[:1], nn.hinge, collapse=True)))
    tmodel = nn.TensorMLP(2, [16, 16, 1], activation="relu", seed=0)
    out.append(("TensorMLP 2-16-16-1 collapsed", viz.draw_model(tmodel, X[:8], y[:8, None].astype(float), nn.mse, collapse=True)))
    loss, params = tensor_mlp()
    loss.backward()
    out.append(("Tensor 2-3-1 node by node", viz.draw_graph(loss, params=params)))
    lesson3 = nn.MLP(2, [5, 1], "sigmoid", "sigmoid", seed=0)
    out.append(("lesson 3: 2-5-1 per neuron", viz.draw_model(lesson3, [0.1, -0.4], [0.3], nn.half_sse, collapse="neuron")))
    return out


def frame_sets() -> List[Tuple[str, List[Any]]]:
    o, inputs = tour_neuron()
    loss, params = tensor_mlp()
    return [
        ("neuron frames", _call(viz.backward_frames, o, inputs=inputs)),
        ("L frames", viz.backward_frames(lecture_L())),
        ("Tensor 2-3-1 frames", viz.backward_frames(loss, params=params)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--svg", help="write each drawing's SVG into this directory")
    args = parser.parse_args()
    where = Path(args.svg) if args.svg else None
    if where:
        where.mkdir(parents=True, exist_ok=True)
    print(f"{'drawing':34} {'canvas':>11} {'fit':>5} {'min px':>7} {'median':>7} {'contrast':>9}")
    for name, g in drawings():
        svg = _svg_ids(g.svg())
        m = measure_svg(svg)
        print(f"{name:34} {m.width:5.0f}x{m.height:<5.0f} {m.scale:5.2f} {m.smallest_px:7.1f} {m.median_px:7.1f} {m.lowest_contrast:8.2f}:1")
        if where:
            (where / (re.sub(r"\W+", "_", name).strip("_") + ".svg")).write_text(svg)
    for name, frames in frame_sets():
        svgs = [_svg_ids(f.svg()) for f in frames]
        ms = [measure_svg(s) for s in svgs]
        sizes = sorted({(round(m.width, 1), round(m.height, 1)) for m in ms})
        boxes = [node_boxes(s) for s in svgs]
        move = 0.0  # how far any node's box centre moves from where frame 1 has it
        for bx in boxes[1:]:
            for k, (x0, y0, x1, y1) in bx.items():
                if k in boxes[0]:
                    a0, b0, a1, b1 = boxes[0][k]
                    move = max(move, abs((x0 + x1 - a0 - a1) / 2), abs((y0 + y1 - b0 - b1) / 2))
        print(
            f"{name:34} {len(frames)} frames, {len(sizes)} canvas size(s) {sizes[0][0]:.0f}..{sizes[-1][0]:.0f} wide, "
            f"largest node move {move:.1f}; text {min(m.smallest_px for m in ms):.1f} px smallest, "
            f"{min(m.median_px for m in ms):.1f} px lowest median; contrast {min(m.lowest_contrast for m in ms):.2f}:1"
        )
        if where:
            stem = re.sub(r"\W+", "_", name)
            for k, s in enumerate(svgs, 1):
                (where / f"{stem}_{k}.svg").write_text(s)


if __name__ == "__main__":
    main()
