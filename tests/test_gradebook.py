"""The gradebook on SQLite and on a real PostgreSQL server: migrations, exactly-once records, history."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from autograder.gradebook import GradebookError, normalise_url, open_gradebook
from autograder.gradebook.migrate import current_revision, head_revision
from tests import gradebook_fixtures
from tests.gradebook_fixtures import COURSE, found, record, report

postgres, db_url = gradebook_fixtures.postgres, gradebook_fixtures.db_url  # fixtures

PASS = ("same_storage compares storages", 3.0, 3.0, "passed")
FAIL = ("row_view returns a view", 0.0, 2.0, "failed", "visible", "row_view(x, 1) is a copy")


def test_opening_creates_the_schema_with_alembic(db_url):
    with open_gradebook(db_url) as gradebook:
        tables = set(inspect(gradebook.engine).get_table_names())
        assert {"students", "assignments", "runs", "submissions", "test_results", "alembic_version"} <= tables
        assert current_revision(gradebook.engine) == head_revision()
    with open_gradebook(db_url) as again:  # opening an up-to-date gradebook changes nothing
        assert current_revision(again.engine) == head_revision()


def test_a_submission_is_recorded_once_with_its_tests(db_url):
    with open_gradebook(db_url) as gradebook:
        sub = found("alice", name="Alice Liddell", email="alice@example.edu")
        row = record(gradebook, sub, report(PASS, FAIL))
        assert row is not None and (row.score, row.max_score, row.final_score) == (3.0, 5.0, 3.0)
        assert record(gradebook, sub, report(PASS, PASS)) is None  # same file, same round: already there
        [stored] = gradebook.submissions(COURSE.name)
        assert [t.name for t in stored.tests] == [PASS[0], FAIL[0]]
        assert stored.tests[1].output == "row_view(x, 1) is a copy"
        assert stored.student.name == "Alice Liddell"
        assert gradebook.recorded(stored.assignment_id) == {("alice", sub.content_hash)}
        assert gradebook.sources([stored.id]) == {stored.id: sub.content}


def test_the_database_itself_refuses_a_duplicate(db_url):
    with open_gradebook(db_url) as gradebook:
        row = record(gradebook, found("bob"), report(PASS))
        columns = ("assignment_id, student_id, run_id, grading_round, content_hash, filename, graded_at, score, "
                   "max_score, late_days, late_penalty, final_score, execution_time, notes, grader_errors, extra")
        insert = text(f"INSERT INTO submissions ({columns}) SELECT {columns} FROM submissions WHERE id = :id")
        with pytest.raises(IntegrityError), gradebook.engine.begin() as conn:
            conn.execute(insert, {"id": row.id})
        assert len(gradebook.submissions(COURSE.name)) == 1


def test_regrade_keeps_history_and_the_latest_counts(db_url):
    with open_gradebook(db_url) as gradebook:
        sub = found("carol")
        first = record(gradebook, sub, report(PASS, FAIL))
        again = record(gradebook, sub, report(PASS, ("row_view returns a view", 2.0, 2.0, "passed")), regrade=True)
        assert again is not None and again.grading_round == f"regrade-{again.run_id}"
        history = gradebook.submissions(COURSE.name, "carol")
        assert [r.id for r in history] == [first.id, again.id]
        [current] = gradebook.current(COURSE.name)
        assert current.id == again.id and current.final_score == 5.0


def test_a_later_resubmission_counts(db_url):
    with open_gradebook(db_url) as gradebook:
        late_fix = found("dave", b"v2 = 2\n", submitted_at=datetime(2026, 12, 2, 8, tzinfo=UTC))
        record(gradebook, late_fix, report(PASS, ("row_view returns a view", 2.0, 2.0, "passed")))
        record(gradebook, found("dave", b"v1 = 1\n"), report(PASS, FAIL))  # graded later, handed in earlier
        [current] = gradebook.current(COURSE.name)
        assert current.content_hash == late_fix.content_hash
        # late penalty kept apart from the raw score: 1 started day at 10 %
        assert (current.score, current.late_days, current.late_penalty, current.final_score) == (5.0, 1, 0.1, 4.5)
        assert current.submitted_at == datetime(2026, 12, 2, 8, tzinfo=UTC)


def test_awkward_student_data_is_stored_safely(db_url):
    """NUL characters (PostgreSQL refuses them) and NaN (not JSON) come from student code: store them anyway."""
    with open_gradebook(db_url) as gradebook:
        hostile = report(("quiz", 0.0, 1.0, "failed", "visible", "your answer was 'a\x00b'"),
                         extra={"training_curve": {"loss": [1.0, math.nan, math.inf]}, "when": datetime(2026, 1, 1)})
        row = record(gradebook, found("eve\x00"), hostile)
        [stored] = gradebook.submissions(COURSE.name)
        assert stored.tests[0].output == "your answer was 'a\\x00b'"
        assert stored.extra["training_curve"]["loss"] == [1.0, None, None]
        assert stored.student.key == row.student.key == "eve\\x00"


def test_runs_and_resuming_a_regrade(db_url):
    with open_gradebook(db_url) as gradebook:
        assignment_id = gradebook.assignment_row(COURSE).id
        run, resumed = gradebook.start_run(assignment_id, "regrade", 2, "tensorgrade grade --regrade")
        assert not resumed
        again, resumed = gradebook.start_run(assignment_id, "regrade", 2, "tensorgrade grade --regrade")
        assert resumed and again.id == run.id  # the unfinished regrade carries on in its own round
        gradebook.finish_run(run.id, "finished", graded=3, failed=0)
        fresh, resumed = gradebook.start_run(assignment_id, "regrade", 2, "tensorgrade grade --regrade")
        assert not resumed and fresh.id != run.id
        normal, _ = gradebook.start_run(assignment_id, "grade", 2, "tensorgrade grade")
        statuses = {r.id: (r.kind, r.status) for r in gradebook.runs(assignment_id)}
        assert statuses == {run.id: ("regrade", "finished"), fresh.id: ("regrade", "running"),
                            normal.id: ("grade", "running")}


def test_the_assignment_row_follows_its_config(db_url):
    with open_gradebook(db_url) as gradebook:
        row = gradebook.assignment_row(COURSE)
        assert row.due_at == COURSE.late.due and row.penalty_per_day == 0.1 and row.late_cap == 0.5
        assert gradebook.find_assignment("nope") is None


def test_clear_errors_for_bad_gradebooks(tmp_path):
    with pytest.raises(GradebookError, match="no gradebook at"):
        open_gradebook(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(GradebookError, match="no database driver for .nonsense"):
        open_gradebook("nonsense://")
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(GradebookError, match="cannot open the gradebook"):
        open_gradebook(tmp_path / "dir.sqlite")
    newer = tmp_path / "newer.sqlite"
    open_gradebook(newer).close()
    with open_gradebook(newer) as gradebook, gradebook.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(GradebookError, match="newer tensorgrade"):
        open_gradebook(newer)


def test_urls_and_paths(tmp_path, monkeypatch):
    monkeypatch.delenv("TENSORGRADE_DB", raising=False)
    assert normalise_url(tmp_path / "g.sqlite") == f"sqlite:///{tmp_path / 'g.sqlite'}"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url(None) == "sqlite:///grades/gradebook.sqlite"
    monkeypatch.setenv("TENSORGRADE_DB", "postgres://u@h/x")
    assert normalise_url(None) == "postgresql+psycopg://u@h/x"


def test_postgres_unreachable_is_a_clear_error(tmp_path):
    pytest.importorskip("psycopg")
    url = f"postgresql://nobody@/nowhere?host={tmp_path}&port=1"
    with pytest.raises(GradebookError, match="cannot open the gradebook at postgresql"):
        open_gradebook(url)


def test_a_missing_submission_is_a_row_until_a_file_arrives(db_url):
    from autograder.batch.discover import MissingSubmission

    with open_gradebook(db_url) as gradebook:
        row = gradebook.assignment_row(COURSE)
        run, _ = gradebook.start_run(row.id, "grade", 1, "test")
        nothing = MissingSubmission("erin", "class/erin", "no submission found: notes.txt", email="erin@example.edu")
        missing = gradebook.record_missing(run=run, assignment_id=row.id, grading_round="first", missing=nothing,
                                           max_score=5.0)
        assert (missing.score, missing.max_score, missing.final_score, missing.extra) == (0, 5.0, 0, {"missing": True})
        assert gradebook.record_missing(run=run, assignment_id=row.id, grading_round="first", missing=nothing,
                                        max_score=5.0) is None  # exactly once, like a graded file
        assert gradebook.max_score(COURSE.name) is None  # a missing row says nothing about the maximum
        [current] = gradebook.current(COURSE.name)
        assert current.problem == "no submission found: notes.txt" and current.student.email == "erin@example.edu"
        gradebook.finish_run(run.id, "finished", graded=0, failed=0)
        # the file turns up (no hand-in time known): graded later, it counts
        record(gradebook, found("erin", submitted_at=None), report(PASS, FAIL))
        [current] = gradebook.current(COURSE.name)
        assert current.score == 3.0 and not current.extra
        assert gradebook.max_score(COURSE.name) == 5.0
