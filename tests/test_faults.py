"""Faults in student code cost only the tests they touch; the batch finishes; the report says why.

Each file in tests/faults/ is appended to the hw1 reference solution, so it redefines one or
more functions. Its header names the fault, the defence that contains it, the grader tests it
must break (``*``: all of them; empty: none; ``name?``: may break, depending on the sandbox in use),
words the feedback must contain, and optionally
grader tests it ``touches`` that must still pass. The run
selects the tests it breaks plus one before and one after them: the first proves nothing leaks
backwards, the last that a fresh worker takes over after a crash.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from autograder.assignment import load_assignment
from autograder.grading.render import render_report
from autograder.grading.runner import grade
from autograder.limits import GiB, Limits
from tests.worker_watch import describe, read_header, stragglers, unmet, watched  # noqa: F401 - fixture

FAULTS_DIR = Path(__file__).parent / "faults"
HW1 = load_assignment("hw1_storage")
# short timeouts keep the suite fast; torch takes 3.4 GiB of address space, so a memory bomb fails quickly at 4 GiB
LIMITS = Limits(call_timeout=3.0, load_timeout=60.0, memory_bytes=4 * GiB, processes=96)
BEFORE, AFTER = "test_same_storage", "test_shares_storage_quiz"


FAULTS = sorted(FAULTS_DIR.glob("*.py"))


def test_every_fault_names_its_defence():
    assert len(FAULTS) >= 15
    for path in FAULTS:
        fields = read_header(path)
    if unmet(fields.get("needs", "")):
        pytest.skip(unmet(fields["needs"]))
        assert {"fault", "defence", "breaks", "says"} <= set(fields), path.name
        assert fields["defence"], path.name


def base_name(nodeid: str) -> str:
    return re.sub(r"\[.*\]$", "", nodeid.rsplit("::", 1)[-1])


@pytest.mark.slow
@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_fault_costs_only_the_tests_it_touches(path, tmp_path, watched):  # noqa: F811
    fields = read_header(path)
    breaks = fields["breaks"].split()
    submission = tmp_path / "storage.py"
    submission.write_text(HW1.solution.read_text() + "\n\n" + path.read_text())
    touches = fields.get("touches", "").split()
    select = None if breaks == ["*"] else " or ".join([BEFORE, *(b.rstrip("?") for b in breaks), *touches, AFTER])
    report = grade(HW1, submission, limits=LIMITS, select=select)

    assert report.grader_errors == []
    assert report.tests, "grading must finish with a report"
    lost = {base_name(t.nodeid): t.output for t in report.tests if t.counted and t.score < t.max_score}
    if breaks == ["*"]:
        assert set(lost) == {base_name(t.nodeid) for t in report.tests if t.counted}
        assert report.problem and re.search(fields["says"], report.problem)
        assert len(watched) == 1, "an import that crashes must not restart the worker for every test"
    else:
        required = {name for name in breaks if not name.endswith("?")}
        optional = {name.rstrip("?") for name in breaks} - required  # outcome depends on the sandbox in use
        assert required <= set(lost) <= required | optional, lost
        for name in set(lost):
            assert re.search(fields["says"], lost[name]), (name, lost[name])
    # the report is written and shown whatever the student's code printed or raised
    json.dumps(report.to_gradescope(), ensure_ascii=False).encode("utf-8")
    report.write_json(tmp_path / "results.json")
    render_report(report, Console(file=io.StringIO(), width=100))
    assert describe(stragglers(watched)) == []
