"""Run an example script the way a user does, and read back what it wrote.

``run_example("lesson2_least_squares", tmp_path, "--fast")`` runs
``python examples/lesson2_least_squares.py --fast --out TMP`` in a subprocess from the
repository root (through ``tests/run_checked.py``, which checks every figure it saves
against the lecture rules: ``figure_problems(summary)``), checks it exited 0, that every log line has the fixed format, and that
every file it reports is there and non-empty; it returns the run's ``summary.json``
plus its ``stdout``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

from _lesson import LOG_LINE  # noqa: E402


def run_example(name: str, out: Path, *args: str, timeout: float = 300) -> Dict[str, Any]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("AUTOGRAD_LITE_MODE", None)
    env.pop("AUTOGRAD_LITE_OUT", None)
    # tests/run_checked.py runs the script as it is, and checks every figure it saves
    # against the lecture rules on the way (figure_checks.json, read below)
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "run_checked.py"), name, "--out", str(out), *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    bad = [line for line in lines if not LOG_LINE.match(line)]
    assert not bad, f"{name}: log lines out of format: {bad[:5]}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["example"] == name
    for rel in summary["files"]:
        path = out / rel
        assert path.is_file() and path.stat().st_size > 0, f"{name}: {rel} missing or empty"
    summary["stdout"] = result.stdout
    checks = out / "figure_checks.json"
    summary["figure_checks"] = json.loads(checks.read_text()) if checks.exists() else {}
    return summary


def figure_problems(summary: Dict[str, Any]) -> Dict[str, List[str]]:
    """The figures of a run that break a lecture rule, with what is wrong (empty: all pass)."""
    figures = [f for f in summary["files"] if f.endswith((".png", ".gif")) and "/" not in f]
    missing = [f for f in figures if f not in summary["figure_checks"]]
    assert not missing, f"figures saved without being checked: {missing}"
    return {f: p for f, p in summary["figure_checks"].items() if p}


def events(summary: Dict[str, Any], event: str) -> List[Dict[str, Any]]:
    """Every logged record of ``event``, in order."""
    return [r for r in summary["records"] if r["event"] == event]


def event(summary: Dict[str, Any], name: str, **match: Any) -> Dict[str, Any]:
    """The one record of ``name`` whose fields equal ``match``."""
    found = [r for r in events(summary, name) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {name!r} record with {match}, got {len(found)}"
    return found[0]
