"""Grade one submission: start its worker, run the graders under pytest, collect a Report."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest

from autograder import plugin
from autograder.assignment import Assignment
from autograder.proxy import Session
from autograder.results import Report
from autograder.sandbox import Limits
from autograder.submission import load_submission


def limits_for(assignment: Assignment) -> Limits:
    return Limits(call_timeout=assignment.call_timeout, cpu_seconds=assignment.worker_cpu_seconds)


def grade(assignment: Assignment, submission_path: str | Path, *, public: bool = False,
          limits: Limits | None = None, tests_dir: Path | None = None, select: str | None = None) -> Report:
    """Grade ``submission_path`` with the hidden graders (or the public tests when ``public``)."""
    started = time.perf_counter()
    submission = load_submission(submission_path, assignment.module)
    report = Report(assignment=assignment.name, submission=str(submission_path))
    tests_dir = tests_dir or (assignment.public_tests_dir if public else assignment.graders_dir)
    with Session(submission, limits or limits_for(assignment)) as session:
        context = plugin.GradingContext(session=session, assignment=assignment)
        plugin.CONTEXT = context
        try:
            exit_code = _run_pytest(tests_dir, public, select)
        finally:
            plugin.CONTEXT = None
    report.tests = context.results
    report.notes = context.notes
    report.grader_errors = context.grader_errors
    report.extra = context.extra
    report.problem = submission.problem or session.load_error
    for cell in session.cell_errors:
        report.notes.append(f"notebook cell {cell['cell'] + 1} raised {cell['error'].get('type')}: "
                            f"{cell['error'].get('message')}")
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not report.tests:
        report.grader_errors.append(f"pytest could not run the graders in {tests_dir} (exit {int(exit_code)})")
    report.execution_time = time.perf_counter() - started
    return report


def _run_pytest(tests_dir: Path, public: bool, select: str | None) -> int:
    pattern = "test_public*.py" if public else "test_*.py"
    args = [str(tests_dir), "-p", "autograder.plugin", "-p", "no:cacheprovider", "-p", "no:randomly",
            "--assert=plain", "--import-mode=importlib", "-q", "-o", f"python_files={pattern}",
            "-o", "addopts=", "--rootdir", str(tests_dir), "-c", "/dev/null"]
    if select:
        args += ["-k", select]
    # pytest's own terminal output is noise here: our report is the output
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return pytest.main(args)
