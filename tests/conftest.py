"""Shared helpers for the project's own tests."""

from __future__ import annotations

import re

import pytest

from autograder.grading.results import Report


def test_function(nodeid: str) -> str:
    """`.../test_storage.py::test_cos_in_place[cpu]` -> `test_cos_in_place`."""
    return re.sub(r"\[.*\]$", "", nodeid.rsplit("::", 1)[-1])


def lost(report: Report) -> dict[str, str]:
    """Grader test function -> feedback, for every counted test that lost points."""
    return {test_function(t.nodeid): t.output for t in report.tests if t.counted and t.score < t.max_score}


@pytest.fixture
def lost_points():
    return lost
