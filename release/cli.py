"""``tensorgrade release ...``: build what students and graders receive."""

from __future__ import annotations

import argparse

from rich.console import Console

from autograder import exitcodes
from autograder.assignment import all_assignments, load_assignment
from release.assignments import stale_files, write_assignment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "release", help="generate student stubs and bundles from solutions/",
        description="Build releases from the single source in solutions/<hw>/.")
    verbs = parser.add_subparsers(dest="release_verb", metavar="WHAT", required=True)
    stubs = verbs.add_parser("assignments", help="regenerate assignments/<hw>/ (stubs, instructions, public tests)")
    stubs.add_argument("names", nargs="*", help="assignments (default: all)")
    stubs.add_argument("--check", action="store_true", help="only report files that are out of date (exit 1)")
    stubs.set_defaults(run=run_assignments)


def run_assignments(args: argparse.Namespace) -> int:
    console = Console()
    targets = [load_assignment(n) for n in args.names] if args.names else all_assignments()
    if args.check:
        stale = [f"{a.name}/{f}" for a in targets for f in stale_files(a)]
        for item in stale:
            console.print(f"[red]out of date:[/] assignments/{item}  (run `tensorgrade release assignments`)")
        return exitcodes.CHECKS_FAILED if stale else exitcodes.OK
    for assignment in targets:
        for path in write_assignment(assignment):
            console.print(f"wrote {path}")
    return exitcodes.OK
