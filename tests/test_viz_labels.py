"""User text on a drawing, renderer complaints, save_frames' options, per-thread recording.

Labels are user text: every printable character must appear in the picture exactly as
typed (Graphviz expands ``\\N``, ``\\E``... even in HTML labels), control characters are
shown as escapes and never reach Graphviz, and an error Graphviz reports on stderr becomes
an exception naming the node, never a broken picture. ``save_frames`` checks every option
before writing a file. ``nn.record_calls()`` records only its own thread's (or task's) calls.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
import weakref
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_lite import Tensor, Value
from nn.record import _ACTIVE
from test_viz_graph import _any_renderer, bundled_only, system_dot  # noqa: F401 (fixtures)
from viz import DotGraph, RenderError, RenderWarning, backward_frames, draw_graph, save_frames, to_text
from viz.text import html_text, visible


def _svg_label(svg: str, node_id: str = "n0") -> Optional[str]:
    """The bold text (the label cell) of a node in an SVG, as a reader sees it (spaces kept)."""
    root = ET.fromstring(svg.encode("utf-8"))
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        if g.get("id") == node_id:
            texts = [t for t in g.iter("{http://www.w3.org/2000/svg}text") if t.get("font-weight") == "bold"]
            if not texts:
                return None
            return "".join(texts[0].itertext()).replace("\xa0", " ")  # Graphviz keeps runs of spaces as nbsp
    raise AssertionError(f"no node {node_id}")


def _labelled(label: str) -> Value:
    x = Value(1.5, label=label)
    y = x * 2.0
    y.label = "y"
    return y


# ---------------------------------------------------------------------- labels round-trip


TRICKY = [
    r"\N node", r"\Epsilon", r"\G\T\H\L\n\l\r", "back\\slash\\", "<b>bold?</b> & &amp; \"q\" 'a'",
    "x₁ ∂L/∂w ← ∑", "🙂 emoji", "  two  spaces  ", "tab\there", "esc\x1b[31mred", "nul\x00", "vt\x0b", "cr\rlf\n",
    "lone \ud800 surrogate", "bell\x07", "del\x7f", "nbsp\xa0here", "zero\u200bwidth", "]]> <!-- -->",
]


@pytest.mark.parametrize("label", TRICKY, ids=lambda s: repr(s)[:30])
def test_tricky_labels_appear_exactly_as_typed_or_escaped(label: str) -> None:
    _any_renderer()
    y = _labelled(label)
    for style in ("record", "circuit"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a Graphviz complaint would be a RenderWarning: fail
            svg = draw_graph(y, style=style).svg()
        assert _svg_label(svg) == visible(label), (style, svg[:200])
    assert visible(label) in to_text(y)
    # printable characters are kept; what is escaped is what is not printable
    assert visible(label) == label or not label.isprintable()


def test_control_characters_are_shown_as_python_writes_them() -> None:
    assert visible("a\x1bb\x00\x0b\ud800") == "a\\x1bb\\x00\\x0b\\ud800"
    assert visible("plain text ∂") == "plain text ∂"
    # Graphviz never sees a control character or a lone backslash in a label
    body = html_text("\\N\x1b")
    assert "\x1b" not in body and body == "\\\\N\\\\x1b"


def test_an_empty_label_is_no_label_and_breaks_nothing() -> None:
    _any_renderer()
    y = _labelled("")
    svg = draw_graph(y).svg()
    assert _svg_label(svg) is None  # no name cell, and the node's data|grad row is all there
    assert "data 1.5000" in svg


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=12))
def test_any_label_round_trips_into_the_svg_text(label: str) -> None:
    _any_renderer()
    svg = draw_graph(_labelled(label)).svg()
    shown = _svg_label(svg)
    if label == "":
        assert shown is None
    else:
        assert shown == visible(label), (label, shown)


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), min_size=1, max_size=8))
def test_any_parameter_name_and_tensor_label_round_trip_too(name: str) -> None:
    _any_renderer()
    w = Value(0.5)
    svg = draw_graph(w * 3.0, params={name: w}).svg()
    assert _svg_label(svg) == visible(name)
    t = Tensor([1.0, 2.0], label=name, requires_grad=True)
    assert _svg_label(draw_graph((t * t).sum()).svg()) == visible(name)


# ---------------------------------------------------------------------- renderer complaints


BROKEN = 'digraph { n0 [label="ok"]; n3 [shape=plain, label=<<TABLE><TR><TD><B></B></TD></TR></TABLE>>]; n0 -> n3; }'
WARNS = 'digraph { n5 [shape=plain, label=<<TABLE><TR><TD FIXEDSIZE="TRUE" WIDTH="3" HEIGHT="3">too long</TD></TR></TABLE>>]; }'


def _check_complaints(renderer: str) -> None:
    g = DotGraph(BROKEN, info={"names": {"n3": "x1"}})
    with pytest.raises(RenderError, match=r"DotGraph\.pipe: Graphviz could not draw this graph: Error: .*node n3 \(x1\)"):
        g.pipe("svg", renderer=renderer)
    with pytest.raises(RenderError, match=r"node n3 \(x1\)"):
        g.save("never.svg", renderer=renderer)
    assert not Path("never.svg").exists()
    with pytest.warns(RenderWarning, match=r"node n5"):
        DotGraph(WARNS).pipe("svg", renderer=renderer)


def test_a_graphviz_error_is_an_exception_naming_the_node_with_dot(system_dot: str) -> None:
    _check_complaints("dot")


def test_a_graphviz_error_is_an_exception_naming_the_node_with_pygraphviz(bundled_only: str) -> None:
    _check_complaints("pygraphviz")


def test_svg_has_no_internal_ids_to_show_on_hover() -> None:
    _any_renderer()
    svg = draw_graph(_labelled("x")).svg()
    assert "<title>" not in svg and ">n0op<" not in svg


# ---------------------------------------------------------------------- save_frames checks first


@pytest.mark.parametrize(
    "options, error",
    [
        ({"duration_ms": 0}, r"duration_ms=0; give a time per frame in milliseconds"),
        ({"duration_ms": -5}, r"duration_ms=-5"),
        ({"duration_ms": float("nan")}, r"duration_ms=nan"),
        ({"duration_ms": "fast"}, r"duration_ms='fast'"),
        ({"duration_ms": True}, r"duration_ms=True"),
        ({"pause_ms": 10**9}, r"pause_ms=1000000000"),
        ({"title": None}, r"title=None must be a str"),
        ({"title": 3}, r"title=3 must be a str"),
        ({"gif": "yes"}, r"gif='yes'; use True or False"),
        ({"renderer": "neato"}, r"renderer='neato' is not one of"),
        ({"svg": False, "html": False, "gif": False}, r"nothing to write"),
    ],
)
def test_save_frames_checks_every_option_before_writing_anything(tmp_path: Path, options: dict, error: str) -> None:
    frames = backward_frames(_labelled("x"))
    target = tmp_path / "out"
    with pytest.raises((ValueError, TypeError), match=error):
        save_frames(frames, target, gif=options.pop("gif", True), **options)
    assert not target.exists()


def test_save_frames_renders_everything_before_writing(tmp_path: Path) -> None:
    _any_renderer()
    frames = backward_frames(_labelled("x"))
    frames.append(DotGraph(BROKEN))  # the last frame cannot be drawn
    target = tmp_path / "out"
    with pytest.raises(RenderError):
        save_frames(frames, target, gif=True)
    assert not target.exists()
    with pytest.raises(TypeError, match=r"frame 1 is a str"):
        save_frames([frames[0], "frame"], target)


# ---------------------------------------------------------------------- record_calls per thread and task


def test_a_record_in_one_thread_sees_none_of_another_threads_calls() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    started, stop = threading.Event(), threading.Event()
    theirs: List[Any] = []

    def other_thread() -> None:
        started.set()
        while not stop.is_set():
            out = model([0.1, 0.2])
            theirs.append(weakref.ref(out[0]))

    t = threading.Thread(target=other_thread)
    with nn.record_calls() as rec:
        t.start()
        started.wait()
        mine = model([1.0, -2.0])
        while len(theirs) < 20:  # the other thread keeps calling the model meanwhile
            pass
    stop.set()
    t.join()
    assert len(rec) == 7  # 3 + 1 neurons, 2 layers, the model: this thread's one call only
    assert rec.calls[-1].outputs == tuple(mine)
    gc.collect()
    assert sum(r() is not None for r in theirs) <= 1  # the record keeps none of their graphs alive
    assert _ACTIVE == []


def test_records_follow_asyncio_tasks_and_nest() -> None:
    model = nn.MLP(1, [2, 1], seed=0)

    async def recorded() -> int:
        with nn.record_calls() as rec:
            model([0.5])
            await asyncio.sleep(0)  # the other task runs the model here
            model([0.5])
        return len(rec)

    async def plain() -> None:
        model([1.0])
        await asyncio.sleep(0)
        model([1.0])

    async def main() -> List[Any]:
        return await asyncio.gather(recorded(), plain())

    counts = asyncio.run(main())
    assert counts[0] == 2 * 6  # two calls of 2 + 1 neurons, 2 layers, the model: its own only
    with nn.record_calls() as outer:
        with nn.record_calls() as inner:
            model([0.0])
        model([0.0])
    assert len(inner) == 6 and len(outer) == 12 and _ACTIVE == []
