"""The course site: the lessons as pages, the README's guide, the API reference, the gallery.

    pip install -e ".[docs]" && mkdocs serve        # the site at http://127.0.0.1:8000, rebuilt on edits
    python scripts/site_build.py --out DIR                # build it, strict, into DIR (what CI does)

Everything on the site is made from the repository's own files at build time, so it
cannot drift from the code. This module is the mkdocs hook (``hooks:`` in mkdocs.yml)
that makes the pages mkdocs-material, mkdocstrings and mkdocs-jupyter then render:

* **lessons/**: every ``examples/*.py`` (not ``_lesson.py``) becomes a page: its notebook
  (made from the script by ``scripts/notebooks.py``) executed in a fresh kernel in
  ``--fast`` mode (``AUTOGRAD_LITE_MODE=fast``, outputs in the build folder via
  ``AUTOGRAD_LITE_OUT``), with a short intro that links the script and the notebook
  (copied into the site). A cell that raises fails the build. Sliders show as their
  static grid (the kernel runs without ipywidgets: a page has no kernel to drive them).
  Every HTML page a lesson writes (the backward stepper) is live in its lesson's page:
  inline as the notebook shows it, or embedded in the intro when the notebook does not
  show it; each is also copied beside the page, to open full screen.
* **guide/**: one page per section of README.md (``## ...``), in the README's order,
  except the gallery and the lessons table, which have pages of their own; links into
  the repository are rewritten to the site's copies.
* **api/**: one page per group a reader looks for (``API_GROUPS``); every name in the
  ``__all__`` of ``autograd_lite``, ``nn`` and ``viz`` is placed by the module that
  defines it, so a new public name lands on a page without anyone listing it.
* **gallery.md**: the committed ``docs/gallery/`` figures, with ``scripts/gallery.py``'s
  captions.

Executed lessons are kept in ``build/site-cache/`` (``AUTOGRAD_LITE_SITE_CACHE`` moves it)
under a hash of the notebook and of every library and example file, so ``mkdocs serve``
re-runs a lesson only when something it runs has changed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import inspect
import json
import os
import re
import shutil
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"
PACKAGES = ("autograd_lite", "nn", "viz")


def _importable() -> None:
    """The repository and scripts/ on sys.path (mkdocs takes a hook's folder off it after loading it)."""
    for p in (str(ROOT), str(ROOT / "scripts")):
        if p not in sys.path:
            sys.path.append(p)


_importable()

import notebooks  # noqa: E402  (scripts/notebooks.py: a script -> its notebook)

__all__ = [
    "API_GROUPS", "Lesson", "api_names", "api_pages", "build", "guide_sections", "lesson_names",
    "readme_sections",
]

# ------------------------------------------------------------------------------ the API

#: (page, title, what a reader finds there, the modules whose public names it holds).
#: A name defined in a module listed nowhere goes to its package's last-listed page
#: (``autograd_lite`` -> engine, ``nn`` -> training, ``viz`` -> figures).
API_GROUPS: List[Tuple[str, str, str, Tuple[str, ...]]] = [
    ("engine", "The engine",
     "`Value`, the scalar node, and what governs recording: `no_grad`, `zero_grad`, `gc_paused`.",
     ("autograd_lite.engine", "autograd_lite.graph", "autograd_lite")),
    ("tensors", "Tensors",
     "`Tensor`, the same engine over numpy arrays, and the functions that join or compare tensors.",
     ("autograd_lite.tensor", "autograd_lite.tensor_checks")),
    ("checking-gradients", "Checking gradients",
     "Central differences and `gradcheck` (which names the op whose derivative is wrong); anomaly mode, "
     "`detect_anomaly()` (which names the op and the line where a nan or an inf was born); gradients "
     "of gradients: `grad`, `hvp`, `hessian`.",
     ("autograd_lite.gradcheck", "autograd_lite.anomaly", "autograd_lite.functional")),
    ("modules", "Modules",
     "Networks on both engines: `Module` and its state dicts, the scalar `Neuron`/`Layer`/`MLP`, the "
     "Tensor layers, initialisation, and recording which module made which node.",
     ("nn.module", "nn.scalar", "nn.layers", "nn.init", "nn.record", "nn.checks")),
    ("training", "Training",
     "Losses, optimizers, learning-rate schedules, `fit` and its `History`, metrics, and the data sets "
     "of the lessons.",
     ("nn.losses", "nn.optim", "nn.schedules", "nn.train", "nn.metrics", "nn.data", "nn.files", "nn")),
    ("graphs", "Graphs",
     "Drawing computation graphs for a slide, backward step by step (frames, the HTML stepper, a GIF), "
     "and rendering them.",
     ("viz.graph", "viz.clusters", "viz.frames", "viz.render", "viz.steps", "viz.nodes", "viz.layout",
      "viz.legibility", "viz.text")),
    ("figures", "Figures",
     "The lessons' figures: training curves, landscapes and descent paths, decision boundaries, inside "
     "training, images, sliders, and the lecture style they share.",
     ("viz.plots", "viz.landscape", "viz.descent", "viz.boundary", "viz.inside", "viz.images",
      "viz.interact", "viz.style", "viz._figures", "viz")),
]


def _home(package: str, name: str) -> str:
    """The module that defines ``package.name`` (a module's own name for a module)."""
    import importlib
    import inspect

    obj = getattr(importlib.import_module(package), name)
    if inspect.ismodule(obj):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and (module == package or module.startswith(package + ".")):
        return module
    return package  # a constant (a number, a tuple): it belongs to the package


def api_names() -> Dict[str, List[Tuple[str, str]]]:
    """page -> [(package, name)], every public name placed once, in ``__all__`` order."""
    import importlib

    pages: Dict[str, List[Tuple[str, str]]] = {page: [] for page, *_ in API_GROUPS}
    fallback = {}
    where = {}
    for page, _, _, modules in API_GROUPS:
        for m in modules:
            where[m] = page
            fallback[m.split(".")[0]] = page if m in PACKAGES else fallback.get(m.split(".")[0], page)
    for package in PACKAGES:
        for name in importlib.import_module(package).__all__:
            home = _home(package, name)
            pages[where.get(home, fallback[package])].append((package, name))
    return pages


def _members_option(package: str, name: str) -> str:
    """For a module in ``__all__``: its own names that the package does not export (or none)."""
    import importlib
    import inspect

    obj = getattr(importlib.import_module(package), name)
    if not inspect.ismodule(obj):
        return ""
    exported = set(importlib.import_module(package).__all__)
    own = [m for m in getattr(obj, "__all__", []) if m not in exported]
    return "members: " + (json.dumps(own) if own else "false")


def _has_doc(module: str) -> bool:
    import importlib

    return bool((importlib.import_module(module).__doc__ or "").strip())


def api_pages() -> Dict[str, str]:
    """``api/PAGE.md`` -> Markdown for mkdocstrings, and the index."""
    placed = api_names()
    pages = {}
    index = [
        "# API reference", "",
        "Every public name of the three packages (their `__all__`), generated from the docstrings, "
        "which are shown as written; their examples are doctested by the test suite. Import them from "
        "the package: `from autograd_lite import Value`, `import nn`, `import viz`.", "",
        "| page | what is there | names |", "|---|---|---|",
    ]
    for page, title, about, _ in API_GROUPS:
        names = placed[page]
        if not names:
            continue
        imports: Dict[str, List[str]] = {}
        for package, name in names:
            imports.setdefault(package, []).append(name)
        # a reader who types a name (Value.backward) wants its entry first: the reference ranks higher
        lines = ["---", "search:", "  boost: 4", "---", "", f"# {title}", "", about, ""]
        lines += ["```python"] + [
            textwrap.fill(f"from {pkg} import {', '.join(ns)}", 72, subsequent_indent="    ", break_long_words=False)
            .replace("\n", " \\\n") for pkg, ns in imports.items()
        ] + ["```", ""]
        for package, name in names:
            option = _members_option(package, name)
            lines.append(f"::: {package}.{name}")
            if option:
                lines += ["    options:", f"      {option}"]
            lines.append("")
        # The modules these names come from: their docstrings hold the overview (the engine's
        # table of derivative rules, conventions at kinks, what each figure family draws).
        homes = sorted({_home(p, n) for p, n in names} - set(PACKAGES), key=lambda m: (m.count("."), m))
        homes = [m for m in homes if _has_doc(m) and m.split(".")[-1] not in {n for _, n in names}]
        if homes:
            lines += ["## The modules", "", "What each module is for, from its docstring.", ""]
            for m in homes:
                lines += [f"::: {m}", "    options:", "      members: false", "      show_root_full_path: true",
                          "      heading_level: 3", ""]
        pages[f"api/{page}.md"] = "\n".join(lines)
        links = ", ".join(f"[`{n}`]({page}.md#{p}.{n})" for p, n in names)
        index.append(f"| [{title}]({page}.md) | {about} | {links} |")
    index += ["", "## The packages", ""]
    for package in PACKAGES:
        index += [f"::: {package}", "    options:", "      members: false", "      show_root_heading: true", ""]
    pages["api/index.md"] = "\n".join(index)
    return pages


# ------------------------------------------------------------------------------ the README


@dataclass
class Section:
    title: str
    slug: str
    body: str  # the section's Markdown, without its "## " line


def _slug(title: str) -> str:
    """GitHub's and Python-Markdown's anchor for a heading (lower case, words joined by -)."""
    text = re.sub(r"[`*_]", "", title).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return re.sub(r"[\s]+", "-", text)


def readme_sections(text: Optional[str] = None) -> Tuple[str, List[Section]]:
    """README.md as (its intro, its ``## `` sections in order). Fenced code is not searched."""
    text = README.read_text(encoding="utf-8") if text is None else text
    lines = text.split("\n")
    heads: List[int] = []
    fence = False
    for k, line in enumerate(lines):
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("## "):
            heads.append(k)
    intro = "\n".join(lines[: heads[0] if heads else len(lines)])
    sections = []
    for a, b in zip(heads, heads[1:] + [len(lines)]):
        title = lines[a][3:].strip()
        sections.append(Section(title, _slug(title), "\n".join(lines[a + 1: b]).strip("\n")))
    return intro, sections


#: README sections with a page of their own elsewhere on the site (not in the guide).
NOT_GUIDE = {"gallery": "gallery.md", "the-lessons": "lessons/index.md"}


def guide_sections() -> List[Section]:
    return [s for s in readme_sections()[1] if s.slug not in NOT_GUIDE]


def _section_page(slug: str) -> Optional[str]:
    """The site page (docs-relative) that holds README section ``slug``."""
    if slug in NOT_GUIDE:
        return NOT_GUIDE[slug]
    return f"guide/{slug}.md" if any(s.slug == slug for s in guide_sections()) else None


def _rel(target: str, page: str) -> str:
    return os.path.relpath(target, os.path.dirname(page) or ".").replace(os.sep, "/")


class LinkError(ValueError):
    pass


def rewrite_links(markdown: str, page: str, copies: Dict[str, str]) -> str:
    """Links of README text moved to ``page`` (docs-relative): repository paths -> the site's.

    ``examples/X`` -> ``lessons/scripts/X``; ``docs/X`` -> ``X``; any other file of the
    repository -> a copy under ``source/`` (recorded in ``copies``: site path -> repo path);
    ``#anchor`` -> the page holding that README section. A link to nothing raises.
    """

    def target(url: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:", url) or url.startswith("//"):
            return url  # external (http:, mailto:): left as written
        path, _, anchor = url.partition("#")
        if not path:
            heading_page = None
            for s in readme_sections()[1]:
                if s.slug == anchor:
                    heading_page = _section_page(s.slug)
            if heading_page is None:  # a sub-heading: find the section that holds it
                for s in readme_sections()[1]:
                    if any(_slug(h) == anchor for h in re.findall(r"^#{3,6} (.+)$", s.body, re.M)):
                        heading_page = _section_page(s.slug)
                        anchor = anchor
            if heading_page is None:
                raise LinkError(f"README.md links to #{anchor}, which is no heading of it")
            return _rel(heading_page, page) + (f"#{anchor}" if anchor and heading_page.startswith("guide/") and
                                               _slug_of_page(heading_page) != anchor else "")
        repo_file = (ROOT / path).resolve()
        if not repo_file.exists() or ROOT not in repo_file.parents:
            raise LinkError(f"README.md links to {path!r}, which is not a file of the repository")
        rel = repo_file.relative_to(ROOT).as_posix()
        if rel.startswith("examples/"):
            site = "lessons/scripts/" + rel[len("examples/"):]
        elif rel.startswith("docs/"):
            site = rel[len("docs/"):]
        else:
            site = "source/" + rel
            copies[site] = rel
        return _rel(site, page) + (f"#{anchor}" if anchor else "")

    def md_link(m: "re.Match[str]") -> str:
        return f"]({target(m.group(1))})"

    def attr(m: "re.Match[str]") -> str:
        return f'{m.group(1)}="{target(m.group(2))}"'

    # outside fenced code only
    parts = re.split(r"(^```.*?^```)", markdown, flags=re.S | re.M)
    for k in range(0, len(parts), 2):
        parts[k] = re.sub(r"\]\(([^)\s]+)\)", md_link, parts[k])
        parts[k] = re.sub(r'\b(src|href)="([^"]+)"', attr, parts[k])
    return "".join(parts)


def _slug_of_page(page: str) -> str:
    return Path(page).stem


def _demote(markdown: str) -> str:
    """A README section as a page: its ``###`` headings become ``##`` (outside code)."""
    parts = re.split(r"(^```.*?^```)", markdown, flags=re.S | re.M)
    for k in range(0, len(parts), 2):
        parts[k] = re.sub(r"^#(#{2,6}) ", r"\1 ", parts[k], flags=re.M)
    return "".join(parts)


def guide_pages(copies: Dict[str, str]) -> Dict[str, str]:
    pages = {}
    for s in guide_sections():
        path = f"guide/{s.slug}.md"
        body = _demote(rewrite_links(s.body, path, copies))
        note = f"*From the README's section \"{s.title}\"; the examples on this page are doctested by the test suite.*"
        pages[path] = f"# {s.title}\n\n{body}\n\n---\n\n{note}\n"
    return pages


def readme_intro(copies: Dict[str, str]) -> str:
    """The README's opening (under its title): the two commands and what the library is."""
    intro, _ = readme_sections()
    intro = re.sub(r"^# .*\n", "", intro.lstrip("\n"), count=1)
    return rewrite_links(intro, "index.md", copies).strip()


# ------------------------------------------------------------------------------ the lessons


def lesson_names() -> List[str]:
    """The examples that become lesson pages, in the order a course takes them."""
    names = [p.stem for p in notebooks.scripts()]

    def key(name: str) -> Tuple[int, str]:
        return (0 if name == "tour" else 1 if name.startswith("lesson") else 2, name)

    return sorted(names, key=key)


@dataclass
class Lesson:
    """One executed lesson: its notebook (with outputs), its output folder, what it wrote."""

    name: str
    notebook: Path
    out: Path
    seconds: float
    cached: bool
    steppers: List[Path] = field(default_factory=list)  # relative to out

    @property
    def summary(self) -> Dict[str, Any]:
        return json.loads((self.out / "summary.json").read_text(encoding="utf-8"))


def _fingerprint(name: str) -> str:
    """What a lesson's execution depends on: its notebook, the kit, every library file."""
    h = hashlib.sha256()
    h.update(notebooks.render(EXAMPLES / f"{name}.py").encode())
    h.update(_STARTUP.encode())
    h.update(inspect.getsource(_drop_repeated_pictures).encode())
    files = sorted([EXAMPLES / "_lesson.py"] + [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")])
    for p in files:
        h.update(p.relative_to(ROOT).as_posix().encode())
        h.update(p.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()[:20]


_STARTUP = '''\
# The site's kernels: a static page has no kernel behind it to drive ipywidgets, so the
# lessons' sliders take their static form (viz.interact falls back when ipywidgets is
# missing), a grid of panels that shows on any page.
import sys
import warnings
sys.modules["ipywidgets"] = None
# tqdm.auto says, on import, that it found no ipywidgets: true, and meant for Jupyter users
warnings.filterwarnings("ignore", message="IProgress not found")
'''


class LessonFailed(RuntimeError):
    pass


def _execute(name: str, folder: Path, examples: Path = EXAMPLES) -> Lesson:
    """Run lesson ``name``'s notebook (``examples/NAME.py``'s) top to bottom in a fresh kernel, in fast mode."""
    import nbclient
    import nbformat

    if folder.exists():
        shutil.rmtree(folder)
    out = folder / "out"
    ipython = folder / "ipython"
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "00-site.py").write_text(_STARTUP)
    out.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "AUTOGRAD_LITE_MODE", "AUTOGRAD_LITE_OUT")}
    env.update(
        AUTOGRAD_LITE_MODE="fast", AUTOGRAD_LITE_OUT=str(out), IPYTHONDIR=str(ipython),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
    )
    nb = nbformat.reads(notebooks.render(examples / f"{name}.py"), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, startup_timeout=300, kernel_name="python3",
        resources={"metadata": {"path": str(examples)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as e:
        raise LessonFailed(f"examples/{name}.py: its notebook failed in fast mode, so the site is not built:\n{e}") from None
    finally:
        shutil.rmtree(ipython, ignore_errors=True)
    seconds = time.perf_counter() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise LessonFailed(f"examples/{name}.py: a cell raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
    stderr = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("name") == "stderr"]
    if stderr:  # a lecture page shows only what it means to (as tests/test_notebooks.py asks of the notebook)
        raise LessonFailed(f"examples/{name}.py: a cell wrote to stderr in the site's kernel: {stderr[0][:300]!r}")
    if not (out / name / "summary.json").exists():
        raise LessonFailed(f"examples/{name}.py: ran, but wrote no {name}/summary.json (does it call lesson.finish()?)")
    nb.metadata.pop("widgets", None)  # no widget state: the page needs no widget manager
    _drop_repeated_pictures(nb)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    (folder / "seconds.txt").write_text(f"{seconds:.2f}\n")
    return Lesson(name, path, out / name, seconds, cached=False)


def _drop_repeated_pictures(nb: Any) -> int:
    """Show a picture once per cell: drop an image output equal to one already shown above it.

    Without ipywidgets, ``display(viz.interact_activation())`` shows the static grid, and the
    inline backend shows the same pyplot figure again at the end of the cell (as it would in
    a Jupyter without ipywidgets): the page keeps the first.
    """
    dropped = 0
    for cell in nb.cells:
        seen = set()
        keep = []
        for o in cell.get("outputs", []):
            picture = next((o["data"][k] for k in ("image/png", "image/svg+xml") if k in o.get("data", {})), None)
            if picture is not None:
                key = picture if isinstance(picture, str) else "".join(picture)
                if key in seen:
                    dropped += 1
                    continue
                seen.add(key)
            keep.append(o)
        cell["outputs"] = keep
    return dropped


def execute_lessons(cache: Path, names: Optional[Sequence[str]] = None, jobs: int = 2) -> List[Lesson]:
    """Every lesson executed (or taken from ``cache`` when nothing it runs has changed)."""
    names = list(lesson_names() if names is None else names)
    cache.mkdir(parents=True, exist_ok=True)

    # Fingerprints first, in this thread: they parse the scripts with ``ast``, and CPython
    # 3.11 keeps the AST constructor's recursion depth in state shared by all threads, so two
    # threads parsing at once can fail with "SystemError: AST constructor recursion depth
    # mismatch" (seen in CI). Only the executions below run two at a time.
    keys = {name: _fingerprint(name) for name in names}

    def one(name: str) -> Lesson:
        key = keys[name]
        folder = cache / name
        stamp = folder / "fingerprint.txt"
        if stamp.exists() and stamp.read_text().strip() == key and (folder / f"{name}.ipynb").exists():
            seconds = float((folder / "seconds.txt").read_text())
            lesson = Lesson(name, folder / f"{name}.ipynb", folder / "out" / name, seconds, cached=True)
        else:
            lesson = _execute(name, folder)
            stamp.write_text(key + "\n")
        lesson.steppers = sorted(p.relative_to(lesson.out) for p in lesson.out.rglob("*.html"))
        return lesson

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, names))


def _srcdoc_pages(nb: Any) -> List[str]:
    """The HTML pages a notebook shows inline (``lesson.show_page``: an iframe's srcdoc)."""
    pages = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            text = o.get("data", {}).get("text/html")
            if text:
                text = "".join(text) if isinstance(text, list) else text
                pages += [html.unescape(m) for m in re.findall(r'<iframe[^>]*\ssrcdoc="([^"]*)"', text)]
    return pages


def lesson_page(lesson: Lesson, folder: Path) -> Path:
    """The page's notebook: the executed one with the intro after its title cell."""
    import nbformat

    nb = nbformat.read(str(lesson.notebook), as_version=4)
    name = lesson.name
    shown = _srcdoc_pages(nb)
    steppers_md = []
    embeds = []
    for rel in lesson.steppers:
        page_text = (lesson.out / rel).read_text(encoding="utf-8")
        link = f"{name}/{rel.as_posix()}"
        title = re.search(r"<title>(.*?)</title>", page_text, re.S)
        label = html.unescape(title.group(1)).strip() if title else rel.name
        steppers_md.append(f"[{label}]({link})")
        if page_text not in shown:  # the notebook does not show it: the page embeds it
            embeds.append(
                f'<iframe class="stepper" src="{html.escape(link)}" width="100%" height="480" allowfullscreen '
                f'title="{html.escape(label)}" style="border: 1px solid #ccc"></iframe>'
            )
    summary = lesson.summary
    intro = [
        f"**Run it yourself**: `python examples/{name}.py` (every figure) or `python examples/{name}.py --fast`; "
        f"the source is [the script]({'scripts/' + name + '.py'}) and [its notebook]({'scripts/' + name + '.ipynb'}).",
        "",
        f"This page is that notebook, executed when the site was built, in `--fast` mode (small sizes, "
        f"{summary['seconds']:.1f} s): every number and picture below is what the script computes at those sizes. "
        f"Lines such as `[{name}] event key=value` are the lesson's log; `summary.json` holds the same numbers. "
        f"Click a figure to show it full screen, at the size it was drawn for (Esc: back to the page).",
    ]
    if steppers_md:
        intro += [
            "",
            "**Backward, step by step**: the stepper below is live. Click it, then step with PageDown/PageUp, "
            "Space, the arrow keys or a presenter's clicker (Home/End: first and last step; F: full screen; "
            "E: the explanation). Open it on its own page for a lecture: " + ", ".join(steppers_md) + ".",
        ]
    cells = [nb.cells[0], nbformat.v4.new_markdown_cell("\n".join(intro))]
    if embeds:
        cells.append(nbformat.v4.new_markdown_cell("\n\n".join(embeds)))
    for k, c in enumerate(cells[1:], 1):
        c["id"] = f"{name}-site-{k}"
    nb.cells = cells + nb.cells[1:]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def lessons_index(lessons: Sequence[Lesson], copies: Dict[str, str]) -> str:
    _, sections = readme_sections()
    body = next((s.body for s in sections if s.slug == "the-lessons"), "")
    body = rewrite_links(body, "lessons/index.md", copies)

    # the table's `python examples/NAME.py` cells link to the lesson's page
    def link(m: "re.Match[str]") -> str:
        name = m.group(1)
        return f"[`python examples/{name}.py`]({name}.ipynb)" if name in {x.name for x in lessons} else m.group(0)

    body = re.sub(r"`python examples/(\w+)\.py`(?=\s*\|)", link, body)
    pages = [f"- [{_title(x)}]({x.name}.ipynb) (`examples/{x.name}.py`)" for x in lessons]
    return "\n".join([
        "# The lessons", "",
        "Each page below is an example notebook executed when this site was built, in `--fast` mode "
        "(small sizes: seconds each), with its figures, graphs and log; the backward steppers are live.", "",
        *pages, "", "## From the README", "", body, "",
    ])


def _title(lesson: Lesson) -> str:
    """The lesson's title: the first line of its script's docstring."""
    import nbformat

    nb = nbformat.read(str(lesson.notebook), as_version=4)
    first = "".join(nb.cells[0].source).split("\n")[0]
    return first.lstrip("# ").strip()


def _short_title(lesson: Lesson) -> str:
    """A navigation label: ``Lesson 2: gradient descent on least squares`` up to its first comma."""
    title = _title(lesson).rstrip(".")
    m = re.match(r"^(Lesson \d+:\s*)(.*)$", title)
    head, rest = (m.group(1), m.group(2)) if m else ("", title)
    rest = re.split(r"[,:;]", rest, maxsplit=1)[0].strip()
    return (head + rest) if rest else title


# ------------------------------------------------------------------------------ the gallery


def gallery_page(titles: Optional[Dict[str, str]] = None) -> str:
    """The gallery: ``scripts/gallery.py``'s picks, under each lesson's title (``titles``: name -> title)."""
    titles = titles or {}
    _importable()
    import gallery

    lines = [
        "# Gallery", "",
        "Figures the examples draw, in their default mode (the lesson pages show the `--fast` versions). "
        "They are committed in `docs/gallery/` and regenerated by `python scripts/gallery.py`, which runs "
        "every example. The [for lecturers](lecturers.md) page shows how to make and embed your own.", "",
    ]
    for example, picks in gallery.GALLERY.items():
        lines += [f"## {titles.get(example, example)}", "", f"From [the lesson's page](lessons/{example}.ipynb) and "
                  f"[`examples/{example}.py`](lessons/scripts/{example}.py).", ""]
        for k, (file, caption) in enumerate(picks, 1):
            src = f"gallery/{gallery.gallery_name(example, file)}"
            lines += [
                '<figure markdown="span">',
                f'  <a href="{src}"><img src="{src}" alt="{html.escape(caption)}" loading="lazy"></a>',
                f"  <figcaption>{k}. {html.escape(caption)}</figcaption>",
                "</figure>", "",
            ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ mkdocs hooks

_STATE: Dict[str, Any] = {}

try:
    from mkdocs.plugins import event_priority
except ImportError:  # the site's tools are not installed: the helpers above still import
    def event_priority(priority: float) -> Any:  # type: ignore[misc]
        return lambda f: f


def _cache_dir() -> Path:
    return Path(os.environ.get("AUTOGRAD_LITE_SITE_CACHE") or ROOT / "build" / "site-cache")


def _generate(staging: Path) -> Dict[str, Any]:
    """Write every generated page and file into ``staging``; return the nav pieces."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    copies: Dict[str, str] = {}
    written: Dict[str, str] = {}

    lessons = execute_lessons(_cache_dir() / "lessons")
    for lesson in lessons:
        (staging / "lessons" / "scripts").mkdir(parents=True, exist_ok=True)
        lesson_page(lesson, staging / "lessons")
        shutil.copyfile(EXAMPLES / f"{lesson.name}.py", staging / "lessons" / "scripts" / f"{lesson.name}.py")
        (staging / "lessons" / "scripts" / f"{lesson.name}.ipynb").write_text(
            notebooks.render(EXAMPLES / f"{lesson.name}.py"), encoding="utf-8")
        for rel in lesson.steppers:
            dst = staging / "lessons" / lesson.name / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lesson.out / rel, dst)
    written["lessons/index.md"] = lessons_index(lessons, copies)
    written.update(guide_pages(copies))
    written.update(api_pages())
    written["gallery.md"] = gallery_page({x.name: _title(x).rstrip(".") for x in lessons})
    for path, text in written.items():
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        (staging / path).write_text(text, encoding="utf-8")
    for site, repo in copies.items():
        (staging / site).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / repo, staging / site)
    return {"lessons": lessons, "copies": copies}


def _nav(lessons: Sequence[Lesson]) -> List[Any]:
    return [
        {"Home": "index.md"},
        {"Lessons": ["lessons/index.md"] + [{_short_title(x): f"lessons/{x.name}.ipynb"} for x in lessons]},
        {"Guide": [{s.title.replace("`", ""): f"guide/{s.slug}.md"} for s in guide_sections()]},
        {"API reference": ["api/index.md"] + [{title: f"api/{page}.md"} for page, title, *_ in API_GROUPS
                                              if api_names()[page]]},
        {"Gallery": "gallery.md"},
        {"For lecturers": "lecturers.md"},
    ]


def on_config(config: Any) -> Any:
    _importable()
    staging = _cache_dir() / "pages"  # the generated pages (rewritten on every build)
    made = _generate(staging)
    _STATE.update(made, staging=staging)
    config["nav"] = _nav(made["lessons"])
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    staging: Path = _STATE["staging"]
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        rel = path.relative_to(staging).as_posix()
        f = File(rel, str(staging), config["site_dir"], config["use_directory_urls"])
        existing = files.get_file_from_path(rel)
        if existing is not None:
            raise LinkError(f"site: docs/{rel} would be overwritten by a generated page; remove it from docs/")
        files.append(f)
    return files


_MARKER = re.compile(r"<!--\s*readme:intro\s*-->")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if _MARKER.search(markdown):
        copies: Dict[str, str] = {}
        markdown = _MARKER.sub(lambda m: readme_intro(copies), markdown)
        if copies:
            raise LinkError(f"the README's intro links to repository files {sorted(copies)}; link them in a section")
    return markdown


# nbconvert's page template loads MathJax and (when a page has diagrams) mermaid from CDNs; the
# lessons use neither, and the site must work offline: both go, and nothing else external stays.
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MERMAID = re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{\s*'
                      r'const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>', re.S)
# matplotlib's animations (to_jshtml) take their buttons' icons from a Font Awesome CDN: the
# site's stylesheet draws them with plain characters instead (docs/assets/stylesheets/site.css).
_FONT_AWESOME = re.compile(r"<link\b[^>]*font-awesome[^>]*>", re.I)
_TAG = re.compile(r"<(script|link|img|iframe|source|video|audio|embed|object)\b([^>]*)>", re.I)
_URL_ATTR = re.compile(r"""\s(src|href|data)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", re.I)
_REL = re.compile(r"""\srel\s*=\s*["']?([^"'>]*)""", re.I)


def external_loads(page: str) -> List[str]:
    """What ``page`` would fetch from the network when opened: scripts, styles, fonts, images, frames.

    A ``<link>`` that only names a URL (``rel="canonical"``, which ``mkdocs serve`` adds) fetches nothing.
    """
    found = []
    for m in _TAG.finditer(page):
        url = _URL_ATTR.search(m.group(2))
        if url is None:
            continue
        if m.group(1).lower() == "link":
            rel = _REL.search(m.group(2))
            if rel and not set(rel.group(1).lower().split()) & {"stylesheet", "preload", "modulepreload", "icon",
                                                                  "prefetch", "preconnect", "manifest"}:
                continue
        found.append(m.group(0))
    return found


_MEMBER = re.compile(r'(<h\d id="(\w+)\.(\w+)\.(\w+)" class="doc doc-heading">.*?<span class="doc doc-object-name '
                     r'doc-\w+-name">)(\w+)(</span>)', re.S)


def _qualify(content: str) -> str:
    """A class member's heading reads ``Value.backward``, as PyTorch's reference writes it.

    Search then finds "Value.backward" by its title, and a reader who lands on the
    heading sees whose method it is.
    """
    import importlib
    import inspect

    def sub(m: "re.Match[str]") -> str:
        package, owner, member = m.group(2), m.group(3), m.group(4)
        if package not in PACKAGES or m.group(5) != member:
            return m.group(0)
        obj = getattr(importlib.import_module(package), owner, None)
        if not inspect.isclass(obj):
            return m.group(0)
        return f"{m.group(1)}{owner}.{member}{m.group(6)}"

    return _MEMBER.sub(sub, content)


_SRCDOC = re.compile(r'(<iframe\b[^>]*\ssrcdoc=")([^"]*)(")')


def _allow_fullscreen(m: "re.Match[str]") -> str:
    """An inline stepper's iframe, allowed full screen (its F key and button).

    The stepper fits a narrow frame by itself (viz/frames.py wraps its toolbar): the page
    is left as the lesson wrote it.
    """
    start = m.group(1)
    if re.search(r"\sallowfullscreen\b", start) or "window.stepper" not in html.unescape(m.group(2)):
        return m.group(0)
    return start.replace("<iframe", "<iframe allowfullscreen", 1) + m.group(2) + m.group(3)


def on_page_content(content: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri.startswith("api/"):
        content = _qualify(content)
    content = _SRCDOC.sub(_allow_fullscreen, content)
    content = _MATHJAX.sub("", content)
    content = _MERMAID.sub("", content)
    content = _FONT_AWESOME.sub("", content)
    return content


def on_post_page(output: str, page: Any, config: Any) -> str:
    bad = external_loads(output)
    if bad:
        raise LinkError(f"site: {page.file.src_uri} loads something from the network ({bad[0]!r}); "
                        f"the site must work offline")
    return output


# ------------------------------------------------------------------------------ command line


def build(site_dir: Path, *, strict: bool = True, cache: Optional[Path] = None) -> float:
    """Build the site into ``site_dir`` (strict: any warning fails); return the seconds taken."""
    from mkdocs.commands.build import build as mk_build
    from mkdocs.config import load_config

    if cache is not None:
        os.environ["AUTOGRAD_LITE_SITE_CACHE"] = str(cache)
    started = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(ROOT)  # mkdocs.yml names the griffe extension by a path from here
    try:
        config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site_dir), strict=strict)
        mk_build(config)
    finally:
        os.chdir(cwd)
    return time.perf_counter() - started


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site", help="where the site goes (default site/)")
    parser.add_argument("--cache", type=Path, default=None, help="executed lessons (default build/site-cache/)")
    args = parser.parse_args(argv)
    seconds = build(args.out.resolve(), cache=args.cache)
    print(f"built the site into {args.out} in {seconds:.1f} s; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
