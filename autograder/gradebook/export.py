"""Exports for an LMS: Canvas's gradebook import CSV, and a JSON document of everything.

Canvas imports a CSV whose header is ``Student, ID, SIS User ID, SIS Login ID, Section`` followed
by one column per assignment, with one row per student; a student is matched by ID (Canvas user
id), SIS User ID or SIS Login ID, and a column whose name matches no assignment creates one.
Canvas's own export adds a "Points Possible" row under the header; ``points_row`` writes it too.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from autograder.gradebook.models import SubmissionRow
from autograder.gradebook.store import Gradebook

CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def canvas_csv(rows: list[SubmissionRow], column: str, points_possible: float | None = None) -> str:
    """The CSV text: header, optionally Canvas's "Points Possible" row, then one row per student."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what spreadsheet tools write
    writer.writerow([*CANVAS_HEADER, column])
    if points_possible is not None:
        writer.writerow(["    Points Possible", "", "", "", "", _number(points_possible)])
    for row in sorted(rows, key=lambda r: (r.student.name or r.student.key).lower()):
        student = row.student
        lms_id = student.lms_id or ""
        # a Canvas download names students by Canvas user id: then the key *is* the ID, not a login
        login = "" if lms_id and student.key == lms_id else student.key
        writer.writerow([_spreadsheet_safe(student.name or student.key), lms_id, student.sis_id or "",
                         _spreadsheet_safe(login), "", _number(row.final_score)])
    return out.getvalue()


def _spreadsheet_safe(text: str) -> str:
    """Cells starting with = + - @ run as formulas in spreadsheets: quote them (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def submission_json(row: SubmissionRow) -> dict:
    """One recorded submission as plain data."""
    return {
        "student": row.student.key,
        "name": row.student.name,
        "email": row.student.email,
        "sis_id": row.student.sis_id,
        "lms_id": row.student.lms_id,
        "score": row.final_score,
        "raw_score": row.score,
        "max_score": row.max_score,
        "late_days": row.late_days,
        "late_penalty": row.late_penalty,
        "submitted_at": _iso(row.submitted_at),
        "timestamp_source": row.timestamp_source,
        "graded_at": _iso(row.graded_at),
        "grading_round": row.grading_round,
        "run": row.run_id,
        "content_hash": row.content_hash,
        "filename": row.filename,
        "execution_time": round(row.execution_time, 3),
        "problem": row.problem,
        "notes": row.notes,
        "grader_errors": row.grader_errors,
        "tests": [{"name": t.name, "score": t.score, "max_score": t.max_score, "status": t.status,
                   "visibility": t.visibility, "output": t.output} for t in row.tests],
        "extra": row.extra,
    }


def export_json(gradebook: Gradebook, assignment_name: str) -> dict:
    """Every student's counted submission, and the full history, as one JSON document."""
    current = gradebook.current(assignment_name)
    assignment = gradebook.find_assignment(assignment_name)
    return {
        "assignment": assignment_name,
        "title": assignment.title if assignment else assignment_name,
        "due": _iso(assignment.due_at) if assignment else None,
        "exported_at": _iso(datetime.now(UTC)),
        "students": [submission_json(row) for row in current],
        "history": [{"student": r.student.key, "run": r.run_id, "grading_round": r.grading_round,
                     "content_hash": r.content_hash, "score": r.final_score, "raw_score": r.score,
                     "graded_at": _iso(r.graded_at)} for r in gradebook.submissions(assignment_name)],
    }
