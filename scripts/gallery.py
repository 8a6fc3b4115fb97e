"""Regenerate the README's gallery: run the examples, copy their best figures to docs/gallery/.

    python scripts/gallery.py            # run every example (default mode), copy, rewrite the README section
    python scripts/gallery.py --only lesson0_engine   # run those examples only; the others' figures stay
    python scripts/gallery.py --check    # exit 1 if the README's gallery and docs/gallery/ disagree with GALLERY

The figures are committed, so the README shows them without anyone running anything;
this script is how they stay what the examples draw. The README's gallery lies between
the markers ``<!-- gallery -->`` and ``<!-- /gallery -->`` and is written from
``GALLERY`` below, one row per example.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from nn.files import write_atomic

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "gallery"
README = ROOT / "README.md"
START, END = "<!-- gallery -->", "<!-- /gallery -->"

#: example -> [(file it writes, caption)], in the order the README shows them.
GALLERY: Dict[str, List[Tuple[str, str]]] = {
    "tour": [
        ("neuron_after.svg", "a neuron after backward(): data, grad, the gradient sent along each edge"),
        ("backward/backward.gif", "backward, one local rule per frame"),
        ("mlp_layers.svg", "micrograd's 2-16-16-1 MLP on one sample, collapsed to its layers"),
        ("training.png", "hinge loss and accuracy; the decision boundary on the moons"),
    ],
    "lesson0_engine": [
        ("function.png", "the slope of f by a difference quotient: as h shrinks, floating point wins"),
        ("L_by_hand.svg", "L = (a*b + c) * f by hand: each edge's local derivative, each value's gradient"),
        ("training.png", "the lecture's MLP, with zero_grad and without it (its bug, replayed on purpose)"),
    ],
    "lesson1_activations": [
        ("network_fit.png", "the 7-parameter sigmoid network, fitted to -x**2 by the engine"),
        ("network_graph.svg", "the fitted network at x = 0.5: the notes' names, values and gradients"),
        ("landscape.png", "random starts and their descent paths at three learning rates"),
        ("mean_descent.png", "finding a mean: n = 5, 10 converge; n = 100 diverges at lr 0.05"),
    ],
    "lesson2_least_squares": [
        ("lr_panel.png", "eta 0.002, 0.0055, 0.0065: converging, zig-zagging, diverging"),
        ("surface3d.png", "the descent path on the quadratic bowl"),
        ("line_fit.gif", "the line fitting the data, step by step"),
    ],
    "lesson3_house_prices": [
        ("graph_neurons.svg", "one house's loss through the 2-5-1 network, one node per neuron"),
        ("predictions.png", "house prices: predicted against actual, in thousands"),
        ("gradient_flow.png", "gradient norm per layer: vanishing, healthy, exploding"),
        ("dead_relus.png", "dead ReLUs: what a large negative bias does"),
    ],
    "lesson4_digits": [
        ("loss_curves.png", "digits: the loss of every batch, coloured by batch index"),
        ("weights.png", "first-layer weights before and after training"),
        ("wrong.png", "the test digits the network gets wrong"),
    ],
    "lesson5_loss_surface": [
        ("surface_path.png", "the 1-1-1 tanh network's two weights: test-loss surface and the SGD path"),
        ("random_plane.png", "a 1-16-16-1 MLP's loss on a random plane (filter-normalised)"),
    ],
}


def gallery_name(example: str, file: str) -> str:
    """``tour`` + ``backward/backward.gif`` -> ``tour-backward.gif`` (flat, unique)."""
    return f"{example}-{Path(file).name}"


def section() -> str:
    """The README's gallery section, as GALLERY describes it."""
    lines = [START, "", "| example | figures |", "|---|---|"]
    for example, picks in GALLERY.items():
        cells = " ".join(
            f'<img src="docs/gallery/{gallery_name(example, f)}" width="{230 if len(picks) > 3 else 300}" '
            f'alt="{caption}" title="{caption}">'
            for f, caption in picks
        )
        captions = "; ".join(f"{i + 1}. {caption}" for i, (_, caption) in enumerate(picks))
        lines.append(f"| [`{example}.py`](examples/{example}.py)<br>{captions} | {cells} |")
    lines += ["", END]
    return "\n".join(lines)


def _copy(src: Path, dst: Path) -> None:
    """Copy a figure; a PNG goes through a 256-colour palette, a third of the bytes in git."""
    if src.suffix != ".png":
        shutil.copyfile(src, dst)
        return
    from PIL import Image  # matplotlib's own dependency

    with Image.open(src) as im:
        im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)


def run_examples(out: Path, examples: List[str]) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for example in examples:
        print(f"running examples/{example}.py ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "examples" / f"{example}.py"), "--out", str(out / example)],
                       check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def check() -> List[str]:
    problems = []
    text = README.read_text()
    if START not in text or END not in text:
        return [f"README.md has no {START} ... {END} section"]
    current = text[text.index(START): text.index(END) + len(END)]
    if current != section():
        problems.append("README.md's gallery differs from GALLERY: run python scripts/gallery.py")
    wanted = {gallery_name(e, f) for e, picks in GALLERY.items() for f, _ in picks}
    have = {p.name for p in DOCS.iterdir()} if DOCS.is_dir() else set()
    problems += [f"docs/gallery/{name} is missing" for name in sorted(wanted - have)]
    problems += [f"docs/gallery/{name} is not in GALLERY (delete it)" for name in sorted(have - wanted)]
    for example, picks in GALLERY.items():
        script = (ROOT / "examples" / f"{example}.py").read_text()
        for f, _ in picks:
            # The figure must be one the example writes, by that name.
            literal = Path(f).parts[0] if len(Path(f).parts) > 1 else f  # a folder the example fills, or the file
            if f'"{literal}"' not in script:
                problems.append(f"examples/{example}.py does not write {f}")
    return problems


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--only", nargs="+", choices=list(GALLERY), help="run these examples only; keep the others' figures")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    examples = args.only or list(GALLERY)
    with tempfile.TemporaryDirectory() as tmp:
        run_examples(Path(tmp), examples)
        if args.only is None and DOCS.exists():
            shutil.rmtree(DOCS)
        for example in examples:  # (with --only, that example's old figures only)
            for old in DOCS.glob(f"{example}-*") if DOCS.exists() else []:
                old.unlink()
        DOCS.mkdir(parents=True, exist_ok=True)
        for example in examples:
            for f, _ in GALLERY[example]:
                _copy(Path(tmp) / example / f, DOCS / gallery_name(example, f))
    text = README.read_text()
    if START in text and END in text:
        text = text[: text.index(START)] + section() + text[text.index(END) + len(END):]
    else:
        raise SystemExit(f"README.md has no {START} ... {END} markers: add them where the gallery goes")
    write_atomic(README, text.encode())
    size = sum(p.stat().st_size for p in DOCS.iterdir())
    print(f"wrote {len(list(DOCS.iterdir()))} figures to docs/gallery/ ({size / 1e6:.1f} MB) and README.md's gallery")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
