"""otter-grader export: an ``otter assign`` master notebook.

``tensorgrade release otter <hw> --out DIR`` writes ``DIR/otter-master/<module>.ipynb``. Then
``otter assign DIR/otter-master/<module>.ipynb DIR/dist`` builds ``dist/student/`` and
``dist/autograder/`` (with the autograder zip) and ``otter run`` grades a notebook. Each function
with public checks is one question; its test cell runs those checks. Only public tests go in:
otter keeps test code where students can read it (ucbds-infra/otter-grader#465), so the hidden
graders stay with tensorgrade.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.assignment import Assignment
from release import notebooks, public_checks
from release.sources import read_optional, source_dir
from release.stubs import make_stub
from release.verify import INSTRUCTOR, STUDENT, verify, verify_files

MASTER_DIR = "otter-master"

ASSIGNMENT_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
init_cell: true
check_all_cell: false
export_cell: false
run_tests: true
strip_solutions_from_all_cells: true
tests:
  files: false
  ok_format: true"""


def test_cell(function: str, points: float) -> str:
    """An OK-format test: silent when every public check passes, an AssertionError listing them otherwise."""
    return "\n".join(['""" # BEGIN TEST CONFIG', f"points: {points:g}", '""" # END TEST CONFIG',
                      public_checks.check_cell(function, strict=True)])


def raw(source: str) -> notebooks.PlannedCell:
    return notebooks.PlannedCell("raw", source, "otter")


def master_cells(assignment: Assignment) -> list[notebooks.PlannedCell]:
    """The planned notebook rearranged into otter's blocks: one question per function with public checks."""
    tests_source = read_optional(source_dir(assignment) / "test_public.py")
    planned = notebooks.plan_cells(assignment, "source", strict_checks=True)
    functions = [c.name for c in planned if c.role == "function"]
    groups = public_checks.group_tests(tests_source, functions) if tests_source.strip() else {}
    cells = [raw(ASSIGNMENT_CONFIG.format(name=assignment.name))]
    by_name: dict[str, list[notebooks.PlannedCell]] = {}
    for cell in planned:
        if cell.role in ("heading", "function", "check") and cell.name in groups:
            by_name.setdefault(cell.name, []).append(cell)
            if cell.role != "check":
                continue
            parts = by_name[cell.name]
            heading = [c for c in parts if c.role == "heading"]
            code = [c for c in parts if c.role == "function"]
            points = public_checks.group_points(tests_source, groups[cell.name])
            question = cell.name if cell.name != public_checks.OTHER else "other_checks"
            cells += [raw(f"# BEGIN QUESTION\nname: {question}\npoints: {points:g}"), *heading]
            if code:
                cells += [raw("# BEGIN SOLUTION"), *code, raw("# END SOLUTION")]
            cells += [raw("# BEGIN TESTS"),
                      notebooks.PlannedCell("code", test_cell(cell.name, points), "check", cell.name),
                      raw("# END TESTS"), raw("# END QUESTION")]
        else:
            cells.append(cell)
    return cells


def master_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    return notebooks.to_notebook(master_cells(assignment),
                                 {"tensorgrade": {"assignment": assignment.name, "variant": "otter"}})


def student_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Roughly what ``otter assign`` gives students: solution blocks cut (used for the leak check)."""
    view = nbformat.from_dict(nb)
    for cell in view.cells:
        if cell.cell_type == "code":
            cell.source = make_stub(cell.source)
    view.cells = [c for c in view.cells if c.cell_type != "raw"]
    return view


def write_master(assignment: Assignment, out: Path) -> Path:
    """Write ``out/otter-master/<module>.ipynb`` after the leak check of it and of its student view."""
    nb = master_notebook(assignment)
    name = notebooks.notebook_name(assignment)
    verify_files({f"{MASTER_DIR}/{name}": nbformat.writes(nb).encode()}, INSTRUCTOR)
    verify_files({f"student/{name}": nbformat.writes(student_view(nb)).encode()}, STUDENT)
    path = notebooks.write_notebook(nb, out / MASTER_DIR / name)
    verify(out)
    return path
