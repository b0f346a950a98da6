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
from autograder.assignment import load_assignment
from autograder.executors import EXECUTORS
from autograder.results import render_report


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
    parser.add_argument("submissions", nargs="+", type=Path,
                        help="submission files, student folders, a class folder, or LMS export zips")
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
                            "path (default: $TENSORGRADE_DB or grades/gradebook.sqlite)")
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
    parser.set_defaults(run=run)


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
    if is_batch(args):
        return run_batch(args)  # grades in other processes: this one never needs torch (2-4 s to import)
    from autograder.runner import grade

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


def run_batch(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from sqlalchemy.exc import SQLAlchemyError

    from autograder.batch import grade_batch
    from autograder.batch_view import BatchProgress, print_summary
    from autograder.discover import discover
    from autograder.executors import make_executor
    from autograder.gradebook import GradebookError, open_gradebook

    console = Console(stderr=False)
    assignment = load_assignment(args.assignment)
    if args.jobs is not None and args.jobs < 1:
        console.print("[red]--jobs must be at least 1[/]")
        return exitcodes.USAGE
    executor_name = args.executor or "local"
    if executor_name not in EXECUTORS:
        console.print(f"[red]no executor named {executor_name!r}[/] (known: {', '.join(sorted(EXECUTORS))})")
        return exitcodes.USAGE
    found = discover(args.submissions, assignment.module)
    for problem in found.problems:
        console.print(f"[yellow]skipped:[/] {escape(problem)}")
    if not found.submissions:
        console.print(f"[red]no submissions found[/] for {assignment.name} in "
                      f"{', '.join(map(str, args.submissions))}: expected <student>/{assignment.module}.py, "
                      f"<student>.py or .ipynb files, or an LMS export zip")
        return exitcodes.USAGE
    try:
        gradebook = open_gradebook(args.db)
    except GradebookError as exc:
        console.print(f"[red]gradebook:[/] {escape(str(exc))}")
        return exitcodes.USAGE
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
    if args.json:
        from autograder.gradebook.export import submission_json

        data = {"assignment": assignment.name, "run": summary.run_id,
                "results": [submission_json(row) for row in summary.recorded]}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return exitcodes.OK if summary.ok else exitcodes.GRADER_ERROR

