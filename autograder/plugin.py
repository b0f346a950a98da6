"""The pytest plugin behind hidden graders: fixtures, point markers, partial credit, results.

Graders are ordinary pytest files. They reach the submission only through the ``student``
fixture (a proxy into the worker), mark their worth with ``@pytest.mark.points(n)`` and their
visibility with ``@pytest.mark.visibility("hidden")``, and give partial credit with the
``credit`` fixture. Scores are decided here, in the trusted process.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from autograder.checks import Mistake, diagrams_of
from autograder.diagrams import MAX_PER_TEST
from autograder.diagrams import text as diagram_text
from autograder.proxy import Session, StudentFault, StudentProxy
from autograder.results import VISIBILITIES, TestResult

NO_CUDA = "no CUDA device here: GPU cases are skipped and left out of this run's max score"


@dataclass
class GradingContext:
    """What one pytest run grades, and where its results go."""

    session: Session
    assignment: Any
    default_visibility: str = "visible"
    results: list[TestResult] = field(default_factory=list)
    grader_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


CONTEXT: GradingContext | None = None


class Credit:
    """Partial credit inside one test: the fraction of cases that passed."""

    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []
        self.reasons: list[str] = []  # the failures without their labels, to merge identical ones
        self.diagrams: list[dict] = []  # diagrams: pictures of the failed cases (autograder/diagrams.py)

    @contextlib.contextmanager
    def case(self, label: str) -> Iterator[None]:
        """A case fails on a Mistake or anything the student's code did; grader bugs propagate."""
        try:
            yield
        except (Mistake, StudentFault) as exc:
            self.failures.append(f"{label}: {exc}" if label else str(exc))
            self.reasons.append(str(exc))
            self.diagrams += [d for d in diagrams_of(exc) if d not in self.diagrams]  # diagrams
        else:
            self.passed += 1

    @property
    def used(self) -> bool:
        return bool(self.passed or self.failures)

    @property
    def total(self) -> int:
        return self.passed + len(self.failures)

    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def feedback(self, limit: int = 3) -> str:
        if not self.failures:
            return ""
        if len(set(self.reasons)) == 1 and not self.passed:
            return self.reasons[0] if self.total == 1 else f"all {self.total} cases failed: {self.reasons[0]}"
        lines = [f"{len(self.failures)} of {self.total} cases failed:"]
        lines += [f"- {f}" for f in self.failures[:limit]]
        if len(self.failures) > limit:
            lines.append(f"- … and {len(self.failures) - limit} more")
        return "\n".join(lines)


def _context() -> GradingContext:
    if CONTEXT is None:
        raise RuntimeError("graders run only through tensorgrade (no grading context is set)")
    return CONTEXT


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def student() -> StudentProxy:
    """The submission, reachable only through calls into the worker."""
    return StudentProxy(_context().session)


@pytest.fixture
def credit() -> Credit:
    """Partial credit: ``with credit.case("label"): ...`` per case."""
    return Credit()


@pytest.fixture
def extra_data() -> dict:
    """Data a grader attaches to the report (e.g. a training curve for plots)."""
    return _context().extra


def cuda_available() -> bool:
    return torch.cuda.is_available()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``device`` runs every test on CPU, and on CUDA where there is one."""
    if "device" in metafunc.fixturenames:
        params = [pytest.param("cpu", id="cpu"),
                  pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(not cuda_available(), reason=NO_CUDA))]
        metafunc.parametrize("device", params)


# ---------------------------------------------------------------- hooks


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what the test is worth")
    config.addinivalue_line("markers", "visibility(v): visible | hidden | after_due_date | after_published")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # a function that timed out in an earlier test gets a fresh chance in this one
    if CONTEXT is not None:
        CONTEXT.session.timed_out.clear()


def _display_name(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    if doc and doc.strip():
        base = doc.strip().splitlines()[0].rstrip(".")
    else:
        base = getattr(item, "originalname", item.name)
    callspec = getattr(item, "callspec", None)
    return f"{base} [{callspec.id}]" if callspec is not None and callspec.id else base


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    return marker.args[0] if marker is not None and marker.args else default


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    ctx = CONTEXT
    if ctx is None:
        return
    if call.when == "setup" and report.passed:
        return
    if call.when == "teardown" and (report.passed or getattr(item, "_tg_recorded", False)):
        return
    points = float(_marker_arg(item, "points", 1))
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
        if reason.endswith(NO_CUDA) and NO_CUDA not in ctx.notes:
            ctx.notes.append(NO_CUDA)
    elif call.excinfo is None:
        if credit is not None and credit.used and credit.failures:
            result.score = points * credit.fraction()
            result.output = credit.feedback()
        else:
            result.status, result.score = "passed", points
    else:
        exc = call.excinfo.value
        if isinstance(exc, (Mistake, StudentFault)):
            done = credit.fraction() * credit.total / (credit.total + 1) if credit and credit.used else 0.0
            result.score = points * done
            result.output = "\n".join(filter(None, [str(exc), credit.feedback() if credit else ""]))
        else:
            result.status = "error"
            result.output = "the grader itself failed on this test; your instructor has been told"
            ctx.grader_errors.append(f"{item.nodeid}: {type(exc).__name__}: {exc}")
    if result.status == "failed":  # diagrams: a picture per failure (few), its text form after the feedback
        found = (diagrams_of(call.excinfo.value) if call.excinfo is not None else []) + (
            credit.diagrams if credit is not None else [])
        kinds = [d["kind"] for d in found]  # the first picture of each kind: more of the same add nothing
        result.diagrams = [d for i, d in enumerate(found) if d["kind"] not in kinds[:i]][:MAX_PER_TEST]
        if result.diagrams:
            result.output = "\n\n".join([result.output, *map(diagram_text, result.diagrams)])
    item._tg_recorded = True
    ctx.results.append(result)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config._tg_started = time.perf_counter()
