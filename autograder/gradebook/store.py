"""Reading and writing a gradebook; every graded submission is committed in one transaction."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from autograder.gradebook.models import (
    FIRST_ROUND,
    AssignmentRow,
    Run,
    Student,
    SubmissionRow,
    TestResultRow,
    utcnow,
)

if TYPE_CHECKING:
    from autograder.assignment import Assignment
    from autograder.batch.discover import FoundSubmission, MissingSubmission
    from autograder.late import LateResult

MISSING_HASH = "none"  # content_hash of a "no submission found" row: no file has it (a file's is 64 hex digits)

def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def clean_text(text: Any) -> str:
    """Text any backend stores: PostgreSQL refuses NUL characters, which student messages may hold."""
    return str(text).replace("\x00", "\\x00")


def plain_json(value: Any) -> Any:
    """JSON-safe data (PostgreSQL's json has no NaN or Infinity; tuples become lists)."""
    if isinstance(value, dict):
        return {clean_text(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return clean_text(value)


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or used; the message says what to do."""


class Gradebook:
    """Reading and writing one gradebook database."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        return describe_url(self.url)

    # ------------------------------------------------------------ assignments, students, runs

    def assignment_row(self, assignment: Assignment) -> AssignmentRow:
        """The assignment's row, created or brought up to date with its config."""
        with self.sessions.begin() as session:
            row = session.scalar(select(AssignmentRow).where(AssignmentRow.name == assignment.name))
            if row is None:
                row = AssignmentRow(name=assignment.name)
                session.add(row)
            row.title = assignment.title
            row.due_at = assignment.late.due
            row.penalty_per_day = assignment.late.penalty_per_day
            row.late_cap = assignment.late.cap
        return row

    def find_assignment(self, name: str) -> AssignmentRow | None:
        with self.sessions() as session:
            return session.scalar(select(AssignmentRow).where(AssignmentRow.name == name))

    def student(self, key: str, **details: str | None) -> Student:
        """Get or create a student; details (name, email, sis_id, lms_id) fill fields still empty."""
        key = clean_text(key)
        for _attempt in range(2):
            try:
                with self.sessions.begin() as session:
                    row = session.scalar(select(Student).where(Student.key == key))
                    if row is None:
                        row = Student(key=key)
                        session.add(row)
                    for field, value in details.items():
                        if value and not getattr(row, field):
                            setattr(row, field, clean_text(value))
                return row
            except IntegrityError:
                continue  # another grader created the same student at the same moment: read theirs
        raise GradebookError(f"could not record student {key!r}")

    def start_run(self, assignment_id: int, kind: str, workers: int | None, command: str) -> tuple[Run, bool]:
        """A new run, or for a regrade the last one that never finished (so it resumes); (run, resumed)."""
        with self.sessions.begin() as session:
            if kind == "regrade":
                unfinished = session.scalar(
                    select(Run).where(Run.assignment_id == assignment_id, Run.kind == "regrade",
                                      Run.status != "finished").order_by(Run.id.desc()).limit(1))
                if unfinished is not None:
                    unfinished.status, unfinished.command = "running", clean_text(command)
                    return unfinished, True
            run = Run(assignment_id=assignment_id, kind=kind, status="running", host=socket.gethostname(),
                      command=clean_text(command), workers=workers, graded=0, failed=0)
            session.add(run)
        return run, False

    def finish_run(self, run_id: int, status: str, graded: int, failed: int) -> None:
        with self.sessions.begin() as session:
            run = session.get(Run, run_id)
            run.status, run.finished_at = status, utcnow()
            run.graded, run.failed = run.graded + graded, failed

    def runs(self, assignment_id: int) -> list[Run]:
        with self.sessions() as session:
            return list(session.scalars(select(Run).where(Run.assignment_id == assignment_id).order_by(Run.id)))

    # ------------------------------------------------------------ submissions

    def recorded(self, assignment_id: int, grading_round: str = FIRST_ROUND) -> set[tuple[str, str]]:
        """(student key, content hash) of every submission already recorded in this grading round."""
        query = (select(Student.key, SubmissionRow.content_hash)
                 .join(Student, SubmissionRow.student_id == Student.id)
                 .where(SubmissionRow.assignment_id == assignment_id, SubmissionRow.grading_round == grading_round))
        with self.sessions() as session:
            return {(key, digest) for key, digest in session.execute(query)}

    def record(self, *, run: Run, assignment_id: int, grading_round: str, found: FoundSubmission,
               report: dict, late: LateResult) -> SubmissionRow | None:
        """Store one graded submission and its tests in one transaction; None if it was already there."""
        student = self.student(found.student, name=found.name, email=found.email, sis_id=found.sis_id,
                               lms_id=found.lms_id)
        raw, max_score = float(report["score"]), float(report["max_score"])
        row = SubmissionRow(
            assignment_id=assignment_id, student=student, run_id=run.id, grading_round=grading_round,
            content_hash=found.content_hash, filename=clean_text(found.filename), origin=clean_text(found.origin),
            source=found.content, submitted_at=found.submitted_at, timestamp_source=found.timestamp_source,
            graded_at=utcnow(), score=raw, max_score=max_score, late_days=late.days_late,
            late_penalty=late.penalty, final_score=late.apply(raw),
            execution_time=float(report.get("execution_time") or 0.0),
            problem=clean_text(report["problem"]) if report.get("problem") else None,
            notes=plain_json(report.get("notes") or []), grader_errors=plain_json(report.get("grader_errors") or []),
            extra=plain_json(report.get("extra") or {}),
        )
        row.tests = [
            TestResultRow(position=i, name=clean_text(t["name"]), nodeid=clean_text(t.get("nodeid", "")),
                          status=t["status"], score=float(t["score"]), max_score=float(t["max_score"]),
                          visibility=t.get("visibility", "visible"), output=clean_text(t.get("output", "")),
                          duration=float(t.get("duration") or 0.0))
            for i, t in enumerate(report.get("tests", []))
        ]
        session = self.sessions()
        try:
            session.add(row)
            session.commit()
        except IntegrityError:
            session.rollback()
            if self._exists(assignment_id, student.id, found.content_hash, grading_round):
                return None  # recorded already (by an earlier run or a grader running beside us)
            raise
        finally:
            session.close()
        return row

    def record_missing(self, *, run: Run, assignment_id: int, grading_round: str, missing: MissingSubmission,
                       max_score: float) -> SubmissionRow | None:
        """A row for a student who handed in no file: score 0, the reason as its problem; None if already there."""
        student = self.student(missing.student, name=missing.name, email=missing.email, sis_id=missing.sis_id,
                               lms_id=missing.lms_id)
        row = SubmissionRow(
            assignment_id=assignment_id, student=student, run_id=run.id, grading_round=grading_round,
            content_hash=MISSING_HASH, filename="", origin=clean_text(missing.origin), source=None,
            submitted_at=None, timestamp_source=None, graded_at=utcnow(), score=0.0, max_score=float(max_score),
            late_days=0, late_penalty=0.0, final_score=0.0, execution_time=0.0, problem=clean_text(missing.reason),
            notes=[], grader_errors=[], extra={"missing": True})
        row.tests = []
        session = self.sessions()
        try:
            session.add(row)
            session.commit()
        except IntegrityError:
            session.rollback()
            if self._exists(assignment_id, student.id, MISSING_HASH, grading_round):
                return None
            raise
        finally:
            session.close()
        return row

    def max_score(self, assignment_name: str) -> float | None:
        """The maximum of the latest graded submission of an assignment (None before any)."""
        query = (select(SubmissionRow.max_score).join(AssignmentRow, SubmissionRow.assignment_id == AssignmentRow.id)
                 .where(AssignmentRow.name == assignment_name, SubmissionRow.content_hash != MISSING_HASH)
                 .order_by(SubmissionRow.id.desc()).limit(1))
        with self.sessions() as session:
            return session.scalar(query)

    def _exists(self, assignment_id: int, student_id: int, content_hash: str, grading_round: str) -> bool:
        query = select(SubmissionRow.id).where(
            SubmissionRow.assignment_id == assignment_id, SubmissionRow.student_id == student_id,
            SubmissionRow.content_hash == content_hash, SubmissionRow.grading_round == grading_round)
        with self.sessions() as session:
            return session.scalar(query) is not None

    def submissions(self, assignment_name: str, student_key: str | None = None) -> list[SubmissionRow]:
        """Every recorded submission of an assignment (all versions and regrades), oldest first."""
        query = (select(SubmissionRow).join(AssignmentRow, SubmissionRow.assignment_id == AssignmentRow.id)
                 .where(AssignmentRow.name == assignment_name)
                 .options(selectinload(SubmissionRow.tests)).order_by(SubmissionRow.id))
        if student_key is not None:
            query = query.join(Student, SubmissionRow.student_id == Student.id).where(Student.key == student_key)
        with self.sessions() as session:
            return list(session.scalars(query).unique())

    def current(self, assignment_name: str) -> list[SubmissionRow]:
        """Each student's submission that counts: the latest handed in, in its latest grading."""
        best: dict[int, SubmissionRow] = {}
        for row in self.submissions(assignment_name):
            key = (_instant(row.submitted_at), row.id)
            held = best.get(row.student_id)
            if held is None or key > (_instant(held.submitted_at), held.id):
                best[row.student_id] = row
        return sorted(best.values(), key=lambda r: r.student.key)

    def sources(self, submission_ids: Iterable[int]) -> dict[int, bytes]:
        """The files as graded, by submission id (kept out of the other queries: they can be large)."""
        ids = list(submission_ids)
        if not ids:
            return {}
        with self.sessions() as session:
            rows = session.execute(select(SubmissionRow.id, SubmissionRow.source).where(SubmissionRow.id.in_(ids)))
            return {i: bytes(source or b"") for i, source in rows}


def _instant(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else float("-inf")
