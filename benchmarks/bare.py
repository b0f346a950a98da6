"""The baseline "bare": the same graders run in-process on the same submission, with no isolation at all.

:class:`InProcessSession` answers the grader's requests with the worker's own request handler
(:class:`autograder.worker_main.Worker`) in this process: no worker process, no sandbox, no pipes,
no sandbox. Requests and replies still go through the codec (:func:`autograder.wire.dumps` and
:func:`~autograder.wire.loads`, tens of microseconds for a small call), so arguments are copies
and handles to student objects behave as in real grading, and every check runs exactly as it does
there. What is left between bare and graded is the price of isolation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autograder import wire
from autograder.assignment import Assignment
from autograder.faults import describe_error
from autograder.grading import runner
from autograder.grading.results import Report
from autograder.grading.session import Session
from autograder.proxy import RemoteObject
from autograder.runtime.worker import Worker


class InProcessSession(Session):
    """A Session whose "worker" is an object in this process."""

    worker: Worker | None = None

    def ensure_started(self) -> None:
        if self.worker is not None:
            return
        import torch

        torch.set_num_threads(self.limits.threads)  # the same compute as in the worker
        self.worker = Worker()
        self.generation += 1
        if self.submission.problem:
            self.load_error = self.submission.problem
            return
        reply = self._exchange({"op": "load", "module": self.submission.module, "path": self.submission.filename,
                                "cells": self.submission.cells}, 0)
        if not reply["ok"]:
            self.load_error = describe_error(reply["error"], f"importing {self.submission.filename}")
            return
        value = reply["value"]
        self.names, self.cell_errors = value["names"], value["cell_errors"]

    def _exchange(self, request: dict, timeout: float) -> dict:
        assert self.worker is not None
        worker, generation = self.worker, self.generation
        decoded = wire.loads(self.encode(request), lambda ref: worker.handles.get(ref.id))
        reply = worker.handle(decoded)
        return wire.loads(worker.encode_reply(reply), lambda ref: RemoteObject(self, ref, generation))

    def close(self) -> None:
        sys.modules.pop(self.submission.module, None)
        self.worker = None


@contextlib.contextmanager
def _bare_sessions() -> Iterator[None]:
    original = runner.Session
    runner.Session = InProcessSession  # type: ignore[misc]
    try:
        yield
    finally:
        runner.Session = original  # type: ignore[misc]


def grade_bare(assignment: Assignment, path: Path, **options: Any) -> Report:
    """``runner.grade`` with the student's code loaded into this process."""
    limits = dataclasses.replace(runner.limits_for(assignment), warm=False)  # warm=False: start no template
    with _bare_sessions():
        return runner.grade(assignment, path, limits=limits, **options)
