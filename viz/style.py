"""One palette and one look for every figure viz draws (and every example), in one place.

Colours: Okabe & Ito's colour-blind-safe set, cut down to the five colours that stay
apart for everyone. Every pair of ``COLORS`` differs by at least Delta E 20 (CAM02-UCS)
for normal vision and under simulated deuteranopia and protanopia (the test suite
computes it with colorspacious); Okabe-Ito's orange, bluish green, reddish purple and
yellow are left out because one of those pairs falls below that (orange and vermillion
look alike to a deuteranope, so do bluish green and reddish purple), and yellow has no
contrast on white.

    series  colour        hex       line style      marker
    0       blue          #0072B2   solid   "-"      circle "o"
    1       vermillion    #D55E00   dashed  "--"     square "s"
    2       sky blue      #56B4E9   dash-dot "-."    triangle "^"
    3       black         #000000   dotted  ":"      diamond "D"
    4       grey          #595959   dash-dot-dot     triangle down "v"
    5..9    (colours and line styles again)          plus "P", "X", "*", "h", "<"

So colour is never the only cue: series ``i`` also has its own line style, and its own
marker for ``i < 10`` (``series(i)``). More than ten series are one quantity along a
colormap with a colorbar (200 batches coloured by batch index), not a legend.

Colormaps: ``SEQUENTIAL`` ("viridis": perceptually uniform and colour-blind safe) for
losses and activations; ``DIVERGING`` ("RdBu_r", ColorBrewer's colour-blind-safe
red-blue, white at 0) for signed numbers such as weights; ``two_class_cmap()`` for a
binary classifier's output, from light vermillion (class 0 / -1) through white to light
blue (class 1), so that the points, drawn in full vermillion and blue with black edges
and different markers, stand out on either side.

Text: ``TEXT_RED`` and ``TEXT_BLUE`` are the two palette hues dark enough for text on
white (contrast >= 4.5:1; vermillion itself is 3.9:1).

The look, ``STYLE``, is a dict of matplotlib rcParams sized for a lecture hall: a figure
as wide as a 16-inch slide (three panels side by side) still has tick labels >= 18 px and
titles, axis labels and legends >= 24 px when it is projected on a 1920 x 1080 screen.
Every figure function of viz draws under it (``lecture()``, a context manager), and the
examples' kit turns it on for everything an example draws (``use()``). Change a size
for all figures by editing ``STYLE`` before drawing.
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Tuple

__all__ = [
    "BLUE",
    "VERMILLION",
    "SKY_BLUE",
    "BLACK",
    "GREY",
    "COLORS",
    "COLOR_NAMES",
    "LINESTYLES",
    "MARKERS",
    "TEXT_RED",
    "TEXT_BLUE",
    "SEQUENTIAL",
    "DIVERGING",
    "STYLE",
    "series",
    "two_class_cmap",
    "lecture",
    "use",
]

BLUE = "#0072B2"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
BLACK = "#000000"
GREY = "#595959"

#: The series colours, in order (see the module docstring for why these five).
COLORS: Tuple[str, ...] = (BLUE, VERMILLION, SKY_BLUE, BLACK, GREY)
COLOR_NAMES: Tuple[str, ...] = ("blue", "vermillion", "sky blue", "black", "grey")
#: Line styles in the same order: series i is COLORS[i % 5] drawn LINESTYLES[i % 5].
LINESTYLES: Tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)))
#: Markers: ten shapes, so the first ten series differ by marker too.
MARKERS: Tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")

#: Palette hues dark enough for text on white (WCAG contrast >= 4.5:1).
TEXT_RED = "#A84A00"
TEXT_BLUE = BLUE  # 5.2:1 as it is

SEQUENTIAL = "viridis"
DIVERGING = "RdBu_r"


def series(i: int) -> Dict[str, Any]:
    """``{"color", "linestyle", "marker"}`` of series ``i`` (0, 1, ...): ``ax.plot(x, y, **series(i))``."""
    if isinstance(i, bool) or not isinstance(i, int) or i < 0:
        raise ValueError(f"series: i is a series number 0, 1, 2, ..., got {i!r}")
    return {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)], "marker": MARKERS[i % len(MARKERS)]}


def two_class_cmap() -> Any:
    """Light vermillion -> white -> light blue: a binary output's background (see the module docstring)."""
    from matplotlib.colors import LinearSegmentedColormap

    # The palette's two hues, mixed 65% with white: light enough that the full-strength
    # points on top (with black edges) stand out, dark enough to tell the sides apart.
    return LinearSegmentedColormap.from_list("viz_two_class", ["#F0BE99", "#FFFFFF", "#A6CDE3"])


#: rcParams of the lecture look. Sizes in points; see the module docstring for the rule.
STYLE: Dict[str, Any] = {
    "font.family": "sans-serif",
    # DejaVu Sans ships with matplotlib: regular and bold are the same family everywhere.
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 14.5,
    "legend.title_fontsize": 14.5,
    "figure.titlesize": 18,
    "figure.figsize": (8.0, 5.4),
    "lines.linewidth": 2.2,
    "lines.markersize": 7.0,
    "patch.linewidth": 1.0,
    "axes.linewidth": 1.0,
    "legend.framealpha": 0.92,
    "image.cmap": SEQUENTIAL,
}


def _prop_cycle() -> Any:
    from cycler import cycler  # matplotlib's own dependency

    return cycler(color=list(COLORS), linestyle=list(LINESTYLES))


def _rc() -> Dict[Any, Any]:
    """``STYLE`` and the colour cycle, as rc settings. (Keys typed Any: matplotlib's stubs
    spell each rc name as a literal; matplotlib checks the names when they are applied.)"""
    return {**STYLE, "axes.prop_cycle": _prop_cycle()}


@contextlib.contextmanager
def lecture() -> Iterator[None]:
    """Draw in the lecture look inside this block (matplotlib's ``rc_context``)."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        yield


def use() -> None:
    """Turn the lecture look on for everything drawn from now on (``matplotlib.rcParams``)."""
    import matplotlib

    matplotlib.rcParams.update(_rc())
