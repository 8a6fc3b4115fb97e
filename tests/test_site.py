"""The course site: built strict from the repository, complete, offline, and right in a real browser.

One module-scoped build (``scripts/site_build.py``, strict, into a temporary folder, every
lesson executed afresh in --fast mode) serves every test here. The browser tests drive
headless Chromium through selenium at 1920x1080 (a projector) and 390x844 (a phone);
screenshots go to ``tmp_path`` and to ``$AUTOGRAD_LITE_SCREENSHOTS`` when set, to look at.
Without mkdocs (``pip install -e ".[docs]"``) the module is skipped, and without Chromium
the browser tests are, with the reason, except where CI requires them
(``AUTOGRAD_LITE_REQUIRE_BROWSER``, which ``.ci/run`` sets; it also requires the site).
"""

from __future__ import annotations

import doctest
import html
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple
from urllib.parse import unquote, urlsplit

import pytest
from browser import chromium, shoot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
    if os.environ.get("AUTOGRAD_LITE_REQUIRE_BROWSER"):
        raise RuntimeError("the site's tools are missing (pip install -e '.[docs]'), and CI must build the site")
    pytest.skip("the site's tools are not installed: pip install -e '.[docs]'", allow_module_level=True)

import site_build  # noqa: E402
import site_docstrings  # noqa: E402

sys.path.insert(0, str(ROOT / "examples"))
from _lesson import LOG_LINE, _format  # noqa: E402


# ------------------------------------------------------------------------------ the build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """The site, built strict into a temporary folder, every lesson executed for it."""
    folder = tmp_path_factory.mktemp("site")
    # A fresh cache: every lesson runs (AUTOGRAD_LITE_SITE_TEST_CACHE=DIR keeps them, to work on the site)
    cache = Path(os.environ.get("AUTOGRAD_LITE_SITE_TEST_CACHE") or folder / "cache")
    seconds = site_build.build(folder / "site", cache=cache)
    lessons = {p.name: p for p in (cache / "lessons").iterdir() if p.is_dir()}
    print(f"site built in {seconds:.1f} s")
    return {"site": folder / "site", "cache": cache, "seconds": seconds, "lessons": lessons}


def _pages(site: Path) -> List[Path]:
    return sorted(site.rglob("*.html"))


def _text(page: Path) -> str:
    """A page's visible text (scripts and styles dropped, tags removed, entities decoded)."""
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_every_example_has_a_lesson_page_and_every_lesson_page_an_example(built: Dict[str, Any]) -> None:
    examples = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")}
    pages = {p.stem for p in (built["site"] / "lessons").glob("*.html") if p.stem != "index"}
    assert examples and pages == examples
    for name in examples:
        page = (built["site"] / "lessons" / f"{name}.html").read_text(encoding="utf-8")
        # the intro links the script and its notebook, both copied into the site
        assert f'href="scripts/{name}.py"' in page and f'href="scripts/{name}.ipynb"' in page
        assert (built["site"] / "lessons" / "scripts" / f"{name}.py").read_bytes() == (ROOT / "examples" / f"{name}.py").read_bytes()
        # its code ran: at least one output of the notebook is on the page
        assert "jp-OutputArea-output" in page, name
        # a stepper on the page may go full screen (its F key and button; Chromium lets a same-origin
        # frame do it anyway, Firefox only with the attribute)
        for frame in re.findall(r"<iframe\b[^>]*>", page):
            if "window.stepper" in html.unescape(frame) or 'class="stepper"' in frame:
                assert re.search(r"\sallowfullscreen\b", frame), (name, frame[:120])


