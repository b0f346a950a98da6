"""otter-grader export: an ``otter assign`` master notebook whose score is tensorgrade's.

``tensorgrade release otter <hw> --out DIR`` writes ``DIR/otter-master/<module>.ipynb`` with a
``requirements.txt`` (CPU torch, numpy, pytest, the engine) and the engine with this assignment's
hidden graders (``otter-master/tensorgrade/``, packed into the autograder zip only). Then
``otter assign DIR/otter-master/<module>.ipynb DIR/dist`` builds ``dist/student/`` and
``dist/autograder/`` (with the autograder zip) and ``otter run`` grades a notebook.

Each function with public checks is a question worth 0 points: its test runs the public checks,
for students' feedback. The points are in one question per hidden-grader test, worth what that
test is worth: its placeholder test fails (no points without tensorgrade), and the plugin
:mod:`autograder.channels.otter` replaces its score with the one tensorgrade's sandboxed graders
give. Hidden grader code never enters a notebook: otter keeps test code where students can read
it (ucbds-infra/otter-grader#465).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.assignment import Assignment
from autograder.channels import test_key
from autograder.stubs import make_stub
from release import notebooks, public_checks
from release.sources import read_optional, source_dir
from release.vendor import engine_contents, pyproject_text
from release.verify import AUTOGRADER, INSTRUCTOR, STUDENT, verify, verify_files

MASTER_DIR = "otter-master"
ENGINE_DIR = "tensorgrade"
PLUGIN = "autograder.channels.otter.TensorgradePlugin"
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
HIDDEN_PREFIX = "tg_"  # question names of hidden-grader tests

ASSIGNMENT_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
strip_solutions_from_all_cells: true
requirements: requirements.txt
autograder_files:
  - {engine}
plugins:
  - {plugin}:
      assignment: {name}
      questions:
{questions}
tests:
  files: false
  ok_format: true"""

PLACEHOLDER = ("raise AssertionError('scored by tensorgrade: the hidden graders run on the submission in a "
               "sandbox (autograder.channels.otter); without them this question earns nothing')")


def hidden_tests(assignment: Assignment) -> list[tuple[str, str, float]]:
    """(test key, name, points) of every hidden-grader test, from grading the reference solution now."""
    from autograder.grading.runner import grade

    report = grade(assignment, assignment.solution)
    if report.grader_errors or not report.tests:
        raise ValueError(f"{assignment.name}: the hidden graders did not run on the reference solution: "
                         f"{'; '.join(report.grader_errors) or 'no tests'}")
    return [(test_key(t.nodeid or t.name), t.name, t.max_score) for t in report.tests if t.counted]


def hidden_question(key: str, name: str, points: float) -> list[notebooks.PlannedCell]:
    """One question per hidden-grader test: a prompt, and a hidden placeholder test the plugin scores."""
    test = "\n".join(['""" # BEGIN TEST CONFIG', f"points: {points:g}", "hidden: true", '""" # END TEST CONFIG',
                      PLACEHOLDER])
    return [raw(f"# BEGIN QUESTION\nname: {HIDDEN_PREFIX}{key}\npoints: {points:g}\ncheck_cell: false"),
            notebooks.PlannedCell("markdown", f"**Hidden test** ({points:g} points): {name}", "hidden", key),
            raw("# BEGIN TESTS"), notebooks.PlannedCell("code", test, "hidden-test", key), raw("# END TESTS"),
            raw("# END QUESTION")]


def test_cell(function: str, points: float) -> str:
    """An OK-format test: silent when every public check passes, an AssertionError listing them otherwise."""
    return "\n".join(['""" # BEGIN TEST CONFIG', f"points: {points:g}", '""" # END TEST CONFIG',
                      public_checks.check_cell(function, strict=True)])


def raw(source: str) -> notebooks.PlannedCell:
    return notebooks.PlannedCell("raw", source, "otter")


