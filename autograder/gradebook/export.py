"""Exports for an LMS: Canvas's gradebook import CSV, and a JSON document of everything.

Canvas imports a CSV whose header is ``Student, ID, SIS User ID, SIS Login ID, Section`` followed
by one column per assignment, with one row per student; a student is matched by ID (Canvas user
id), SIS User ID or SIS Login ID, and a column whose name matches no assignment creates one.
Canvas's own export adds a "Points Possible" row under the header; ``points_row`` writes it too.
The plain CSV (``gradebook_csv``) has one row per student of the roster and of the gradebook.

With a roster, each student's name, student id and LMS id come from it, and a roster student
with no submission gets a row (0, or blank when the course prefers). Every text cell that a
spreadsheet would run as a formula (= + - @, tab, CR first) is quoted (CSV injection).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from autograder.course import Roster, RosterEntry
from autograder.gradebook.models import SubmissionRow
from autograder.gradebook.store import Gradebook

CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CSV_HEADER = ("student_id", "name", "email", "lms_id", "score", "max_score", "raw_score", "late_days",
              "late_penalty", "submitted_at", "handin_time_source", "status", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportRow:
    """One student in an export: the roster's entry, the counted submission, or both."""

    entry: RosterEntry | None
    row: SubmissionRow | None

    @property
    def key(self) -> str:
        return self.entry.student_id if self.entry else self.row.student.key

    @property
    def name(self) -> str:
        return (self.entry.name if self.entry and self.entry.name else None) or \
            (self.row.student.name if self.row else None) or self.key

    @property
    def email(self) -> str:
        return (self.entry.email if self.entry and self.entry.email else None) or \
            (self.row.student.email if self.row else None) or ""

    @property
    def lms_id(self) -> str:
        return (self.entry.lms_id if self.entry and self.entry.lms_id else None) or \
            (self.row.student.lms_id if self.row else None) or ""

    @property
    def missing(self) -> bool:
        return self.row is None or bool((self.row.extra or {}).get("missing"))

    @property
    def status(self) -> str:
        if self.row is None:
            return "no submission"
        if self.missing:
            return "no submission found"
        return "graded" if self.entry or not self.on_roster_checked else "not on the roster"

    on_roster_checked: bool = False


def join_roster(rows: list[SubmissionRow], roster: Roster | None) -> list[ExportRow]:
    """Every roster student (with their submission or none), then gradebook students the roster lacks."""
    if roster is None:
        return [ExportRow(None, row) for row in rows]
    by_entry: dict[str, SubmissionRow] = {}
    strangers = []
    for row in rows:
        student = row.student
        entry = roster.match(student.key, student.lms_id, student.sis_id, student.email)
        if entry is None:
            strangers.append(row)
        elif entry.student_id not in by_entry or _counts_more(row, by_entry[entry.student_id]):
            by_entry[entry.student_id] = row
    out = [ExportRow(entry, by_entry.get(entry.student_id), on_roster_checked=True) for entry in roster.entries]
    return out + [ExportRow(None, row, on_roster_checked=True) for row in strangers]


def _counts_more(row: SubmissionRow, held: SubmissionRow) -> bool:
    """Two gradebook students matched one roster entry (e.g. by id and by email): a real file beats none."""
    return bool((held.extra or {}).get("missing")) and not (row.extra or {}).get("missing")


def _score(item: ExportRow, missing: str) -> str:
    if item.missing:
        return "" if missing == "blank" else "0"
    return _number(item.row.final_score)


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def canvas_csv(rows: list[SubmissionRow], column: str, points_possible: float | None = None, *,
               roster: Roster | None = None, missing: str = "zero") -> str:
    """The CSV text: header, optionally Canvas's "Points Possible" row, then one row per student."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what spreadsheet tools write
    writer.writerow([*CANVAS_HEADER, _safe(column)])
    if points_possible is not None:
        writer.writerow(["    Points Possible", "", "", "", "", _number(points_possible)])
    for item in sorted(join_roster(rows, roster), key=lambda i: i.name.lower()):
        if item.entry is not None:
            writer.writerow([_safe(item.name), _safe(item.lms_id), _safe(item.entry.student_id), "", "",
                             _score(item, missing)])
            continue
        student = item.row.student
        lms_id = student.lms_id or ""
        # a Canvas download names students by Canvas user id: then the key *is* the ID, not a login
        login = "" if lms_id and student.key == lms_id else student.key
        writer.writerow([_safe(student.name or student.key), _safe(lms_id), _safe(student.sis_id or ""),
                         _safe(login), "", _score(item, missing)])
    return out.getvalue()


def gradebook_csv(rows: list[SubmissionRow], *, roster: Roster | None = None, missing: str = "zero") -> str:
    """A plain CSV of every student: ids, score out of the maximum, lateness, and where the hand-in time came from."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    maximum = max((r.max_score for r in rows if not (r.extra or {}).get("missing")), default=None)
    for item in sorted(join_roster(rows, roster), key=lambda i: i.key.lower()):
        row = item.row
        graded = row is not None and not item.missing
        note = (row.problem or "") if row is not None else "not in the gradebook: nothing was handed in"
        writer.writerow([_safe(item.key), _safe(item.name), _safe(item.email), _safe(item.lms_id),
                         _score(item, missing),
                         _number(row.max_score if row is not None and row.max_score else maximum or 0),
                         _number(row.score) if graded else "", str(row.late_days) if graded else "",
                         _number(row.late_penalty) if graded else "",
                         _iso(row.submitted_at) or "" if graded else "",
                         _safe(row.timestamp_source or "unknown") if graded else "", item.status, _safe(note)])
    return out.getvalue()


def _safe(text: str) -> str:
    """Cells starting with = + - @ (or tab, CR) run as formulas in spreadsheets: quote them (CSV injection)."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


_spreadsheet_safe = _safe  # the name tests and callers used before


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
