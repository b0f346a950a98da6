"""``tensorgrade demo``: grade the bundled reference, stub and example mistakes of every assignment."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from autograder import exitcodes
from autograder.assignment import all_assignments, load_assignment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="grade the bundled example submissions and print a score table",
        description="Grade, for each assignment, the reference solution, the student stub and the "
                    "example mistakes in solutions/<hw>/mistakes/, and print one table of scores.")
    parser.add_argument("assignments", nargs="*", help="only these assignments (default: all)")
    parser.set_defaults(run=run)


def demo_submissions(assignment) -> list[tuple[str, object]]:
    subs = [("reference", assignment.solution), ("stub", assignment.stub)]
    subs += [(f"mistake: {p.stem}", p) for p in sorted(assignment.mistakes_dir.glob("*.py"))]
    return [(label, path) for label, path in subs if path.exists()]


def run(args: argparse.Namespace) -> int:
    from autograder.grading.runner import grade  # imports torch: only for this verb, not every command

    console = Console()
    assignments = [load_assignment(n) for n in args.assignments] if args.assignments else all_assignments()
    table = Table(title="tensorgrade demo: bundled submissions", title_justify="left")
    for column in ("assignment", "submission", "score", "lost points on"):
        table.add_column(column, overflow="fold")
    jobs = [(a, label, path) for a in assignments for label, path in demo_submissions(a)]
    errors = 0
    plain = not console.is_terminal  # piped (a CI log): the bar draws nothing there, so say each step in a line
    with Progress(console=console, transient=True, disable=plain) as progress:
        task = progress.add_task("grading", total=len(jobs))
        for number, (assignment, label, path) in enumerate(jobs, 1):
            progress.update(task, description=f"{assignment.name}: {label}")
            if plain:
                console.print(f"grading {number}/{len(jobs)}: {assignment.name}: {label}", highlight=False,
                              markup=False)
            report = grade(assignment, path)
            errors += len(report.grader_errors)
            lost = [t.name for t in report.tests if t.counted and t.score < t.max_score]
            table.add_row(assignment.name, label, f"{report.score:g} / {report.max_score:g}",
                          "; ".join(lost[:3]) + (f" (+{len(lost) - 3} more)" if len(lost) > 3 else "") or "—")
            progress.advance(task)
    console.print(table)
    console.print(strength_table(assignments))
    return exitcodes.GRADER_ERROR if errors else exitcodes.OK


def strength_table(assignments) -> Table:
    """Each assignment's recorded mutation score (solutions/<hw>/mutants.toml): re-grading mutants is not fast."""
    from autograder.mutants import equivalents

    table = Table(title="graders' strength: recorded mutation score (rerun: tensorgrade mutants HW)",
                  title_justify="left")
    for column in ("assignment", "mutation score", "equivalent mutants"):
        table.add_column(column)
    for assignment in assignments:
        try:
            marks = equivalents.load(equivalents.mutants_file_path(assignment))
        except equivalents.BadMutantsFile as exc:
            table.add_row(assignment.name, f"unreadable: {exc}", "")
            continue
        score = "not recorded" if marks.recorded_score is None else f"{marks.recorded_score:.1%}"
        table.add_row(assignment.name, score, str(len(marks.equivalent)))
    return table