def master_cells(assignment: Assignment, hidden: list[tuple[str, str, float]]) -> list[notebooks.PlannedCell]:
    """The planned notebook in otter's blocks: a 0-point question per function with public checks, then the
    hidden-grader questions that carry the points."""
    tests_source = read_optional(source_dir(assignment) / "test_public.py")
    planned = notebooks.plan_cells(assignment, "source", strict_checks=True)
    functions = [c.name for c in planned if c.role == "function"]
    groups = public_checks.group_tests(tests_source, functions) if tests_source.strip() else {}
    questions = "\n".join(f"        {HIDDEN_PREFIX}{key}: {key}" for key, _, _ in hidden)
    cells = [raw(ASSIGNMENT_CONFIG.format(name=assignment.name, engine=ENGINE_DIR, plugin=PLUGIN,
                                          questions=questions))]
    by_name: dict[str, list[notebooks.PlannedCell]] = {}
    for cell in planned:
        if cell.role in ("heading", "function", "check") and cell.name in groups:
            by_name.setdefault(cell.name, []).append(cell)
            if cell.role != "check":
                continue
            parts = by_name[cell.name]
            heading = [c for c in parts if c.role == "heading"]
            code = [c for c in parts if c.role == "function"]
            points = 0  # public checks are feedback; the points are the hidden graders' (below)
            question = cell.name if cell.name != public_checks.OTHER else "other_checks"
            cells += [raw(f"# BEGIN QUESTION\nname: {question}\npoints: {points:g}"), *heading]
            if code:
                cells += [raw("# BEGIN SOLUTION"), *code, raw("# END SOLUTION")]
            cells += [raw("# BEGIN TESTS"),
                      notebooks.PlannedCell("code", test_cell(cell.name, points), "check", cell.name),
                      raw("# END TESTS"), raw("# END QUESTION")]
        else:
            cells.append(cell)
    total = sum(points for _, _, points in hidden)
    cells.append(notebooks.PlannedCell("markdown", "\n".join([
        "## Hidden tests",
        "",
        f"The points ({total:g}) come from tensorgrade's hidden graders, which run your functions on more inputs",
        "than the public checks above, in a sandbox, after you submit. The public checks above are worth no points:",
        "they show you how you are doing."]), "intro"))
    for key, name, points in hidden:
        cells += hidden_question(key, name, points)
    return cells


def master_notebook(assignment: Assignment, hidden: list[tuple[str, str, float]] | None = None
                    ) -> nbformat.NotebookNode:
    hidden = hidden_tests(assignment) if hidden is None else hidden
    return notebooks.to_notebook(master_cells(assignment, hidden),
                                 {"tensorgrade": {"assignment": assignment.name, "variant": "otter"}})


def requirements() -> str:
    """What otter's grading environment installs: the CPU torch build, the graders' packages, the engine."""
    from release.gradescope import torch_specs

    return "\n".join([
        "# generated by tensorgrade release otter: what the hidden graders need in otter's grading image",
        f"--extra-index-url {CPU_TORCH_INDEX}",
        *torch_specs(),
        "numpy>=1.26",
        "pytest>=8",
        f"/autograder/source/files/{ENGINE_DIR}",
        "",
    ])


def readme(assignment: Assignment) -> str:
    module = notebooks.notebook_name(assignment)
    return "\n".join([
        f"# otter-grader export of {assignment.name}",
        "",
        "```bash",
        f"otter assign {MASTER_DIR}/{module} dist      # dist/student/ for students, dist/autograder/ for grading",
        f"otter run -a dist/autograder/{assignment.name}-autograder_*.zip SUBMISSION.ipynb",
        "```",
        "",
        "The score is tensorgrade's: every question that carries points is one hidden-grader test, scored by",
        "the plugin `autograder.channels.otter` with tensorgrade's hidden graders, which run the submission in",
        "tensorgrade's sandboxed worker. The questions of the public checks are worth 0 points.",
        "",
        "**One kernel.** `otter run` (and otter on Gradescope) executes the student's notebook and the public",
        "checks' test cells in one Jupyter kernel, with no sandbox: a notebook can read or change what runs",
        "next to it there. The points do not come from that kernel, but for grading where student code never",
        f"runs next to anything of the grader's, use `tensorgrade grade {assignment.name} SUBMISSION` or",
        f"`tensorgrade release gradescope {assignment.name}` (the sandboxed path).",
        "",
        "`requirements.txt` installs the CPU build of torch, numpy, pytest and the engine in",
        f"`{MASTER_DIR}/{ENGINE_DIR}/` (which holds the hidden graders: it goes into the autograder zip only).",
        "Where otter's environment reaches torch only through a `.pth` file, set `TENSORGRADE_PYTHON` to an",
        "interpreter that has torch installed.",
        "",
    ])


def student_view(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Roughly what ``otter assign`` gives students: solution blocks cut (used for the leak check)."""
    view = nbformat.from_dict(nb)
    for cell in view.cells:
        if cell.cell_type == "code":
            cell.source = make_stub(cell.source)
    view.cells = [c for c in view.cells if c.cell_type != "raw"]
    return view


def write_master(assignment: Assignment, out: Path) -> Path:
    """Write ``out/otter-master/<module>.ipynb`` (and the engine, requirements, README) after the leak checks."""
    nb = master_notebook(assignment)
    name = notebooks.notebook_name(assignment)
    verify_files({f"{MASTER_DIR}/{name}": nbformat.writes(nb).encode()}, INSTRUCTOR)
    verify_files({f"student/{name}": nbformat.writes(student_view(nb)).encode()}, STUDENT)
    engine = {f"{ENGINE_DIR}/{rel}": data for rel, data in engine_contents(assignment, with_graders=True).items()}
    engine[f"{ENGINE_DIR}/pyproject.toml"] = pyproject_text(assignment, "autograder").encode()
    verify_files(engine, AUTOGRADER)
    path = notebooks.write_notebook(nb, out / MASTER_DIR / name)
    for relative, data in engine.items():
        target = out / MASTER_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (out / MASTER_DIR / "requirements.txt").write_text(requirements())
    (out / "README.md").write_text(readme(assignment))
    verify(out)
    return path
