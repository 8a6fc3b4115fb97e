"""ruff and mypy over ``autograd_lite``, ``nn`` and ``viz``: the test command fails on a finding.

Both tools are pinned in the ``lint`` extra (which ``test`` includes) and configured in
``pyproject.toml`` (``[tool.ruff]``: the rule set and why; ``[tool.mypy]``: the strictness
and why). Each runs once, as a subprocess from the repository's root, as CI runs it;
``python -m ruff check`` and ``python -m mypy`` there give the same answer by hand.

A suppression must say why: every ``# type: ignore`` names its error code and is followed
by a comment with the reason; every ``# noqa`` names its rule.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd_lite", "nn", "viz")
CONFIG = str(ROOT / "pyproject.toml")


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as exc:  # pragma: no cover - a broken interpreter path
        pytest.fail(f"cannot run {args[0]}: {exc}")


def _require(tool: str) -> None:
    """The tools come with the test extra: missing, the install is broken (not a skip)."""
    import importlib.util

    if importlib.util.find_spec(tool) is None:
        pytest.fail(f"{tool} is not installed: pip install -e \".[test]\" (the lint extra pins it)")


def test_ruff_finds_nothing() -> None:
    _require("ruff")
    result = _run("ruff", "check", "--no-cache", *PACKAGES)
    assert result.returncode == 0, f"ruff check {' '.join(PACKAGES)}:\n{result.stdout}{result.stderr}"


def test_mypy_finds_nothing() -> None:
    _require("mypy")
    result = _run("mypy")  # the files and the strictness come from [tool.mypy]
    assert result.returncode == 0, f"mypy:\n{result.stdout}{result.stderr}"
    assert "no issues found in" in result.stdout and " 0 source files" not in result.stdout, result.stdout


def test_the_tools_catch_what_the_config_promises(tmp_path: Path) -> None:
    """The configuration is live: a file with a bug of each kind the rule set names fails
    both tools (a config that selects nothing would let everything through)."""
    _require("ruff")
    _require("mypy")
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\n"                                  # F401 unused import
        "def f(x: int, acc: list = []) -> str:\n"     # B006 mutable default
        "    fns = [lambda: i for i in range(3)]\n"   # B023 loop variable captured
        "    if x == None:\n"                         # E711 comparison to None
        "        return ''\n"
        "    return str(acc) + str(fns)\n"
        "def g(x: int) -> str:\n"
        "    return x\n",                            # mypy: an int returned as a str
        encoding="utf-8",
    )
    ruff = _run("ruff", "check", "--no-cache", "--config", CONFIG, "--output-format", "concise", str(bad))
    codes = set(re.findall(r"\b([A-Z]+\d+)\b", ruff.stdout))
    assert {"F401", "B006", "B023", "E711"} <= codes, ruff.stdout + ruff.stderr
    mypy = _run("mypy", "--config-file", CONFIG, "--no-incremental", str(bad), cwd=tmp_path)
    assert mypy.returncode == 1 and "[return-value]" in mypy.stdout, mypy.stdout + mypy.stderr


SUPPRESSION = re.compile(r"#\s*(type:\s*ignore|noqa)\b(\[[^\]]*\]|:\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)?(.*)$")


def test_every_suppression_names_its_code_and_why() -> None:
    bad = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                m = SUPPRESSION.search(line)
                if m is None:
                    continue
                kind, code, rest = m.groups()
                where = f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                if not code:
                    bad.append(f"{where}  (name the code: # type: ignore[code] / # noqa: F401)")
                elif kind.startswith("type") and not re.search(r"#\s*\S", rest):
                    bad.append(f"{where}  (say why in a comment after it)")
    assert not bad, "\n".join(bad)
