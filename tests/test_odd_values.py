"""Every grader judges odd-but-decodable student values without a grader error, and scores them 0.

No function of these submissions ever returns a right answer, so no test may give a point:
a property check (is a view, input unchanged, no loops, meta shapes) earns its points only
where the function's values are right on the same case.
"""

from __future__ import annotations

import pytest

from autograder.assignment import all_assignments
from autograder.grading.runner import grade
from tests.odd_values import OFFSETS, odd_submission

ASSIGNMENTS = {a.name: a for a in all_assignments()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_odd_values_cause_no_grader_error_and_earn_nothing(name, tmp_path):
    assignment = ASSIGNMENTS[name]
    for offset in OFFSETS:
        path = tmp_path / f"odd{offset}" / f"{assignment.module}.py"
        path.parent.mkdir()
        path.write_text(odd_submission(assignment.stub, offset))
        report = grade(assignment, path)
        assert not report.grader_errors, (offset, report.grader_errors)
        assert report.tests, (offset, report.problem)
        earned = {t.nodeid: t.score for t in report.tests if t.counted and t.score > 0}
        assert not earned, (offset, earned)
