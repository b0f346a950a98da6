"""Grade one submission with the hidden graders and write its per-test scores as JSON (for other channels).

``python -m autograder.channels.scores HW SUBMISSION OUT.json`` is what the otter-grader plugin
runs, in a fresh process, so the otter kernel that executed the notebook never holds the graders'
state. The JSON is the report's Gradescope form plus ``key`` per test (see
:func:`autograder.channels.test_key`). Exit 0 when grading worked, 3 when a grader failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from autograder import exitcodes
from autograder.channels import test_key


def scores(report: Any) -> dict:
    """The report as per-test scores keyed by test, with the total and any grader errors."""
    tests = [{"key": test_key(t.nodeid or t.name), "name": t.name, "score": round(t.score, 4),
              "max_score": t.max_score, "output": t.output} for t in report.tests if t.counted]
    return {"score": report.score, "max_score": report.max_score, "tests": tests,
            "problem": report.problem, "notes": list(report.notes), "grader_errors": list(report.grader_errors)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: python -m autograder.channels.scores ASSIGNMENT SUBMISSION OUT.json", file=sys.stderr)
        return exitcodes.USAGE
    from autograder.assignment import load_assignment
    from autograder.grading.runner import grade

    name, submission, out = args
    report = grade(load_assignment(name), Path(submission))
    data = scores(report)
    Path(out).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return exitcodes.GRADER_ERROR if report.grader_errors else exitcodes.OK


if __name__ == "__main__":
    sys.exit(main())
