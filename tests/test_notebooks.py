"""The notebooks are the scripts, cell for cell, and each one runs top to bottom in a real kernel."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import notebooks  # noqa: E402  (scripts/notebooks.py, the generator)

SCRIPTS = notebooks.scripts()


def test_every_example_has_an_up_to_date_notebook() -> None:
    assert len(SCRIPTS) >= 7, [s.name for s in SCRIPTS]  # neuron, tour and the five lessons
    assert notebooks.stale() == [], "run python scripts/notebooks.py"
    assert notebooks.main(["--check"]) == 0


def test_the_notebook_holds_the_script_cell_for_cell() -> None:
    for script in SCRIPTS:
        nb = notebooks.notebook(script)
        cells = [c for c in nb["cells"][1:]]
        code = [line for c in cells if c["cell_type"] == "code" for line in "".join(c["source"]).split("\n")]
        # The one change: a cell ending in lesson.save(...) gets ";" (no echo of the path).
        code = [line.rstrip(";") for line in code]
        # Every statement line of the script (after its docstring) is in a code cell, in
        # the same order; markers and markdown comments are not.
        body = script.read_text().split('"""', 2)[2].split("\n")
        statements = [line.rstrip(";") for line in body if line.strip() and not line.lstrip().startswith("#")]
        assert [line for line in code if line.strip() and not line.lstrip().startswith("#")] == statements, script.name
        assert not any(line.startswith("# %%") for line in code)
        markdown = [c for c in cells if c["cell_type"] == "markdown"]
        assert len(markdown) == sum(line.startswith("# %% [markdown]") for line in body), script.name
        assert nb["cells"][0]["cell_type"] == "markdown" and nb["cells"][0]["source"][0].startswith("# ")
        assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])


def test_a_markdown_cell_with_code_in_it_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('"""Doc."""\n# %% [markdown]\n# ## Title\nx = 1\n')
    with pytest.raises(ValueError, match=r"bad\.py: a markdown cell holds only comment lines, got 'x = 1'"):
        notebooks.notebook(bad)
    (tmp_path / "nodoc.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="no module docstring"):
        notebooks.notebook(tmp_path / "nodoc.py")


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_notebook_runs_top_to_bottom_and_shows_its_figures(script: Path, tmp_path: Path, monkeypatch) -> None:
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    # The kernel is the test environment's own: its kernelspec runs `python`, so put this
    # interpreter first on PATH. Fast mode and a temporary output folder, through the
    # environment (a kernel's argv is its own).
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("AUTOGRAD_LITE_MODE", "fast")
    monkeypatch.setenv("AUTOGRAD_LITE_OUT", str(tmp_path))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend, as in Jupyter
    nb = nbformat.reads(script.with_suffix(".ipynb").read_text(), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "examples")}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # nothing on stderr: no warning reaches a cell (a lecture notebook shows only what it means to)
    assert [o.get("text", "")[:200] for o in outputs if o.get("name") == "stderr"] == []
    shown = {kind for o in outputs for kind in o.get("data", {})}
    summary_path = tmp_path / script.stem / "summary.json"
    summary = json.loads(summary_path.read_text())
    if script.stem == "neuron":
        assert summary["mode"] == "fast"
        assert any(r["event"] == "gradcheck" and r["agrees"] is True for r in summary["records"])
        return
    assert summary["mode"] == "fast" and summary["files"]
    files = [Path(f).suffix for f in summary["files"]]
    if ".png" in files:
        assert "image/png" in shown, f"{script.name}: figures were saved but none displayed inline"
    if ".svg" in files:
        assert "image/svg+xml" in shown, f"{script.name}: graphs were saved but none displayed inline"
    if script.stem == "tour":
        # the backward stepper page itself, inline (srcdoc), not a link to a file that moves
        pages = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
        steppers = [p for p in pages if "<iframe" in p]
        assert len(steppers) == 1 and "srcdoc=" in steppers[0] and " src=" not in steppers[0]
        assert "backward, step by step" in steppers[0]
        # cell 9 (the loss curve and the decision boundary) shows one picture: the two side by side
        last = [c for c in nb.cells if c.cell_type == "code"][-1]
        assert "training.png" in "".join(last.source)
        assert sum("image/png" in o.get("data", {}) for o in last.outputs) == 1
