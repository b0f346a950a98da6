"""A graded submission as a readable table in the terminal (rich), with the notes for whoever runs it."""

from __future__ import annotations

from typing import Any

from autograder.grading.results import Report


def render_report(report: Report, console: Any = None, show_output: bool = True) -> None:
    """A readable per-test table in the terminal."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"{report.assignment}: {report.submission}", title_justify="left", show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("points", justify="right")
    table.add_column("feedback", overflow="fold", max_width=90)
    pictures = []  # diagrams: printed under the table, where no column width folds their alignment
    for t in report.tests:
        mark = {"passed": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[yellow]–[/]",
                "error": "[magenta]![/]"}[t.status]
        points = "skipped" if not t.counted else f"{t.score:g}/{t.max_score:g}"
        output = t.output
        for spec in t.diagrams if show_output else ():
            drawn = diagram_text(spec)
            output = output.replace("\n\n" + drawn, "", 1)
            pictures.append((t.name, drawn))
        table.add_row(f"{mark} {t.name}", points, _escape(output) if show_output else "")
    console.print(table)
    for name, drawn in pictures:
        console.print(f"[red]✗[/] [bold]{_escape(name)}[/]")
        console.print(_escape(drawn), soft_wrap=True, highlight=False)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {_escape(note)}")
    for note in report.instructor_notes:
        console.print(f"[yellow]note for the instructor:[/] {_escape(note)}")
    if report.problem:
        console.print(f"[red]problem:[/] {_escape(report.problem)}")
    console.print(f"[bold]score {report.score:g} / {report.max_score:g}[/]  ({report.execution_time:.1f} s)")


def diagram_text(spec: dict) -> str:  # diagrams
    from autograder.diagrams import text

    return text(spec)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
