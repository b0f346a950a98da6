"""Helpers for the gradebook, export and report tests: a real PostgreSQL server, recorded submissions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from autograder.assignment import Assignment, LatePolicy
from autograder.batch.discover import FoundSubmission
from autograder.gradebook import Gradebook
from autograder.gradebook.models import FIRST_ROUND
from autograder.gradebook.pgserver import TempPostgres, find_pg_bin
from autograder.grading.results import Report, TestResult
from autograder.late import late_result

NO_POSTGRES = "PostgreSQL is not installed here (Debian: apt-get install postgresql; .ci/run installs it)"

COURSE = Assignment(name="hw1_storage", title="Tensor storage", module="storage",
                    late=LatePolicy(due=datetime(2026, 12, 1, 23, 59, tzinfo=UTC), penalty_per_day=0.1, cap=0.5))


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL 15 server of our own, on a unix socket in a temporary folder."""
    if find_pg_bin() is None:
        pytest.skip(NO_POSTGRES)
    with TempPostgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each test runs against a new SQLite file and a new database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


def found(student: str, content: bytes = b"def f():\n    return 1\n", *, filename: str = "storage.py",
          submitted_at: datetime | None = None, **details) -> FoundSubmission:
    return FoundSubmission(student=student, filename=filename, content=content, size=len(content),
                           content_hash=hashlib.sha256(content).hexdigest(), origin=f"class/{student}/{filename}",
                           submitted_at=submitted_at or datetime(2026, 11, 30, 12, tzinfo=UTC),
                           timestamp_source="file mtime", **details)


def report(*tests: tuple, problem: str | None = None, extra: dict | None = None, seconds: float = 1.5,
           grader_errors: list[str] | None = None) -> dict:
    """A Report as the executor returns it; tests are (name, score, max, status[, visibility[, output]])."""
    results = [TestResult(name=t[0], score=t[1], max_score=t[2], status=t[3],
                          visibility=t[4] if len(t) > 4 else "visible", output=t[5] if len(t) > 5 else "",
                          nodeid=f"test_x.py::test_{i}") for i, t in enumerate(tests)]
    return Report(assignment=COURSE.name, submission="storage.py", tests=results, execution_time=seconds,
                  problem=problem, extra=extra or {}, grader_errors=grader_errors or []).to_dict()


def record(gradebook: Gradebook, sub: FoundSubmission, data: dict, *, assignment: Assignment = COURSE,
           regrade: bool = False):
    """Record one submission the way a batch run does (its own run, its grading round)."""
    row = gradebook.assignment_row(assignment)
    run, _ = gradebook.start_run(row.id, "regrade" if regrade else "grade", 1, "test")
    grading_round = f"regrade-{run.id}" if regrade else FIRST_ROUND
    recorded = gradebook.record(run=run, assignment_id=row.id, grading_round=grading_round, found=sub,
                                report=data, late=late_result(assignment.late, sub.submitted_at))
    gradebook.finish_run(run.id, "finished", graded=int(recorded is not None), failed=0)
    return recorded
