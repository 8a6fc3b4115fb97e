"""The lecture rules for figures, as checks on a drawn matplotlib Figure.

``problems(fig)`` returns a list of sentences, one per broken rule (empty: the figure
passes). Each check reads the figure as matplotlib lays it out (display coordinates
after a draw), never a picture's pixels:

* legends: a legend's box covers no plotted data of any Axes in the figure (line
  segments, markers, scatter points, bars, contour lines; images, meshes and filled
  contours cover their whole area, so a legend goes beside them, not on them);
* clipping: every marker whose centre is inside its Axes lies wholly inside it, and a
  single marked point (a start, an end, a minimum) is inside, not cut off or lost;
* 3-D: a path drawn on a surface is drawn above it (``computed_zorder`` off and the
  path's zorder above the surface's: matplotlib otherwise sorts the path behind it);
* text: at the size the figure is projected (fitted to 1920 x 1080, as saved with
  ``bbox_inches="tight"``), titles, axis labels, legend entries and colourbar labels are
  >= 24 px and every other text >= 18 px; no two texts overlap; text contrast against
  what is behind it is >= 4.5:1;
* series: the entries of a legend differ by more than colour (line style, marker or
  hatch), and any two colours in a legend differ by Delta E >= 20 under simulated
  deuteranopia and protanopia (CAM02-UCS, colorspacious).
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

SCREEN = (1920, 1080)
BODY_PX = 24.0
MIN_PX = 18.0
MIN_DELTA_E = 20.0
MIN_CONTRAST = 4.5


# ---------------------------------------------------------------------- colour science


def _rgb(color: Any) -> np.ndarray:
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(color)
    # what is seen: the colour over white, by its alpha
    return np.array([r, g, b]) * a + (1.0 - a)


def simulate(rgb: Sequence[float], kind: str) -> np.ndarray:
    """``rgb`` (sRGB in [0, 1]) as seen with full ``kind`` ("deuteranomaly", "protanomaly")."""
    from colorspacious import cspace_convert

    out = cspace_convert(np.asarray(rgb, dtype=float), {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}, "sRGB1")
    return np.clip(out, 0.0, 1.0)


def delta_e(a: Any, b: Any) -> float:
    """The smallest CAM02-UCS Delta E between two colours: normal vision, deuteranopia, protanopia."""
    from colorspacious import deltaE

    ra, rb = _rgb(a), _rgb(b)
    seen = [float(deltaE(ra, rb, input_space="sRGB1"))]
    for kind in ("deuteranomaly", "protanomaly"):
        seen.append(float(deltaE(simulate(ra, kind), simulate(rb, kind), input_space="sRGB1")))
    return min(seen)


def _luminance(rgb: np.ndarray) -> float:
    c = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(fg: Any, bg: Any) -> float:
    """WCAG 2 contrast ratio of ``fg`` over ``bg`` (both blended on white by their alpha)."""
    hi, lo = sorted([_luminance(_rgb(fg)), _luminance(_rgb(bg))], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---------------------------------------------------------------------- geometry


def _renderer(fig: Any) -> Any:
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _segments_hit(points: np.ndarray, box: Any) -> bool:
    """Does the polyline through ``points`` (display coords) cross the box? (Liang-Barsky, all segments at once)."""
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    pts = np.asarray(points, dtype=float)
    if len(pts) == 0:
        return False
    fin = np.isfinite(pts).all(axis=1)
    p = pts[fin]
    if ((p[:, 0] > x0) & (p[:, 0] < x1) & (p[:, 1] > y0) & (p[:, 1] < y1)).any():
        return True
    ok_seg = fin[:-1] & fin[1:]  # a nan breaks the line
    a, b = pts[:-1][ok_seg], pts[1:][ok_seg]
    if len(a) == 0:
        return False
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    alive = np.ones(len(a), dtype=bool)
    for pk, qk in ((-d[:, 0], a[:, 0] - x0), (d[:, 0], x1 - a[:, 0]), (-d[:, 1], a[:, 1] - y0), (d[:, 1], y1 - a[:, 1])):
        parallel = pk == 0
        alive &= ~(parallel & (qk <= 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(parallel, 0.0, qk / np.where(parallel, 1.0, pk))
        t0 = np.where(~parallel & (pk < 0), np.maximum(t0, t), t0)
        t1 = np.where(~parallel & (pk > 0), np.minimum(t1, t), t1)
    return bool((alive & (t0 < t1)).any())


def _shrink(box: Any, px: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(box.x0 + px, box.y0 + px, box.x1 - px, box.y1 - px)


def _overlap(a: Any, b: Any, gap: float = 0.0) -> bool:
    return a.x0 < b.x1 + gap and b.x0 < a.x1 + gap and a.y0 < b.y1 + gap and b.y0 < a.y1 + gap


def _marked(line: Any, xy: np.ndarray) -> np.ndarray:
    """The points of ``xy`` that carry a marker, by the line's ``markevery``."""
    every = line.get_markevery()
    if every is None:
        return xy
    if isinstance(every, (int, np.integer)):
        return xy[::every]
    if isinstance(every, tuple) and len(every) == 2 and all(isinstance(v, (int, np.integer)) for v in every):
        return xy[every[0]::every[1]]
    if isinstance(every, (list, np.ndarray)):
        arr = np.asarray(every)
        return xy[arr] if arr.dtype == bool else xy[arr.astype(int)]
    return xy  # fractions of the length: every point, to be safe


