"""Bad submissions get a clear message, cost only what they affect, and never crash the grader."""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.grading.runner import grade
from autograder.limits import Limits
from autograder.submission import MAX_SUBMISSION_BYTES, load_submission, strip_magics
from tests.worker_watch import watched  # noqa: F401 - fixture

HW1 = load_assignment("hw1_storage")
LIMITS = Limits(call_timeout=5.0, load_timeout=60.0)
ROW_VIEW = "def row_view(x, i):\n    return x[i]\n"


def notebook(*cells: str, outputs: str = "") -> str:
    nb = nbformat.v4.new_notebook()
    for source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if outputs:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=outputs)]
        nb.cells.append(cell)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# hw1"))
    return nbformat.writes(nb)


# ---------------------------------------------------------------- files that cannot run at all


@pytest.mark.parametrize("content, message", [
    (b"def row_view(x, i)\n    return x[i]\n", "syntax error on line 1"),
    (b"def f():\n\treturn 1\n        return 2\n", "line 3"),
    (b"", "the file is empty: did you save before submitting?"),
    (b"  \n\n\t\n", "the file is empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "not Python source (it contains binary data)"),
    ("x = 'caf\xe9'\n".encode("latin-1"), "not UTF-8 text (bad byte at position 8)"),
    (b"x = 1\n" * (MAX_SUBMISSION_BYTES // 6 + 10), "more than the 2,097,152 allowed"),
], ids=["syntax", "indentation", "empty", "blank", "binary", "latin-1", "huge"])
def test_unrunnable_python_files_say_why(tmp_path, content, message):
    path = tmp_path / "storage.py"
    path.write_bytes(content)
    assert message in (load_submission(path, "storage").problem or "")


@pytest.mark.parametrize("content, message", [
    ("{ not json", "the notebook is not valid JSON"),
    (json.dumps({"cells": 5, "nbformat": 4}), "not a valid Jupyter notebook"),
    (json.dumps([1, 2, 3]), "not a valid Jupyter notebook"),
    (notebook(), "the notebook has no code cells with answers"),
], ids=["not-json", "not-a-notebook", "a-list", "no-code"])
def test_unrunnable_notebooks_say_why(tmp_path, content, message):
    path = tmp_path / "storage.ipynb"
    path.write_text(content)
    assert message in (load_submission(path, "storage").problem or "")


def test_missing_file_and_directory(tmp_path):
    assert "could not be read" in load_submission(tmp_path / "nope.py", "storage").problem
    assert "could not be read" in load_submission(tmp_path, "storage").problem


def test_unrunnable_file_fails_every_test_without_a_worker(tmp_path, watched):  # noqa: F811
    path = tmp_path / "storage.py"
    path.write_text("def row_view(x, i)\n    return x[i]\n")
    report = grade(HW1, path, limits=LIMITS, select="test_same_storage or test_row_view")
    assert report.grader_errors == [] and report.score == 0 and report.tests
    assert all("syntax error on line 1" in t.output for t in report.tests)
    assert "syntax error" in report.problem
    assert watched == [], "nothing to run: no worker is started"


# ---------------------------------------------------------------- notebooks


def test_notebook_outputs_do_not_count_against_the_size_limit(tmp_path):
    path = tmp_path / "storage.ipynb"
    path.write_text(notebook(ROW_VIEW, outputs="plot data " * (MAX_SUBMISSION_BYTES // 5)))
    sub = load_submission(path, "storage")
    assert sub.problem is None and len(sub.cells) == 1


def test_magics_shell_escapes_and_help_are_removed():
    source = "%matplotlib inline\n!pip install torch\nfiles = !ls\nt = %timeit -o f()\ntorch.zeros?\nx = 7 % 3\n"
    cleaned = strip_magics(source)
    compile(cleaned, "cell", "exec")
    assert "x = 7 % 3" in cleaned and "pip" not in cleaned.replace("# removed: !pip", "")
    cell_magic = strip_magics("%%bash\nrm -rf /\necho done")
    compile(cell_magic, "cell", "exec")
    assert "rm -rf" not in cell_magic.replace("# rm -rf", "")


@pytest.mark.slow
def test_notebook_with_magics_and_a_broken_cell_is_graded_on_what_works(tmp_path):
    path = tmp_path / "storage.ipynb"
    cells = ("%matplotlib inline\nimport torch\n!nvidia-smi", "%%capture\nsetup stuff here", ROW_VIEW,
             "def same_storage(a, b)\n    return True", "get_ipython().run_line_magic('x', '')")
    path.write_text(notebook(*cells))
    report = grade(HW1, path, limits=LIMITS, select="test_same_storage or test_row_view")
    assert report.grader_errors == [] and report.problem is None
    by_name = {t.nodeid.rsplit("::", 1)[-1]: t for t in report.tests}
    assert by_name["test_row_view"].status == "passed", "the cells that work still count"
    assert "no function named `same_storage`" in by_name["test_same_storage"].output
    assert any("SyntaxError" in note and "syntax error on line 1" in note for note in report.notes), report.notes
    assert any("NameError" in note and "get_ipython" in note for note in report.notes), report.notes


# ---------------------------------------------------------------- files that run but are wrong in shape


@pytest.mark.slow
@pytest.mark.parametrize("source, test, message", [
    (ROW_VIEW, "test_numpy_copy", "your file has no function named `numpy_copy` (check the spelling)"),
    ("def row_view(x):\n    return x\n", "test_row_view", "takes 1 positional argument but 2 were given; check your "
     "function's parameters"),
    ("row_view = 42\n", "test_row_view", "no function named `row_view`"),
], ids=["missing-function", "wrong-signature", "not-callable"])
def test_wrong_shapes_of_submission(tmp_path, source, test, message):
    path = tmp_path / "storage.py"
    path.write_text(source)
    report = grade(HW1, path, limits=LIMITS, select=test)
    assert report.grader_errors == [] and report.problem is None
    assert report.tests and all(message in t.output for t in report.tests), [t.output for t in report.tests]


@pytest.mark.slow
@pytest.mark.parametrize("source, message", [
    ("import torch\n1 / 0\n" + ROW_VIEW, "importing storage.py raised ZeroDivisionError: division by zero"),
    ("import tensorflow_nonexistent_pkg\n" + ROW_VIEW, "only the packages installed for grading are available"),
], ids=["import-time-exception", "missing-package"])
def test_import_failures_are_one_clear_message(tmp_path, source, message, watched):  # noqa: F811
    path = tmp_path / "storage.py"
    path.write_text(source)
    report = grade(HW1, path, limits=LIMITS, select="test_same_storage or test_row_view")
    assert report.grader_errors == [] and report.score == 0
    assert message in report.problem and "(at line" in report.problem, report.problem
    assert all(message in t.output for t in report.tests)
    assert len(watched) == 1, "the import is tried once, not once per test"
