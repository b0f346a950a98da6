"""One grading job as plain data, its result, and :func:`grade_job`, which any executor ships to a lane.

A *lane* is one grading process with its warm template; it grades jobs one after another.
Jobs and results are plain data so that they cross process and machine boundaries (a
multiprocessing pipe, a Ray task) without carrying anything of the grader's.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One file to grade."""

    key: str  # unique within one run (batch grading uses the content hash)
    assignment: str
    filename: str
    content: bytes  # at most the submission size limit + 1 byte
    size: int  # the file's real size (larger than len(content) when over the limit)


@dataclass
class JobResult:
    """A job's outcome: the report as plain data, or why grading failed (never the student's fault)."""

    key: str
    report: dict | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.report is not None


def grade_job(job: Job) -> JobResult:
    """Grade one job in this process; never raises."""
    started = time.perf_counter()
    try:
        from autograder.limits import Limits
        from autograder.sandbox import warm

        warm.prewarm(Limits())  # the first job here: the template imports torch while this process does too
        from autograder.assignment import load_assignment
        from autograder.grading.runner import grade

        assignment = load_assignment(job.assignment)
        suffix = ".ipynb" if job.filename.lower().endswith(".ipynb") else ".py"
        with tempfile.TemporaryDirectory(prefix="tensorgrade-job-") as folder:
            path = Path(folder) / f"{assignment.module}{suffix}"
            path.write_bytes(job.content)
            if job.size > len(job.content):
                # a sparse file of the real size: the loader refuses it by size without reading it
                os.truncate(path, job.size)
            report = grade(assignment, path)
        data = report.to_dict()
        data["submission"] = job.filename
        return JobResult(job.key, report=data, seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - a failed job is reported, the batch goes on
        return JobResult(job.key, error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
