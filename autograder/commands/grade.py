"""``tensorgrade grade <assignment> <submission>...``: one file's full report, or a whole class into the gradebook."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from rich.console import Console

from autograder import exitcodes
from autograder.assignment import Assignment, load_assignment
from autograder.batch.discover import HANDIN_CHOICES
from autograder.batch.executors import EXECUTORS
from autograder.grading.render import render_report
from autograder.grading.results import Report


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade", help="grade submissions with the hidden graders (instructors, CI, Gradescope)",
        description="Grade submissions of an assignment with its hidden graders. Given files only, each "
                    "file's report is printed. Given a folder (one sub-folder or file per student), an LMS "
                    "export zip (Gradescope, Canvas), --db or --jobs, the whole class is graded in parallel "
                    "into the gradebook: interrupted runs resume where they stopped when run again, and "
                    "nothing is recorded twice. Exit code 0 means grading worked, whatever the scores; "
                    "3 means a grader itself failed or some submissions could not be graded.",
        epilog="Then: `tensorgrade report <hw> --out feedback/` for feedback pages, "
               "`tensorgrade export <hw> --format canvas --out grades.csv` for the LMS.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("submissions", nargs="*", type=Path,
                        help="submission files, student folders, a class folder, or LMS export zips")
    parser.add_argument("--from-nbgrader", type=Path, metavar="COURSE",
                        help="grade COURSE/submitted/<student>/<hw>/ and write the scores (one grade cell per "
                             "hidden test) into that nbgrader course's gradebook, instead of nbgrader autograde")
    parser.add_argument("--json", type=Path,
                        help="write Gradescope results.json here (a list for several files; in batch mode, "
                             "the results recorded by this run)")
    parser.add_argument("--quiet", action="store_true", help="print only the final scores")
    parser.add_argument("--data-root", type=Path, metavar="DIR",
                        help="folder holding torchvision MNIST/FashionMNIST files (DIR/MNIST/raw/...): training "
                             "assignments are then judged on them instead of the bundled digits (no download)")
    batch = parser.add_argument_group("batch grading (a class into the gradebook)")
    batch.add_argument("--db", metavar="URL",
                       help="gradebook: a SQLAlchemy URL (sqlite:///path, postgresql://user@host/db) or a file "
                            "path (default: $TENSORGRADE_DB, else grades/gradebook.sqlite in the course or here)")
    batch.add_argument("--jobs", "-j", type=int, metavar="N",
                       help=f"submissions graded at once (default: the number of cores, {os.cpu_count()})")
    batch.add_argument("--regrade", action="store_true",
                       help="grade everything again in a new grading round; earlier results stay as history")
    batch.add_argument("--executor", default=None,
                       help="where jobs run: local processes (default) or ray, Ray tasks on a cluster "
                            "(docs/cluster.md)")
    batch.add_argument("--ray-address", metavar="ADDRESS",
                       help="with --executor ray: the cluster to join, e.g. ray://head:10001 or auto "
                            "(default: $RAY_ADDRESS, else a local Ray instance with --jobs CPUs)")
    batch.add_argument("--ray-gpus", type=float, default=0.0, metavar="N",
                       help="with --executor ray: GPUs each submission's task reserves (e.g. 1 for CUDA grading)")
    batch.add_argument("--job-timeout", type=float, default=3600.0, metavar="SECONDS",
                       help="stop grading one submission after this long (default: 3600)")
    late = parser.add_argument_group("hand-in times and late penalties (course.toml holds the defaults)")
    late.add_argument("--due", metavar="DATETIME",
                      help="the due date for this run, e.g. 2026-12-01T23:59:00Z (overrides course.toml)")
    late.add_argument("--no-late", action="store_true", help="no late penalties in this run")
    late.add_argument("--handin-time", choices=HANDIN_CHOICES, default="auto",
                      help="where hand-in times come from: auto (default) = the LMS's own metadata (Gradescope "
                           "submission_metadata, nbgrader timestamp.txt, Canvas export zips) and handins.csv; "
                           "git = also the commit time of the graded file (a Classroom clone; commit times are "
                           "set on the student's machine); mtime = also file modification times (changed by any "
                           "copy: the report and export say so); none = no times, no penalties")
    late.add_argument("--handins", type=Path, metavar="CSV",
                      help="a manifest of hand-in times (columns student,handed_in); default: handins.csv at the "
                           "top of a given folder")
    parser.set_defaults(run=run)


def effective_assignment(args: argparse.Namespace) -> Assignment | int:
    """The assignment with --due / --no-late applied, or an exit code after a message."""
    from dataclasses import replace

    from autograder.late import parse_timestamp

    assignment = load_assignment(args.assignment)
    late = assignment.late
    if getattr(args, "due", None):
        try:
            late = replace(late, due=parse_timestamp(args.due))
        except ValueError as exc:
            Console().print(f"[red]--due:[/] {exc} (write e.g. 2026-12-01T23:59:00Z)")
            return exitcodes.USAGE
    if getattr(args, "no_late", False):
        late = replace(late, penalty_per_day=0.0, cap=0.0)
    return replace(assignment, late=late)


def apply_course_points(assignment: Assignment, report: Report) -> None:
    """course.toml's points for one report in place (the batch path applies them when recording)."""
    from autograder.course import apply_points

    data = apply_points(report.to_dict(), assignment.test_points, assignment.points)
    for test, changed in zip(report.tests, data["tests"], strict=True):
        test.score, test.max_score = changed["score"], changed["max_score"]


