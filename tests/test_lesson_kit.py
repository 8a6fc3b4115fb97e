"""examples/_lesson.py: the command line, the log format, and saving that never leaves half a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import example_runner  # noqa: F401  (puts examples/ on sys.path)
from _lesson import LOG_LINE, Lesson


def make(tmp_path: Path, argv, **config):
    names = {"n": 10, "eta": 0.002, "name": "relu", "full_run": False, "sizes": [16, 16], **config}
    lesson = Lesson("kit", names, fast=dict(n=3), full=dict(n=1000), argv=["--out", str(tmp_path), *argv])
    return lesson, names


def test_modes_and_command_line_overrides_write_back_into_the_config(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("AUTOGRAD_LITE_MODE", raising=False)
    lesson, names = make(tmp_path, [])
    assert lesson.mode == "default" and names["n"] == 10
    lesson, names = make(tmp_path, ["--fast"])
    assert lesson.mode == "fast" and names["n"] == 3
    lesson, names = make(tmp_path, ["--full", "--n=7", "--eta=1", "--name=tanh", "--full_run=True", "--sizes=[4]"])
    assert names == {**names, "n": 7, "eta": 1.0, "name": "tanh", "full_run": True, "sizes": [4]}
    assert isinstance(names["eta"], float)  # --eta=1 is still a learning rate, not an int
    monkeypatch.setenv("AUTOGRAD_LITE_MODE", "fast")
    assert make(tmp_path, [])[1]["n"] == 3  # notebooks choose the mode through the environment
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr=0.1"], "unknown config name 'lr'"),
        (["--n=0.5"], "--n=0.5 is a float, but n is a int"),
        (["--full_run=1"], "--full_run must be True or False"),
        (["--fastest"], "cannot read argument '--fastest'"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_fix(tmp_path: Path, argv, message) -> None:
    with pytest.raises(SystemExit, match=message):
        make(tmp_path, argv)


def test_mode_overrides_must_be_config_names(tmp_path: Path) -> None:
    with pytest.raises(NameError, match=r"fast= overrides \['steps'\], which are not config names"):
        Lesson("kit", {"n": 1}, fast=dict(steps=3), argv=["--out", str(tmp_path)])


def test_log_is_one_parsable_line_per_event_and_lands_in_the_summary(tmp_path: Path, capsys) -> None:
    lesson, _ = make(tmp_path, [])
    lesson.log("descent", eta=0.0065, diverged=True, final_loss=float("inf"), start=(-8.0, -2.0), note="two words")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    m = LOG_LINE.match(line)
    assert m and m["event"] == "descent"
    assert dict(f.split("=") for f in m["fields"].split()) == {
        "eta": "0.0065", "diverged": "True", "final_loss": "inf", "start": "-8,-2", "note": "two_words"
    }
    with pytest.raises(ValueError, match="must be one word"):
        lesson.log("two words")
    summary = lesson.finish()
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["records"][1] == {"event": "descent", "eta": 0.0065, "diverged": True, "final_loss": "inf",
                                     "start": [-8.0, -2.0], "note": "two words"}
    assert on_disk["records"] == summary["records"] and on_disk["config"]["n"] == 10


def test_save_writes_figures_graphs_and_refuses_anything_else(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    import viz
    import viz.render
    from autograd_lite import Value

    lesson, _ = make(tmp_path, [])
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    p = lesson.save(fig, "line.png")
    assert p.read_bytes()[:4] == b"\x89PNG" and not plt.fignum_exists(fig.number)  # saved and closed
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temporary file left
    x = Value(1.0, label="x")
    g = viz.draw_graph(x * x)
    assert lesson.save(g, "g.svg").read_text().lstrip().startswith("<?xml")
    # No Graphviz on the machine: the DOT text is written instead, and the example goes on.
    monkeypatch.setattr(viz.render, "available_renderers", lambda: [])
    monkeypatch.setattr(viz.render.shutil, "which", lambda name: None)
    monkeypatch.setattr(viz.render, "_has_pygraphviz", lambda: False)
    fresh = viz.draw_graph(x * x)
    q = lesson.save(fresh, "h.svg")
    assert q.suffix == ".dot" and q.read_text() == fresh.source
    with pytest.raises(TypeError, match="cannot save a list"):
        lesson.save([1, 2], "x.png")
    assert lesson.finish()["files"] == ["line.png", "g.svg", "h.dot"]


def test_a_failed_save_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch) -> None:
    import matplotlib.pyplot as plt

    import nn.files

    lesson, _ = make(tmp_path, [])
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    good = lesson.save(fig, "fig.png").read_bytes()
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    ax.plot([1, 0])

    def crash(src, dst):  # the disk fills up, or the process is killed, at the last moment
        raise OSError("no space left on device")

    monkeypatch.setattr(nn.files.os, "replace", crash)
    with pytest.raises(OSError, match="no space"):
        lesson.save(fig, "fig.png")
    assert (tmp_path / "fig.png").read_bytes() == good
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]


def test_help_lists_the_config_names_and_what_each_mode_changes(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        make(tmp_path, ["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "usage: python examples/kit.py" in text and "  --eta=0.002" in text and "  --sizes=[16, 16]" in text
    assert "--fast: n=3" in text and "--full: n=1000" in text