def test_the_lesson_pages_show_the_numbers_of_a_fast_run_of_their_scripts(built: Dict[str, Any], tmp_path: Path) -> None:
    """Each page's log lines equal those of ``python examples/NAME.py --fast`` run on its own.

    The page is the notebook executed by the site build; the script is run here, in
    another process, and its summary.json read: every record it logged must appear on
    the page with the same numbers (run times and output folders aside).
    """
    from concurrent.futures import ThreadPoolExecutor

    def run(name: str) -> None:
        env = {**os.environ, "MPLBACKEND": "Agg"}
        env.pop("AUTOGRAD_LITE_MODE", None)
        env.pop("AUTOGRAD_LITE_OUT", None)
        subprocess.run([sys.executable, str(ROOT / "examples" / f"{name}.py"), "--fast", "--out", str(tmp_path / name)],
                       check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)

    names = site_build.lesson_names()
    with ThreadPoolExecutor(max_workers=2) as pool:  # two scripts at a time, as the build runs its kernels
        list(pool.map(run, names))
    for name in names:
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert summary["mode"] == "fast"
        shown: Dict[str, List[Dict[str, str]]] = {}
        for line in _text(built["site"] / "lessons" / f"{name}.html").split("\n"):
            m = LOG_LINE.match(line.strip())
            if m and m.group("name") == name:
                fields = dict(f.split("=", 1) for f in m.group("fields").split())
                shown.setdefault(m.group("event"), []).append(fields)
        assert shown, f"{name}: the page shows no log line"
        for record in summary["records"]:
            event = record["event"]
            # where a line of code is (an anomaly's file and line) is a cell of the notebook on the
            # page and a line of the script in the run: the same code, at two addresses
            want = {k: _format(v) for k, v in record.items() if k not in ("event", "seconds", "out", "file", "line")}
            got = [{k: v for k, v in f.items() if k in want} for f in shown.get(event, [])]
            assert want in got, f"{name}: the page's {event} lines {got} do not show {want}"
        # and the page's numbers are the site build's own summary.json's
        site_summary = json.loads((built["lessons"][name] / "out" / name / "summary.json").read_text())
        assert site_summary["mode"] == "fast"
        assert len(site_summary["records"]) == len(summary["records"])


def test_every_public_name_is_documented_once_on_its_groups_page(built: Dict[str, Any]) -> None:
    api = built["site"] / "api"
    ids: Dict[str, List[str]] = {}
    for page in api.glob("*.html"):
        if page.stem == "index":
            continue
        for anchor in re.findall(r'\sid="([\w.]+)"', page.read_text(encoding="utf-8")):
            ids.setdefault(anchor, []).append(page.stem)
    placed = site_build.api_names()
    for package in site_build.PACKAGES:
        for name in importlib.import_module(package).__all__:
            assert ids.get(f"{package}.{name}") is not None, f"{package}.{name} is public (in __all__) but on no API page"
            assert len(ids[f"{package}.{name}"]) == 1, (package, name, ids[f"{package}.{name}"])
            page = ids[f"{package}.{name}"][0]
            assert (package, name) in placed[page]
    # grouped for readers: the names a reader looks for where they look
    where = {f"{p}.{n}": page for page, names in placed.items() for p, n in names}
    assert where["autograd_lite.Value"] == "engine" and where["autograd_lite.no_grad"] == "engine"
    assert where["autograd_lite.Tensor"] == "tensors"
    assert {where[f"autograd_lite.{n}"] for n in ("gradcheck", "grad", "hvp", "hessian", "detect_anomaly",
                                                  "AnomalyError")} == {"checking-gradients"}
    assert {where[f"nn.{n}"] for n in ("Module", "MLP", "Linear", "Sequential")} == {"modules"}
    assert {where[f"nn.{n}"] for n in ("mse", "SGD", "StepLR", "fit", "moons")} == {"training"}
    assert {where[f"viz.{n}"] for n in ("draw_graph", "backward_frames", "save_frames", "backward_steps")} == {"graphs"}
    assert {where[f"viz.{n}"] for n in ("plot_history", "loss_surface", "plot_decision_boundary")} == {"figures"}
    # Value.backward has its own entry, with its docstring's doctest shown as written
    engine = (api / "engine.html").read_text(encoding="utf-8")
    assert 'id="autograd_lite.Value.backward"' in engine


def test_docstring_examples_are_shown_as_written(built: Dict[str, Any]) -> None:
    import autograd_lite

    engine = _text(built["site"] / "api" / "engine.html")
    doc = autograd_lite.Value.__doc__
    for line in [s.strip() for s in doc.split("\n") if s.strip().startswith(">>>")]:
        assert line in engine, line  # every doctest line, verbatim (no ">>>" turned into quotes)
    raw = (built["site"] / "api" / "engine.html").read_text(encoding="utf-8")
    assert "<blockquote>" not in raw
    # the derivative table of the engine's module docstring keeps its columns
    assert "a ** b      d/da = b a^(b-1),  d/db = a^b ln a" in engine
    assert 'id="autograd_lite.engine"' in raw  # the module's docstring, under "The modules"


