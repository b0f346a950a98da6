"""Finding the course (flag, environment, course.toml above cwd, bundled) and reading its settings and roster."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autograder import assignment as paths
from autograder.assignment import UnknownAssignment, load_assignment
from autograder.course import (
    COURSE_ENV,
    CourseError,
    apply_points,
    find_course,
    load_course,
    read_roster,
    use_course,
)

ASSIGNMENT_TOML = 'title = "Tiny"\nmodule = "tiny"\n\n[late]\ndue = "2026-01-01T00:00:00Z"\npenalty_per_day = 0.3\n'


@pytest.fixture(autouse=True)
def no_course_in_env(monkeypatch):
    monkeypatch.setenv(COURSE_ENV, "placeholder")
    monkeypatch.delenv(COURSE_ENV)


def make_course(root, toml: str = "", hw: str = "hw1_tiny"):
    (root / "graders" / hw).mkdir(parents=True)
    (root / "graders" / hw / "assignment.toml").write_text(ASSIGNMENT_TOML)
    (root / "course.toml").write_text(toml)
    return root


def test_the_course_is_found_from_flag_env_cwd_or_the_bundled_default(tmp_path, monkeypatch):
    first, second = make_course(tmp_path / "one"), make_course(tmp_path / "two")
    (first / "week1" / "deep").mkdir(parents=True)
    monkeypatch.chdir(first / "week1" / "deep")
    assert find_course().root == first  # nearest course.toml above the working directory
    monkeypatch.setenv(COURSE_ENV, str(second))
    assert find_course().root == second  # the environment beats the working directory
    assert find_course(first).root == first  # and --course beats both
    monkeypatch.delenv(COURSE_ENV)
    monkeypatch.chdir(tmp_path)
    bundled = find_course()
    assert bundled.bundled and bundled.graders_dir == paths.GRADERS_DIR
    assert load_assignment("hw1_storage").solution == paths.SOLUTIONS_DIR / "hw1_storage" / "storage.py"


def test_use_course_pins_it_for_processes_started_later(tmp_path, monkeypatch):
    root = make_course(tmp_path / "c")
    monkeypatch.chdir(root)
    use_course()
    import os

    assert os.environ[COURSE_ENV] == str(root)


def test_a_folder_without_course_toml_is_a_clear_error(tmp_path):
    with pytest.raises(CourseError, match="tensorgrade init"):
        find_course(tmp_path)
    (tmp_path / "course.toml").write_text("[course\nname = 1")
    with pytest.raises(CourseError, match="course.toml"):
        find_course(tmp_path)


def test_course_assignments_live_in_the_course(tmp_path):
    course = load_course(make_course(tmp_path))
    tiny = load_assignment("hw1_tiny", course)
    assert tiny.graders_dir == tmp_path / "graders" / "hw1_tiny"
    assert tiny.solution == tmp_path / "solutions" / "hw1_tiny" / "tiny.py"
    assert tiny.stub == tmp_path / "assignments" / "hw1_tiny" / "tiny.py"
    with pytest.raises(UnknownAssignment, match=f"in the course at {tmp_path}.*hw1_tiny"):
        load_assignment("hw1_storage", course)


def test_course_toml_overrides_due_late_points_and_extensions(tmp_path):
    course = load_course(make_course(tmp_path, """
[late]
penalty_per_day = 0.2
cap = 0.6

[assignments.hw1_tiny]
due = 2026-12-01T23:59:00+01:00
points = 50
test_points = { test_views = 4 }
extensions = { alice = 2026-12-05T12:00:00Z, bob = 2, carol = "1.5 days" }
"""))
    tiny = load_assignment("hw1_tiny", course)
    assert tiny.late.due == datetime(2026, 12, 1, 22, 59, tzinfo=UTC)
    assert (tiny.late.penalty_per_day, tiny.late.cap) == (0.2, 0.6)
    assert tiny.points == 50 and tiny.test_points == {"test_views": 4.0}
    assert tiny.late.due_for("alice") == datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert tiny.late.due_for("bob") == datetime(2026, 12, 3, 22, 59, tzinfo=UTC)
    assert tiny.late.due_for("carol") == datetime(2026, 12, 3, 10, 59, tzinfo=UTC)
    assert tiny.late.due_for("dan") == tiny.late.due


def test_no_course_setting_keeps_the_assignments_own_policy_and_none_turns_it_off(tmp_path):
    plain = load_assignment("hw1_tiny", load_course(make_course(tmp_path / "a")))
    assert (plain.late.due, plain.late.penalty_per_day) == (datetime(2026, 1, 1, tzinfo=UTC), 0.3)
    off_course = make_course(tmp_path / "b", '[assignments.hw1_tiny]\nlate = "none"\n')
    off = load_assignment("hw1_tiny", load_course(off_course))
    assert off.late.penalty_per_day == 0 and off.late.cap == 0


@pytest.mark.parametrize("bad, message", [
    ('[assignments.hw1_tiny]\nlate = "sometimes"\n', "late must be"),
    ("[assignments.hw1_tiny]\ndue = \"next friday\"\n", "not a timestamp"),
    ("[assignments.hw1_tiny]\npoints = -3\n", "positive number"),
    ("[assignments.hw1_tiny]\ntest_points = { t = \"x\" }\n", "test_points"),
    ('[assignments.hw1_tiny]\nextensions = { ann = "" }\n', "extension of ann"),
    ("[assignments.hw1_tiny]\nextensions = [1]\n", "extensions must map"),
    ("[assignments.hw1_tiny]\nextensions = { a = 2 }\ndue = 2026-01-01\n[assignments.hw1_tiny.x]\n", None),
])
def test_bad_settings_name_what_to_fix(tmp_path, bad, message):
    course = load_course(make_course(tmp_path, bad))
    if message is None:  # a date without a time means the end of that day
        assert load_assignment("hw1_tiny", course).late.due == datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC)
        return
    with pytest.raises(CourseError, match=message):
        load_assignment("hw1_tiny", course)


def test_points_overrides_reweight_tests_then_scale_to_the_total():
    report = {"score": 3.0, "max_score": 5.0, "tests": [
        {"nodeid": "g/test_a.py::test_views[cpu]", "score": 1.0, "max_score": 2.0, "status": "failed"},
        {"nodeid": "g/test_a.py::test_views[cuda]", "score": 0.0, "max_score": 2.0, "status": "skipped"},
        {"nodeid": "g/test_a.py::test_other", "score": 2.0, "max_score": 3.0, "status": "failed"}]}
    reweighted = apply_points(report, {"test_views": 4}, None)
    assert [(t["score"], t["max_score"]) for t in reweighted["tests"]] == [(2.0, 4.0), (0.0, 4.0), (2.0, 3.0)]
    assert (reweighted["score"], reweighted["max_score"]) == (4.0, 7.0)  # the skipped case stays out
    scaled = apply_points(report, {}, 100)
    assert (scaled["score"], scaled["max_score"]) == (60.0, 100.0)
    assert apply_points(report, {}, None) is report


def test_roster_columns_by_name_and_matching(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffEmail,Name,Student ID,Canvas User ID\nAda@Example.edu,Ada L,s1,901\n,,,\nb@x.edu,Bo,s2,\n")
    roster = read_roster(path)
    assert [e.student_id for e in roster.entries] == ["s1", "s2"]
    assert roster.match("901").name == "Ada L" and roster.match("ada@example.edu").student_id == "s1"
    assert roster.match("nobody", None, "s2").name == "Bo" and roster.match("zz") is None
    path.write_text("name,email\nAda,a@x\n")
    with pytest.raises(CourseError, match="no student id column"):
        read_roster(path)
    path.write_text("student_id\ns1\ns1\n")
    with pytest.raises(CourseError, match="listed twice"):
        read_roster(path)
