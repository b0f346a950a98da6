"""Grade one submission: start its worker, run the graders under pytest, collect a Report."""

from __future__ import annotations

import contextlib
import gc
import io
import sys
import time
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.course import CourseError
from autograder.faults import describe_error
from autograder.grading import plugin
from autograder.grading.results import Report
from autograder.grading.session import Session
from autograder.limits import Limits
from autograder.sandbox import warm
from autograder.submission import load_submission


def limits_for(assignment: Assignment) -> Limits:
    """The worker's limits and the submission's budget, from assignment.toml (budget_*_seconds: Limits' defaults)."""
    return Limits(call_timeout=assignment.call_timeout, cpu_seconds=assignment.worker_cpu_seconds,
                  budget_wall=_seconds(assignment, "budget_wall_seconds", Limits.budget_wall),
                  budget_cpu=_seconds(assignment, "budget_cpu_seconds", Limits.budget_cpu))


def _seconds(assignment: Assignment, key: str, default: float) -> float:
    value = assignment.extra.get(key, default)
    if type(value) not in (int, float) or not value > 0:
        raise CourseError(f"{assignment.name}/assignment.toml: {key} must be a positive number of seconds, "
                          f"not {value!r}")
    return float(value)


def grade(assignment: Assignment, submission_path: str | Path, *, public: bool = False,
          limits: Limits | None = None, tests_dir: Path | None = None, select: str | None = None) -> Report:
    """Grade ``submission_path`` with the hidden graders (or the public tests when ``public``)."""
    started = time.perf_counter()
    submission = load_submission(submission_path, assignment.module)
    report = Report(assignment=assignment.name, submission=str(submission_path))
    tests_dir = tests_dir or (assignment.public_tests_dir if public else assignment.graders_dir)
    limits = limits or limits_for(assignment)
    warm.prewarm(limits)  # the warm template imports torch while pytest collects the graders
    _freeze_imports()
    if not public:
        use_graders_folder(assignment.name, assignment.graders_dir)
    with Session(submission, limits) as session:
        context = plugin.GradingContext(session=session, assignment=assignment)
        exit_code, collection_errors = _run_pytest(tests_dir, public, select, plugin.Grading(context))
    report.tests = context.results
    report.notes = context.notes
    report.instructor_notes = context.instructor_notes
    report.grader_errors = context.grader_errors
    report.extra = context.extra
    report.problem = submission.problem or session.load_error
    report.notes += cell_notes(session.cell_errors)
    if session.budget_spent:  # the tests after it failed at once: worth a line for whoever reads the report
        limits = session.limits
        report.instructor_notes.append(
            f"this submission used up its grading budget ({limits.budget_wall:g} s wall-clock, {limits.budget_cpu:g} s "
            f"CPU; the {'CPU' if session.budget_spent == 'cpu' else 'wall-clock'} budget ran out): the tests after "
            "that point failed without running")
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not report.tests:
        why = "; ".join(collection_errors) or "pytest printed no error lines"
        report.grader_errors.append(f"pytest could not run the graders in {tests_dir} (exit {int(exit_code)}): {why}")
    report.execution_time = time.perf_counter() - started
    return report


def use_graders_folder(name: str, folder: Path) -> None:
    """Make ``autograder.graders.<name>`` the package in ``folder`` for this process.

    Graders import their helpers as ``autograder.graders.<hw>.helpers`` (they are ordinary pytest
    files next to them). A course's copy of an assignment lives in the course folder, so without
    this its graders would silently run the bundled helpers, and a new assignment's helpers could
    not be imported at all. The bundled folder is the package's own: then nothing is aliased.
    """
    import importlib.machinery
    import importlib.util

    import autograder.graders as parent

    package = f"{parent.__name__}.{name}"
    folder = Path(folder).resolve()
    loaded = sys.modules.get(package)
    if loaded is not None and [Path(p).resolve() for p in getattr(loaded, "__path__", [])] == [folder]:
        return
    for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
        del sys.modules[key]  # another folder's (or the bundled) helpers: never mixed with these
    if hasattr(parent, name):
        delattr(parent, name)
    bundled = Path(parent.__file__).resolve().parent / name
    if folder == bundled:
        return  # the ordinary import finds it
    spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
    spec.submodule_search_locations = [str(folder)]
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    setattr(parent, name, module)


MAX_CELL_NOTES = 10  # notebook cells that raised, named one by one; the rest are counted


def cell_notes(cell_errors: list[dict]) -> list[str]:
    """A note per notebook cell that raised (errors already checked by protocol.loaded: exact types, cut)."""
    notes = [describe_error(cell["error"], f"notebook cell {cell['cell'] + 1}")
             for cell in cell_errors[:MAX_CELL_NOTES]]
    if len(cell_errors) > MAX_CELL_NOTES:
        notes.append(f"… and {len(cell_errors) - MAX_CELL_NOTES} more notebook cells raised an exception")
    return notes


def _freeze_imports() -> None:
    """Hide what is loaded by now (torch, pytest) from the garbage collector, once per process.

    pytest calls gc.collect() several times per run; with torch loaded each full collection walks
    millions of long-lived objects (~0.1-0.3 s each), more than grading a small assignment takes.
    """
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


_frozen = False
# pytest plugins graders have no use for; registering and running them cost ~0.1 s per submission
UNUSED_PLUGINS = ("cacheprovider", "randomly", "logging", "warnings", "unraisableexception", "threadexception",
                  "faulthandler", "junitxml", "pastebin", "doctest", "stepwise", "xdist", "xdist.looponfail",
                  "platformdirs")


def _forget_look_alike_tests(tests_dir: Path) -> None:
    """Drop modules named like a test file here but loaded from elsewhere.

    pytest's importlib mode reuses whatever sys.modules holds under a test file's name, so in one
    process the test_public.py of one assignment would silently stand in for another's.
    """
    for path in tests_dir.glob("test_*.py"):
        module = sys.modules.get(path.stem)
        if module is not None and Path(getattr(module, "__file__", None) or "").resolve() != path.resolve():
            del sys.modules[path.stem]


def _run_pytest(tests_dir: Path, public: bool, select: str | None,
                grading: plugin.Grading) -> tuple[int, list[str]]:
    """pytest's exit code, and its error lines (the last few: why it could not collect, if it could not)."""
    pattern = "test_public*.py" if public else "test_*.py"
    _forget_look_alike_tests(tests_dir)
    args = [str(tests_dir), "-p", "autograder.grading.plugin", *(f"-pno:{name}" for name in UNUSED_PLUGINS),
            "--assert=plain", "--import-mode=importlib", "-q", "-o", f"python_files={pattern}",
            "-o", "addopts=", "--rootdir", str(tests_dir), "--confcutdir", str(tests_dir), "-c", "/dev/null"]
    if select:
        args += ["-k", select]
    # pytest's own terminal output is noise here (our report is the output), except when it could not
    # even collect the graders: then its error lines are the only explanation an instructor gets
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main(args, plugins=[grading])
    errors = [line[1:].strip()[:300] for line in out.getvalue().splitlines() if line.startswith("E ")]
    return code, errors[-5:]
