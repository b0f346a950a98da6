"""nbgrader: grade a course's ``submitted/`` with the hidden graders and write the scores into nbgrader's gradebook.

``tensorgrade grade HW --from-nbgrader COURSE`` grades every ``COURSE/submitted/<student>/HW/``
notebook in the sandbox (never in an nbgrader kernel), then records one nbgrader grade cell per
hidden-grader test (``tg_<test>``, worth what the test is worth) and each student's score on it,
so ``nbgrader export`` and formgrader show tensorgrade's scores. It takes the place of
``nbgrader autograde``.

The gradebook is written with nbgrader's own API, in nbgrader's own Python (found from the
``nbgrader`` command on PATH, or ``TENSORGRADE_NBGRADER_PYTHON``): its schema stays nbgrader's
business, and this engine does not depend on nbgrader.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import exitcodes
from autograder.channels import test_key

PYTHON_ENV = "TENSORGRADE_NBGRADER_PYTHON"
CELL_PREFIX = "tg_"

# runs in nbgrader's Python: reads {"course", "assignment", "notebook", "submissions": [...]} on stdin
WRITER = r'''
import json, sys
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.api import Gradebook, Grade, MissingEntry, SubmittedNotebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc

data = json.load(sys.stdin)
root, hw, nb_name = data["course"], data["assignment"], data["notebook"]
try:
    config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
except Exception:
    config = Config()
coursedir = CourseDirectory(config=config, root=root)
maxima = {}
for sub in data["submissions"]:
    for test in sub["tests"]:
        maxima[test["cell"]] = max(maxima.get(test["cell"], 0.0), float(test["max_score"]))
with Gradebook(coursedir.db_url, course_id=coursedir.course_id) as gb:
    gb.update_or_create_assignment(hw)
    notebook = gb.update_or_create_notebook(nb_name, hw)
    for cell, points in maxima.items():
        gb.update_or_create_grade_cell(cell, nb_name, hw, max_score=points, cell_type="code")
    others = sorted(c.name for c in gb.find_notebook(nb_name, hw).grade_cells if c.name not in maxima)
    if others:
        print("note: the notebook also has nbgrader grade cells tensorgrade did not write, and their points "
              "count in nbgrader's totals: " + ", ".join(others))
    for sub in data["submissions"]:
        gb.update_or_create_student(sub["student"])
        extra = {"timestamp": parse_utc(sub["timestamp"])} if sub.get("timestamp") else {}
        submission = gb.update_or_create_submission(hw, sub["student"], **extra)
        try:
            submitted = gb.find_submission_notebook(nb_name, hw, sub["student"])
        except MissingEntry:
            submitted = SubmittedNotebook(assignment=submission, notebook=gb.find_notebook(nb_name, hw))
            gb.db.add(submitted)
            gb.db.commit()
        for test in sub["tests"]:
            try:
                grade = gb.find_grade(test["cell"], nb_name, hw, sub["student"])
            except MissingEntry:  # a grade cell added after this submission was first recorded
                grade = Grade(cell_id=gb.find_grade_cell(test["cell"], nb_name, hw).id, notebook=submitted)
                gb.db.add(grade)
            grade.auto_score = float(test["score"])
            grade.manual_score = None
            grade.needs_manual_grade = False
        gb.db.commit()
print(f"nbgrader gradebook: {len(data['submissions'])} submission(s) of {hw} recorded in {coursedir.db_url}")
'''


class NbgraderError(Exception):
    """The course folder or nbgrader itself cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Handin:
    """One student's file in ``submitted/`` and nbgrader's timestamp for it."""

    student: str
    path: Path
    timestamp: str | None


