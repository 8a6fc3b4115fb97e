"""Docstrings as written, for the site's API reference (a griffe extension for mkdocstrings).

The library's docstrings are plain text, not Markdown and not reStructuredText: prose,
doctest blocks (``>>>``), literal blocks after ``::``, aligned tables indented under a
paragraph, ``Args:`` lists and ``*`` bullets. Rendered as Markdown unchanged, a doctest
would become a nested quote (``>>>``), ``x1*w1 + x2*w2`` would turn half italic and
``__init__`` bold. This extension turns each docstring into Markdown that shows what
the author wrote:

* a doctest block (from ``>>>`` to the next blank line) becomes a ``pycon`` code block,
  character for character, directives included;
* a block after ``::``, or indented under a blank line (the rule tables, the command
  lines), becomes a code block, its alignment kept;
* ``Name:`` followed at once by indented lines (``Args:``) becomes a list, one item per
  line at the first indentation (deeper lines continue the item);
* ``*`` and ``-`` bullets stay bullets;
* everything else is prose with Markdown's special characters escaped, except inside
  ``code`` spans.

mkdocstrings loads it with ``extensions: [scripts/site_docstrings.py]`` (mkdocs.yml).
"""

from __future__ import annotations

import ast
import re
from typing import Any, List

from griffe import Extension

__all__ = ["AsWritten", "to_markdown"]

_CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")
_BULLET = re.compile(r"^([*-]|\d+\.)\s+")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _escape(text: str) -> str:
    """Prose: Markdown's active characters made literal, code spans left alone."""
    parts = _CODE_SPAN.split(text)
    out = []
    for k, part in enumerate(parts):
        if k % 2:  # a code span: Markdown shows it literally already
            out.append(part)
            continue
        part = part.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        part = re.sub(r"([*_\[\]#|])", r"\\\1", part)
        out.append(part)
    return "".join(out)


def _fence(lines: List[str], lang: str) -> List[str]:
    base = min((_indent(s) for s in lines if s.strip()), default=0)
    body = [s[base:] if s.strip() else "" for s in lines]
    while body and not body[-1]:
        body.pop()
    return ["", f"```{lang}", *body, "```", ""]


def _is_python(lines: List[str]) -> bool:
    base = min((_indent(s) for s in lines if s.strip()), default=0)
    try:
        ast.parse("\n".join(s[base:] for s in lines))
    except SyntaxError:
        return False
    return True


def to_markdown(doc: str) -> str:
    """``doc`` (a cleaned docstring: no common indentation) as Markdown that shows it as written."""
    lines = doc.expandtabs().split("\n")
    out: List[str] = []
    i, n = 0, len(lines)
    literal_next = False  # the paragraph before ended in "::"
    while i < n:
        line = lines[i]
        if not line.strip():
            out.append("")
            i += 1
            continue
        ind = _indent(line)
        if line.lstrip().startswith(">>>"):  # a doctest block runs to the next blank line
            block = []
            while i < n and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += _fence(block, "pycon")
            literal_next = False
            continue
        prev_blank = i == 0 or not lines[i - 1].strip()
        if ind > 0 and (prev_blank or literal_next):  # a literal block, or text set apart by indentation
            block = []
            while i < n and (not lines[i].strip() or _indent(lines[i]) >= ind):
                block.append(lines[i])
                i += 1
            out += _fence(block, "python" if literal_next and _is_python(block) else "text")
            literal_next = False
            continue
        # A paragraph at this indentation (continuation lines may be indented more).
        para = [line]
        i += 1
        if line.rstrip().endswith(":") and not line.rstrip().endswith("::") and i < n and _indent(lines[i]) > ind \
                and lines[i].strip() and not lines[i].lstrip().startswith(">>>"):
            # "Args:" and its items: one list item per line at the first indentation.
            out += ["", _escape(line.strip()), ""]
            item_ind = _indent(lines[i])
            items: List[List[str]] = []
            while i < n and lines[i].strip() and _indent(lines[i]) >= item_ind:
                if _indent(lines[i]) == item_ind:
                    items.append([lines[i].strip()])
                else:
                    items[-1].append(lines[i].strip())
                i += 1
            out += [f"- {_escape(' '.join(it))}" for it in items] + [""]
            continue
        if _BULLET.match(line.lstrip()):
            # a bullet and its continuation lines (indented under the text)
            while i < n and lines[i].strip() and _indent(lines[i]) > ind and not _BULLET.match(lines[i].lstrip()):
                para.append(lines[i])
                i += 1
            marker = _BULLET.match(line.lstrip()).group(1)  # type: ignore[union-attr]
            text = " ".join(s.strip() for s in para)[len(marker):].strip()
            if out and out[-1] and not out[-1].lstrip().startswith(("- ", "1. ")) and not re.match(r"^\d+\. ", out[-1]):
                out.append("")  # Markdown needs a blank line before a list
            out.append(("- " if marker in "*-" else f"{marker} ") + _escape(text))
            continue
        while i < n and lines[i].strip() and not lines[i].lstrip().startswith(">>>") \
                and not (_BULLET.match(lines[i].lstrip()) and _indent(lines[i]) <= ind):
            para.append(lines[i])
            i += 1
        last = para[-1].rstrip()
        literal_next = last.endswith("::")
        if literal_next:  # reST: "text::" shows "text:", a lone "::" shows nothing
            para[-1] = last[:-2].rstrip() + (":" if last[:-2].strip() else "")
        # keep the author's line breaks inside a paragraph (aligned columns, short lines)
        text = [_escape(s.strip()) for s in para if s.strip()]
        out.append("\n".join(text))
    md = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", md).strip() + "\n"


class AsWritten(Extension):
    """Turn every docstring griffe loads into Markdown that shows it as written."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        doc = getattr(obj, "docstring", None)
        if doc is not None and doc.value and not getattr(doc, "_as_written", False):
            doc.value = to_markdown(doc.value)
            doc._as_written = True  # an alias may hand the same object back: convert once
