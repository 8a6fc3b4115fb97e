"""The README cannot drift: its tour is executed, and its commands are the ones CI runs."""

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_tour_runs_and_prints_what_it_says(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # files the tour saves land here, not in the checkout
    blocks = re.findall(r"```pycon\n(.*?)```", README, flags=re.S)
    assert blocks, "the README has no pycon tour"
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    shared: dict = {}  # the README reads top to bottom: a block may use names from earlier ones
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, shared, f"README block {i}", "README.md", 0)  # copies shared
        runner.run(test, clear_globs=False)
        shared = test.globs
    result = runner.summarize(verbose=False)
    assert result.attempted > 10
    assert result.failed == 0, "a README example printed something else (see the output above)"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S)
    assert first_block and README.index(first_block.group(0)) < 40, "the commands must come first"
    example_cmd, test_cmd = first_block.group(1).strip().splitlines()
    script = re.search(r"python (examples/\S+\.py)", example_cmd)
    assert script and (ROOT / script.group(1)).exists()
    ci = (ROOT / ".ci" / "run").read_text()
    # CI makes its own venv and installs torch==2.13.0; the rest of the line is identical.
    tail = test_cmd.split("pip install torch==2.13.0 && ", 1)[1]
    assert tail in ci.splitlines(), f"CI must run the README's test command: {tail}"
    assert "torch==2.13.0" in ci


def test_example_doctests_in_the_engine_docstrings() -> None:
    import autograd_lite.engine as engine
    import autograd_lite.tensor as tensor

    for module in (engine, tensor):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
