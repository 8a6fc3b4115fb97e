"""The backward stepper in a real browser: headless Chromium driven by selenium.

The page ``save_frames`` writes is used from a lecture hall: a clicker's PageDown/PageUp,
Space, the arrows and Home/End step through it, F asks for full screen, E hides the
explanation, the graph fills the window, and each step's explanation is page text in a
large font. Driven at 1920x1080 and 1280x720; screenshots go to ``tmp_path`` (and to
``$AUTOGRAD_LITE_SCREENSHOTS`` when set, to look at them). Skipped with a reason when
Chromium, chromedriver or selenium is missing, except where CI requires a browser
(AUTOGRAD_LITE_REQUIRE_BROWSER).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import viz
from browser import chromium, set_viewport, shoot
from lecture_graphs import tour_neuron
from test_viz_graph import _any_renderer


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _any_renderer()
    o, inputs = tour_neuron()
    out = tmp_path_factory.mktemp("stepper")
    viz.save_frames(viz.backward_frames(o, inputs=inputs), out, svg=False)
    return out / "backward.html"


@pytest.fixture(scope="module", params=[(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    with chromium(*request.param, why="CI must drive the stepper") as driver:
        yield driver


def _press(driver: Any, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    chain = ActionChains(driver)
    for key in keys:
        if key == "shift+space":  # held, as a clicker's "back" sometimes sends it
            chain = chain.key_down(Keys.SHIFT).send_keys(Keys.SPACE).key_up(Keys.SHIFT)
        else:
            chain = chain.send_keys(key)
    chain.perform()


def _shoot(driver: Any, tmp_path: Path, name: str) -> Path:
    w, h = driver.size
    return shoot(driver, tmp_path / f"stepper_{w}x{h}_{name}.png")


def test_clicker_keys_step_through_every_frame(browser: Any, page: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    d = browser
    d.get(page.as_uri())
    current = lambda: d.execute_script("return window.stepper.current()")  # noqa: E731
    assert d.execute_script("return window.stepper.count") == 5 and current() == 0
    moves = [
        (Keys.PAGE_DOWN, 1), (Keys.SPACE, 2), (Keys.ARROW_RIGHT, 3), (Keys.ARROW_DOWN, 4), (Keys.PAGE_DOWN, 4),
        (Keys.PAGE_UP, 3), ("shift+space", 2), (Keys.ARROW_LEFT, 1), (Keys.ARROW_UP, 0), (Keys.PAGE_UP, 0),
        (Keys.END, 4), (Keys.HOME, 0),
    ]
    for key, want in moves:
        _press(d, key)
        assert current() == want, (repr(key), current(), want)
        visible = d.execute_script("return [...document.querySelectorAll('.frame')].filter(f => !f.hidden).map(f => f.id)")
        assert visible == [f"f{want}"]
        assert d.find_element("id", "pos").text == f"step {want + 1} of 5"
        bar = d.execute_script("return document.getElementById('bar').style.width")
        assert float(bar.rstrip("%")) == pytest.approx(100 * (want + 1) / 5)


def test_the_graph_fills_the_window_and_the_explanation_is_large_page_text(browser: Any, page: Path, tmp_path: Path) -> None:
    d = browser
    d.get(page.as_uri())
    w, h = driver_size = d.size
    inner = d.execute_script("return [window.innerWidth, window.innerHeight]")
    assert tuple(inner) == driver_size
    _shoot(d, tmp_path, "step1")
    g = d.execute_script(
        "const s = document.querySelector('#f0 svg'), r = s.getBoundingClientRect(), v = s.viewBox.baseVal;"
        "return [r.width, r.height, v.width, v.height];"
    )
    box = d.execute_script("const r = document.querySelector('#f0 .graph').getBoundingClientRect(); return [r.width, r.height];")
    # the picture, kept in proportion, touches its area's edges: it fills one way or the other
    scale = min(box[0] / g[2], box[1] / g[3])
    assert scale * g[2] >= 0.97 * box[0] or scale * g[3] >= 0.97 * box[1]
    assert box[0] * box[1] >= 0.5 * w * h  # the graph's area is most of the window
    # the explanation: page text, 24 px on a 1080-line screen (in proportion on smaller ones)
    say = d.find_element("css selector", "#f0 .explain .say")
    head = d.find_element("css selector", "#f0 .explain h2")
    assert head.text == "o = tanh(n)" and say.text.startswith("the tanh rule gets o.grad = 1.0000")
    px = float(d.execute_script("return getComputedStyle(arguments[0]).fontSize", say).rstrip("px"))
    assert px >= 24 * h / 1080 - 0.5 and px >= 15.5
    code = d.find_element("css selector", "#f0 .explain pre").text
    assert "x.grad += (1.0 - t * t) * out.grad" in code and "n.grad += (1 - 0.7071²) × 1.0000 = 0.5000" in code
    # no internal ids to show on hover
    assert d.execute_script("return document.querySelectorAll('svg title').length") == 0
    assert "n9op" not in d.execute_script("return document.body.innerText")
    # E hides the explanation and the graph grows
    before = box[0] * box[1]
    _press(d, "e")
    box2 = d.execute_script("const r = document.querySelector('#f0 .graph').getBoundingClientRect(); return [r.width, r.height];")
    assert box2[0] * box2[1] > before and d.execute_script("return document.body.classList.contains('hide')")
    _shoot(d, tmp_path, "no_explanation")
    _press(d, "e")
    from selenium.webdriver.common.keys import Keys

    _press(d, Keys.END)
    _shoot(d, tmp_path, "step5")


def test_every_button_stays_in_a_narrow_frame(browser: Any, page: Path, tmp_path: Path) -> None:
    # a notebook cell's frame and a phone: the toolbar wraps, no button falls off the edge
    d = browser
    try:
        for width, height in ((900, 600), (390, 844)):
            set_viewport(d, width, height)
            d.get(page.as_uri())
            right = d.execute_script(
                "return [...document.querySelectorAll('header button')].map(b => b.getBoundingClientRect().right)")
            assert len(right) >= 5 and max(right) <= width, (width, right)
            d.find_element("css selector", "#next").click()
            assert d.find_element("css selector", "#pos").text.startswith("step 2")
    finally:
        w, h = d.size
        set_viewport(d, w, h)


def test_f_asks_for_full_screen_and_again_leaves_it(browser: Any, page: Path) -> None:
    d = browser
    d.get(page.as_uri())
    d.execute_script(
        "window.calls = [];"
        "document.documentElement.requestFullscreen = function () { window.calls.push('enter'); return Promise.resolve(); };"
        "Object.defineProperty(document, 'fullscreenElement', {get: function () {"
        "  return window.calls.length % 2 ? document.documentElement : null; }, configurable: true});"
        "document.exitFullscreen = function () { window.calls.push('exit'); return Promise.resolve(); };"
    )
    _press(d, "f")
    _press(d, "F")
    assert d.execute_script("return window.calls") == ["enter", "exit"]
    d.find_element("id", "full").click()
    assert d.execute_script("return window.calls") == ["enter", "exit", "enter"]
