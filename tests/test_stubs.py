"""Stubs from solutions: both marker forms, marker errors, the leak-check lines, and assignments/ kept in sync."""

from __future__ import annotations

import ast

import pytest

from autograder.assignment import all_assignments
from autograder.stubs import MarkerError, make_stub, solution_lines
from release.assignments import expected_files, stale_files, write_assignment

HINT = 'raise NotImplementedError("your code here: see INSTRUCTIONS.md")'


def test_block_markers_become_a_raise_at_their_indentation():
    source = '''def f(x: int) -> int:
    """Doc stays."""
    # BEGIN SOLUTION
    y = x + 1
    return y
    # END SOLUTION
'''
    assert make_stub(source) == f'def f(x: int) -> int:\n    """Doc stays."""\n    {HINT}\n'


def test_one_line_return_becomes_a_raise():
    stub = make_stub("def f(x):\n    return x * 2  # SOLUTION\n")
    assert stub == f"def f(x):\n    {HINT}\n"


def test_one_line_assignment_becomes_an_ellipsis_the_student_fills_in():
    stub = make_stub("RATE = 0.1  # SOLUTION\ndef f(self):\n    self.total, count = 0.0, 1  # SOLUTION\n")
    assert stub == "RATE = ...  # YOUR CODE HERE\ndef f(self):\n    self.total, count = ...  # YOUR CODE HERE\n"
    ast.parse(stub)  # still valid Python


def test_one_line_marker_keeps_comparisons_and_comments_intact():
    source = "def f(x):\n    # SOLUTION comments are left alone\n    return x == 1  # SOLUTION\n"
    stub = make_stub(source)
    assert "# SOLUTION comments are left alone" in stub
    assert stub.splitlines()[-1] == f"    {HINT}"  # `x == 1` is a return, not an assignment


def test_unmarked_code_is_untouched():
    source = "import torch\n\n\ndef helper(x):\n    return x\n"
    assert make_stub(source) == source


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "line 2: BEGIN SOLUTION inside another"),
    ("x = 1\n# END SOLUTION\n", "line 2: END SOLUTION without BEGIN"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "line 2: BEGIN SOLUTION is never closed"),
])
def test_bad_markers_are_refused_with_the_line(source, message):
    with pytest.raises(MarkerError, match=message):
        make_stub(source)


def test_solution_lines_are_what_the_leak_check_looks_for():
    source = ("def f(x):\n    # BEGIN SOLUTION\n    # a comment is no secret\n    y = x + 1\n\n    return y\n"
              "    # END SOLUTION\n\ndef g(x):\n    return x * 3  # SOLUTION\n")
    assert solution_lines(source) == ["y = x + 1", "return y", "return x * 3"]


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_every_stub_keeps_signatures_and_docstrings(assignment):
    solution = ast.parse(assignment.solution.read_text())
    stub = ast.parse(make_stub(assignment.solution.read_text()))

    def shape(tree):
        return [(n.name, ast.unparse(n.args), ast.get_docstring(n)) for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

    assert shape(stub) == shape(solution)
    assert not set(solution_lines(assignment.solution.read_text())) & {
        line.strip() for line in make_stub(assignment.solution.read_text()).splitlines()}


@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_assignments_folder_is_up_to_date_with_solutions(assignment):
    """assignments/ is generated and committed: it must match what solutions/ gives now."""
    stale = stale_files(assignment)
    assert not stale, (f"assignments/{assignment.name}/ is out of date with solutions/{assignment.name}/ "
                       f"({', '.join(stale)}): run `tensorgrade release assignments {assignment.name}` and commit")


def test_stale_files_notices_an_edit(tmp_path):
    assignment = all_assignments()[0]
    write_assignment(assignment, tmp_path)
    assert stale_files(assignment, tmp_path) == []
    stub = tmp_path / assignment.name / f"{assignment.module}.py"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    assert stale_files(assignment, tmp_path) == [f"{assignment.module}.py"]
    (tmp_path / assignment.name / f"{assignment.module}.py").unlink()
    assert f"{assignment.module}.py" in stale_files(assignment, tmp_path)
    assert set(expected_files(assignment)) >= {f"{assignment.module}.py"}
