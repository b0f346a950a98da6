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