def test_the_guide_is_the_readme_section_by_section(built: Dict[str, Any]) -> None:
    intro, sections = site_build.readme_sections()
    guide = [s for s in sections if s.slug not in site_build.NOT_GUIDE]
    assert len(guide) >= 5
    assert {"coming-from-micrograd", "a-tour-of-value", "gradients-of-gradients"} <= {s.slug for s in guide}
    for s in guide:
        page = built["site"] / "guide" / f"{s.slug}.html"
        text = _text(page)
        assert s.title.replace("`", "") in text
        # the section's code examples are on its page, line for line
        for line in re.findall(r"^>>> (.+)$", s.body, re.M)[:20]:
            assert html.unescape(line).strip() in text, (s.slug, line)
    index = _text(built["site"] / "index.html")
    first_command = next(line for line in intro.split("\n") if line.startswith("python3 -m venv"))
    assert first_command in index
    lessons = (built["site"] / "lessons" / "index.html").read_text(encoding="utf-8")
    assert 'href="tour.html"' in lessons


def test_the_gallery_page_shows_every_committed_figure(built: Dict[str, Any]) -> None:
    import gallery

    page = (built["site"] / "gallery.html").read_text(encoding="utf-8")
    for example, picks in gallery.GALLERY.items():
        for file, caption in picks:
            name = gallery.gallery_name(example, file)
            assert f'src="gallery/{name}"' in page
            assert (built["site"] / "gallery" / name).read_bytes() == (ROOT / "docs" / "gallery" / name).read_bytes()
            assert html.escape(caption) in page or caption in html.unescape(page)


# An element that would fetch from the network: a script, a style sheet, a font, an image, a frame.
_EXTERNAL = re.compile(r"""<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\s(src|href|data)\s*=\s*["']?\s*(https?:)?//""", re.I)


def test_nothing_is_fetched_from_the_network(built: Dict[str, Any]) -> None:
    site = built["site"]
    for page in _pages(site):
        raw = page.read_text(encoding="utf-8")
        bad = _EXTERNAL.search(raw)
        assert bad is None, f"{page.relative_to(site)}: {raw[bad.start(): bad.end() + 80]!r}"
        for srcdoc in re.findall(r'srcdoc="([^"]*)"', raw):  # an inline stepper is a page too
            assert _EXTERNAL.search(html.unescape(srcdoc)) is None
        assert "fonts.googleapis" not in raw and "cdnjs" not in raw and "unpkg.com" not in raw
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//|url\(\s*['\"]?(https?:)?//", text), sheet
    # search works without a server: the index is a script the offline plugin writes
    assert (site / "search" / "search_index.js").read_text(encoding="utf-8").startswith("var __index =")


def test_the_builds_own_offline_check_names_what_would_be_fetched() -> None:
    page = ('<link rel="canonical" href="http://127.0.0.1:8000/x.html"><a href="https://pytorch.org">docs</a>'
            '<script src="https://unpkg.com/iframe-worker/shim"></script><link href="//fonts.example/f.css" '
            'rel="stylesheet"><img src="gallery/x.png"><script src="../assets/bundle.js"></script>')
    assert site_build.external_loads(page) == ['<script src="https://unpkg.com/iframe-worker/shim">',
                                               '<link href="//fonts.example/f.css" rel="stylesheet">']


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: List[Tuple[str, str]] = []
        self.ids: Set[str] = set()

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Any]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("name") and tag == "a":
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "img", "script", "link", "iframe", "source"):
                self.links.append((tag, a[key]))


def test_every_internal_link_resolves(built: Dict[str, Any]) -> None:
    site = built["site"]
    parsed: Dict[Path, _Links] = {}

    def parse(page: Path) -> _Links:
        if page not in parsed:
            p = _Links()
            p.feed(page.read_text(encoding="utf-8"))
            parsed[page] = p
        return parsed[page]

    checked = 0
    for page in _pages(site):
        if page.name == "404.html":  # served by a web server for any missing path: its links are absolute
            continue
        for tag, url in parse(page).links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//") or url.startswith("data:") or url.startswith("javascript:"):
                assert parts.scheme in ("data", "mailto", "javascript", "http", "https"), url
                assert tag == "a" or parts.scheme == "data", f"{page.relative_to(site)}: {tag} loads {url}"
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            assert target.exists() and site.resolve() in [target, *target.parents], \
                f"{page.relative_to(site)}: {url} -> nothing"
            if target.is_dir():
                pytest.fail(f"{page.relative_to(site)}: {url} is a folder, which file:// cannot open")
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in parse(target).ids, f"{page.relative_to(site)}: {url}: no such anchor"
            checked += 1
    assert checked > 500


