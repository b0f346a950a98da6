"""Exports: Canvas's gradebook import CSV (header, one row per student) and JSON, via the CLI too."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from autograder import cli, exitcodes
from autograder.assignment import load_assignment
from autograder.gradebook import open_gradebook
from autograder.gradebook.export import CANVAS_HEADER, canvas_csv
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