def is_batch(args: argparse.Namespace) -> bool:
    explicit = args.db or args.jobs or args.regrade or args.executor
    return bool(explicit) or any(p.is_dir() or p.suffix.lower() == ".zip" for p in args.submissions)


def run(args: argparse.Namespace) -> int:
    if args.data_root is not None:
        if not args.data_root.is_dir():
            Console().print(f"[red]--data-root {args.data_root} is not a folder[/]: give the folder that holds "
                            "MNIST/raw/ (or FashionMNIST/raw/)")
            return exitcodes.USAGE
        # read by the graders in this process and in local batch jobs; workers never see the environment
        from autograder.datasets import DATA_ROOT_ENV

        os.environ[DATA_ROOT_ENV] = str(args.data_root.resolve())
    if args.from_nbgrader is not None:
        from autograder.channels.nbgrader import grade_course

        return grade_course(load_assignment(args.assignment), args.from_nbgrader, Console())
    if not args.submissions:
        Console().print("[red]name the submissions to grade[/] (files, folders or LMS zips), or --from-nbgrader COURSE")
        return exitcodes.USAGE
    if is_batch(args):
        return run_batch(args)  # grades in other processes: this one never needs torch (2-4 s to import)
    from autograder.sandbox.warm import start_early

    start_early()  # the template imports torch while this process does the same
    from autograder.batch.view import Heartbeat
    from autograder.grading.runner import grade

    console = Console()
    assignment = effective_assignment(args)
    if isinstance(assignment, int):
        return assignment
    missing = [str(p) for p in args.submissions if not p.exists()]
    if missing:
        console.print(f"[red]no such file:[/] {', '.join(missing)}")
        if args.json:  # still a results.json, saying what is missing (CI and Gradescope read nothing else)
            write_json(args.json, [Report(assignment=assignment.name, submission=m, problem=f"no such file: {m}")
                                   for m in missing])
        return exitcodes.USAGE
    reports = []
    for path in args.submissions:
        with Heartbeat(console, f"{assignment.name}: {path}"):
            report = grade_one(assignment, path, grade)
        reports.append(report)
        if args.quiet:
            console.print(f"{path}: {report.score:g} / {report.max_score:g}")
        else:
            show_report(report, console)
        for error in report.grader_errors:
            console.print(f"[magenta]grader error:[/] {escape_markup(error)}")
        if args.json:  # after every file: a later one that fails loses nothing already graded
            write_json(args.json, reports)
    return exitcodes.GRADER_ERROR if any(r.grader_errors for r in reports) else exitcodes.OK


def grade_one(assignment: Assignment, path: Path, grade) -> Report:
    """One file's report; when grading it fails on our side, a report that says so (no points, a grader error).

    Every path of ``tensorgrade grade FILE`` ends with a results.json (Gradescope otherwise shows
    "autograder failed" and nothing else), and the exit code says a grader failed.
    """
    try:
        report = grade(assignment, path)
        apply_course_points(assignment, report)
        return report
    except Exception as exc:  # noqa: BLE001 - a bug on our side: recorded in the report, never a traceback alone
        reason = f"{type(exc).__name__}: {str(exc)[:500]}"
        return Report(assignment=assignment.name, submission=str(path),
                      problem="the grader failed on this submission; your instructor has been told (no score yet)",
                      grader_errors=[f"grading {path} failed: {reason}"])


def show_report(report: Report, console: Console) -> None:
    try:
        render_report(report, console)
    except Exception as exc:  # noqa: BLE001 - the table is a courtesy; results.json is the record
        report.grader_errors.append(f"the report table could not be drawn: {type(exc).__name__}: {str(exc)[:500]}")