def _marker_radius_px(line: Any, fig: Any) -> float:
    return (line.get_markersize() / 2.0 + line.get_markeredgewidth() / 2.0) * fig.dpi / 72.0


def _is_3d(ax: Any) -> bool:
    return getattr(ax, "name", "") == "3d"


def _legends(fig: Any) -> List[Any]:
    out = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    return out + list(fig.legends)


def _legend_artists(fig: Any) -> set:
    own = set()
    for legend in _legends(fig):
        own.update(id(a) for a in legend.findobj())
    return own


def _is_colorbar(ax: Any) -> bool:
    return hasattr(ax, "_colorbar")


# ---------------------------------------------------------------------- checks


def legend_problems(fig: Any) -> List[str]:
    """A legend covering plotted data (of any Axes: a twin's data is drawn over the legend too)."""
    from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    renderer = _renderer(fig)
    problems = []
    for legend in _legends(fig):
        box = _shrink(legend.get_window_extent(renderer), 1.0)
        name = f"legend {[t.get_text() for t in legend.get_texts()]}"
        for ax in fig.axes:
            if _is_3d(ax) or _is_colorbar(ax):
                continue
            area = ax.get_window_extent(renderer)
            if not _overlap(box, area):
                continue
            clip = box  # only the part of the legend over this Axes matters
            for artist in ax.get_children():
                if not artist.get_visible() or artist is legend:
                    continue
                hit = False
                what = type(artist).__name__
                if isinstance(artist, Line2D):
                    xy = artist.get_transform().transform(np.column_stack(artist.get_data()).astype(float))
                    what = f"line {artist.get_label()!r}"
                    if artist.get_linestyle() not in ("None", "none", "", " "):
                        hit = _segments_hit(xy, clip)
                    if not hit and artist.get_marker() not in (None, "None", "none", "", " "):
                        r = _marker_radius_px(artist, fig)
                        hit = any(_overlap(clip, _point_box(p, r)) for p in _marked(artist, xy) if np.isfinite(p).all())
                elif isinstance(artist, (AxesImage, QuadMesh)) or (isinstance(artist, ContourSet) and artist.filled):
                    what = f"the {what} (a filled background)"
                    hit = _overlap(clip, _shrink(artist.get_window_extent(renderer), 0.0) if not isinstance(artist, ContourSet)
                                   else ax.get_window_extent(renderer))
                elif isinstance(artist, ContourSet) or isinstance(artist, LineCollection):
                    what = "contour lines" if isinstance(artist, ContourSet) else "line segments"
                    for path in artist.get_paths():
                        verts = artist.get_transform().transform(path.vertices)
                        codes = path.codes
                        if codes is not None:  # split at MOVETO
                            starts = list(np.flatnonzero(codes == 1)) + [len(verts)]
                            pieces = [verts[a:b] for a, b in zip(starts[:-1], starts[1:])]
                        else:
                            pieces = [verts]
                        if any(_segments_hit(p, clip) for p in pieces):
                            hit = True
                            break
                elif isinstance(artist, PathCollection):
                    offsets = artist.get_offset_transform().transform(artist.get_offsets())
                    sizes = artist.get_sizes()
                    r = (np.sqrt(sizes.max()) / 2.0 if len(sizes) else 3.0) * fig.dpi / 72.0
                    what = f"scatter {artist.get_label()!r}"
                    hit = any(_overlap(clip, _point_box(p, r)) for p in offsets if np.isfinite(p).all())
                elif isinstance(artist, PolyCollection):
                    hit = _overlap(clip, artist.get_window_extent(renderer))
                elif isinstance(artist, Rectangle) and artist is not ax.patch:
                    if artist.get_width() != 0 and artist.get_height() != 0:
                        what = "a bar"
                        hit = _overlap(clip, artist.get_window_extent(renderer))
                if hit:
                    problems.append(f"{name} covers {what} in Axes {ax.get_title()!r}")
                    break
    return problems


