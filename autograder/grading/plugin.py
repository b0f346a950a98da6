"""The pytest plugin behind hidden graders: fixtures, point markers, partial credit, results.

Graders are ordinary pytest files. They reach the submission only through the ``student``
fixture (a proxy into the worker), mark their worth with ``@pytest.mark.points(n)`` and their
visibility with ``@pytest.mark.visibility("hidden")``, and give partial credit with the
``credit`` fixture. Scores are decided here, in the trusted process. What one run grades lives in
pytest's stash (:data:`CONTEXT`), put there by :class:`Grading`, the object the runner registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from autograder import scoring
from autograder.checks import Mistake, diagrams_of
from autograder.diagrams import MAX_PER_TEST
from autograder.diagrams import text as diagram_text
from autograder.faults import StudentFault
from autograder.grading.results import VISIBILITIES, TestResult
from autograder.grading.session import Session
from autograder.proxy import StudentProxy
from autograder.scoring import earned

NO_CUDA = ("no CUDA device on this machine: CUDA cases were not run, and the CPU cases carry the points of "
           "device tests (the maximum is the same on every machine)")
COUNTED = (Mistake, StudentFault)  # what fails a case or a test; anything else is a bug in the grader
# feedback of one case and of one test, in characters: checks cut what they show of student values
# (checks.shown) before building a message, these bound what any message adds up to (a grader that
# echoes an 8 MiB string in every case must not make results.json ~100 MB nor the terminal table slow)
MAX_CASE_FEEDBACK = 2_000
MAX_FEEDBACK = 8_000


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " … (cut)"


@dataclass
class GradingContext:
    """What one pytest run grades, and where its results go."""

    session: Session
    assignment: Any
    default_visibility: str = "visible"
    results: list[TestResult] = field(default_factory=list)
    grader_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the student (e.g. a notebook cell that raised)
    instructor_notes: list[str] = field(default_factory=list)  # for the instructor (report, terminal, gradebook)
    extra: dict[str, Any] = field(default_factory=dict)


class Credit(scoring.Credit):
    """The ``credit`` fixture: partial credit (:class:`autograder.scoring.Credit`) and the pictures of failed cases."""

    def __init__(self) -> None:
        super().__init__(COUNTED)
        self.diagrams: list[dict] = []  # diagrams: pictures of the failed cases (autograder/diagrams.py)

    def fail(self, label: str, exc: BaseException) -> None:
        reason = cut(str(exc), MAX_CASE_FEEDBACK)
        self.failures.append(f"{cut(label, 300)}: {reason}" if label else reason)
        self.reasons.append(reason)
        self.diagrams += [d for d in diagrams_of(exc) if d not in self.diagrams]  # diagrams


CONTEXT = pytest.StashKey[GradingContext]()
_RECORDED = pytest.StashKey[bool]()  # on an item: its result is in


class Grading:
    """Registered with ``pytest.main(plugins=[...])`` by the runner: puts this run's context in the stash."""

    def __init__(self, context: GradingContext) -> None:
        self.context = context

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CONTEXT] = self.context


def _context(config: pytest.Config) -> GradingContext:
    context = config.stash.get(CONTEXT, None)
    if context is None:
        raise RuntimeError("graders run only through tensorgrade (no grading context is set)")
    return context


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> StudentProxy:
    """The submission, reachable only through calls into the worker."""
    return StudentProxy(_context(request.config).session)


@pytest.fixture
def credit() -> Credit:
    """Partial credit: ``with credit.case("label"): ...`` per case."""
    return Credit()


