"""The README's gallery shows figures the examples draw, and nothing else."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gallery  # noqa: E402  (scripts/gallery.py)


def test_gallery_matches_the_examples_and_the_readme() -> None:
    assert gallery.check() == []


def test_every_image_the_readme_shows_is_committed_and_non_empty() -> None:
    readme = (ROOT / "README.md").read_text()
    images = re.findall(r'src="(docs/gallery/[^"]+)"', readme)
    assert len(images) == sum(len(p) for p in gallery.GALLERY.values()) >= 15
    for rel in images:
        path = ROOT / rel
        assert path.is_file() and path.stat().st_size > 1000, rel
    # one gallery row per example, each example a script that exists
    assert set(gallery.GALLERY) == {p.stem for p in (ROOT / "examples").glob("*.py")} - {"_lesson", "neuron"}


def test_check_reports_a_missing_figure_and_a_stale_readme(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(gallery, "DOCS", tmp_path)  # an empty gallery folder
    readme = tmp_path / "README.md"
    readme.write_text("intro\n" + gallery.START + "\nold\n" + gallery.END + "\n")
    monkeypatch.setattr(gallery, "README", readme)
    problems = gallery.check()
    assert any("differs from GALLERY" in p for p in problems)
    assert any(p.endswith("tour-training.png is missing") for p in problems)
