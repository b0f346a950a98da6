"""``tensorgrade release ...``: build what students and graders receive, and prove nothing secret leaks."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from autograder import exitcodes
from autograder.assignment import all_assignments, load_assignment
from autograder.stubs import MarkerError
from release.assignments import stale_files, write_assignment
from release.public_checks import UnsupportedPublicTest
from release.verify import LeakFound, scan_tree, verify

LEAK = exitcodes.CHECKS_FAILED  # 1: the bundle must not be handed out


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "release", help="generate stubs, student bundles, Gradescope/nbgrader/otter exports; leak check",
        description="Build releases from the single source in solutions/<hw>/. Every command runs the leak "
                    "check (`release verify`) on what it wrote and fails, naming file and line, if any "
                    "solution line or hidden-grader text got in.")
    verbs = parser.add_subparsers(dest="release_verb", metavar="WHAT", required=True)

    stubs = verbs.add_parser("assignments", help="regenerate assignments/<hw>/ (stubs, instructions, public tests)")
    stubs.add_argument("names", nargs="*", help="assignments (default: all)")
    stubs.add_argument("--check", action="store_true", help="only report files that are out of date (exit 1)")
    stubs.set_defaults(run=run_assignments)

    student = verbs.add_parser(
        "student", help="student bundle: stub, notebook, instructions, public tests, Classroom workflow, zip",
        description="Write DIR/<hw>/ and DIR/<hw>.zip for one assignment or all of them.")
    student.add_argument("assignment", nargs="?", help="assignment name, e.g. hw1_storage")
    student.add_argument("--all", action="store_true", help="every assignment")
    student.add_argument("--out", type=Path, default=Path("dist/student"), help="output folder (default: %(default)s)")
    student.set_defaults(run=run_student)

    gradescope = verbs.add_parser(
        "gradescope", help="Gradescope autograder zip (setup.sh, run_autograder, engine and hidden graders)",
        description="Write the zip to upload as a Gradescope programming assignment's autograder.")
    gradescope.add_argument("assignment", help="assignment name")
    gradescope.add_argument("--out", type=Path, help="the zip to write (default: dist/<hw>-gradescope.zip)")
    gradescope.add_argument("--try", dest="try_submission", type=Path, metavar="SUBMISSION",
                            help="then run the built zip's run_autograder on this file (or folder) in a scratch "
                                 "root laid out like Gradescope's /autograder, and print its results.json "
                                 "(setup.sh is not run: this Python's packages stand in for its venv)")
    gradescope.add_argument("--submitted-at", metavar="TIME",
                            help="with --try: the submission time Gradescope would pass (ISO 8601), for late penalties")
    gradescope.set_defaults(run=run_gradescope)

    nbgrader = verbs.add_parser(
        "nbgrader", help="nbgrader source notebook in a course folder",
        description="Write DIR/source/<hw>/<module>.ipynb (and DIR/nbgrader_config.py for a new course); then run "
                    "`nbgrader generate_assignment <hw>` and `nbgrader autograde <hw>` in DIR.")
    nbgrader.add_argument("assignment", help="assignment name")
    nbgrader.add_argument("--course", type=Path, default=Path("dist/nbgrader"),
                          help="nbgrader course folder (default: %(default)s)")
    nbgrader.set_defaults(run=run_nbgrader)

    otter = verbs.add_parser(
        "otter", help="otter-grader master notebook",
        description="Write DIR/otter-master/<module>.ipynb; then run "
                    "`otter assign DIR/otter-master/<module>.ipynb DIR/dist`.")
    otter.add_argument("assignment", help="assignment name")
    otter.add_argument("--out", type=Path, help="output folder (default: dist/otter/<hw>)")
    otter.set_defaults(run=run_otter)

    verify = verbs.add_parser(
        "verify", help="leak check: no solution line or hidden-grader text in a bundle",
        description="Scan a folder or zip for any line of solution code (between markers) and any distinctive "
                    "line of the hidden graders. Gradescope autograder bundles may hold the graders; nbgrader "
                    "source/ and otter-master/ folders may hold solutions. Exit 1 naming file and line.")
    verify.add_argument("path", type=Path, metavar="DIR", help="bundle folder or zip")
    verify.set_defaults(run=run_verify)


def _guarded(console: Console, action: Callable[[], int]) -> int:
    """Turn release problems into one clear message and an exit code."""
    try:
        return action()
    except LeakFound as exc:
        console.print(str(exc), style="bold red", markup=False, highlight=False)
        console.print("nothing was handed out: fix the sources (or the markers) and release again")
        return LEAK
    except (MarkerError, UnsupportedPublicTest, ValueError, OSError) as exc:
        console.print(f"release failed: {exc}", style="red", markup=False, highlight=False)
        return exitcodes.USAGE


def run_assignments(args: argparse.Namespace) -> int:
    console = Console(soft_wrap=True)
    targets = [load_assignment(n) for n in args.names] if args.names else all_assignments()
    if args.check:
        stale = [f"{a.name}/{f}" for a in targets for f in stale_files(a)]
        for item in stale:
            console.print(f"[red]out of date:[/] assignments/{item}  (run `tensorgrade release assignments`)")
        return exitcodes.CHECKS_FAILED if stale else exitcodes.OK

    def action() -> int:
        for assignment in targets:
            for path in write_assignment(assignment):
                console.print(f"wrote {path}")
            verify(assignment.public_tests_dir)
        console.print("[green]leak check passed[/]")
        return exitcodes.OK

    return _guarded(console, action)


def warn_points_not_carried(console: Console, assignment, channel: str) -> None:
    """course.toml's points are applied by `tensorgrade grade` and `export`, not yet inside a bundle: say so."""
    if assignment.points is None and not assignment.test_points:
        return
    what = ", ".join(([f"a total of {assignment.points:g}"] if assignment.points is not None else [])
                     + ([f"{len(assignment.test_points)} re-weighted test(s)"] if assignment.test_points else []))
    console.print(f"[yellow]note:[/] course.toml gives {assignment.name} {what}; the {channel} scores with the "
                  "graders' own points, so its maximum differs from `tensorgrade grade`/`export`. Set the same "
                  "total in the LMS, or grade with `tensorgrade grade` and export.", markup=True)


