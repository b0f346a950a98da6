"""Reading submissions: problems become messages, notebooks become cells."""

from __future__ import annotations

import nbformat

from autograder.submission import CHECK_TAG, load_submission, strip_magics


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_python_file_is_one_cell(tmp_path):
    sub = load_submission(write(tmp_path, "storage.py", "x = 1\n"), "storage")
    assert sub.problem is None and sub.cells == [("x = 1\n", "storage.py")]


def test_problems_are_explained(tmp_path):
    cases = {
        "empty.py": (b"", "empty"),
        "binary.py": (b"\x00\x01\x02", "binary"),
        "latin.py": (b"x = '\xe9'\n", "UTF-8"),
        "syntax.py": ("def f(:\n    pass\n", "syntax error on line 1"),
        "bad.ipynb": ("{not json", "not valid JSON"),
        "invalid.ipynb": ('{"cells": 3}', "not a valid Jupyter notebook"),
    }
    for name, (data, words) in cases.items():
        sub = load_submission(write(tmp_path, name, data), "storage")
        assert sub.problem and words in sub.problem, (name, sub.problem)
    assert "could not be read" in load_submission(tmp_path / "missing.py", "storage").problem


def test_huge_file_is_refused_without_reading(tmp_path):
    sub = load_submission(write(tmp_path, "big.py", b"#" * (3 * 1024 * 1024)), "storage")
    assert "more than" in sub.problem


def test_notebook_cells_skip_checks_and_magics(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# hi"),
                nbformat.v4.new_code_cell("%matplotlib inline\n!pip install x\ndef f():\n    return 1"),
                nbformat.v4.new_code_cell("assert f() == 2", metadata={"tags": [CHECK_TAG]}),
                nbformat.v4.new_code_cell("def g(:")]
    sub = load_submission(write(tmp_path, "s.ipynb", nbformat.writes(nb)), "storage")
    assert sub.problem is None and len(sub.cells) == 2
    assert "pass  # removed: %matplotlib inline" in sub.cells[0][0]
    assert sub.cells[1][0].startswith("raise SyntaxError")


def test_strip_magics_keeps_indentation():
    assert strip_magics("if x:\n    !ls") == "if x:\n    pass  # removed: !ls"


DEEP_SOURCES = {
    # each is legal Python that CPython's parser or compiler gives up on (RecursionError / MemoryError)
    "unary minus": "x = " + "-" * 5000 + "1\n",
    "not": "x = " + "not " * 20000 + "1\n",
    "attributes": "x = a" + ".b" * 20000 + "\n",
    "calls": "x = f" + "()" * 20000 + "\n",
    "lambdas": "x = " + "lambda: " * 5000 + "1\n",
    "sum": "x = " + "+".join(["1"] * 20000) + "\n",
    # parses, but deeper than any recursive reader after the parser may safely walk
    "just parseable": "x = " + "-" * 400 + "1\n",
}


def test_any_nesting_is_a_clear_problem_not_a_crash(tmp_path):
    for name, source in DEEP_SOURCES.items():
        sub = load_submission(write(tmp_path, "storage.py", source), "storage")
        assert sub.problem and "too deeply" in sub.problem and not sub.cells, (name, sub.problem)


def test_deep_notebook_cell_is_skipped_alone(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def f():\n    return 1"),
                nbformat.v4.new_code_cell("y = " + "-" * 5000 + "1")]
    sub = load_submission(write(tmp_path, "s.ipynb", nbformat.writes(nb)), "storage")
    assert sub.problem is None and len(sub.cells) == 2
    assert sub.cells[0][0].startswith("def f") and "too deeply" in sub.cells[1][0]


def test_deeply_nested_notebook_json_is_a_clear_problem(tmp_path):
    for depth in (100, 100_000):  # under and over the JSON decoder's own recursion limit
        doc = '{"cells": [], "metadata": {"x": ' + "[" * depth + "]" * depth + '}, "nbformat": 4, "nbformat_minor": 5}'
        sub = load_submission(write(tmp_path, "s.ipynb", doc), "storage")
        assert sub.problem and "nests more than" in sub.problem, (depth, sub.problem)


def test_every_bundled_solution_and_mistake_is_within_the_nesting_bounds():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "solutions"
    files = sorted(root.glob("*/*.py")) + sorted(root.glob("*/mistakes/*.py"))
    assert files
    for path in files:
        sub = load_submission(path, path.stem)
        assert sub.problem is None or "too deeply" not in sub.problem, path
