"""``tensorgrade check <assignment> [PATH]``: the public checks, for students, in seconds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from autograder import exitcodes
from autograder.assignment import load_assignment
from autograder.results import render_report


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check", help="run the public checks on your work (students)",
        description="Run an assignment's public checks on your file. PATH defaults to <module>.py in the "
                    "current folder. Exit code 1 when a check fails, so it works in your own CI.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("path", nargs="?", type=Path, help="your file (.py or .ipynb)")
    parser.add_argument("--tests", type=Path, help="folder holding test_public*.py (default: the assignment's)")
    parser.add_argument("--json", type=Path, help="write the results as JSON (for GitHub Classroom)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from autograder.runner import grade  # imports torch: only for this verb, not for every `tensorgrade` command

    console = Console()
    assignment = load_assignment(args.assignment)
    path = args.path or Path(f"{assignment.module}.py")
    if not path.exists():
        console.print(f"[red]no file {path}[/]: pass the path of your {assignment.module}.py or notebook")
        return exitcodes.USAGE
    tests_dir = args.tests or (Path.cwd() if list(Path.cwd().glob("test_public*.py")) and args.path is None
                               else assignment.public_tests_dir)
    report = grade(assignment, path, public=True, tests_dir=tests_dir)
    render_report(report, console)
    if args.json:
        args.json.write_text(json.dumps(report.to_gradescope(), indent=2) + "\n")
    if report.grader_errors:
        return exitcodes.GRADER_ERROR
    passed = report.max_score > 0 and report.score == report.max_score
    console.print("[green]all public checks pass[/]" if passed else
                  "some checks do not pass yet: read the feedback above, fix, and run this again")
    return exitcodes.OK if passed else exitcodes.CHECKS_FAILED
