"""Turn each example script into a Jupyter notebook beside it: examples/NAME.ipynb.

    python scripts/notebooks.py            # write every notebook
    python scripts/notebooks.py --check    # exit 1 if a committed notebook is out of date

The scripts are the source; the notebooks are generated, never edited by hand. A script
is split into cells at its markers (the "percent" format that VS Code, PyCharm, Spyder
and jupytext also read):

    # %%                  a code cell starts here
    # %% [markdown]       a markdown cell: the "# " comment lines that follow

The module docstring becomes the first markdown cell (its first line the title). A code
cell that ends in a call of the kit (``lesson.save(...)``, ``lesson.finish()``) gets a
``;`` so that Jupyter does not echo the returned path or summary under it. Cell
ids are derived from the script's name and the cell's position, so the same script
always gives byte-identical notebooks. Notebooks are written without outputs; run them
(or ``jupyter nbconvert --execute``) to see the figures inline.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

from nn.files import write_atomic

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def scripts() -> List[Path]:
    """The example scripts that become notebooks (the kit ``_lesson.py`` is not one)."""
    return sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def _cell(kind: str, lines: List[str], cell_id: str) -> Dict[str, Any]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    text = "\n".join(lines)
    source = [line + "\n" for line in text.split("\n")]
    source[-1] = source[-1].rstrip("\n")  # Jupyter stores the last line without its newline
    cell: Dict[str, Any] = {"cell_type": kind, "id": cell_id, "metadata": {}, "source": source}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _quiet_kit_call(lines: List[str]) -> List[str]:
    """End the cell with ``;`` when its last statement is a ``lesson.*(...)`` call."""
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return lines  # a cell of a larger statement; leave it as written
    last = tree.body[-1] if tree.body else None
    if (
        isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
        and isinstance(last.value.func, ast.Attribute) and isinstance(last.value.func.value, ast.Name)
        and last.value.func.value.id == "lesson" and last.end_lineno is not None
    ):
        lines = list(lines)
        row, col = last.end_lineno - 1, last.end_col_offset or 0
        text = lines[row].encode()  # ast columns count UTF-8 bytes
        lines[row] = (text[:col] + b";" + text[col:]).decode()  # before any trailing comment
    return lines


def _docstring_markdown(doc: str) -> List[str]:
    lines = doc.strip("\n").split("\n")
    return [f"# {lines[0].strip()}", *lines[1:]]


def notebook(script: Path) -> Dict[str, Any]:
    """The notebook (nbformat 4 JSON, as a dict) for ``script``."""
    text = script.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree, clean=False)
    if doc is None:
        raise ValueError(f"notebooks: {script.name} has no module docstring; the notebook's first cell is made from it")
    body_start = tree.body[0].end_lineno or 0  # the line after the docstring
    lines = text.split("\n")[body_start:]

    chunks: List[Tuple[str, List[str]]] = [("markdown", _docstring_markdown(doc))]
    kind = "code"
    current: List[str] = []
    for line in lines:
        if line.startswith("# %%"):
            if any(s.strip() for s in current):
                chunks.append((kind, current))
            kind = "markdown" if "[markdown]" in line else "code"
            current = []
            continue
        if kind == "markdown":
            if line.strip() and not line.startswith("#"):
                raise ValueError(
                    f"notebooks: {script.name}: a markdown cell holds only comment lines, got {line!r}; "
                    f"start a code cell with '# %%' first"
                )
            line = line[2:] if line.startswith("# ") else line.lstrip("#")
        current.append(line)
    if any(s.strip() for s in current):
        chunks.append((kind, current))

    chunks = [(k, _quiet_kit_call(c) if k == "code" else c) for k, c in chunks]
    cells = [_cell(k, c, f"{script.stem}-{i:02d}") for i, (k, c) in enumerate(chunks)]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "generated_from": f"examples/{script.name} by scripts/notebooks.py; edit the script, not this file",
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _dumps(nb: Dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def render(script: Path) -> str:
    """The notebook's file text for ``script``."""
    return _dumps(notebook(script))


def stale() -> List[str]:
    """The notebooks that are missing or differ from what their scripts generate."""
    return [
        script.with_suffix(".ipynb").name
        for script in scripts()
        if not script.with_suffix(".ipynb").exists()
        or script.with_suffix(".ipynb").read_text(encoding="utf-8") != render(script)
    ]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the notebooks are up to date")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        if out_of_date:
            print(f"out of date: {', '.join(out_of_date)}; run python scripts/notebooks.py", file=sys.stderr)
        return 1 if out_of_date else 0
    for script in scripts():
        target = script.with_suffix(".ipynb")
        nb = notebook(script)
        write_atomic(target, _dumps(nb).encode("utf-8"))  # an editor never sees half a notebook
        print(f"wrote {target.relative_to(ROOT)} ({len(nb['cells'])} cells)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