def test_strict_mode_fails_on_a_broken_link(built: Dict[str, Any], tmp_path: Path, monkeypatch: Any) -> None:
    from mkdocs.commands.build import build as mk_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "broken.md").write_text("# Broken\n\nSee [the missing page](nowhere.md).\n")
    monkeypatch.setenv("AUTOGRAD_LITE_SITE_CACHE", str(built["cache"]))  # lessons already executed: fast
    monkeypatch.chdir(ROOT)
    config = load_config(str(ROOT / "mkdocs.yml"), docs_dir=str(docs), site_dir=str(tmp_path / "site"), strict=True)
    with pytest.raises(Abort, match="warning"):
        mk_build(config)


def test_a_lesson_that_fails_fails_the_build(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    examples.mkdir()
    shutil.copy(ROOT / "examples" / "_lesson.py", examples)
    (examples / "broken.py").write_text(
        '"""A lesson that breaks."""\n# %%\nfrom _lesson import Lesson\nn = 3\nlesson = Lesson("broken", globals())\n'
        "# %%\nraise ValueError('the third cell breaks')\nlesson.finish()\n"
    )
    with pytest.raises(site_build.LessonFailed, match=r"(?s)examples/broken\.py.*the third cell breaks"):
        site_build._execute("broken", tmp_path / "run", examples=examples)


def test_a_readme_link_to_nothing_is_an_error() -> None:
    copies: Dict[str, str] = {}
    with pytest.raises(site_build.LinkError, match="not a file of the repository"):
        site_build.rewrite_links("see [it](examples/nowhere.py)", "guide/x.md", copies)
    with pytest.raises(site_build.LinkError, match="no heading"):
        site_build.rewrite_links("see [it](#no-such-heading)", "guide/x.md", copies)
    text = site_build.rewrite_links('[t](examples/tour.py) <img src="docs/gallery/tour-training.png"> [s](nn/optim.py)',
                                    "guide/x.md", copies)
    assert text == '[t](../lessons/scripts/tour.py) <img src="../gallery/tour-training.png"> [s](../source/nn/optim.py)'
    assert copies == {"source/nn/optim.py": "nn/optim.py"}
    # code is left as written
    assert site_build.rewrite_links("```\n[t](examples/nowhere.py)\n```", "guide/x.md", {}) == \
        "```\n[t](examples/nowhere.py)\n```"


# ------------------------------------------------------------------------------ docstrings


def test_docstrings_become_markdown_that_shows_them_as_written() -> None:
    md = site_docstrings.to_markdown(
        "Sum of x1*w1 + x2*w2, see __init__ and <b>.\n\n"
        ">>> a = 2 * 3\n>>> a\n6\n\nRules::\n\n    d/dx tanh x = 1 - tanh^2 x\n\nTable:\n\n    a + b    1\n\n"
        "Args:\n    x: the input\n        (wrapped)\n    y: the other\n\n* one\n* two ``a*b``\n"
    )
    assert "x1\\*w1 + x2\\*w2" in md and "\\_\\_init\\_\\_" in md and "&lt;b&gt;" in md
    assert "```pycon\n>>> a = 2 * 3\n>>> a\n6\n```" in md
    assert "Rules:\n" in md and "```text\nd/dx tanh x = 1 - tanh^2 x\n```" in md
    assert "```text\na + b    1\n```" in md
    assert "- x: the input (wrapped)\n- y: the other" in md
    assert "\n\n- one\n- two ``a*b``" in md  # a code span keeps its star


# ------------------------------------------------------------------------------ for lecturers


def test_the_readme_serves_the_site_right_after_its_two_commands_and_the_test_extra_builds_it() -> None:
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    assert len(blocks[0].strip().splitlines()) == 2  # the two first commands, as they were
    assert blocks[1].strip() == 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[docs]" && mkdocs serve'
    assert readme.index(blocks[1]) - readme.index(blocks[0]) - len(blocks[0]) < 20  # right after them
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("mkdocs-material") for d in extras["docs"])
    assert any("docs" in d and d.startswith("autograd-lite[") for d in extras["test"])


