"""The plugin: device tests keep an assignment's maximum on every machine; a note for the instructor stays theirs."""

from __future__ import annotations

import pytest
import torch
from rich.console import Console

from autograder.assignment import load_assignment
from autograder.grading import plugin
from autograder.grading.render import render_report
from autograder.grading.runner import grade
from autograder.limits import Limits

HW1 = load_assignment("hw1_storage")
GRADERS = '''
import pytest


@pytest.mark.points(2)
def test_plain(student):
    assert student.has("same_storage")


@pytest.mark.points(4)
def test_on_each_device(student, device):
    """works on every device"""
    assert device in ("cpu", "cuda")  # reaches no device: this file is about points, not about CUDA


@pytest.mark.points(3)
def test_partial_on_each_device(student, credit, device):
    for case in range(4):
        with credit.case(f"case {case}"):
            if case == 3:
                from autograder.checks import Mistake

                raise Mistake("the last case is wrong")
'''


@pytest.fixture
def graders(tmp_path):
    folder = tmp_path / "graders"
    folder.mkdir()
    (folder / "test_points.py").write_text(GRADERS)
    return folder


def graded(graders, cuda: bool, monkeypatch):
    # what the plugin sees of the machine; nothing here runs on a device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    return grade(HW1, HW1.solution, tests_dir=graders, limits=Limits(call_timeout=10.0))


def test_the_maximum_is_the_same_with_and_without_cuda(graders, monkeypatch):
    without, with_cuda = graded(graders, False, monkeypatch), graded(graders, True, monkeypatch)
    assert without.grader_errors == [] and with_cuda.grader_errors == []
    assert without.max_score == with_cuda.max_score == 2 + 4 + 3
    assert without.score == with_cuda.score == 2 + 4 + 3 * 3 / 4
    # with CUDA the device cases share a test's points; without it the CPU case carries them all
    shares = {t.name: t.max_score for t in with_cuda.tests}
    assert shares["works on every device [cpu]"] == shares["works on every device [cuda]"] == 2
    counted = [t for t in without.tests if t.counted]
    assert {t.name: t.max_score for t in counted}["works on every device [cpu]"] == 4
    assert [t.name for t in without.tests if not t.counted] == ["works on every device [cuda]",
                                                                "test_partial_on_each_device [cuda]"]


def test_cases_not_run_here_are_reported_to_the_instructor_not_to_each_student(graders, monkeypatch):
    report = graded(graders, False, monkeypatch)
    assert report.instructor_notes == [plugin.NO_CUDA] and report.notes == []
    student_view = report.to_gradescope()
    assert "CUDA" not in student_view["output"]
    assert all("cuda" not in t["name"] for t in student_view["tests"]), "a case that did not run is not feedback"
    console = Console(record=True, width=200)
    render_report(report, console)
    text = console.export_text()
    assert "note for the instructor" in text and "CUDA cases were not run" in text
    assert "no CUDA device" in report.to_dict()["instructor_notes"][0]  # what the gradebook keeps


def test_a_machine_with_cuda_says_nothing(graders, monkeypatch):
    assert graded(graders, True, monkeypatch).instructor_notes == []
