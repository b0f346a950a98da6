"""Notebooks: valid, deterministic, and run top to bottom by a real kernel (nbclient + ipykernel).

Stub notebook: every public check reports "not implemented" cleanly. Solved notebook: every
check passes, and ``tensorgrade grade`` gives it full marks. The example case (tests/files/example)
covers the harness's cases fast; every real assignment is covered by the parametrized slow tests.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.assignment import all_assignments
from autograder.grading.runner import grade
from autograder.submission import CHECK_TAG, load_submission
from release.golden import FILES_DIR, use_sources
from release.notebooks import build_notebook, cell_text, execute_notebook, write_notebook
from tests.conftest import lost

STATUS = re.compile(r"^  (PASS|FAIL|TODO|SKIP)  (.*)$", re.MULTILINE)


@pytest.fixture
def example():
    with use_sources(FILES_DIR / "example") as assignments:
        yield assignments[0]


def check_outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Check cell id -> what it printed."""
    return {c.id: cell_text(c) for c in nb.cells if c.cell_type == "code" and CHECK_TAG in c.metadata.get("tags", [])
            and "run_checks(" in c.source and "_tg.setup" not in c.source}


def errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{c.id}: {o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_example_notebook_structure(example):
    nb = build_notebook(example, "stub")
    nbformat.validate(nb)
    kinds = [(c.cell_type, c.id) for c in nb.cells]
    assert kinds[0] == ("markdown", "000-intro") and nb.cells[0].source.startswith("# example_ops")
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    harness = [c for c in nb.cells if "_tg.setup" in c.source]
    assert len(harness) == 1 and harness[0].metadata["tags"] == [CHECK_TAG]
    functions = [m.group(0) for c in nb.cells if (m := re.match(r"(def|class) \w+", c.source))]
    assert functions == ["def double", "def clamp_positive", "def scaled_sum", "class Accumulator"]
    checks = [c.source for c in nb.cells if c.source.startswith("run_checks(")]
    assert checks == ["run_checks('double')", "run_checks('clamp_positive')", "run_checks('scaled_sum')",
                      "run_checks('other checks')"]
    assert 'raise NotImplementedError("your code here' in nb.cells[[c.id for c in nb.cells].index(
        next(c.id for c in nb.cells if c.source.startswith("def double")))].source
    assert nb.metadata.kernelspec.name == "python3"


def test_notebooks_are_deterministic(example):
    for variant in ("stub", "solved", "source"):
        assert nbformat.writes(build_notebook(example, variant)) == nbformat.writes(build_notebook(example, variant))


def test_grading_skips_the_check_cells(example, tmp_path):
    path = write_notebook(build_notebook(example, "solved"), tmp_path / "ops.ipynb")
    submission = load_submission(path, "ops")
    assert submission.problem is None
    assert not any("run_checks" in source or "_tg" in source for source, _ in submission.cells)
    assert any("def double" in source for source, _ in submission.cells)


@pytest.mark.slow
def test_example_stub_wrong_and_solved_notebooks_run_top_to_bottom(example, tmp_path):
    stub = execute_notebook(build_notebook(example, "stub"), tmp_path)
    assert errors(stub) == []
    statuses = [s for text in check_outputs(stub).values() for s in STATUS.findall(text)]
    assert {s for s, _ in statuses} == {"TODO", "PASS"}
    assert [n for s, n in statuses if s == "PASS"][0].startswith("torch imports")  # names no function: passes
    assert "not implemented yet: double" in "".join(check_outputs(stub).values())

    # a student's session: wrong answers first, then the fixed ones, checks re-run in the same kernel
    wrong = build_notebook(example, "solved")
    for cell in wrong.cells:
        if cell.source.startswith(("def double", "def clamp_positive")):  # the answers, not the embedded checks
            cell.source = cell.source.replace("x * 2", "x * 3").replace(
                "x.clamp(min=0)", "(x.clamp(min=0) if x.numel() < 3 else x.abs())")
    fixed = [c for c in build_notebook(example, "solved").cells
             if c.cell_type == "code" and "_tg.setup" not in c.source]
    session = nbformat.from_dict(wrong)
    session.cells += [nbformat.from_dict({**c, "id": f"again-{c.id}"}) for c in fixed]
    session = execute_notebook(session, tmp_path)
    assert errors(session) == []
    outputs = check_outputs(session)
    first = "\n".join(text for cell_id, text in outputs.items() if not cell_id.startswith("again-"))
    assert "FAIL  double doubles (0/1): double(x) is wrong at index 0: yours 3 vs expected 2" in first
    # partial credit: one case of two passes (2 points * 1/2), the composition check fails
    assert "public checks for clamp_positive: 1/3 points" in first
    # in the engine's own words (the notebook runs scoring.py's Credit): which case of how many failed
    assert ("FAIL  clamp_positive zeroes negatives and leaves x alone (1/2): 1 of 2 cases failed:\n"
            "- x = [-3.0, 0.0, 2.0]: clamp_positive(x) is wrong at index 0") in first

    again = [text for cell_id, text in outputs.items() if cell_id.startswith("again-")]
    statuses = [s for text in again for s, _ in STATUS.findall(text)]
    assert len(again) == 4 and statuses and set(statuses) == {"PASS"}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", all_assignments(), ids=lambda a: a.name)
def test_every_assignment_notebook_runs_under_a_real_kernel(assignment, tmp_path):
    """Stub: checks say TODO and nothing crashes; solved: every check passes and grading gives full marks."""
    if not (assignment.solution.parent / "test_public.py").is_file():
        pytest.skip(f"{assignment.name} has no public tests yet")
    stub = execute_notebook(build_notebook(assignment, "stub"), tmp_path)
    assert errors(stub) == []
    outputs = check_outputs(stub)
    assert outputs and all("public checks for" in text for text in outputs.values()), outputs
    statuses = {s for text in outputs.values() for s, _ in STATUS.findall(text)}
    assert "TODO" in statuses and "FAIL" not in statuses, outputs

    solved_nb = build_notebook(assignment, "solved")
    path = write_notebook(solved_nb, tmp_path / f"{assignment.module}.ipynb")
    solved = execute_notebook(solved_nb, tmp_path)
    assert errors(solved) == []
    statuses = [s for text in check_outputs(solved).values() for s, _ in STATUS.findall(text)]
    assert statuses and set(statuses) <= {"PASS", "SKIP"}, check_outputs(solved)

    report = grade(assignment, path)  # `tensorgrade grade` accepts the notebook
    assert report.problem is None and report.grader_errors == []
    assert report.max_score > 0 and report.score == report.max_score, lost(report)


def test_the_notebook_describes_and_scores_with_the_engines_own_code():
    from autograder import faults, scoring
    from release import harness_runtime
    from release.answers import EMBEDDED_ENGINE, HARNESS_PATH
    from release.public_checks import py_literal, setup_cell

    # imported from the package the harness uses the engine's modules; in a notebook, their embedded source
    assert issubclass(harness_runtime.Credit, scoring.Credit) and harness_runtime.earned is scoring.earned
    assert harness_runtime.StudentError is faults.StudentError
    cell = setup_cell("example_ops", "", {})
    assert all(py_literal(path.read_text()) in cell for path in EMBEDDED_ENGINE.values())
    assert cell.index("tensorgrade_scoring") < cell.index("tensorgrade_notebook")  # loaded before the harness
    assert "class Credit:" not in HARNESS_PATH.read_text() and "class StudentFault" not in HARNESS_PATH.read_text()
