"""Shared helpers for the project's own tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.grading.results import Report

EXPLOITS_DIR = Path(__file__).parent / "exploits"


def test_function(nodeid: str) -> str:
    """`.../test_storage.py::test_cos_in_place[cpu]` -> `test_cos_in_place`."""
    return re.sub(r"\[.*\]$", "", nodeid.rsplit("::", 1)[-1])


def lost(report: Report) -> dict[str, str]:
    """Grader test function -> feedback, for every counted test that lost points."""
    return {test_function(t.nodeid): t.output for t in report.tests if t.counted and t.score < t.max_score}


@pytest.fixture
def lost_points():
    return lost


def variants_of(assignment: Assignment) -> list[Path]:
    """Correct solutions written the ways students write them (``solutions/<hw>/variants/``): all full marks."""
    return sorted((assignment.solution.parent / "variants").glob("*.py"))


def exploits_aimed_at(name: str) -> list[Path]:
    """Hostile submissions of ``tests/exploits/`` whose header names this assignment (``# assignment: hw…``)."""
    from tests.worker_watch import read_header

    return [p for p in sorted(EXPLOITS_DIR.glob("*.py")) if read_header(p).get("assignment") == name]


def check_exploit(assignment: Assignment, path: Path) -> None:
    """The case earns what its honest part earns: it loses exactly the tests its header names (``loses``),
    with feedback that says what was seen (``says``), and causes no grader error."""
    from autograder.grading.runner import grade
    from tests.worker_watch import read_header

    fields = read_header(path)
    assert fields["baseline"] == "reference"  # everything but the attacked part is the reference's code
    report = grade(assignment, path)
    assert report.grader_errors == []
    losses = lost(report)
    assert set(losses) == set(fields["loses"].split()), losses
    assert re.search(fields["says"], "\n".join(losses.values())), losses
