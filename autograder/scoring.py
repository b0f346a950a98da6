"""Partial credit: :class:`Credit` (the ``credit`` fixture) and the rule that turns cases into a test's score.

Standard library only, shared by the engine's plugin and the notebook harness
(:mod:`release.harness_runtime` embeds this file), so a notebook's public checks score exactly as
tensorgrade does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Credit:
    """Partial credit inside one test: the fraction of cases that passed.

    ``counted`` are the exceptions that fail a case (a grader's Mistake, anything the student's
    code did); any other exception is a bug in the grader and propagates.
    """

    def __init__(self, counted: tuple[type[BaseException], ...] = ()) -> None:
        self.counted = counted
        self.passed = 0
        self.failures: list[str] = []
        self.reasons: list[str] = []  # the failures without their labels, to merge identical ones

    @contextlib.contextmanager
    def case(self, label: str) -> Iterator[None]:
        """A case fails on one of ``counted``; grader bugs propagate."""
        try:
            yield
        except self.counted as exc:
            self.fail(label, exc)
        else:
            self.passed += 1

    def fail(self, label: str, exc: BaseException) -> None:
        """Record a failed case (subclasses keep more of it, e.g. the engine's diagrams)."""
        self.failures.append(f"{label}: {exc}" if label else str(exc))
        self.reasons.append(str(exc))

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


def earned(points: float, credit: Credit | None, stopped: bool) -> float:
    """What a test earns: all its points, or the fraction of its cases that passed.

    ``stopped``: the test ended on a failure outside any case (a Mistake or a student fault), which
    counts as one more failed case, so a test that stops early never earns more than its finished
    cases are worth.
    """
    if credit is None or not credit.used:
        return 0.0 if stopped else points
    if stopped:
        return points * credit.passed / (credit.total + 1)
    return points * credit.fraction()
