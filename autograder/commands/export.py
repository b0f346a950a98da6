"""``tensorgrade export <assignment> --format canvas|json``: grades for the LMS, from the gradebook."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder import exitcodes
from autograder.assignment import load_assignment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="export grades: Canvas gradebook CSV or JSON",
        description="Export each student's counted grade (the latest submission, after the late penalty). "
                    "canvas: a CSV for Canvas's Grades > Import (Student, ID, SIS User ID, SIS Login ID, Section "
                    "and one column for the assignment; one row per student). json: everything, tests and "
                    "history included.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("--format", choices=("canvas", "json"), default="canvas", help="default: canvas")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default or '-': standard output)")
    parser.add_argument("--db", metavar="URL", help="gradebook URL or SQLite path (default: $TENSORGRADE_DB or "
                                                    "grades/gradebook.sqlite)")
    parser.add_argument("--column", help="the Canvas column name; to update an existing Canvas assignment use its "
                                         "name as Canvas exports it, e.g. 'Homework 1 (12345)' (default: the "
                                         "assignment's title)")
    parser.add_argument("--points-row", action="store_true",
                        help="add Canvas's 'Points Possible' row under the header (as Canvas's own export does)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from autograder.gradebook import GradebookError, open_gradebook
    from autograder.gradebook.export import canvas_csv, export_json

    errors = Console(stderr=True)
    assignment = load_assignment(args.assignment)
    try:
        gradebook = open_gradebook(args.db, create=False)
    except GradebookError as exc:
        errors.print(f"[red]gradebook:[/] {escape(str(exc))}")
        return exitcodes.USAGE
    with gradebook:
        rows = gradebook.current(assignment.name)
        if not rows:
            errors.print(f"[red]no graded submissions of {assignment.name}[/] in {escape(gradebook.where)}: run "
                         f"`tensorgrade grade {assignment.name} <folder>` first")
            return exitcodes.USAGE
        if args.format == "canvas":
            points = max(r.max_score for r in rows) if args.points_row else None
            text = canvas_csv(rows, args.column or assignment.title, points)
        else:
            text = json.dumps(export_json(gradebook, assignment.name), indent=2, ensure_ascii=False) + "\n"
    if args.out is None or str(args.out) == "-":
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps the CSV's CRLF row ends as written
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        errors.print(f"wrote {len(rows)} students to {escape(str(args.out))}")
    return exitcodes.OK
