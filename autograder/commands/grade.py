"""``tensorgrade grade <assignment> <submission>... [--json FILE]``: hidden graders, full report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from autograder import exitcodes
from autograder.assignment import load_assignment
from autograder.results import render_report
from autograder.runner import grade


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade", help="grade submissions with the hidden graders (instructors, CI, Gradescope)",
        description="Grade one or more submissions (.py or .ipynb) of an assignment with its hidden graders. "
                    "Exit code 0 means grading worked, whatever the score; 3 means a grader itself failed.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("submissions", nargs="+", type=Path, help="submission files")
    parser.add_argument("--json", type=Path, help="write Gradescope results.json here (a list for several files)")
    parser.add_argument("--quiet", action="store_true", help="print only the final scores")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    console = Console()
    assignment = load_assignment(args.assignment)
    missing = [str(p) for p in args.submissions if not p.exists()]
    if missing:
        console.print(f"[red]no such file:[/] {', '.join(missing)}")
        return exitcodes.USAGE
    reports = []
    for path in args.submissions:
        report = grade(assignment, path)
        reports.append(report)
        if args.quiet:
            console.print(f"{path}: {report.score:g} / {report.max_score:g}")
        else:
            render_report(report, console)
        for error in report.grader_errors:
            console.print(f"[magenta]grader error:[/] {error}")
    if args.json:
        data = [r.to_gradescope() for r in reports]
        args.json.write_text(json.dumps(data[0] if len(data) == 1 else data, indent=2) + "\n")
    return exitcodes.GRADER_ERROR if any(r.grader_errors for r in reports) else exitcodes.OK
