"""nbgrader export: a source notebook (solution cells, locked public check cells) in a course layout.

``tensorgrade release nbgrader <hw> --course DIR`` writes ``DIR/nbgrader_config.py`` (unless the
course has its own) and ``DIR/source/<hw>/<module>.ipynb``. Then, in the course folder,
``nbgrader generate_assignment <hw>`` makes the student version and ``nbgrader autograde <hw>``
grades submissions with the hidden graders, in the sandbox, into nbgrader's gradebook:
``tensorgrade grade <hw> --from-nbgrader DIR`` (instead of ``nbgrader autograde``). The public
check cells are locked but carry no points: nbgrader's total is the hidden graders' score, as in
every other channel. The hidden graders never enter an nbgrader notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from autograder.assignment import Assignment
from autograder.stubs import BEGIN, END, ONE_LINE
from release import notebooks, public_checks
from release.sources import read_optional, source_dir
from release.verify import INSTRUCTOR, STUDENT, verify, verify_files

CONFIG_HEADER = "# nbgrader course configuration (written by `tensorgrade release nbgrader`)"
NB_BEGIN, NB_END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def config_text(course_id: str) -> str:
    return "\n".join([
        CONFIG_HEADER,
        "c = get_config()  # noqa: F821 - nbgrader provides get_config",
        f"c.CourseDirectory.course_id = {course_id!r}",
        f"c.ClearSolutions.code_stub = {{'python': {STUB!r}}}",
        "# importing torch in the first check cell can take longer than nbgrader's default 30 s per cell",
        "c.Execute.timeout = 600",
        "",
    ])


def nbgrader_markers(code: str) -> str:
    """tensorgrade's markers -> nbgrader's: ``# BEGIN SOLUTION`` blocks and ``# SOLUTION`` lines become regions."""
    out = []
    for line in code.splitlines():
        begin, end, one = BEGIN.match(line), END.match(line), ONE_LINE.match(line)
        if begin:
            out.append(f"{begin.group(1)}{NB_BEGIN}")
        elif end:
            out.append(line[: len(line) - len(line.lstrip())] + NB_END)
        elif one and not line.lstrip().startswith("#"):
            indent, body = one.groups()
            out += [f"{indent}{NB_BEGIN}", f"{indent}{body}", f"{indent}{NB_END}"]
        else:
            out.append(line)
    return "\n".join(out)


def cell_metadata(cell: notebooks.PlannedCell, points: float) -> dict | None:
    """nbgrader's cell metadata (schema 3), or None for an ordinary cell."""
    base = {"schema_version": 3}
    grade_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{cell.role}-{cell.name}" if cell.name else cell.role)
    if cell.role == "harness":
        return {**base, "grade": False, "solution": False, "locked": True, "grade_id": "tensorgrade-checks-setup"}
    if cell.role in ("function", "code") and NB_BEGIN in cell.source:
        return {**base, "grade": False, "solution": True, "locked": False, "grade_id": grade_id}
    if cell.role == "check":  # feedback only: the points are recorded by tensorgrade (see the module docstring)
        return {**base, "grade": False, "solution": False, "locked": True, "grade_id": grade_id}
    return None


def readme(assignment: Assignment) -> str:
    name = assignment.name
    return "\n".join([
        "# nbgrader course (written by `tensorgrade release nbgrader`)",
        "",
        "```bash",
        f"nbgrader generate_assignment {name}         # release/{name}/ for students",
        f"nbgrader collect {name}                     # or copy to submitted/<student>/{name}/",
        f"tensorgrade grade {name} --from-nbgrader .  # hidden graders, sandboxed, into gradebook.db",
        "nbgrader export                              # grades.csv; formgrader shows the same scores",
        "```",
        "",
        "`tensorgrade grade --from-nbgrader` grades each submitted notebook with the hidden graders in",
        "tensorgrade's sandboxed worker and records one grade cell per hidden test (`tg_<test>`). Use it",
        "instead of `nbgrader autograde`: **autograde runs the student's notebook and its check cells in",
        "one kernel, with no sandbox** (a notebook can change what runs next to it), and the check cells",
        "here are the public checks, worth no points.",
        "",
    ])


def source_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    """The nbgrader source notebook."""
    tests_source = read_optional(source_dir(assignment) / "test_public.py")
    cells = notebooks.plan_cells(assignment, "source", strict_checks=True)
    functions = [c.name for c in cells if c.role == "function"]
    groups = public_checks.group_tests(tests_source, functions) if tests_source.strip() else {}
    for cell in cells:
        if cell.role in ("function", "code"):
            cell.source = nbgrader_markers(cell.source)
    nb = notebooks.to_notebook(cells, {"tensorgrade": {"assignment": assignment.name, "variant": "nbgrader"}})
    for cell, node in zip(cells, nb.cells):
        points = public_checks.group_points(tests_source, groups.get(cell.name, [])) if cell.role == "check" else 0
        metadata = cell_metadata(cell, points)
        if metadata:
            node.metadata["nbgrader"] = metadata
    nbformat.validate(nb)
    return nb


def student_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What nbgrader's ClearSolutions will give students (used for the leak check before writing)."""
    view = nbformat.from_dict(nb)
    for cell in view.cells:
        if cell.cell_type != "code":
            continue
        out, inside = [], False
        for line in cell.source.splitlines():
            if line.strip() == NB_BEGIN:
                inside = True
                indent = line[: len(line) - len(line.lstrip())]
                out += [indent + s for s in STUB.splitlines()]
            elif line.strip() == NB_END:
                inside = False
            elif not inside:
                out.append(line)
        cell.source = "\n".join(out)
    return view


def write_course(assignment: Assignment, course: Path) -> Path:
    """Write the source notebook (and a config for a new course); leak-checked. Returns the notebook path."""
    nb = source_notebook(assignment)
    name = notebooks.notebook_name(assignment)
    verify_files({f"source/{assignment.name}/{name}": nbformat.writes(nb).encode()}, INSTRUCTOR)
    verify_files({f"release/{assignment.name}/{name}": nbformat.writes(student_view(nb)).encode()}, STUDENT)
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists() or read_optional(config).startswith(CONFIG_HEADER):
        config.write_text(config_text(course.resolve().name or "tensorgrade"))
    notes = course / "README.md"
    if not notes.exists() or read_optional(notes).startswith("# nbgrader course (written by `tensorgrade"):
        notes.write_text(readme(assignment))
    path = notebooks.write_notebook(nb, course / "source" / assignment.name / name)
    verify(course)
    return path
