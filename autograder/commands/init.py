"""``tensorgrade init DIR``: a new course folder, by default holding a copy of the bundled assignments."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder import exitcodes
from autograder.assignment import all_assignments
from autograder.course import COURSE_FILE, ROSTER_FILE, bundled_course

PARTS = ("solutions", "graders", "assignments")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints")
ROSTER_HEADER = "student_id,name,email,lms_id\n"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init", help="create a course folder (course.toml, roster, a copy of the bundled assignments)",
        description="Create a course folder: course.toml (due dates, late policy, points, extensions), "
                    "roster.csv (student_id,name,email,lms_id) and, unless --empty, a copy of the bundled "
                    "PyTorch assignments: solutions/<hw>/ (solution with markers, instructions, public tests, "
                    "example mistakes), graders/<hw>/ (hidden graders) and assignments/<hw>/ (what students get). "
                    "Every tensorgrade command run inside the folder (or with --course DIR) uses it.",
        epilog="Then: cd DIR; tensorgrade new hw6_mine; tensorgrade release assignments; "
               "tensorgrade grade hw1_storage submissions/; tensorgrade export hw1_storage --format csv")
    parser.add_argument("dir", type=Path, metavar="DIR", help="the course folder to create (may exist if empty)")
    parser.add_argument("--name", help="the course's name (default: the folder's name)")
    parser.add_argument("--empty", action="store_true", help="no assignments: add your own with `tensorgrade new`")
    parser.set_defaults(run=run, needs_course=False)


def course_toml(name: str, assignments: list) -> str:
    """course.toml's text: the course, the default late policy, one table per assignment."""
    lines = [
        "# tensorgrade course settings (https://toml.io). Times without an offset are UTC.",
        "# graders/<hw>/test_*.py are this course's own to edit; the helper modules they import as",
        "# autograder.graders.<hw>.* (cases, specs) are read from the installed engine, not from here.",
        "",
        "[course]",
        f"name = {toml_string(name)}",
        f'roster = "{ROSTER_FILE}"          # student_id, name, email, lms_id: joined into every export',
        'missing = "zero"               # a student with no submission: "zero" or "blank" in the export',
        "",
        "[late]                         # every assignment's late policy unless its own table says otherwise",
        "penalty_per_day = 0.1          # a fraction of the score per started day late",
        "cap = 0.5                      # never more than this fraction",
        "",
    ]
    for assignment in assignments:
        lines += assignment_table(assignment.name, assignment.late.due)
    return "\n".join(lines)


def assignment_table(name: str, due: object = None) -> list[str]:
    due_line = f"due = {due.isoformat().replace('+00:00', 'Z')}" if due else "# due = 2026-12-24T23:59:00Z"
    return [
        f"[assignments.{name}]",
        due_line,
        '# late = "none"               # no penalty for this one (or { penalty_per_day = 0.2, cap = 1.0 })',
        "# points = 20                 # its total in the LMS: scores are scaled to it",
        "# test_points = { test_name = 3 }",
        "# extensions = { s001 = 2026-12-28T23:59:00Z, s002 = 2 }   # a new due date, or days added",
        "",
    ]


def toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def without_late_table(text: str) -> str:
    """assignment.toml without its [late] table: in a course, due dates and penalties live in course.toml."""
    out, skipping = [], False
    for line in text.splitlines():
        if re.match(r"^\s*\[", line):
            skipping = line.strip() == "[late]"
        if not skipping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def copy_assignment(assignment, root: Path) -> None:
    """Copy one assignment's three parts into the course at ``root``."""
    sources = {"solutions": assignment.solution.parent, "graders": assignment.graders_dir,
               "assignments": assignment.public_tests_dir}
    for part, source in sources.items():
        if source.is_dir():
            shutil.copytree(source, root / part / assignment.name, ignore=SKIPPED)
    config = root / "graders" / assignment.name / "assignment.toml"
    config.write_text(without_late_table(config.read_text()))


def run(args: argparse.Namespace) -> int:
    console = Console(soft_wrap=True)
    root = args.dir.expanduser().resolve()
    if (root / COURSE_FILE).exists():
        console.print(f"[red]{escape(str(root))} is already a course[/] (it has {COURSE_FILE}): use it, or "
                      "choose another folder")
        return exitcodes.USAGE
    if root.exists() and not root.is_dir():
        console.print(f"[red]{escape(str(root))} is a file[/]: give a folder for the course")
        return exitcodes.USAGE
    clash = [p for p in (*PARTS, ROSTER_FILE) if (root / p).exists()]
    if clash:
        console.print(f"[red]{escape(str(root))} already holds {', '.join(clash)}[/]: init creates them; "
                      "choose an empty folder")
        return exitcodes.USAGE
    bundled = [] if args.empty else all_assignments(bundled_course())
    missing = [a.name for a in bundled if not a.solution.is_file()]
    if missing:
        console.print(f"[red]the bundled solutions are not installed here[/] ({', '.join(missing)}): run init "
                      "from a checkout of tensorgrade, or use --empty")
        return exitcodes.USAGE
    root.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        (root / part).mkdir()
    for assignment in bundled:
        copy_assignment(assignment, root)
    (root / COURSE_FILE).write_text(course_toml(args.name or root.name, bundled))
    (root / ROSTER_FILE).write_text(ROSTER_HEADER)
    (root / ".gitignore").write_text("grades/\ndist/\nfeedback/\n")
    console.print(f"created the course {escape(args.name or root.name)} in {escape(str(root))}")
    if bundled:
        console.print(f"  {len(bundled)} assignments: {', '.join(a.name for a in bundled)}")
    console.print(f"  settings: {escape(str(root / COURSE_FILE))}; class list: {escape(str(root / ROSTER_FILE))}")
    console.print(f"next: cd {escape(str(root))} && tensorgrade new hw6_mine  (then edit solutions/hw6_mine/ "
                  "and graders/hw6_mine/)")
    return exitcodes.OK
