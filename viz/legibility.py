"""How a drawing reads when projected: text size on the screen and text contrast, from the SVG.

A slide is judged fitted to the projector's screen (1920x1080 by default): the drawing is
scaled, up or down, until it touches the screen's edges, and each text is then
``font-size x scale`` pixels tall. The lecture-hall rule (DESIGN.md): body text 24 px or
more, nothing under 18 px, and every text at least 4.5:1 against the fill behind it
(WCAG 2's contrast ratio, computed from relative luminance).

>>> svg = ('<svg viewBox="0 0 960 540" xmlns="http://www.w3.org/2000/svg">'
...        '<polygon fill="white" points="0,0 960,0 960,540 0,540"/>'
...        '<text x="10" y="30" font-size="12">a</text>'
...        '<text x="10" y="60" font-size="14" fill="#9e9e9e">b</text></svg>')
>>> m = measure_svg(svg)
>>> m.scale, m.smallest_px, m.median_px
(2.0, 24.0, 26.0)
>>> [round(t.contrast, 2) for t in m.texts]
[21.0, 2.68]

``measure_svg`` reads what Graphviz writes (``polygon``, ``ellipse``, ``path``, ``text``);
the fill behind a text is the last filled shape before it, in painting order, that
contains the text's middle. ``DotGraph.legibility()`` measures a drawing in one call.
"""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

__all__ = ["measure_svg", "node_boxes", "Legibility", "TextInfo", "contrast_ratio", "SCREEN"]

#: The projector this library designs for.
SCREEN = (1920, 1080)

_NAMED = {
    "white": "#ffffff",
    "black": "#000000",
    "red": "#ff0000",
    "green": "#008000",
    "blue": "#0000ff",
    "grey": "#808080",
    "gray": "#808080",
    "yellow": "#ffff00",
    "lightgrey": "#d3d3d3",
}


def _rgb(color: str) -> Optional[Tuple[float, float, float]]:
    """``#rrggbb`` (or a few names) as 0..1 floats; None for none/transparent."""
    c = color.strip().lower()
    if c in ("", "none", "transparent"):
        return None
    c = _NAMED.get(c, c)
    if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", c):
        if len(c) == 9 and c[7:] == "00":
            return None  # fully transparent
        return int(c[1:3], 16) / 255.0, int(c[3:5], 16) / 255.0, int(c[5:7], 16) / 255.0
    if re.fullmatch(r"#[0-9a-f]{3}", c):
        return int(c[1] * 2, 16) / 255.0, int(c[2] * 2, 16) / 255.0, int(c[3] * 2, 16) / 255.0
    raise ValueError(f"measure_svg: cannot read the colour {color!r}")


def _luminance(rgb: Tuple[float, float, float]) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white).

    >>> round(contrast_ratio("#000000", "#ffffff"), 1), round(contrast_ratio("#9e9e9e", "white"), 2)
    (21.0, 2.68)
    """
    a, b = _rgb(fg), _rgb(bg)
    if a is None or b is None:
        raise ValueError(f"contrast_ratio: needs two solid colours, got {fg!r} and {bg!r}")
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass
class TextInfo:
    """One text of the drawing as it will be projected."""

    text: str
    font_size: float  # in the SVG's own units
    px: float  # on the screen, once the drawing is fitted
    fill: str
    background: str
    contrast: float
    italic: bool = False
    bold: bool = False


@dataclass
class Legibility:
    """What ``measure_svg`` found: the drawing's size, the fit scale and every text."""

    width: float
    height: float
    scale: float
    screen: Tuple[int, int]
    texts: List[TextInfo] = field(default_factory=list)

    @property
    def smallest_px(self) -> float:
        return min(t.px for t in self.texts) if self.texts else 0.0

    @property
    def median_px(self) -> float:
        return statistics.median(t.px for t in self.texts) if self.texts else 0.0

    @property
    def lowest_contrast(self) -> float:
        return min(t.contrast for t in self.texts) if self.texts else 21.0

    def summary(self) -> str:
        """``1383x305, fitted x1.39: text 12-19 px (median 15), contrast >= 2.2:1``."""
        return (
            f"{self.width:.0f}x{self.height:.0f}, fitted to {self.screen[0]}x{self.screen[1]} "
            f"x{self.scale:.2f}: text {self.smallest_px:.1f} px smallest, {self.median_px:.1f} px "
            f"median; contrast {self.lowest_contrast:.2f}:1 lowest"
        )