def _point_box(p: np.ndarray, r: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox.from_extents(p[0] - r, p[1] - r, p[0] + r, p[1] + r)


def clipping_problems(fig: Any) -> List[str]:
    """A marker cut by its Axes' edge, or a single marked point outside the view."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    renderer = _renderer(fig)
    legend_own = _legend_artists(fig)
    problems = []
    for ax in fig.axes:
        if _is_3d(ax) or _is_colorbar(ax):
            continue
        area = ax.get_window_extent(renderer)
        for artist in ax.get_children():
            if id(artist) in legend_own or not artist.get_visible():
                continue
            if isinstance(artist, Line2D) and artist.get_marker() not in (None, "None", "none", "", " "):
                xy = _marked(artist, artist.get_transform().transform(np.column_stack(artist.get_data()).astype(float)))
                r = _marker_radius_px(artist, fig)
                label = artist.get_label() if not artist.get_label().startswith("_") else artist.get_gid() or "a marker"
            elif isinstance(artist, PathCollection) and len(artist.get_offsets()):
                xy = artist.get_offset_transform().transform(artist.get_offsets())
                sizes = artist.get_sizes()
                r = (np.sqrt(sizes.max()) / 2.0 if len(sizes) else 3.0) * fig.dpi / 72.0 + artist.get_linewidths().max() / 2 * fig.dpi / 72
                label = artist.get_label()
            else:
                continue
            xy = xy[np.isfinite(xy).all(axis=1)]
            for p in xy:
                centre_in = area.x0 <= p[0] <= area.x1 and area.y0 <= p[1] <= area.y1
                whole = area.x0 <= p[0] - r + 0.5 and p[0] + r - 0.5 <= area.x1 and area.y0 <= p[1] - r + 0.5 and p[1] + r - 0.5 <= area.y1
                touches = _overlap(_point_box(p, r), area)
                if (centre_in or touches) and not whole:
                    problems.append(f"a marker of {label!r} is cut by the edge of Axes {ax.get_title()!r}")
                    break
                if len(xy) == 1 and not centre_in:
                    problems.append(f"the single marker {label!r} lies outside Axes {ax.get_title()!r}")
    return problems


def three_d_problems(fig: Any) -> List[str]:
    """Paths on a 3-D surface must be drawn above it."""
    from mpl_toolkits.mplot3d.art3d import Line3D, Poly3DCollection

    problems = []
    for ax in fig.axes:
        if not _is_3d(ax):
            continue
        surfaces = [c for c in ax.collections if isinstance(c, Poly3DCollection)]
        paths = [line for line in ax.lines if isinstance(line, Line3D)]
        if not surfaces or not paths:
            continue
        if ax.computed_zorder:
            problems.append(f"3-D Axes {ax.get_title()!r}: computed_zorder is on, so the surface can hide its paths")
            continue
        top = max(s.get_zorder() for s in surfaces)
        for line in paths:
            if line.get_zorder() <= top:
                problems.append(f"3-D Axes {ax.get_title()!r}: path {line.get_label()!r} (zorder {line.get_zorder()}) "
                                f"is not above the surface (zorder {top})")
    return problems


def _text_roles(fig: Any) -> Dict[int, str]:
    """id(text) -> "body" for titles, axis labels, legend entries and colourbar labels."""
    roles: Dict[int, str] = {}
    if fig._suptitle is not None:
        roles[id(fig._suptitle)] = "body"
    for ax in fig.axes:
        for t in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None),
                  ax.xaxis.label, ax.yaxis.label, getattr(getattr(ax, "zaxis", None), "label", None)):
            if t is not None:
                roles[id(t)] = "body"
    for legend in _legends(fig):
        for t in legend.get_texts():
            roles[id(t)] = "body"
    return roles


def _visible_texts(fig: Any, renderer: Any) -> List[Any]:
    from matplotlib.text import Text

    out = []
    for t in fig.findobj(Text):
        if not t.get_text().strip() or not t.get_visible():
            continue
        # an invisible parent (a hidden axis, a legend that is off) hides the text too
        if t.axes is not None and not t.axes.get_visible():
            continue
        with np.errstate(invalid="ignore"):  # a text placed at nan or inf is not drawn
            box = t.get_window_extent(renderer)
            if not np.isfinite(box.get_points()).all() or box.width <= 0 or box.height <= 0:
                continue
        out.append(t)
    return out


def _drawn_tick_labels(fig: Any, renderer: Any) -> set:
    """The tick labels matplotlib actually draws (the others are kept around, unseen)."""
    drawn = set()
    for ax in fig.axes:
        axes = [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else [])
        for axis in axes:
            if not axis.get_visible():
                continue
            for tick in axis._update_ticks():
                for label in (tick.label1, tick.label2):
                    if label.get_visible():
                        drawn.add(id(label))
    return drawn


def _all_tick_labels(fig: Any) -> set:
    ids = set()
    for ax in fig.axes:
        axes = [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else [])
        for axis in axes:
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ids.update((id(tick.label1), id(tick.label2)))
    return ids


def projected_px_per_inch(fig: Any, saved_px: Optional[Tuple[int, int]] = None) -> float:
    """Pixels per inch of the figure once fitted to the screen (as saved with bbox_inches="tight")."""
    if saved_px is not None:
        w_in, h_in = saved_px[0] / fig.dpi, saved_px[1] / fig.dpi
    else:
        import matplotlib

        box = fig.get_tightbbox(_renderer(fig))
        pad = 2 * matplotlib.rcParams["savefig.pad_inches"]
        w_in, h_in = box.width + pad, box.height + pad
    return min(SCREEN[0] / w_in, SCREEN[1] / h_in)


def texts(fig: Any) -> List[Any]:
    """The texts a viewer sees: drawn tick labels, titles, labels, legends, annotations."""
    renderer = _renderer(fig)
    ticks, drawn = _all_tick_labels(fig), _drawn_tick_labels(fig, renderer)
    return [t for t in _visible_texts(fig, renderer) if id(t) not in ticks or id(t) in drawn]


def text_size_problems(fig: Any, saved_px: Optional[Tuple[int, int]] = None, scale_dpi: Optional[float] = None,
                       body_px: float = BODY_PX, min_px: float = MIN_PX) -> List[str]:
    """Text smaller than the rule once projected (``scale_dpi``: px per inch as shown, e.g. a GIF's own dpi)."""
    ppi = scale_dpi if scale_dpi is not None else projected_px_per_inch(fig, saved_px)
    roles = _text_roles(fig)
    problems = []
    for t in texts(fig):
        px = t.get_fontsize() / 72.0 * ppi
        need = body_px if roles.get(id(t)) == "body" else min_px
        if px < need - 0.05:
            problems.append(f"text {t.get_text()[:40]!r} is {px:.1f} px when shown, under {need:g} px")
    return problems


def overlap_problems(fig: Any, gap: float = 1.0) -> List[str]:
    """Two texts (or a legend and a text outside it) on top of each other."""
    renderer = _renderer(fig)
    # 3-D Axes place their own tick labels along the box's edges (matplotlib's layout, not ours)
    ticks_3d = set()
    for ax in fig.axes:
        if _is_3d(ax):
            for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    ticks_3d.update((id(tick.label1), id(tick.label2)))
    shown = [t for t in texts(fig) if id(t) not in ticks_3d]
    boxes = [(t, t.get_window_extent(renderer)) for t in shown]
    problems = []
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        if _overlap(_shrink(ba, gap), _shrink(bb, gap), 0.0):
            problems.append(f"texts {a.get_text()[:30]!r} and {b.get_text()[:30]!r} overlap")
    for legend in _legends(fig):
        own = {id(x) for x in legend.findobj()}
        lb = _shrink(legend.get_window_extent(renderer), 1.0)
        for t, bt in boxes:
            if id(t) not in own and _overlap(lb, _shrink(bt, 1.0)):
                problems.append(f"legend {[x.get_text() for x in legend.get_texts()]} covers the text {t.get_text()[:30]!r}")
    return problems


def _filled_axes(ax: Any) -> bool:
    from matplotlib.collections import QuadMesh
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage

    return any(isinstance(c, (AxesImage, QuadMesh)) or (isinstance(c, ContourSet) and c.filled) for c in ax.get_children())


def contrast_problems(fig: Any) -> List[str]:
    """Text colour against what is behind it: its own box, else its Axes' or the figure's background."""
    renderer = _renderer(fig)
    problems = []
    legends = {id(x): legend for legend in _legends(fig) for x in legend.findobj()}
    for t in texts(fig):
        patch = t.get_bbox_patch()
        if patch is not None and patch.get_facecolor()[3] >= 0.6:
            bg = patch.get_facecolor()
        elif id(t) in legends:
            bg = legends[id(t)].get_frame().get_facecolor()
        elif t.axes is not None and t.get_transform() is not None and t in t.axes.texts:
            if _filled_axes(t.axes):
                problems.append(f"text {t.get_text()[:30]!r} sits on an image or filled contours without a box behind it")
                continue
            bg = t.axes.get_facecolor()
        else:
            bg = fig.get_facecolor()
        c = contrast(t.get_color(), bg)
        if c < MIN_CONTRAST:
            problems.append(f"text {t.get_text()[:30]!r} has contrast {c:.2f}:1 against its background (< {MIN_CONTRAST})")
    return problems


def _handle_look(handle: Any) -> Tuple[Any, Any, Any, Any]:
    """(colour, line style, marker, hatch) of a legend handle."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(handle, Line2D):
        ls = handle.get_linestyle()
        ls = None if ls in ("None", "none", "", " ") else str(handle._unscaled_dash_pattern)
        marker = handle.get_marker()
        marker = None if marker in (None, "None", "none", "", " ") else str(marker)
        color = handle.get_color() if ls is not None else handle.get_markerfacecolor()
        if marker is not None and isinstance(color, str) and color == "none":
            color = handle.get_markeredgecolor()
        return color, ls, marker, None
    if isinstance(handle, Patch):
        return handle.get_facecolor(), None, None, handle.get_hatch()
    if isinstance(handle, Collection):
        fc = handle.get_facecolor()
        face = fc[0] if len(fc) else None
        if face is None or face[3] == 0 or tuple(np.round(face[:3], 3)) == (1.0, 1.0, 1.0):  # hollow (or white inside)
            ec = handle.get_edgecolor()
            face = ec[0] if len(ec) else "k"
            hollow = True
        else:
            hollow = False
        paths = handle.get_paths()
        # the marker's own outline (its vertices), and whether it is hollow: its shape
        marker = (tuple(np.round(paths[0].vertices, 2).ravel()), hollow) if paths else None
        return face, None, str(marker), None
    return None, None, None, None


def series_problems(fig: Any) -> List[str]:
    """Legend entries told apart by colour alone, or by colours too close for a colour-blind viewer."""
    problems = []
    for legend in _legends(fig):
        handles = list(getattr(legend, "legend_handles", None) or getattr(legend, "legendHandles", []))
        names = [t.get_text() for t in legend.get_texts()]
        looks = [_handle_look(h) for h in handles]
        for (i, a), (j, b) in itertools.combinations(enumerate(looks), 2):
            if a[0] is None or b[0] is None:
                continue
            same_style = a[1:] == b[1:]
            ca, cb = _rgb(a[0]), _rgb(b[0])
            if np.allclose(ca, cb, atol=1e-3):
                if same_style:
                    problems.append(f"legend entries {names[i]!r} and {names[j]!r} look the same")
                continue
            if same_style:
                problems.append(f"legend entries {names[i]!r} and {names[j]!r} differ by colour alone")
            d = delta_e(ca, cb)
            if d < MIN_DELTA_E:
                problems.append(f"legend entries {names[i]!r} and {names[j]!r}: colours only Delta E {d:.1f} apart")
    return problems


def problems(fig: Any, *, saved_px: Optional[Tuple[int, int]] = None, skip: Sequence[str] = ()) -> List[str]:
    """Every rule above, on one figure (``skip``: names of checks to leave out, e.g. "text_size")."""
    checks = {
        "legend": legend_problems,
        "clipping": clipping_problems,
        "three_d": three_d_problems,
        "text_size": lambda f: text_size_problems(f, saved_px),
        "overlap": overlap_problems,
        "contrast": contrast_problems,
        "series": series_problems,
    }
    out: List[str] = []
    for name, check in checks.items():
        if name not in skip:
            out += check(fig)
    return out
