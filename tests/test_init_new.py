"""An instructor's whole path through the CLI: init a course, add an assignment, release it, grade a class, export.

Each step is the documented command (``cli.main`` with the README's arguments); the course lives in
a temporary folder and is found from the working directory, as it is for an instructor.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from autograder import cli, exitcodes
from autograder.assignment import assignment_names, load_assignment
from autograder.commands.new import MISTAKE
from autograder.course import COURSE_ENV, bundled_course, load_course
from autograder.grading.runner import grade
from tests.conftest import lost

BUNDLED = assignment_names(bundled_course())  # hw1_storage … hw5_training, and any added since


@pytest.fixture
def in_course(tmp_path, monkeypatch):
    """A fresh course from `tensorgrade init`, as the working directory; the course setting is restored after."""
    monkeypatch.setenv(COURSE_ENV, "placeholder")
    monkeypatch.delenv(COURSE_ENV)  # commands pin the course they found in the environment: undone after the test
    root = tmp_path / "course"
    assert cli.main(["init", str(root), "--name", "Deep learning 101"]) == exitcodes.OK
    monkeypatch.chdir(root)
    return root


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_init_copies_the_bundled_assignments_and_refuses_to_overwrite(in_course, capsys):
    course = load_course(in_course)
    assert course.name == "Deep learning 101"
    assert assignment_names(course) == BUNDLED and {"hw1_storage", "hw5_training"} <= set(BUNDLED)
    for name in BUNDLED:
        hw1 = load_assignment(name, course)
        assert hw1.solution.is_file() and hw1.stub.is_file() and hw1.graders_dir.is_dir()
        assert hw1.solution.is_relative_to(in_course) and (hw1.solution.parent / "INSTRUCTIONS.md").is_file()
        assert any(hw1.mistakes_dir.glob("*.py")), name
        # the due date moved out of the code into course.toml
        assert "[late]" not in (hw1.graders_dir / "assignment.toml").read_text()
        assert hw1.late.due is not None and hw1.late.penalty_per_day == 0.1
    capsys.readouterr()
    assert cli.main(["init", str(in_course)]) == exitcodes.USAGE
    assert "already a course" in capsys.readouterr().out


def test_new_makes_an_assignment_that_grades_three_ways(in_course, capsys):
    assert cli.main(["new", "hw6_attention"]) == exitcodes.OK
    hw6 = load_assignment("hw6_attention")  # found from the working directory
    assert hw6.module == "attention" and hw6.solution.is_file() and hw6.stub.is_file()
    reference = grade(hw6, hw6.solution)
    assert reference.grader_errors == [] and reference.max_score == 4
    assert reference.score == reference.max_score, lost(reference)
    stub = grade(hw6, hw6.stub)
    assert stub.score == 0 and all("not implemented yet" in t.output for t in stub.tests)
    mistake = grade(hw6, hw6.mistakes_dir / f"{MISTAKE}.py")
    losses = lost(mistake)
    assert set(losses) == {"test_row_sums"} and "dim=1" in losses["test_row_sums"]
    assert mistake.score == 2
    # a name that exists, or a bad one, is refused with the reason
    capsys.readouterr()
    assert cli.main(["new", "hw6_attention"]) == exitcodes.USAGE
    assert "already exists" in capsys.readouterr().out
    assert cli.main(["new", "Bad Name"]) == exitcodes.USAGE


def test_a_courses_graders_import_their_own_helpers(in_course):
    # graders import helpers as autograder.graders.<hw>.<module>: in a course that is the course's copy
    assert cli.main(["new", "hw6_attention"]) == exitcodes.OK
    hw6 = load_assignment("hw6_attention")
    (hw6.graders_dir / "helpers.py").write_text("POINTS_NOTE = 'from the course folder'\n")
    (hw6.graders_dir / "test_helper_import.py").write_text(
        "import pytest\n\nfrom autograder.graders.hw6_attention.helpers import POINTS_NOTE\n\n\n"
        "@pytest.mark.points(1)\ndef test_helper_is_the_courses():\n"
        "    assert POINTS_NOTE == 'from the course folder'\n")
    report = grade(hw6, hw6.solution)
    assert report.grader_errors == [] and report.score == report.max_score == 5, (report.grader_errors, lost(report))
    # and a course's copy of a bundled assignment runs the copy's helpers, not the bundled ones
    hw2 = load_assignment("hw2_indexing")
    assert hw2.graders_dir.is_relative_to(in_course)
    specs = hw2.graders_dir / "specs.py"
    specs.write_text(specs.read_text() + "\nraise RuntimeError('the course copy of specs.py ran')\n")
    broken = grade(hw2, hw2.solution)
    assert any("the course copy of specs.py ran" in e for e in broken.grader_errors), broken.grader_errors[:3]
    bundled = grade(load_assignment("hw2_indexing", bundled_course()), hw2.solution)  # the bundled one is intact
    assert bundled.grader_errors == [] and bundled.score == bundled.max_score


def test_a_bundle_says_when_course_points_are_not_carried_into_it(in_course, tmp_path, capsys):
    config = in_course / "course.toml"
    section = "[assignments.hw1_storage]\n"
    config.write_text(config.read_text().replace(section, section + "points = 20\n"))
    assert load_assignment("hw1_storage").points == 20
    out = tmp_path / "hw1.zip"
    capsys.readouterr()
    assert cli.main(["release", "gradescope", "hw1_storage", "--out", str(out)]) == exitcodes.OK
    said = " ".join(capsys.readouterr().out.split())
    assert "a total of 20" in said and "Gradescope bundle scores with the graders' own points" in said


def test_new_outside_a_course_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(COURSE_ENV, raising=False)
    assert cli.main(["new", "hw6_x"]) == exitcodes.USAGE
    assert "tensorgrade init DIR" in capsys.readouterr().out


def test_the_instructors_path_init_new_release_grade_export(in_course, tmp_path, capsys):
    assert cli.main(["new", "hw6_attention"]) == exitcodes.OK
    config = in_course / "course.toml"
    text = config.read_text().replace("[assignments.hw6_attention]\n# due = 2026-12-24T23:59:00Z",
                                      "[assignments.hw6_attention]\ndue = 2026-12-10T23:59:00Z\n"
                                      "extensions = { carol = 3 }")
    config.write_text(text)
    hw6 = load_assignment("hw6_attention")
    assert hw6.late.due.isoformat() == "2026-12-10T23:59:00+00:00"
    assert hw6.late.due_for("carol").isoformat() == "2026-12-13T23:59:00+00:00"

    # release: the stubs are current, and the student bundle is built (and leak-checked) from the course
    assert cli.main(["release", "assignments", "hw6_attention", "--check"]) == exitcodes.OK
    assert cli.main(["release", "student", "hw6_attention", "--out", str(tmp_path / "dist")]) == exitcodes.OK
    with zipfile.ZipFile(tmp_path / "dist" / "hw6_attention.zip") as bundle:
        names = bundle.namelist()
    assert any(n.endswith("attention.py") for n in names) and any(n.endswith("attention.ipynb") for n in names)
    bundled_stub = next(p for p in (tmp_path / "dist" / "hw6_attention").rglob("attention.py"))
    assert "x.sum(dim=1)" not in bundled_stub.read_text()

    # a class: correct work, a realistic mistake handed in late, the stub (with an extension), a wrong file
    submissions = tmp_path / "submissions"
    files = {"alice": hw6.solution, "bob": hw6.mistakes_dir / f"{MISTAKE}.py", "carol": hw6.stub}
    for student, source in files.items():
        (submissions / student).mkdir(parents=True)
        (submissions / student / "attention.py").write_bytes(source.read_bytes())
    (submissions / "dan").mkdir()
    (submissions / "dan" / "notes.txt").write_text("I ran out of time")
    (submissions / "handins.csv").write_text("student,handed_in\nalice,2026-12-10T20:00:00Z\n"
                                             "bob,2026-12-11T09:00:00Z\ncarol,2026-12-12T09:00:00Z\n")
    capsys.readouterr()
    assert cli.main(["grade", "hw6_attention", str(submissions), "--jobs", "1"]) == exitcodes.OK
    said = " ".join(capsys.readouterr().out.split())
    assert "no submission: dan: no submission found: notes.txt" in said
    assert (in_course / "grades" / "gradebook.sqlite").is_file()  # the course keeps its own gradebook

    # export joined with the roster: ids and names from it, a student who handed in nothing gets a 0
    (in_course / "roster.csv").write_text(
        "student_id,name,email,lms_id\nalice,Alice Liddell,alice@example.edu,1001\nbob,Bob Ross,bob@example.edu,1002\n"
        "carol,Carol Danvers,carol@example.edu,1003\ndan,Dan Brown,dan@example.edu,1004\n"
        "erin,Erin Brockovich,erin@example.edu,1005\n")
    out = tmp_path / "grades.csv"
    assert cli.main(["export", "hw6_attention", "--format", "csv", "--out", str(out)]) == exitcodes.OK
    rows = {r["student_id"]: r for r in read_csv(out)}
    assert list(rows) == ["alice", "bob", "carol", "dan", "erin"]
    assert (rows["alice"]["name"], rows["alice"]["lms_id"], rows["alice"]["score"]) == ("Alice Liddell", "1001", "4")
    assert rows["alice"]["handin_time_source"] == "handins.csv" and rows["alice"]["late_days"] == "0"
    # bob: 2 of 4, one day late at 10% a day
    assert (rows["bob"]["raw_score"], rows["bob"]["late_days"], rows["bob"]["score"]) == ("2", "1", "1.8")
    assert (rows["carol"]["score"], rows["carol"]["late_days"]) == ("0", "0")  # inside her extension
    assert rows["dan"]["status"] == "no submission found" and rows["dan"]["note"] == "no submission found: notes.txt"
    assert rows["dan"]["score"] == "0" and rows["dan"]["max_score"] == "4"
    assert rows["erin"]["status"] == "no submission" and rows["erin"]["score"] == "0"
    assert all(r["max_score"] == "4" for r in rows.values())

    canvas = tmp_path / "canvas.csv"
    assert cli.main(["export", "hw6_attention", "--out", str(canvas), "--missing", "blank"]) == exitcodes.OK
    by_id = {r["ID"]: r for r in read_csv(canvas)}
    assert set(by_id) == {"1001", "1002", "1003", "1004", "1005"}
    column = hw6.title
    assert (by_id["1001"]["Student"], by_id["1001"]["SIS User ID"], by_id["1001"][column]) == \
        ("Alice Liddell", "alice", "4")
    assert by_id["1004"][column] == "" and by_id["1005"][column] == ""
