"""Run an example script the way a user does, and read back what it wrote.

``run_example("lesson2_least_squares", tmp_path, "--fast")`` runs
``python examples/lesson2_least_squares.py --fast --out TMP`` in a subprocess from the
repository root, checks it exited 0, that every log line has the fixed format, and that
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
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--out", str(out), *args],
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
    return summary


def events(summary: Dict[str, Any], event: str) -> List[Dict[str, Any]]:
    """Every logged record of ``event``, in order."""
    return [r for r in summary["records"] if r["event"] == event]


def event(summary: Dict[str, Any], name: str, **match: Any) -> Dict[str, Any]:
    """The one record of ``name`` whose fields equal ``match``."""
    found = [r for r in events(summary, name) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one {name!r} record with {match}, got {len(found)}"
    return found[0]
