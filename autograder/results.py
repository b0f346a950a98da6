"""A graded submission as data: per-test results, Gradescope's results.json, a terminal table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass
class TestResult:
    """One grader test: what it is worth, what it earned, and why."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    max_score: float
    score: float
    status: str  # passed | failed | skipped | error
    output: str = ""
    visibility: str = "visible"
    nodeid: str = ""
    duration: float = 0.0
    tags: list[str] = field(default_factory=list)
    diagrams: list[dict] = field(default_factory=list)  # diagrams: specs of autograder/diagrams.py

    @property
    def counted(self) -> bool:
        """Skipped tests (e.g. CUDA cases without a GPU) are left out of max_score."""
        return self.status != "skipped"


@dataclass
class Report:
    """All results of one submission."""

    assignment: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. "CUDA cases skipped: no GPU"
    problem: str | None = None  # the submission could not be run at all
    grader_errors: list[str] = field(default_factory=list)  # bugs on our side, never the student's
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. hw5's training curve

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests if t.counted), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests if t.counted), 4)

    def to_gradescope(self) -> dict:
        """Gradescope's results.json (docs/specs.md of gradescope/autograder_samples)."""
        output = "\n".join(self.notes + ([f"Problem with the submission: {self.problem}"] if self.problem else []))
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "output": output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {"name": t.name, "score": round(t.score, 4), "max_score": t.max_score,
                 "status": "passed" if t.status == "passed" else "failed", "output": t.output,
                 "visibility": t.visibility, **({"tags": t.tags} if t.tags else {}),
                 **({"extra_data": {"diagrams": t.diagrams}} if t.diagrams else {})}  # diagrams
                for t in self.tests if t.counted
            ],
            **({"extra_data": self.extra} if self.extra else {}),
        }

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score)
        # diagrams: the gradebook keeps a report's extra, not per-test fields; pages find them by nodeid
        drawn = {t.nodeid: t.diagrams for t in self.tests if t.diagrams and t.nodeid}
        if drawn:
            data["extra"] = {**data["extra"], "diagrams": drawn}
        return data

    def write_json(self, path: str | Path, gradescope: bool = True) -> None:
        data = self.to_gradescope() if gradescope else self.to_dict()
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


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
    if report.problem:
        console.print(f"[red]problem:[/] {_escape(report.problem)}")
    console.print(f"[bold]score {report.score:g} / {report.max_score:g}[/]  ({report.execution_time:.1f} s)")


def diagram_text(spec: dict) -> str:  # diagrams
    from autograder.diagrams import text

    return text(spec)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
