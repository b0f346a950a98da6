"""``tensorgrade export <assignment> --format canvas|csv|json``: grades for the LMS, joined with the roster."""

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
        "export", help="export grades: Canvas gradebook CSV, a plain CSV joined with the roster, or JSON",
        description="Export each student's counted grade (the latest submission, after the late penalty). "
                    "canvas: a CSV for Canvas's Grades > Import (Student, ID, SIS User ID, SIS Login ID, Section "
                    "and one column for the assignment; one row per student). csv: one row per student with "
                    "student id, name, email, LMS id, score, maximum, lateness and where the hand-in time came "
                    "from. json: everything, tests and history included. With a roster (course.toml's, or "
                    "--roster), every student on it gets a row: those with no submission get 0 (or blank).")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("--format", choices=("canvas", "csv", "json"), default="canvas", help="default: canvas")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="class list to join (student_id,name,email,lms_id; default: the course's roster)")
    parser.add_argument("--missing", choices=("zero", "blank"), default=None,
                        help="the grade of a student with no submission (default: course.toml's, else zero)")
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
    from autograder.course import CourseError, find_course, read_roster
    from autograder.gradebook import GradebookError, open_gradebook
    from autograder.gradebook.export import canvas_csv, export_json, gradebook_csv

    errors = Console(stderr=True)
    assignment = load_assignment(args.assignment)
    course = find_course()
    roster_path = args.roster or course.roster_path
    try:
        roster = read_roster(roster_path) if roster_path else None
        missing = args.missing or course.missing
    except CourseError as exc:
        errors.print(f"[red]{escape(str(exc))}[/]")
        return exitcodes.USAGE
    if roster is not None and not roster.entries:
        roster = None  # the header-only roster `init` writes: nothing to join yet
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
            text = canvas_csv(rows, args.column or assignment.title, points, roster=roster, missing=missing)
        elif args.format == "csv":
            text = gradebook_csv(rows, roster=roster, missing=missing)
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
    report_provenance(errors, rows, roster)
    return exitcodes.OK


def report_provenance(errors: Console, rows: list, roster) -> None:
    """Say what a reader of the grades must know: file-time lateness, students off the roster."""
    by_mtime = [r for r in rows if r.timestamp_source and "mtime" in r.timestamp_source]
    if by_mtime:
        errors.print(f"[yellow]note:[/] {len(by_mtime)} hand-in times (and their late penalties) are file "
                     "modification times (--handin-time mtime), not the LMS's")
    missing = [r for r in rows if (r.extra or {}).get("missing")]
    if missing:
        errors.print(f"{len(missing)} students had no submission found")
    if roster is not None:
        strangers = [r.student.key for r in rows
                     if roster.match(r.student.key, r.student.lms_id, r.student.sis_id, r.student.email) is None]
        if strangers:
            errors.print(f"[yellow]not on the roster ({roster.path}):[/] {escape(', '.join(strangers[:20]))}")