def test_the_lecturers_page_examples_run(tmp_path: Path, monkeypatch: Any) -> None:
    """Every ``pycon`` example on docs/lecturers.md runs and prints what the page says."""
    text = (ROOT / "docs" / "lecturers.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```pycon\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "lecturers.md", "docs/lecturers.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 10
    # what it wrote is what it says: a slide, a stepper, a GIF, a page that embeds the stepper
    assert (tmp_path / "slides" / "neuron.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "slides" / "backward" / "backward.html").exists()
    assert (tmp_path / "slides" / "backward" / "backward.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")


# ------------------------------------------------------------------------------ in the browser


SIZES = [(1920, 1080), (390, 844)]


@pytest.fixture(scope="module", params=SIZES, ids=["1920x1080", "390x844"])
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    width, height = request.param
    with chromium(width, height, mobile=width < 600, why="CI must check the site in a browser") as driver:
        yield driver


def _open(driver: Any, page: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())
    for _ in range(100):
        if driver.execute_script("return document.readyState") == "complete":
            break
        time.sleep(0.05)
    time.sleep(0.3)


def _shoot(driver: Any, tmp_path: Path, name: str) -> Path:
    w, h = driver.size
    return shoot(driver, tmp_path / f"site_{name}_{w}x{h}.png")


# Every visible text element's computed size, in CSS px (iframes and images aside: the
# stepper and the figures are checked by their own tests).
_SMALL_TEXT = """
var small = [];
var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  var node = walker.currentNode, el = node.parentElement;
  if (!node.textContent.trim() || !el) continue;
  var r = el.getBoundingClientRect(), cs = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || el.closest('[hidden]')) continue;
  var seen = true;  // transparent (material's "skip to content" link until it has the focus) is not seen
  for (var a = el; a && a !== document.body; a = a.parentElement) if (getComputedStyle(a).opacity === '0') seen = false;
  if (!seen) continue;
  if (r.bottom < 0 || r.top > innerHeight * 3) continue;
  var size = parseFloat(cs.fontSize);
  if (size < arguments[0]) small.push([el.tagName + '.' + el.className, size, node.textContent.trim().slice(0, 30)]);
}
return small.slice(0, 10);
"""

PAGES = {"landing": "index.html", "lesson": "lessons/tour.html", "lesson0": "lessons/lesson0_engine.html",
         "lesson2": "lessons/lesson2_least_squares.html", "api": "api/engine.html",
         "api_checking": "api/checking-gradients.html", "lecturers": "lecturers.html",
         "micrograd": "guide/coming-from-micrograd.html"}


@pytest.mark.parametrize("which", list(PAGES))
def test_pages_load_without_console_errors_and_read_on_the_screen(built: Dict[str, Any], browser: Any, which: str,
                                                                   tmp_path: Path) -> None:
    page = built["site"] / PAGES[which]
    _open(browser, page)
    shot = _shoot(browser, tmp_path, which)
    assert shot.stat().st_size > 10_000
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors
    # no broken picture: every image the page has loaded decoded to something (lazy ones below aside)
    broken = browser.execute_script("return [...document.images].filter(function (i) {"
                                    "  return i.complete && i.naturalWidth === 0; }).map(function (i) { return i.src.slice(0, 80); })")
    assert broken == [], broken
    width, height = browser.size
    # nothing wider than the screen (a phone scrolls down, never sideways)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    if width >= 1600:  # projected: nothing under 18 px, body text 24 px
        assert browser.execute_script(_SMALL_TEXT, 18) == []
        body = browser.execute_script("return parseFloat(getComputedStyle(document.querySelector('.md-typeset')).fontSize)")
        assert body >= 24


def _steppers(built: Dict[str, Any]) -> List[str]:
    """The lessons whose run writes a backward stepper (an HTML page in their output folder)."""
    return sorted(name for name, folder in built["lessons"].items() if any((folder / "out").rglob("*.html")))


def test_every_lesson_that_writes_a_stepper_embeds_it_and_it_advances_on_a_key(built: Dict[str, Any], browser: Any,
                                                                              tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    names = _steppers(built)
    assert {"tour", "lesson0_engine"} <= set(names), names  # the flagship's and the engine lesson's
    for name in names:
        _open(browser, built["site"] / "lessons" / f"{name}.html")
        frames = [f for f in browser.find_elements(By.TAG_NAME, "iframe")
                  if "step by step" in (f.get_attribute("srcdoc") or "") or f.get_attribute("src")]
        assert frames, f"{name}'s page embeds no stepper"
        frame = frames[0]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
        time.sleep(0.3)
        # on the screen: the whole frame fits the width, and is tall enough to read
        box = browser.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.left, r.right, r.height];",
                                     frame)
        assert box[0] >= 0 and box[1] <= browser.size[0] + 1 and box[2] >= 300, (name, box)
        _shoot(browser, tmp_path, f"{name}_stepper")
        browser.switch_to.frame(frame)
        try:
            count = browser.execute_script("return window.stepper.count")
            assert count >= 3, name
            # every button can be reached in the frame, on a phone too (the toolbar wraps, nothing falls off)
            off = browser.execute_script(
                "return [...document.querySelectorAll('header button')].filter(function (b) {"
                "  var r = b.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > innerWidth + 1;"
                "}).map(function (b) { return b.id; });")
            assert off == [], (name, off)
            assert browser.execute_script("return window.stepper.current()") == 0
            body = browser.find_element(By.TAG_NAME, "body")
            body.click()
            body.send_keys(Keys.PAGE_DOWN)
            time.sleep(0.2)
            assert browser.execute_script("return window.stepper.current()") == 1, name
            assert browser.find_element(By.ID, "pos").text == f"step 2 of {count}"
            body.send_keys(Keys.END)
            time.sleep(0.2)
            assert browser.execute_script("return window.stepper.current()") == count - 1, name
            body.send_keys(Keys.PAGE_UP)
            time.sleep(0.2)
            assert browser.execute_script("return window.stepper.current()") == count - 2, name
            # F (the stepper's full screen) works in the page too: the frame is allowed full screen
            body.send_keys("f")
            time.sleep(0.4)
            assert browser.execute_script("return document.fullscreenElement !== null"), name
            body.send_keys("f")
            time.sleep(0.4)
            assert browser.execute_script("return document.fullscreenElement === null"), name
        finally:
            browser.switch_to.default_content()
        _shoot(browser, tmp_path, f"{name}_stepper_stepped")
        assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == [], name


def test_a_lessons_figure_opens_full_screen_on_a_click(built: Dict[str, Any], browser: Any) -> None:
    """A figure in the page's column is smaller than drawn: a click shows it on the whole screen."""
    from selenium.webdriver.common.by import By

    _open(browser, built["site"] / "lessons" / "lesson2_least_squares.html")
    figures = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img")
    assert len(figures) >= 3
    figure = figures[len(figures) // 2]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", figure)
    time.sleep(0.2)
    assert browser.execute_script("return document.fullscreenElement") is None
    figure.click()
    time.sleep(0.5)
    assert browser.execute_script("return document.fullscreenElement === arguments[0]", figure)
    shown = browser.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", figure)
    assert shown[0] >= browser.execute_script("return innerWidth") - 1  # the figure fills the screen's width
    figure.click()
    time.sleep(0.5)
    assert browser.execute_script("return document.fullscreenElement") is None
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []


def _is_value_backward(href: str) -> bool:
    """A search result's link to Value.backward's entry (material adds ``?h=the+words``)."""
    parts = urlsplit(href)
    return parts.path.endswith("/api/engine.html") and parts.fragment == "autograd_lite.Value.backward"


def test_search_finds_value_backward_from_file(built: Dict[str, Any], browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, built["site"] / "index.html")
    if browser.size[0] < 1220:  # a phone: the search field opens from its icon
        browser.find_element(By.CSS_SELECTOR, "label.md-header__button[for='__search']").click()
        time.sleep(0.3)
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    box.click()
    box.send_keys("Value.backward")
    hrefs: List[str] = []
    for _ in range(100):  # the index loads in a worker (an iframe from file://): wait for results
        hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, ".md-search-result__link")]
        hrefs += [a.get_attribute("href") or "" for a in browser.find_elements(By.CSS_SELECTOR, ".md-search-result a")]
        if any(_is_value_backward(h) for h in hrefs):
            break
        time.sleep(0.1)
    _shoot(browser, tmp_path, "search")
    assert any(_is_value_backward(h) for h in hrefs), hrefs
    # the engine's page is among the first pages the results list (material groups them by page)
    pages = list(dict.fromkeys(urlsplit(h).path.split("/site/")[-1] for h in hrefs))
    assert "api/engine.html" in pages[:3], pages
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []
