"""The command line: help that explains, exit codes CI can use, results.json as Gradescope reads it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder import exitcodes
from autograder.assignment import load_assignment
from autograder.cli import main

HW1 = load_assignment("hw1_storage")


def test_help_lists_every_verb():
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for verb in ("demo", "check", "grade", "release"):
        assert verb in out.stdout


def test_no_verb_prints_help_and_fails(capsys):
    assert main([]) == exitcodes.USAGE
    assert "usage" in capsys.readouterr().out


def test_unknown_assignment_and_missing_file_are_usage_errors(capsys, tmp_path):
    assert main(["grade", "hw99", str(tmp_path)]) == exitcodes.USAGE
    assert "no assignment named 'hw99'" in capsys.readouterr().err
    assert main(["grade", "hw1_storage", str(tmp_path / "nope.py")]) == exitcodes.USAGE


def test_grade_writes_gradescope_results_and_exits_zero_for_a_low_score(tmp_path):
    out = tmp_path / "results.json"
    assert main(["grade", "hw1_storage", str(HW1.stub), "--json", str(out), "--quiet"]) == exitcodes.OK
    results = json.loads(out.read_text())
    assert results["score"] == 0 and results["max_score"] > 0
    assert {"score", "max_score", "execution_time", "tests"} <= set(results)
    for test in results["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == "failed" and test["visibility"] in ("visible", "hidden", "after_due_date")


@pytest.mark.parametrize(("path", "code"), [(HW1.solution, exitcodes.OK), (HW1.stub, exitcodes.CHECKS_FAILED)])
def test_check_runs_public_checks_and_fails_until_they_pass(path, code, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps table cells at the terminal's width
    assert main(["check", "hw1_storage", str(path)]) == code
    assert "same_storage on the lecture's example" in capsys.readouterr().out


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A course with one assignment named like no bundled one; the course setting is restored after the test."""
    from autograder.course import COURSE_ENV

    monkeypatch.setenv(COURSE_ENV, "placeholder")
    monkeypatch.delenv(COURSE_ENV)
    root = tmp_path / "course"
    (root / "graders" / "hw9_tiny").mkdir(parents=True)
    (root / "graders" / "hw9_tiny" / "assignment.toml").write_text('title = "Tiny"\nmodule = "tiny"\n')
    (root / "solutions" / "hw9_tiny").mkdir(parents=True)
    (root / "solutions" / "hw9_tiny" / "tiny.py").write_text("def f():\n    return 1  # SOLUTION\n")
    (root / "course.toml").write_text('[course]\nname = "Tiny course"\n')
    return root


def test_every_verb_takes_course_before_or_after_its_arguments(tiny_course, tmp_path, capsys):
    from autograder.course import COURSE_ENV

    missing = str(tmp_path / "nothing.py")
    for argv in (["--course", str(tiny_course), "grade", "hw9_tiny", missing],
                 ["grade", "hw9_tiny", missing, "--course", str(tiny_course)],
                 ["release", "assignments", "--check", "hw9_tiny", "--course", str(tiny_course)]):
        capsys.readouterr()
        # the assignment is found in the course (a missing file, not an unknown assignment)
        main(argv)
        said = capsys.readouterr()
        assert "no assignment named" not in said.out + said.err, argv
    import os

    assert os.environ[COURSE_ENV] == str(tiny_course)  # grading processes started from here use it too


def test_course_from_the_environment_and_a_bad_course(tiny_course, tmp_path, capsys, monkeypatch):
    from autograder.course import COURSE_ENV

    monkeypatch.setenv(COURSE_ENV, str(tiny_course))
    assert main(["grade", "hw1_storage", str(HW1.stub)]) == exitcodes.USAGE
    assert f"no assignment named 'hw1_storage' in the course at {tiny_course}" in " ".join(
        capsys.readouterr().err.split())
    assert main(["grade", "hw1_storage", str(HW1.stub), "--course", str(tmp_path)]) == exitcodes.USAGE
    assert "tensorgrade init" in capsys.readouterr().err


def test_grade_overrides_due_and_late_on_the_command_line(capsys):
    from autograder.commands.grade import effective_assignment
    from autograder.course import find_course

    parser = __import__("autograder.cli", fromlist=["build_parser"]).build_parser()
    assert find_course().bundled
    args = parser.parse_args(["grade", "hw1_storage", "x.py", "--due", "2027-01-01T00:00:00Z"])
    assert effective_assignment(args).late.due.isoformat() == "2027-01-01T00:00:00+00:00"
    args = parser.parse_args(["grade", "hw1_storage", "x.py", "--no-late"])
    assert effective_assignment(args).late.penalty_per_day == 0
    args = parser.parse_args(["grade", "hw1_storage", "x.py", "--due", "soon"])
    assert effective_assignment(args) == exitcodes.USAGE
    assert "--due" in capsys.readouterr().out


def test_demo_piped_into_a_log_says_each_step_in_a_line(capsys):
    from autograder import cli

    assert cli.main(["demo", "hw1_storage"]) == 0
    out = capsys.readouterr().out  # captured: not a terminal, as in a CI log
    steps = [line for line in out.splitlines() if line.startswith("grading ")]
    assert steps[0] == f"grading 1/{len(steps)}: hw1_storage: reference" and "hw1_storage: stub" in steps[1]
    assert "21 / 21" in out and "mutation score" in out
