"""Exports: Canvas's gradebook import CSV (header, one row per student) and JSON, via the CLI too."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from autograder import cli, exitcodes
from autograder.assignment import load_assignment
from autograder.course import read_roster
from autograder.gradebook import open_gradebook
from autograder.gradebook.export import CANVAS_HEADER, canvas_csv, gradebook_csv
from tests.gradebook_fixtures import COURSE, found, record, report

FULL = ("all", 21.0, 21.0, "passed")
HALF = ("all", 10.5, 21.0, "failed", "visible", "half wrong")


@pytest.fixture
def gradebook_path(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with open_gradebook(path) as gradebook:
        record(gradebook, found("alice", b"a = 1\n", name="Liddell, Alice", email="alice@example.edu"), report(FULL))
        record(gradebook, found("12345", b"b = 2\n", name="doejane", lms_id="12345",
                                submitted_at=datetime(2026, 12, 3, 1, tzinfo=UTC)), report(HALF))
        record(gradebook, found("=cmd|calc", b"c = 3\n"), report(("all", 0.0, 21.0, "failed")))
        # bob handed in twice: the later file counts, once
        record(gradebook, found("bob", b"v1\n", submitted_at=datetime(2026, 11, 20, tzinfo=UTC)), report(HALF))
        record(gradebook, found("bob", b"v2\n", submitted_at=datetime(2026, 11, 21, tzinfo=UTC)), report(FULL))
    return path


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_canvas_csv_has_the_import_header_and_one_row_per_student(gradebook_path):
    with open_gradebook(gradebook_path) as gradebook:
        text = canvas_csv(gradebook.current(COURSE.name), "Homework 1 (4242)")
    rows = read_csv(text)
    assert rows[0] == [*CANVAS_HEADER, "Homework 1 (4242)"]
    body = {r[0]: r for r in rows[1:]}
    assert len(rows) - 1 == len(body) == 4
    assert all(len(r) == len(rows[0]) for r in rows)
    assert body["Liddell, Alice"] == ["Liddell, Alice", "", "", "alice", "", "21"]
    # a Canvas download names students by Canvas user id: it goes in ID, and 2 days late costs 20 %
    assert body["doejane"] == ["doejane", "12345", "", "", "", "8.4"]
    assert body["bob"][5] == "21"
    # a cell a spreadsheet would run as a formula is quoted
    assert body["'=cmd|calc"][3] == "'=cmd|calc"
    assert all(float(r[5]) >= 0 for r in rows[1:])
    assert text.endswith("\r\n") and "\r\n" in text


def test_points_possible_row(gradebook_path):
    with open_gradebook(gradebook_path) as gradebook:
        rows = read_csv(canvas_csv(gradebook.current(COURSE.name), "hw1", points_possible=21.0))
    assert rows[1] == ["    Points Possible", "", "", "", "", "21"]
    assert len(rows) == 2 + 4


def test_cli_exports_canvas_and_json(gradebook_path, tmp_path, capsys):
    out = tmp_path / "exports" / "grades.csv"
    code = cli.main(["export", "hw1_storage", "--db", str(gradebook_path), "--format", "canvas", "--out", str(out)])
    assert code == exitcodes.OK
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert rows[0][-1] == load_assignment("hw1_storage").title and len(rows) == 5  # default: the title
    assert cli.main(["export", "hw1_storage", "--db", str(gradebook_path), "--format", "json"]) == exitcodes.OK
    data = json.loads(capsys.readouterr().out)
    students = {s["student"]: s for s in data["students"]}
    assert set(students) == {"alice", "12345", "=cmd|calc", "bob"}
    late = students["12345"]
    assert (late["raw_score"], late["late_days"], late["late_penalty"], late["score"]) == (10.5, 2, 0.2, 8.4)
    assert late["tests"] == [{"name": "all", "score": 10.5, "max_score": 21.0, "status": "failed",
                              "visibility": "visible", "output": "half wrong"}]
    assert len(data["history"]) == 5  # bob's first version is history, not a second row


def test_cli_says_what_to_do_without_a_gradebook(tmp_path, capsys):
    code = cli.main(["export", "hw1_storage", "--db", str(tmp_path / "none.sqlite")])
    assert code == exitcodes.USAGE
    assert "grade first" in " ".join(capsys.readouterr().err.split())
    empty = tmp_path / "empty.sqlite"
    open_gradebook(empty).close()
    assert cli.main(["export", "hw1_storage", "--db", str(empty)]) == exitcodes.USAGE
    assert "no graded submissions of hw1_storage" in " ".join(capsys.readouterr().err.split())


def add_missing(gradebook_path, student: str, reason: str = "no submission found: notes.txt", **details):
    from autograder.batch.discover import MissingSubmission

    with open_gradebook(gradebook_path) as gradebook:
        row = gradebook.assignment_row(COURSE)
        run, _ = gradebook.start_run(row.id, "grade", 1, "test")
        recorded = gradebook.record_missing(run=run, assignment_id=row.id, grading_round="first",
                                            missing=MissingSubmission(student, f"class/{student}", reason, **details),
                                            max_score=21.0)
        again = gradebook.record_missing(run=run, assignment_id=row.id, grading_round="first",
                                         missing=MissingSubmission(student, f"class/{student}", reason), max_score=21.0)
        gradebook.finish_run(run.id, "finished", graded=0, failed=0)
    return recorded, again


def test_a_student_without_a_file_is_a_row_zero_or_blank(gradebook_path):
    recorded, again = add_missing(gradebook_path, "dan")
    assert recorded is not None and again is None  # recorded once, like any submission
    with open_gradebook(gradebook_path) as gradebook:
        rows = gradebook.current(COURSE.name)
        assert gradebook.max_score(COURSE.name) == 21.0
    canvas = {r[3]: r for r in read_csv(canvas_csv(rows, "hw1"))[1:]}
    assert canvas["dan"][5] == "0"
    blank = {r[3]: r for r in read_csv(canvas_csv(rows, "hw1", missing="blank"))[1:]}
    assert blank["dan"][5] == "" and blank["alice"][5] == "21"
    plain = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook_csv(rows), newline=""))}
    assert (plain["dan"]["status"], plain["dan"]["note"], plain["dan"]["max_score"]) == \
        ("no submission found", "no submission found: notes.txt", "21")
    assert plain["12345"]["late_days"] == "2" and plain["12345"]["handin_time_source"] == "file mtime"


def test_the_roster_names_everyone_and_gives_canvas_ids(gradebook_path, tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("student_id,name,email,lms_id\nalice,Alice Liddell,alice@example.edu,501\n"
                           "s-jane,Jane Doe,jane@example.edu,12345\nzed,Zed Never,zed@example.edu,777\n")
    roster = read_roster(roster_path)
    with open_gradebook(gradebook_path) as gradebook:
        rows = gradebook.current(COURSE.name)
    plain = {r["student_id"]: r for r in csv.DictReader(io.StringIO(gradebook_csv(rows, roster=roster), newline=""))}
    # matched by id, and by the Canvas user id of a Canvas download
    assert (plain["alice"]["lms_id"], plain["alice"]["score"], plain["alice"]["status"]) == ("501", "21", "graded")
    assert (plain["s-jane"]["name"], plain["s-jane"]["score"]) == ("Jane Doe", "8.4")
    assert (plain["zed"]["status"], plain["zed"]["score"]) == ("no submission", "0")
    assert plain["bob"]["status"] == "not on the roster"
    canvas = {r[1]: r for r in read_csv(canvas_csv(rows, "hw1", roster=roster, missing="blank"))[1:]}
    assert canvas["501"][:3] == ["Alice Liddell", "501", "alice"] and canvas["777"][5] == ""
    assert canvas["12345"][5] == "8.4"


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_every_text_cell_is_defused(tmp_path, hostile):
    path = tmp_path / "g.sqlite"
    with open_gradebook(path) as gradebook:
        record(gradebook, found(hostile, b"x = 1\n", name=hostile, email=hostile, lms_id=hostile, sis_id=hostile),
               report(FULL))
        rows = gradebook.current(COURSE.name)
    for text in (canvas_csv(rows, hostile), gradebook_csv(rows)):
        cells = [c for r in read_csv(text) for c in r]
        assert hostile not in cells
        assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
