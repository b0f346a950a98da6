"""Write the feedback site: ``index.html`` (the class, for the instructor) and ``students/<id>.html``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autograder.assignment import Assignment
from autograder.gradebook import Gradebook
from autograder.gradebook.models import SubmissionRow
from autograder.reports import plots
from autograder.reports.templates import environment
from autograder.reports.views import ClassView, slugs_for, student_view, test_rates, when
from autograder.similarity import Pair, fingerprints, normalise, similar_pairs, source_text

MAX_PAIRS = 30


@dataclass
class SiteResult:
    """The pages written."""

    class_page: Path
    student_pages: dict[str, Path] = field(default_factory=dict)  # student key → page
    similar_pairs: int = 0


def starter_code(assignment: Assignment) -> str:
    """The stub students started from (its code is everyone's, so similarity ignores it)."""
    if assignment.stub.is_file():
        return assignment.stub.read_text(errors="replace")
    if assignment.solution.is_file():
        from autograder.stubs import make_stub

        return make_stub(assignment.solution.read_text(errors="replace"))
    return ""


def similarity_hints(rows: list[SubmissionRow], sources: dict[int, bytes], starter: str
                     ) -> tuple[list[Pair], list[tuple[list[str], bool]], dict[str, int]]:
    """(similar pairs of distinct files, groups of identical files, identical copies per pair member).

    Identical files are grouped rather than paired (ten copies are one finding, not forty-five), and
    each distinct file is compared once, under its first student's key. A Gradescope group shares
    one file on purpose: members of one submission are not grouped.
    """
    by_hash: dict[str, list[SubmissionRow]] = {}
    for row in sorted(rows, key=lambda r: r.student.key):
        by_hash.setdefault(row.content_hash, []).append(row)
    boilerplate = fingerprints(normalise(starter)) if starter else set()
    texts, identical, copies = {}, [], {}
    for members in by_hash.values():
        first = members[0]
        texts[first.student.key] = source_text(first.filename, sources.get(first.id, b""))
        if len({m.origin for m in members}) > 1:
            starter_only = not (fingerprints(normalise(texts[first.student.key])) - boilerplate)
            identical.append(([m.student.key for m in members], starter_only))
            copies[first.student.key] = len(members) - 1
    identical.sort(key=lambda group: (group[1], -len(group[0])))
    return similar_pairs(texts, starter), identical, copies


def write_site(gradebook: Gradebook, assignment: Assignment, out: Path, *, as_of: datetime | None = None,
               published: bool = False, similarity: bool = True, only: set[str] | None = None) -> SiteResult:
    """Render every page of one assignment into ``out`` (``only``: just these students' pages)."""
    as_of = as_of or datetime.now(UTC)
    rows = gradebook.current(assignment.name)
    assignment_row = gradebook.find_assignment(assignment.name) or gradebook.assignment_row(assignment)
    slugs = slugs_for([r.student.key for r in rows])
    students = [student_view(r, assignment_row, slugs[r.student.key], as_of, published) for r in rows]
    env = environment()
    generated = when(datetime.now(UTC))
    (out / "students").mkdir(parents=True, exist_ok=True)
    result = SiteResult(class_page=out / "index.html")
    for view in students:
        if only is not None and view.key not in only:
            continue
        for key, curve in view.curves.items():
            try:
                png, caption = plots.training_curve(curve), plots.curve_caption(curve)
            except Exception:  # noqa: BLE001 - a curve no plot can show costs its figure, never the page
                png, caption = None, ""
            if png:
                view.figures.append((key.replace("_", "-")[:80], png, caption))
        page = out / "students" / f"{view.slug}.html"
        page.write_text(env.get_template("student.html").render(s=view, title=assignment_row.title,
                                                                 generated=generated), encoding="utf-8")
        result.student_pages[view.key] = page
    max_score = max((s.max_score for s in students), default=0.0)
    klass = ClassView(title=assignment_row.title, assignment=assignment.name, due=when(assignment_row.due_at),
                      students=students, max_score=max_score, rates=test_rates(rows))
    if students:
        klass.histogram_png = plots.score_histogram(klass.finals, max_score)
        klass.pass_rate_png = plots.pass_rate_chart([(r.name, r.rate) for r in klass.rates])
        klass.late_png = plots.late_chart([s.late_days for s in students])
    if similarity and len(rows) > 1:
        by_key = {s.key: s for s in students}
        pairs, identical, copies = similarity_hints(rows, gradebook.sources(r.id for r in rows),
                                                    starter_code(assignment))
        klass.identical = [([by_key[k] for k in keys], starter) for keys, starter in identical]
        klass.pairs_total = result.similar_pairs = len(pairs)
        klass.pairs = [(p, by_key[p.a], by_key[p.b], copies.get(p.a, 0), copies.get(p.b, 0))
                       for p in pairs[:MAX_PAIRS]]
    result.class_page.write_text(env.get_template("class.html").render(c=klass, generated=generated),
                                 encoding="utf-8")
    return result
