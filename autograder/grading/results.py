"""A graded submission as data: per-test results and Gradescope's results.json (render.py draws the table)."""

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
        """Skipped tests (e.g. CUDA cases on a machine without one, which carry no points) are left out."""
        return self.status != "skipped"


@dataclass
class Report:
    """All results of one submission."""

    assignment: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)  # for the student, e.g. a notebook cell that raised
    instructor_notes: list[str] = field(default_factory=list)  # e.g. CUDA cases not run here: never in the feedback
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
