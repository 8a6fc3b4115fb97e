"""Text on a drawing: user labels made safe for Graphviz, and how wide text will be.

Labels are user text. Everything viz writes into DOT goes through ``html_text``, which
makes a label appear in the picture exactly as typed:

* printable characters stay as they are, ``\\`` included (Graphviz would otherwise
  expand ``\\N`` into the node's name and ``\\E`` into the edge's, even in HTML labels);
* ``& < > " '`` become HTML entities (the labels are HTML-like);
* characters that are not printable (control characters such as ESC, NUL or a
  vertical tab, lone surrogates, separators other than the space) are shown as Python
  writes them in a string literal: ``\\x1b``, ``\\x00``, ``\\x0b``, ``\\ud800``. A
  label stays one line; Graphviz never sees a character it cannot parse.

>>> visible("a\\x1bb"), visible("\\\\N node"), visible("x₁ ∂")
('a\\\\x1bb', '\\\\N node', 'x₁ ∂')
>>> html_text("\\\\N <b> & x")
'\\\\\\\\N &lt;b&gt; &amp; x'

Widths: ``text_width`` estimates how wide a text comes out, from the advance widths of
DejaVu Sans (Book and Bold), the widest of the common sans-serif fonts a renderer picks
for ``Helvetica,Arial,sans-serif``; characters outside the table count as 1 em. The
layout uses it to reserve room for numbers that change between backward frames, and to
choose the layout that reads largest on the screen.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Dict, List, Tuple

__all__ = ["visible", "html_text", "text_width", "FONT"]

#: The font every drawing asks for: Helvetica where it exists, then Arial, then the
#: system's sans-serif. Naming a generic family last matters: Graphviz's PNG renderer
#: resolves a bare "Helvetica" in bold to a serif font on machines without Helvetica.
FONT = "Helvetica,Arial,sans-serif"


def visible(text: str) -> str:
    """``text`` with every character that is not printable written as an escape (``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def html_text(text: str) -> str:
    """``text`` for inside a Graphviz HTML-like label, to be shown exactly as ``visible(text)``."""
    # Backslashes first: Graphviz expands \N, \G, \E, \T, \H, \L, \n, \l, \r, \\ in every label,
    # HTML-like ones included, after it has decoded the entities (so &#92; would not help).
    return html.escape(visible(text), quote=True).replace("\\", "\\\\")


# Advance widths in 1/1000 em of DejaVu Sans Book and Bold, for the characters numbers and
# the drawing's own words use (' ' to '~', then the symbols below).
_CHARS = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~…←→∂×≤≥∇·−²³"
_BOOK = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636,
    636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656,
    557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613,
    635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818,
    592, 592, 525, 636, 337, 636, 838, 1000, 838, 838, 517, 838, 838, 838, 669, 318, 838, 401, 401,
)
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775,
    637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675,
    716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924,
    645, 652, 582, 712, 365, 712, 838, 1000, 838, 838, 544, 838, 838, 838, 697, 380, 838, 438, 438,
)
_WIDTHS: Dict[bool, Dict[str, int]] = {False: dict(zip(_CHARS, _BOOK)), True: dict(zip(_CHARS, _BOLD))}


@lru_cache(maxsize=1 << 16)  # a drawing measures the same texts over and over (every frame)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of ``text`` at ``size`` points, in points (an upper estimate)."""
    table = _WIDTHS[bold]
    return size * sum(table.get(c, 1000) for c in text) / 1000.0


def lines(text: str, width: float, size: float, bold: bool = False) -> List[str]:
    """``text`` broken at spaces into lines no wider than ``width`` points (a long word stays whole)."""
    return list(_lines(text, width, size, bold))


@lru_cache(maxsize=1 << 12)
def _lines(text: str, width: float, size: float, bold: bool) -> Tuple[str, ...]:
    out: List[str] = []
    line = ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and text_width(trial, size, bold) > width:
            out.append(line)
            line = word
        else:
            line = trial
    out.append(line)
    return tuple(out)
