"""Scores from test results: skipped cases leave max_score, partial credit adds up."""

from __future__ import annotations

from rich.console import Console

from autograder.grading.render import render_report
from autograder.grading.results import Report, TestResult


def make_report():
    return Report("hw", "s.py", tests=[
        TestResult("a", 2, 2, "passed"),
        TestResult("b", 3, 1.5, "failed", output="2 of 4 cases failed", visibility="hidden"),
        TestResult("c [cuda]", 0, 0, "skipped", output="not run: no CUDA device on this machine"),
    ], notes=["notebook cell 2 raised NameError"], instructor_notes=["no CUDA device on this machine"])


def test_skipped_tests_are_left_out_of_the_max_score():
    report = make_report()
    assert report.score == 3.5 and report.max_score == 5


def test_gradescope_json_has_the_spec_fields():
    data = make_report().to_gradescope()
    assert data["score"] == 3.5 and data["max_score"] == 5 and "cell 2" in data["output"]
    assert "CUDA" not in data["output"], "notes for the instructor are not in every student's feedback"
    assert [t["name"] for t in data["tests"]] == ["a", "b"]
    assert data["tests"][1] == {"name": "b", "score": 1.5, "max_score": 3, "status": "failed",
                                "output": "2 of 4 cases failed", "visibility": "hidden"}


def test_terminal_table_shows_points_and_feedback():
    console = Console(record=True, width=150)
    render_report(make_report(), console)
    text = console.export_text()
    assert "1.5/3" in text and "2 of 4 cases failed" in text and "score 3.5 / 5" in text
    assert "note for the instructor: no CUDA device" in text