@pytest.fixture
def extra_data(request: pytest.FixtureRequest) -> dict:
    """Data a grader attaches to the report (e.g. a training curve for plots)."""
    return _context(request.config).extra


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``device`` runs every test on CPU, and on CUDA where there is one."""
    if "device" in metafunc.fixturenames:
        params = [pytest.param("cpu", id="cpu"),
                  pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                                           reason=NO_CUDA))]
        metafunc.parametrize("device", params)


# ---------------------------------------------------------------- hooks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what the test is worth")
    config.addinivalue_line("markers", "visibility(v): visible | hidden | after_due_date | after_published")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # a function that timed out in an earlier test gets a fresh chance in this one
    context = item.config.stash.get(CONTEXT, None)
    if context is not None:
        context.session.timed_out.clear()


def _display_name(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    if doc and doc.strip():
        base = doc.strip().splitlines()[0].rstrip(".")
    else:
        base = getattr(item, "originalname", item.name)
    callspec = getattr(item, "callspec", None)
    return f"{base} [{callspec.id}]" if callspec is not None and callspec.id else base


def _device_share(item: pytest.Item) -> float:
    """The part of a test's points one of its device cases carries: a device test is worth its points in all.

    The devices that can run here share them (CPU alone on a machine without CUDA), so an
    assignment's maximum is the same on every machine and no student loses points to its hardware.
    """
    callspec = getattr(item, "callspec", None)
    if callspec is None or "device" not in callspec.params:
        return 1.0
    return 1.0 / (2 if torch.cuda.is_available() else 1)


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    return marker.args[0] if marker is not None and marker.args else default


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    ctx = item.config.stash.get(CONTEXT, None)
    if ctx is None:
        return
    if call.when == "setup" and report.passed:
        return
    if call.when == "teardown" and (report.passed or item.stash.get(_RECORDED, False)):
        return
    points = float(_marker_arg(item, "points", 1)) * _device_share(item)
    visibility = _marker_arg(item, "visibility", ctx.default_visibility)
    if visibility not in VISIBILITIES:
        visibility = "visible"
    result = TestResult(name=_display_name(item), max_score=points, score=0.0, status="failed",
                        visibility=visibility, nodeid=item.nodeid, duration=call.duration)
    credit: Credit | None = item.funcargs.get("credit") if hasattr(item, "funcargs") else None
    if report.skipped:
        result.status = "skipped"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        result.output = reason.removeprefix("Skipped: ")
        if reason.endswith(NO_CUDA):
            # for the instructor (report, terminal, gradebook), not in every student's feedback
            result.max_score, result.output = 0.0, "not run: no CUDA device on this machine"
            if NO_CUDA not in ctx.instructor_notes:
                ctx.instructor_notes.append(NO_CUDA)
    elif call.excinfo is None:
        result.score = earned(points, credit, stopped=False)
        if credit is not None and credit.used and credit.failures:
            result.output = credit.feedback()
        else:
            result.status = "passed"
    else:
        exc = call.excinfo.value
        if isinstance(exc, COUNTED):
            result.score = earned(points, credit, stopped=True)
            result.output = "\n".join(filter(None, [cut(str(exc), MAX_CASE_FEEDBACK),
                                                     credit.feedback() if credit else ""]))
        else:
            result.status = "error"
            result.output = "the grader itself failed on this test; your instructor has been told"
            # cut: a grader's own exception may quote a student value
            ctx.grader_errors.append(cut(f"{item.nodeid}: {type(exc).__name__}: {exc}", MAX_CASE_FEEDBACK))
    result.output = cut(result.output, MAX_FEEDBACK)
    if result.status == "failed":  # diagrams: a picture per failure (few), its text form after the feedback
        found = (diagrams_of(call.excinfo.value) if call.excinfo is not None else []) + (
            credit.diagrams if credit is not None else [])
        kinds = [d["kind"] for d in found]  # the first picture of each kind: more of the same add nothing
        result.diagrams = [d for i, d in enumerate(found) if d["kind"] not in kinds[:i]][:MAX_PER_TEST]
        if result.diagrams:
            result.output = "\n\n".join([result.output, *map(diagram_text, result.diagrams)])
    item.stash[_RECORDED] = True
    ctx.results.append(result)
