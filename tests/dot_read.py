"""Reading the DOT that viz writes, as a reader of the picture would: ids, visible texts, colours.

One place that knows the shape of viz's DOT (HTML-like labels, one statement per line), so
the tests say what a slide shows (``cells(src, "n3") == ["x1", "data 2.0000", "no grad"]``)
rather than how it is spelled.
"""

from __future__ import annotations

import html
import re
from typing import Dict, List, Optional, Tuple

NODE = re.compile(r"^  ((?:n|c)\d+(?:op)?) \[(.*)\];$", re.M)
EDGE = re.compile(r"^  ([nc]\w+) -> ([nc]\w+)(?: \[(.*)\])?;$", re.M)


def dot_nodes(source: str) -> Dict[str, str]:
    """DOT id -> its attribute list."""
    return {m[1]: m[2] for m in NODE.finditer(source)}


def dot_edges(source: str) -> List[Tuple[str, str, str]]:
    """(from, to, attributes) of every edge, in order."""
    return [(m[1], m[2], m[3] or "") for m in EDGE.finditer(source)]


def label_html(attrs: str, key: str = "label") -> Optional[str]:
    """The HTML-like label ``key=<...>`` of an attribute list (balanced brackets), or None."""
    start = attrs.find(f"{key}=<")
    if start < 0:
        return None
    i = start + len(key) + 1
    depth = 0
    for j in range(i, len(attrs)):
        if attrs[j] == "<":
            depth += 1
        elif attrs[j] == ">":
            depth -= 1
            if depth == 0:
                return attrs[i + 1 : j]
    raise ValueError(f"unbalanced label in {attrs[:80]!r}")


def text_of(fragment: str) -> str:
    """The visible text of an HTML-like label fragment (``<BR/>``: a line break)."""
    text = re.sub(r"<BR[^>]*/>", "\n", fragment)
    text = re.sub(r"<[^>]+>", "", text)
    # viz doubles backslashes (Graphviz expands \N, \E ... even in HTML labels)
    return html.unescape(text).replace("\\\\", "\\").strip()


def cells(source: str, node_id: str) -> List[str]:
    """The visible text of each innermost table cell of a node, in order."""
    label = label_html(dot_nodes(source)[node_id]) or ""
    return [text_of(c) for c in re.findall(r"<TD[^>]*>((?:(?!<TD|</TD>).)*)</TD>", label)]


def op_label(source: str, node_id: str) -> str:
    """The text of an op node (``n3op``) or any plain-labelled node."""
    return text_of(label_html(dot_nodes(source)[node_id]) or "")


def edge_label(attrs: str) -> str:
    """The visible text of an edge's label ("" for none)."""
    label = label_html(attrs)
    return "" if label is None else text_of(label)


def fill(source: str, node_id: str) -> str:
    """The fill colour of a node's table."""
    return re.search(r'<TABLE [^>]*BGCOLOR="([^"]+)"', dot_nodes(source)[node_id]).group(1)


def footer(source: str) -> str:
    """The graph's own label: the caption (frames) and the legend row, as HTML."""
    m = re.search(r"^  label=(<.*>);$", source, re.M)
    return m.group(1) if m else ""


def footer_cells(source: str) -> List[str]:
    """The visible text of each cell of the graph's legend and caption (a note wrapped over
    several lines read as one)."""
    cells = [text_of(c) for c in re.findall(r"<TD[^>]*>((?:(?!<TD|</TD>).)*)</TD>", footer(source))]
    return [" ".join(line.strip() for line in c.split("\n") if line.strip()) for c in cells if c.strip()]


def boxes(source: str) -> Dict[str, List[str]]:
    """cluster label -> the DOT ids listed directly in that box (not in nested boxes)."""
    out: Dict[str, List[str]] = {}
    stack: List[str] = []
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_m"):
            stack.append("")
        elif s.startswith("label=<") and stack and stack[-1] == "":
            stack[-1] = text_of(label_html(s) or "")
            out[stack[-1]] = []
        elif s == "}" and stack:
            stack.pop()
        elif stack and re.fullmatch(r"((n\d+(op)?|c\d+); ?)+", s):
            out[stack[-1]] += [t.strip() for t in s.split(";") if t.strip()]
    return out


def node_texts(source: str) -> Dict[str, str]:
    """DOT id -> all the visible text of its label, on one line."""
    out = {}
    for node_id, attrs in dot_nodes(source).items():
        label = label_html(attrs)
        if label is not None:
            out[node_id] = " ".join(text_of(label.replace("<BR/>", " ").replace("</TD>", " </TD>")).split())
    return out
