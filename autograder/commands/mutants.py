"""``tensorgrade mutants HW``: grade mutants of the reference solution, report the mutation score and survivors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from autograder import exitcodes
from autograder.assignment import load_assignment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mutants", help="mutation testing: grade mutants of the reference, report the score and survivors",
        description="Generate mutants of the reference solution (inside its BEGIN/END SOLUTION regions) with "
                    "PyTorch-aware operators (dims, keepdim, clone/detach/contiguous, view/reshape, in-place, "
                    "slice bounds, comparisons, mean/sum, std flags, squeeze, transposes, dtypes, zero_grad/"
                    "eval/train/no_grad, backward/step order, best weights), grade each one with the hidden "
                    "graders in the sandbox as any submission, and report the mutation score (killed / "
                    "non-equivalent mutants) and every surviving mutant as a diff. Mutants listed in "
                    "solutions/<hw>/mutants.toml as equivalent (with a reason) leave the denominator. "
                    "Exit code 0 when grading worked; 1 with --check when the score fell below the recorded "
                    "one (or --fail-under); 3 when the reference does not get full marks or a grader failed.",
        epilog="Example: `tensorgrade mutants hw1_storage --jobs 2 --html mutants-report/`. "
               "List the mutants without grading them: `--list`.")
    parser.add_argument("assignment", help="assignment name, e.g. hw1_storage")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help=f"mutants graded at once (default: the number of cores, {os.cpu_count()})")
    parser.add_argument("--html", type=Path, metavar="DIR", help="write the report page to DIR/index.html")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every mutant's outcome as JSON")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="grade a random sample of N mutants (equivalents skipped), e.g. for a quick CI check")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample (default: 0)")
    parser.add_argument("--function", action="append", metavar="NAME",
                        help="only mutants of this function (repeatable)")
    parser.add_argument("--operator", action="append", metavar="NAME",
                        help="only this mutation operator (repeatable; --list-operators shows them)")
    parser.add_argument("--list", action="store_true", help="print the mutants and their ids; grade nothing")
    parser.add_argument("--list-operators", action="store_true", help="print the mutation operators and exit")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the score is below recorded_score in mutants.toml (for a --sample run: "
                             "when a mutant survives that was killed when the score was recorded)")
    parser.add_argument("--record", action="store_true",
                        help="write this run's score and survivors into mutants.toml (full runs only)")
    parser.add_argument("--fail-under", type=float, metavar="FRACTION", help="exit 1 when the score is below this")
    parser.add_argument("--quiet", action="store_true", help="no diffs in the terminal, only the summary")
    parser.set_defaults(run=run)


def _missing_libcst() -> bool:
    try:
        import libcst  # noqa: F401
    except ModuleNotFoundError:
        return True
    return False


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    assignment = load_assignment(args.assignment)
    if _missing_libcst():
        console.print("[red]tensorgrade mutants needs libcst[/]: pip install 'tensorgrade[mutants]'")
        return exitcodes.USAGE
    from autograder.mutants import equivalents
    from autograder.mutants.generate import UnreadableSolution, generate_file
    from autograder.mutants.operators import OPERATORS

    if args.list_operators:
        for op in OPERATORS.values():
            console.print(f"[bold]{op.name}[/]: {escape(op.doc)}")
        return exitcodes.OK
    unknown = sorted(set(args.operator or ()) - set(OPERATORS))
    if unknown:
        console.print(f"[red]no operator named {', '.join(unknown)}[/] (known: {', '.join(OPERATORS)})")
        return exitcodes.USAGE
    if (args.jobs is not None and args.jobs < 1) or (args.sample is not None and args.sample < 1):
        console.print("[red]--jobs and --sample must be at least 1[/]")
        return exitcodes.USAGE
    if args.record and (args.sample or args.function or args.operator):
        console.print("[red]--record needs a full run[/] (no --sample, --function or --operator)")
        return exitcodes.USAGE
    try:
        marks = equivalents.load(equivalents.mutants_file_path(assignment))
    except equivalents.BadMutantsFile as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        return exitcodes.USAGE
    try:
        mutants = generate_file(assignment.solution, args.operator)
    except UnreadableSolution as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        return exitcodes.USAGE
    if args.list:
        for m in mutants:
            if args.function and m.function not in args.function:
                continue
            mark = " [dim](equivalent)[/]" if m.id in marks.equivalent else ""
            console.print(f"{escape(m.id)}  line {m.line}: {escape(m.description)}{mark}")
        console.print(f"{len(mutants)} mutants")
        return exitcodes.OK

    from autograder.mutants.report import render_terminal, write_html
    from autograder.mutants.run import run_mutants

    piped = not sys.stderr.isatty()

    def progress(done: int, total: int, outcome) -> None:
        # a line per mutant in piped logs (CI), a single updating line on a terminal
        if piped:
            if done == 1 or done == total or done % 10 == 0:
                print(f"mutants {assignment.name}: {done}/{total} graded", file=sys.stderr, flush=True)
        else:
            print(f"\rmutants {assignment.name}: {done}/{total} graded", end="" if done < total else "\n",
                  file=sys.stderr, flush=True)

    jobs = args.jobs or os.cpu_count() or 1
    result = run_mutants(assignment, jobs=jobs, sample=args.sample, seed=args.seed, functions=args.function,
                         operators=args.operator, on_progress=progress)
    render_terminal(result, console, show_diffs=not args.quiet)
    if args.html:
        page = write_html(result, args.html)
        console.print(f"report: {page}")
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    if result.reference_problem:
        return exitcodes.GRADER_ERROR
    if args.record and result.score is not None:
        equivalents.record(marks.path, result.score, [o.mutant.id for o in result.survivors])
        console.print(f"recorded {result.score:.1%} in {marks.path}")
    failed = False
    if args.check:
        for problem in result.regressions():
            console.print(f"[red]{escape(problem)}[/]")
            failed = True
        if result.recorded_score is None:
            console.print(f"[yellow]no recorded_score in {marks.path}[/]: run with --record once")
    if args.fail_under is not None and (result.score or 0.0) < args.fail_under:
        console.print(f"[red]mutation score below {args.fail_under:.1%}[/]")
        failed = True
    if result.count("error"):
        return exitcodes.GRADER_ERROR
    return exitcodes.CHECKS_FAILED if failed else exitcodes.OK
