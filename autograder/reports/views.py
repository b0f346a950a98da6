"""What each page shows, computed from gradebook rows (visibility rules live here, not in templates)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import mean, median

from markupsafe import Markup

from autograder import diagrams
from autograder.gradebook.models import AssignmentRow, SubmissionRow
from autograder.similarity import Pair

SLUG = re.compile(r"[^A-Za-z0-9._-]+")
MAX_TEXT = 20_000  # characters of one stored text shown on a page (feedback, notes, problem)
MAX_NAME = 300  # characters of a name or key
MAX_NOTE = 4_000  # characters of a note or of the reason a file could not run
STATUSES = ("passed", "failed", "error", "skipped")


def cut(text: object, limit: int = MAX_TEXT) -> str:
    """Stored text as a bounded string: a huge message (a student can echo megabytes) is cut, and says so."""
    text = text if isinstance(text, str) else "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit:,} more characters not shown)"


def diagrams_of_test(extra: object, nodeid: object, feedback: str) -> tuple[list[Markup], str]:
    """(SVG pictures of a test's failure, its feedback without their text form) from the stored report.

    The specs come from the gradebook (``extra["diagrams"][nodeid]``, written by Report.to_dict) and
    are treated as untrusted: each is re-validated and bounded by ``diagrams.clean`` and the SVG
    escapes every string, so only then is it marked safe for the template.
    """
    stored = extra.get("diagrams") if type(extra) is dict else None
    specs = stored.get(nodeid) if type(stored) is dict and type(nodeid) is str and nodeid else None
    if type(specs) is not list:
        return [], feedback
    pictures = []
    for spec in (diagrams.clean(s) for s in specs[: diagrams.MAX_PER_TEST]):
        if spec is None:
            continue
        pictures.append(Markup(diagrams.svg(spec)))  # noqa: S704 - built from a cleaned spec, strings escaped
        feedback = feedback.replace("\n\n" + diagrams.text(spec), "", 1)  # the picture replaces its text form
    return pictures, feedback


def reveal(visibility: str, due: datetime | None, as_of: datetime, published: bool) -> bool:
    """Whether a student may read a test's feedback now (Gradescope's visibility words)."""
    if published or visibility == "visible":
        return True
    if visibility in ("hidden", "after_due_date"):
        return due is not None and as_of >= due
    return False  # after_published


def slugs_for(keys: list[str]) -> dict[str, str]:
    """A distinct, file-system-safe page name per student key."""
    taken: dict[str, str] = {}
    used: set[str] = set()
    for key in sorted(keys):
        base = SLUG.sub("_", key).strip("._") or "student"
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        taken[key] = slug
    return taken


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


@dataclass
class TestView:
    __test__ = False  # not a pytest class

    name: str
    score: float
    max_score: float
    status: str
    feedback: str | None  # None: not shown yet
    held_back: bool  # feedback exists but is hidden until the due date / publication
    diagrams: list[Markup] = field(default_factory=list)  # SVG pictures next to the feedback (when it is shown)

    @property
    def counted(self) -> bool:
        return self.status != "skipped"


@dataclass
class StudentView:
    key: str
    name: str
    slug: str
    raw: float
    max_score: float
    late_days: int
    late_penalty: float
    final: float
    submitted: str
    timestamp_source: str
    graded: str
    filename: str
    problem: str | None
    notes: list[str]
    tests: list[TestView]
    execution_time: float
    grader_error: bool
    curves: dict[str, object] = field(default_factory=dict)  # extra["training_curve*"], plotted by the site
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (element id, PNG data URI, caption)


def student_view(row: SubmissionRow, assignment: AssignmentRow, slug: str, as_of: datetime,
                 published: bool) -> StudentView:
    due = assignment.due_at
    tests = []
    for t in row.tests:
        shown = reveal(t.visibility, due, as_of, published)
        pictures, feedback = diagrams_of_test(row.extra, t.nodeid, t.output or "") if shown else ([], "")
        status = t.status if t.status in STATUSES else "error"
        tests.append(TestView(name=cut(t.name, MAX_NAME), score=t.score, max_score=t.max_score, status=status,
                              feedback=cut(feedback) if shown else None, held_back=not shown and bool(t.output),
                              diagrams=pictures))
    return StudentView(
        key=cut(row.student.key, MAX_NAME), name=cut(row.student.name or row.student.key, MAX_NAME), slug=slug,
        raw=row.score,
        max_score=row.max_score, late_days=row.late_days, late_penalty=row.late_penalty, final=row.final_score,
        submitted=when(row.submitted_at), timestamp_source=row.timestamp_source or "", graded=when(row.graded_at),
        filename=cut(row.filename, MAX_NAME), problem=cut(row.problem, MAX_NOTE) if row.problem else None,
        notes=[cut(n, MAX_NOTE) for n in (row.notes if type(row.notes) is list else [])[:20]], tests=tests,
        execution_time=row.execution_time, grader_error=bool(row.grader_errors),
        curves={k: v for k, v in sorted((row.extra or {}).items()) if k.startswith("training_curve")})


@dataclass
class TestRate:
    __test__ = False

    name: str
    passed: int
    counted: int
    mean_points: float
    max_score: float

    @property
    def rate(self) -> float:
        return self.passed / self.counted if self.counted else 0.0


@dataclass
class ClassView:
    title: str
    assignment: str
    due: str
    students: list[StudentView]
    max_score: float
    rates: list[TestRate] = field(default_factory=list)
    pairs: list[tuple[Pair, StudentView, StudentView, int, int]] = field(default_factory=list)  # + identical copies
    identical: list[tuple[list[StudentView], bool]] = field(default_factory=list)  # (students, unchanged starter)
    pairs_total: int = 0
    histogram_png: str = ""
    pass_rate_png: str = ""
    late_png: str = ""

    @property
    def finals(self) -> list[float]:
        return [s.final for s in self.students]

    @property
    def stats(self) -> dict[str, str]:
        finals = self.finals
        if not finals:
            return {}
        return {"students": str(len(finals)), "mean": f"{mean(finals):.2f}", "median": f"{median(finals):g}",
                "full marks": str(sum(1 for s in self.students if s.max_score and s.final >= s.max_score)),
                "late": str(sum(1 for s in self.students if s.late_days)),
                "could not run": str(sum(1 for s in self.students if s.problem))}

    @property
    def late(self) -> list[StudentView]:
        return sorted((s for s in self.students if s.late_days), key=lambda s: (-s.late_days, s.key))

    @property
    def late_counts(self) -> list[tuple[str, int]]:
        counts: dict[int, int] = {}
        for s in self.students:
            counts[s.late_days] = counts.get(s.late_days, 0) + 1
        return [("on time" if d == 0 else f"{d} day{'s' if d > 1 else ''} late", counts[d]) for d in sorted(counts)]

    @property
    def slowest(self) -> list[StudentView]:
        return sorted(self.students, key=lambda s: -s.execution_time)[:10]

    @property
    def troubled(self) -> list[StudentView]:
        return [s for s in self.students if s.problem or s.grader_error]


def test_rates(rows: list[SubmissionRow]) -> list[TestRate]:
    """Per test (in grader order): how many of the students it counted for passed it."""
    rates: dict[str, TestRate] = {}
    points: dict[str, list[float]] = {}
    for row in rows:
        for t in row.tests:
            rate = rates.setdefault(t.name, TestRate(cut(t.name, MAX_NAME), 0, 0, 0.0, t.max_score))
            if t.status == "skipped":
                continue
            rate.counted += 1
            rate.passed += t.status == "passed"
            points.setdefault(t.name, []).append(t.score)
    for name, rate in rates.items():
        rate.mean_points = mean(points[name]) if points.get(name) else 0.0
    return [r for r in rates.values() if r.counted]
