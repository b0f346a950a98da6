"""``tensorgrade check <assignment> [PATH]``: the public checks, for students, in seconds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder import exitcodes
from autograder.assignment import Assignment, load_assignment
from autograder.grading.render import render_report

PUBLIC_GLOB = "test_public*.py"
# said under a full public score: the public checks are a sample, the grade comes from the hidden graders
NOT_THE_GRADE = ("The hidden graders check more (other inputs, shapes, dtypes, devices and edge cases), "
                 "so this is a good sign, not your grade.")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="run the public checks on your work (students)",
        description="Run an assignment's public checks on your file. PATH defaults to <module>.py in the "
                    "current folder. The checks are the test_public*.py next to your file (your bundle's "
                    "folder), else in the current folder, else the assignment's own. Exit code 1 when a "
                    "check fails, so it works in your own CI; 3 when the checks themselves could not run.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("path", nargs="?", type=Path, help="your file (.py or .ipynb)")
    parser.add_argument("--tests", type=Path, help="folder holding test_public*.py (default: see above)")
    parser.add_argument("--json", type=Path, help="write the results as JSON (for GitHub Classroom)")
    parser.set_defaults(run=run)


def find_public_tests(assignment: Assignment, path: Path) -> Path | None:
    """The folder whose test_public*.py to run: next to the file, the working folder, then the assignment's.

    An installed engine (``pip install ./.tensorgrade``) has no assignments/ folder of its own: the
    public tests are the ones the student's bundle holds, beside their file.
    """
    for folder in (path.resolve().parent, Path.cwd(), assignment.public_tests_dir):
        if folder.is_dir() and any(folder.glob(PUBLIC_GLOB)):
            return folder
    return None


def run(args: argparse.Namespace) -> int:
    console = Console()
    assignment = load_assignment(args.assignment)
    path = args.path or Path(f"{assignment.module}.py")
    if not path.exists():
        console.print(f"[red]no file {escape(str(path))}[/]: pass the path of your {assignment.module}.py or notebook")
        return exitcodes.USAGE
    tests_dir = args.tests or find_public_tests(assignment, path)
    if tests_dir is None or not tests_dir.is_dir() or not any(tests_dir.glob(PUBLIC_GLOB)):
        where = escape(str(tests_dir)) if tests_dir else f"next to {escape(str(path))} or in the current folder"
        console.print(f"[red]no public checks (test_public*.py) found[/] {'in ' if tests_dir else ''}{where}: run "
                      f"this in your {assignment.name} folder (it holds test_public.py) or pass --tests DIR")
        return exitcodes.USAGE

    from autograder.sandbox.warm import start_early

    start_early()  # the template imports torch while this process does the same
    from autograder.grading.runner import grade  # imports torch: only for this verb, not every command

    report = grade(assignment, path, public=True, tests_dir=tests_dir)
    render_report(report, console)
    if args.json:
        args.json.write_text(json.dumps(report.to_gradescope(), indent=2) + "\n")
    if report.grader_errors or not report.tests:
        for error in report.grader_errors or [f"no public check ran from {tests_dir}"]:
            console.print(f"[magenta]the checks could not run:[/] {escape(error)}")
        console.print("this is not your code's fault: tell your instructor (and include the lines above)")
        return exitcodes.GRADER_ERROR
    passed = report.max_score > 0 and report.score == report.max_score
    if passed:
        console.print(f"[green]every public check passes.[/] {NOT_THE_GRADE}")
    else:
        console.print("some checks do not pass yet: read the feedback above, fix, and run this again")
    return exitcodes.OK if passed else exitcodes.CHECKS_FAILED