def run_student(args: argparse.Namespace) -> int:
    from release.student import NotOurFolder, write_student_bundle

    console = Console(soft_wrap=True)
    if bool(args.all) == bool(args.assignment):
        console.print("[red]name one assignment or pass --all[/] (e.g. `tensorgrade release student hw1_storage`)")
        return exitcodes.USAGE
    targets = all_assignments() if args.all else [load_assignment(args.assignment)]

    def action() -> int:
        for assignment in targets:
            try:
                bundle = write_student_bundle(assignment, args.out)
            except NotOurFolder as exc:
                console.print(str(exc), style="red", markup=False)
                return exitcodes.USAGE
            console.print(f"wrote {bundle.folder}/ and {bundle.zip}  [green](leak check passed)[/]")
        return exitcodes.OK

    return _guarded(console, action)


def run_gradescope(args: argparse.Namespace) -> int:
    from release.gradescope import write_gradescope_zip

    console = Console(soft_wrap=True)
    assignment = load_assignment(args.assignment)
    out = args.out or Path("dist") / f"{assignment.name}-gradescope.zip"

    if args.try_submission is not None and not args.try_submission.exists():
        console.print(f"[red]--try: no such file or folder:[/] {args.try_submission}")
        return exitcodes.USAGE

    def action() -> int:
        path = write_gradescope_zip(assignment, out)
        console.print(f"wrote {path}  [green](no solution inside; leak check passed)[/]")
        warn_points_not_carried(console, assignment, "Gradescope bundle")
        if args.try_submission is None:
            console.print("upload it as the autograder of a Gradescope programming assignment "
                          f"(try it first: --try {assignment.module}.py)")
            return exitcodes.OK
        return try_gradescope(console, path, args.try_submission, args.submitted_at)

    return _guarded(console, action)


def try_gradescope(console: Console, bundle: Path, submission: Path, submitted_at: str | None) -> int:
    """Run the built bundle on one submission as Gradescope would; print its results.json."""
    import json

    from release.gradescope import try_bundle

    metadata = {"created_at": submitted_at} if submitted_at else None
    console.print(f"running {bundle.name}'s run_autograder on {submission} (a scratch /autograder) ...")
    trial = try_bundle(bundle, submission, metadata=metadata)
    if trial.returncode != 0 or not trial.results:
        console.print(trial.log[-4000:], markup=False, highlight=False)
    console.print(f"{trial.root}/results/results.json:")
    print(json.dumps(trial.results, indent=2, ensure_ascii=False), flush=True)
    if not trial.results:
        console.print("[red]run_autograder wrote no results.json[/]: Gradescope would show 'autograder failed'")
        return exitcodes.GRADER_ERROR
    console.print(f"score {trial.results.get('score')} / {trial.results.get('max_score', '?')}  "
                  f"(scratch root kept: {trial.root.parent})")
    return exitcodes.OK if trial.returncode == 0 else exitcodes.GRADER_ERROR


def run_nbgrader(args: argparse.Namespace) -> int:
    from release.nbgrader_export import write_course

    console = Console(soft_wrap=True)
    assignment = load_assignment(args.assignment)

    def action() -> int:
        path = write_course(assignment, args.course)
        console.print(f"wrote {path}  [green](leak check passed)[/]")
        warn_points_not_carried(console, assignment, "nbgrader export")
        console.print(f"next: cd {args.course} && nbgrader generate_assignment {assignment.name}")
        return exitcodes.OK

    return _guarded(console, action)


def run_otter(args: argparse.Namespace) -> int:
    from release.otter_export import write_master

    console = Console(soft_wrap=True)
    assignment = load_assignment(args.assignment)
    out = args.out or Path("dist") / "otter" / assignment.name

    def action() -> int:
        path = write_master(assignment, out)
        console.print(f"wrote {path}  [green](leak check passed)[/]")
        warn_points_not_carried(console, assignment, "otter export")
        console.print(f"next: otter assign {path} {out / 'dist'}")
        return exitcodes.OK

    return _guarded(console, action)


def run_verify(args: argparse.Namespace) -> int:
    console = Console(soft_wrap=True)
    if not args.path.exists():
        console.print(f"[red]no such folder or zip:[/] {args.path}")
        return exitcodes.USAGE
    leaks = scan_tree(args.path)
    if leaks:
        console.print(str(LeakFound(leaks)), style="bold red", markup=False, highlight=False)
        return LEAK
    console.print(f"{args.path}: [green]no solution line and no hidden-grader text found[/]")
    return exitcodes.OK