def _floats(text: str) -> List[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


class _Shape:
    def __init__(self, fill: str, kind: str, data: Sequence[float]) -> None:
        self.fill, self.kind, self.data = fill, kind, data

    def contains(self, x: float, y: float) -> bool:
        if self.kind == "ellipse":
            cx, cy, rx, ry = self.data
            return rx > 0 and ry > 0 and ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0
        pts = list(zip(self.data[0::2], self.data[1::2]))
        if self.kind == "path":  # rounded boxes: their bounding box is close enough
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            return min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys)
        inside = False  # even-odd ray casting
        for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
        return inside


def measure_svg(svg: str, screen: Tuple[int, int] = SCREEN) -> Legibility:
    """Every text of ``svg`` with its size on ``screen`` once fitted, and its contrast."""
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    box = _floats(root.get("viewBox", ""))
    if len(box) == 4:
        width, height = box[2], box[3]
    else:
        width, height = _floats(root.get("width", "0"))[0], _floats(root.get("height", "0"))[0]
    if width <= 0 or height <= 0:
        raise ValueError("measure_svg: the SVG has no size (no viewBox, width or height)")
    scale = min(screen[0] / width, screen[1] / height)
    out = Legibility(width, height, scale, screen)
    shapes: List[_Shape] = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        fill = el.get("fill")
        if tag in ("polygon", "ellipse", "path", "rect") and fill is not None and _rgb(fill) is not None:
            if tag == "ellipse":
                data = [float(el.get(k, "0")) for k in ("cx", "cy", "rx", "ry")]
            elif tag == "rect":
                x, y = float(el.get("x", "0")), float(el.get("y", "0"))
                w, h = float(el.get("width", "0")), float(el.get("height", "0"))
                data = [x, y, x + w, y, x + w, y + h, x, y + h]
            else:
                data = _floats(el.get("points") or el.get("d") or "")
            shapes.append(_Shape(fill, "ellipse" if tag == "ellipse" else ("path" if tag == "path" else "polygon"), data))
        elif tag == "text":
            text = "".join(el.itertext())
            if not text.strip():
                continue
            size = float(el.get("font-size", "14"))
            x, y = float(el.get("x", "0")), float(el.get("y", "0"))
            w = 0.55 * size * len(text)  # only to find the text's middle
            anchor = el.get("text-anchor", "start")
            mx = x + w / 2 if anchor == "start" else (x - w / 2 if anchor == "end" else x)
            my = y - 0.35 * size
            behind = next((s.fill for s in reversed(shapes) if s.contains(mx, my)), "#ffffff")
            color = el.get("fill", "#000000")
            out.texts.append(
                TextInfo(
                    text,
                    size,
                    size * scale,
                    color,
                    behind,
                    contrast_ratio(color, behind),
                    italic=el.get("font-style") == "italic",
                    bold=el.get("font-weight") == "bold",
                )
            )
    return out


def node_boxes(svg: str) -> "dict[str, Tuple[float, float, float, float]]":
    """Each node's box ``(x0, y0, x1, y1)`` in SVG units, keyed by its DOT id (its ``id``
    attribute, which viz sets to the DOT name, else Graphviz's ``<title>``).

    The box of the shapes Graphviz drew for the node (its table cells, ellipse, outline),
    not its text: two drawings place a node at the same spot exactly when its boxes agree.
    """
    root = ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    out = {}
    for g in root.iter():
        if g.tag.rsplit("}", 1)[-1] != "g" or g.get("class") != "node":
            continue
        title = next((el.text or "" for el in g if el.tag.rsplit("}", 1)[-1] == "title"), "")
        title = title or g.get("id", "")
        xs: List[float] = []
        ys: List[float] = []
        for el in g.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "ellipse":
                cx, cy, rx, ry = (float(el.get(k, "0")) for k in ("cx", "cy", "rx", "ry"))
                xs += [cx - rx, cx + rx]
                ys += [cy - ry, cy + ry]
            elif tag in ("polygon", "polyline", "path"):
                nums = _floats(el.get("points") or el.get("d") or "")
                xs += nums[0::2]
                ys += nums[1::2]
        if xs:
            out[title] = (min(xs), min(ys), max(xs), max(ys))
    return out
