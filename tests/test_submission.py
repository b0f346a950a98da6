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
