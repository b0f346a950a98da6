"""``tensorgrade report <assignment> --out DIR``: static feedback pages from the gradebook."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from autograder import exitcodes
from autograder.assignment import load_assignment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write feedback pages (one per student, one for the class) from the gradebook",
        description="Write static HTML pages that work offline: DIR/students/<id>.html for each student (every "
                    "test with its points and feedback; feedback of hidden tests only after the due date) and "
                    "DIR/index.html for the instructor (score histogram, pass rate per test, late submissions, "
                    "slowest submissions, similar pairs of submissions as hints).",
        epilog="Send each student only their own page: the class page names everyone.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    parser.add_argument("--db", metavar="URL", help="gradebook URL or SQLite path (default: $TENSORGRADE_DB or "
                                                    "grades/gradebook.sqlite)")
    parser.add_argument("--as-of", metavar="DATETIME",
                        help="show feedback as it may be seen at this time (ISO 8601; default: now), e.g. to "
                             "preview the pages students get after the due date")
    parser.add_argument("--published", action="store_true",
                        help="grades are published: show the feedback of every test, hidden ones included")
    parser.add_argument("--student", action="append", metavar="ID", help="only this student's page (repeatable)")
    parser.add_argument("--no-similarity", action="store_true", help="leave the similarity hints out")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from autograder.gradebook import GradebookError, open_gradebook
    from autograder.late import parse_timestamp
    from autograder.reports import write_site

    console = Console()
    assignment = load_assignment(args.assignment)
    try:
        as_of = parse_timestamp(args.as_of) if args.as_of else None
    except ValueError as exc:
        console.print(f"[red]--as-of:[/] {escape(str(exc))} (use e.g. 2026-12-02T09:00:00+00:00)")
        return exitcodes.USAGE
    try:
        gradebook = open_gradebook(args.db, create=False)
    except GradebookError as exc:
        console.print(f"[red]gradebook:[/] {escape(str(exc))}")
        return exitcodes.USAGE
    with gradebook:
        current = gradebook.current(assignment.name)
        by_mtime = sum(1 for r in current if r.timestamp_source and "mtime" in r.timestamp_source)
        if by_mtime:
            console.print(f"[yellow]note:[/] {by_mtime} hand-in times (and their late penalties) are file "
                          "modification times (--handin-time mtime); the pages say so beside each one")
        if not current:
            console.print(f"[red]no graded submissions of {assignment.name}[/] in {escape(gradebook.where)}: run "
                          f"`tensorgrade grade {assignment.name} <folder> --db ...` first")
            return exitcodes.USAGE
        with console.status("writing pages"):
            result = write_site(gradebook, assignment, args.out, as_of=as_of, published=args.published,
                                similarity=not args.no_similarity,
                                only=set(args.student) if args.student else None)
    if args.student:
        missing = sorted(set(args.student) - set(result.student_pages))
        for key in missing:
            console.print(f"[yellow]no graded submission for student {escape(key)}[/]")
    console.print(f"wrote {len(result.student_pages)} student pages in {escape(str(args.out / 'students'))}")
    console.print(f"class page: {escape(str(result.class_page))}"
                  + (f" ({result.similar_pairs} similar pairs to look at)" if result.similar_pairs else ""))
    return exitcodes.OK
