"""Run an example as a script, with every figure it saves checked against the lecture rules.

    python tests/run_checked.py lesson2_least_squares --fast --out DIR

The example runs exactly as ``python examples/NAME.py ARGS`` would (``runpy``, as
``__main__``); the only difference is that the kit's ``Lesson.save`` first passes each
matplotlib figure, and each animation's figure, through ``figure_checks.problems`` and
writes what it found to ``OUT/figure_checks.json`` ({file name: [problems]}). A figure is
judged at the size it is saved and projected (fitted to 1920 x 1080); an animation at
its own size, as a GIF is shown: at least 1000 px wide, all text at least 20 px.
"""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
sys.path[:0] = [str(HERE), str(EXAMPLES)]

import _lesson  # noqa: E402
import figure_checks  # noqa: E402


def main(argv: List[str]) -> None:
    name, args = argv[0], argv[1:]
    found: Dict[str, List[str]] = {}
    save = _lesson.Lesson.save

    def checked_save(self: Any, obj: Any, filename: str, **kwargs: Any) -> Any:
        from matplotlib.animation import Animation
        from matplotlib.figure import Figure

        if isinstance(obj, Figure):
            found[filename] = figure_checks.problems(obj)
        elif isinstance(obj, Animation):
            fig = obj._fig  # type: ignore[attr-defined]
            dpi = kwargs.get("dpi") or fig.dpi
            problems = [p for p in figure_checks.problems(fig, skip=("text_size",))]
            problems += figure_checks.text_size_problems(fig, scale_dpi=dpi, body_px=20, min_px=20)
            if fig.get_figwidth() * dpi < 1000:
                problems.append(f"the animation is {fig.get_figwidth() * dpi:.0f} px wide, under 1000 px")
            found[filename] = problems
        target = save(self, obj, filename, **kwargs)
        (self.out / "figure_checks.json").write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
        return target

    _lesson.Lesson.save = checked_save  # type: ignore[method-assign]
    sys.argv = [str(EXAMPLES / f"{name}.py"), *args]
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