def escape_markup(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def write_json(path: Path, reports: list[Report]) -> None:
    """Gradescope's results.json: one object for one file, a list for several."""
    data = [r.to_gradescope() for r in reports]
    path.write_text(json.dumps(data[0] if len(data) == 1 else data, indent=2) + "\n")


def run_batch(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from sqlalchemy.exc import SQLAlchemyError

    from autograder.batch.discover import discover
    from autograder.batch.executors import make_executor
    from autograder.batch.run import grade_batch
    from autograder.batch.view import BatchProgress, print_summary
    from autograder.gradebook import GradebookError, open_gradebook

    console = Console(stderr=False)
    assignment = effective_assignment(args)
    if isinstance(assignment, int):
        return assignment
    if args.jobs is not None and args.jobs < 1:
        console.print("[red]--jobs must be at least 1[/]")
        return exitcodes.USAGE
    executor_name = args.executor or "local"
    if executor_name not in EXECUTORS:
        console.print(f"[red]no executor named {executor_name!r}[/] (known: {', '.join(sorted(EXECUTORS))})")
        return exitcodes.USAGE
    if args.handins is not None and not args.handins.is_file():
        console.print(f"[red]--handins {escape(str(args.handins))}: no such file[/]")
        return exitcodes.USAGE
    found = discover(args.submissions, assignment.module, handin=args.handin_time, manifest=args.handins)
    for problem in found.problems:
        console.print(f"[yellow]skipped:[/] {escape(problem)}")
    for entry in found.missing:
        console.print(f"[yellow]no submission:[/] {escape(entry.student)}: {escape(entry.reason)} "
                      f"({escape(entry.origin)}); recorded with score 0")
    if not found.submissions and not found.missing:
        console.print(f"[red]no submissions found[/] for {assignment.name} in "
                      f"{', '.join(map(str, args.submissions))}: expected <student>/{assignment.module}.py, "
                      f"<student>.py or .ipynb files, or an LMS export zip")
        return exitcodes.USAGE
    try:
        gradebook = open_gradebook(args.db)
    except GradebookError as exc:
        console.print(f"[red]gradebook:[/] {escape(str(exc))}")
        return exitcodes.USAGE
    print_handin_warnings(console, assignment, found, args.handin_time)
    workers = args.jobs or os.cpu_count() or 1
    options = {"workers": workers, "job_timeout": args.job_timeout}
    if executor_name == "ray":  # --jobs caps tasks in flight; without it the cluster's size decides
        options.update(workers=args.jobs, address=args.ray_address, num_gpus=args.ray_gpus)
    try:
        executor = make_executor(executor_name, **options)
    except RuntimeError as exc:  # e.g. Ray missing or its cluster unreachable: say so before grading anything
        console.print(f"[red]executor {executor_name}:[/] {escape(str(exc))}")
        return exitcodes.USAGE
    command = shlex.join(["tensorgrade", "grade", *sys.argv[2:]]) if sys.argv[1:2] == ["grade"] else ""
    try:
        with gradebook, BatchProgress(console, assignment.name, quiet=args.quiet) as progress:
            summary = grade_batch(assignment, found, gradebook, executor, regrade=args.regrade, workers=workers,
                                  command=command, on_start=progress.start, on_progress=progress.advance)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        console.print(f"[red]the gradebook stopped answering:[/] {escape(reason)}. Results recorded so far are "
                      "kept; run the same command again to grade the rest.")
        return exitcodes.GRADER_ERROR
    print_summary(console, assignment, summary, gradebook.where, quiet=args.quiet)
    print_handin_warnings(console, assignment, found, args.handin_time, again=True)
    if args.json:
        from autograder.gradebook.export import submission_json

        data = {"assignment": assignment.name, "run": summary.run_id,
                "results": [submission_json(row) for row in summary.recorded]}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return exitcodes.OK if summary.ok else exitcodes.GRADER_ERROR



def print_handin_warnings(console: Console, assignment: Assignment, found, handin: str, again: bool = False) -> None:
    """Say where hand-in times came from when it matters: none known, file times, or one suspicious moment."""
    from rich.markup import escape

    from autograder.late import clustered_lateness

    late = assignment.late
    if late.due is None or late.penalty_per_day <= 0 or handin == "none":
        return
    untimed = found.without_handin_time
    if untimed and not again:
        console.print(f"[yellow]no hand-in time for {len(untimed)} of {len(found.submissions)} submissions[/] (no "
                      "LMS metadata found): no late penalty for them. Give the LMS's times in a handins.csv "
                      "(--handins), or pass --handin-time git (Classroom) or --handin-time mtime.")
    by_mtime = [s for s in found.submissions if s.timestamp_source and "mtime" in s.timestamp_source]
    if by_mtime and not again:
        console.print(f"[yellow]{len(by_mtime)} hand-in times are file modification times[/] (--handin-time mtime): "
                      "a copy of the folder changes them; the report and the export say so")
    warning = clustered_lateness(late, [(s.student, s.submitted_at) for s in found.submissions])
    if warning:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}. Penalties are recorded apart from the raw "
                      f"score; to grade without them: tensorgrade grade {assignment.name} ... --no-late --regrade")