def find_handins(course: Path, assignment: Any) -> tuple[list[Handin], list[str]]:
    """Every ``submitted/<student>/<hw>/`` notebook (or module), and a line for each folder without one."""
    submitted = course / "submitted"
    if not submitted.is_dir():
        raise NbgraderError(f"{course} has no submitted/ folder: run `nbgrader collect {assignment.name}` "
                            "(or copy submissions to submitted/<student>/" f"{assignment.name}/) first")
    found, missing = [], []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        folder = student_dir / assignment.name
        if not folder.is_dir():
            continue
        candidates = [folder / f"{assignment.module}.ipynb", *sorted(folder.glob("*.ipynb")),
                      folder / f"{assignment.module}.py"]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            missing.append(f"{student_dir.name}: no {assignment.module}.ipynb in {folder}")
            continue
        stamp = folder / "timestamp.txt"
        timestamp = stamp.read_text().strip() if stamp.is_file() else None
        found.append(Handin(student_dir.name, path, timestamp or None))
    return found, missing


def nbgrader_python(explicit: str | None = None) -> str:
    """The interpreter nbgrader runs with: explicit, $TENSORGRADE_NBGRADER_PYTHON, or the ``nbgrader`` script's."""
    chosen = explicit or os.environ.get(PYTHON_ENV)
    if chosen:
        return chosen
    script = shutil.which("nbgrader")
    if script:
        first = Path(script).read_bytes()[:512].split(b"\n", 1)[0].decode(errors="replace")
        if first.startswith("#!") and "python" in first:
            return first[2:].strip().split()[0]
    raise NbgraderError(f"nbgrader is not on PATH: install it (pip install nbgrader) or set {PYTHON_ENV} to the "
                        "Python that has it")


def gradebook_entries(handin: Handin, report: Any) -> dict:
    """What the writer records for one student: one grade cell per counted hidden-grader test."""
    tests = [{"cell": CELL_PREFIX + test_key(t.nodeid or t.name), "score": round(t.score, 4),
              "max_score": t.max_score} for t in report.tests if t.counted]
    return {"student": handin.student, "timestamp": handin.timestamp, "tests": tests}


def write_gradebook(course: Path, assignment: Any, entries: list[dict], python: str) -> str:
    """Record the entries in nbgrader's gradebook of ``course`` (nbgrader's API, in nbgrader's Python)."""
    payload = {"course": str(course.resolve()), "assignment": assignment.name, "notebook": assignment.module,
               "submissions": entries}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        done = subprocess.run([python, "-c", WRITER], input=json.dumps(payload), capture_output=True, text=True,
                              cwd=course, env=env, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NbgraderError(f"could not run nbgrader's Python {python}: {exc}") from exc
    if done.returncode != 0:
        raise NbgraderError(f"writing nbgrader's gradebook failed (no score was recorded there):\n"
                            f"{(done.stdout + done.stderr).strip()[-2000:]}")
    return done.stdout.strip()


def grade_course(assignment: Any, course: Path, console: Any, python: str | None = None) -> int:
    """Grade ``course/submitted/`` with the hidden graders into nbgrader's gradebook; returns an exit code."""
    from rich.markup import escape

    try:
        handins, missing = find_handins(course, assignment)
        interpreter = nbgrader_python(python)
    except NbgraderError as exc:
        console.print(f"[red]nbgrader:[/] {escape(str(exc))}")
        return exitcodes.USAGE
    for line in missing:
        console.print(f"[yellow]no submission found:[/] {escape(line)}")
    if not handins:
        console.print(f"[red]no submissions of {assignment.name} in {escape(str(course / 'submitted'))}[/]")
        return exitcodes.USAGE
    from autograder.grading.runner import grade

    entries, errors = [], 0
    for number, handin in enumerate(handins, start=1):
        report = grade(assignment, handin.path)
        errors += bool(report.grader_errors)
        for error in report.grader_errors:
            console.print(f"[magenta]grader error[/] ({escape(handin.student)}): {escape(error)}")
        console.print(f"[{number}/{len(handins)}] {escape(handin.student)}: {report.score:g} / {report.max_score:g}",
                      markup=False, highlight=False)
        entries.append(gradebook_entries(handin, report))
    try:
        console.print(write_gradebook(course, assignment, entries, interpreter), markup=False, highlight=False)
    except NbgraderError as exc:
        console.print(f"[red]nbgrader:[/] {escape(str(exc))}")
        return exitcodes.GRADER_ERROR
    console.print(f"next: cd {escape(str(course))} && nbgrader export (or open formgrader)")
    return exitcodes.GRADER_ERROR if errors else exitcodes.OK
