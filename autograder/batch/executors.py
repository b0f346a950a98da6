"""Where grading jobs run, behind one tiny interface.

An executor has one method::

    executor.run(jobs: Sequence[Job], on_result: Callable[[JobResult], None]) -> None

It grades every job (plain data: which assignment, the file's name and bytes) and calls
``on_result`` in the calling thread exactly once per job, in completion order, with a
:class:`JobResult` (plain data: ``Report.to_dict()`` or an error). It returns when every job has a
result. If ``on_result`` raises, the executor stops its workers and lets the exception through.
Grading itself is :func:`grade_job`, a top-level function any executor can ship to a worker.

:class:`LocalExecutor` (the default) runs a pool of child processes on this machine, started with
the ``spawn`` method: the grader process may have run torch ops, and forking it is not safe.
A new executor registers itself with :func:`register` under the name ``--executor`` takes.
Each lane gets its share of the cores for compute threads (:func:`lane_threads`).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait
from typing import Any, Protocol

from autograder.batch.jobs import Job, JobResult, grade_job  # noqa: F401 - re-exported: the executors' interface


class Executor(Protocol):
    """Runs jobs and reports each result through ``on_result`` (see the module docstring)."""

    def run(self, jobs: Sequence[Job], on_result: Callable[[JobResult], None]) -> None: ...


# ---------------------------------------------------------------- local process pool


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent dies (e.g. ``kill -9`` of the grader)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def limit_threads(threads: int) -> None:
    """Give this lane ``threads`` compute threads; before torch is imported (it reads them once, at import)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


def lane_threads(lanes: int) -> int:
    """Compute threads per lane: lanes on one machine share its cores instead of each taking all of them."""
    return max(1, (os.cpu_count() or 1) // max(1, lanes))


def _child_main(conn: Any, target: Callable[[Job], JobResult], parent_pid: int, threads: int) -> None:
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        return
    limit_threads(threads)  # a spawned child has not imported torch yet: two lanes on two cores do not fight
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        result = target(job)
        try:
            conn.send(result)
        except OSError:
            return


class _Child:
    """One pool process and the job it is grading."""

    def __init__(self, context: Any, target: Callable[[Job], JobResult], threads: int) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_child_main, args=(child_end, target, os.getpid(), threads),
                                       daemon=True, name="tensorgrade-grader")
        self.process.start()
        child_end.close()
        self.job: Job | None = None
        self.started = 0.0
        self.served = 0

    def give(self, job: Job) -> None:
        self.job, self.started = job, time.monotonic()
        self.conn.send(job)

    def collect(self, timeout: float) -> JobResult | None:
        """The finished job's result, a failure if the process died or overran, or None while it works."""
        assert self.job is not None
        if self.conn.poll():
            try:
                result = self.conn.recv()
            except (EOFError, OSError):
                return self._died()
            self.job, self.served = None, self.served + 1
            return result
        if not self.process.is_alive():
            return self._died()
        if time.monotonic() - self.started > timeout:
            self.stop()
            return self._failed(f"grading took longer than {timeout:g} s and was stopped")
        return None

    def _died(self) -> JobResult:
        self.process.join(timeout=5)
        return self._failed(f"the grading process died (exit code {self.process.exitcode}); the job will be "
                            "retried when the same command runs again")

    def _failed(self, message: str) -> JobResult:
        job, self.job = self.job, None
        self.stop()
        return JobResult(job.key, error=message, seconds=time.monotonic() - self.started)

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self, gracefully: bool = False) -> None:
        if gracefully and self.process.is_alive():
            try:
                self.conn.send(None)
                self.process.join(timeout=5)
            except OSError:
                pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class LocalExecutor:
    """A pool of ``workers`` spawned child processes; each grades one job at a time."""

    def __init__(self, workers: int | None = None, *, job_timeout: float = 3600.0, jobs_per_worker: int = 100,
                 start_method: str = "spawn", target: Callable[[Job], JobResult] = grade_job) -> None:
        if start_method == "fork":
            raise ValueError("fork is not safe for a process that may have run torch ops; use spawn or forkserver")
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.job_timeout = job_timeout
        self.jobs_per_worker = jobs_per_worker  # a fresh process now and then keeps memory growth bounded
        self.context = multiprocessing.get_context(start_method)
        self.target = target

    def run(self, jobs: Sequence[Job], on_result: Callable[[JobResult], None]) -> None:
        pending = deque(jobs)
        children: list[_Child] = []
        try:
            while pending or any(c.job is not None for c in children):
                children = [c for c in children if c.alive or c.job is not None]
                for child in children:
                    if child.job is None and pending:
                        child.give(pending.popleft())
                while pending and len(children) < self.workers:
                    child = _Child(self.context, self.target, lane_threads(self.workers))
                    children.append(child)
                    child.give(pending.popleft())
                busy = [c for c in children if c.job is not None]
                wait([c.conn for c in busy] + [c.process.sentinel for c in busy], timeout=1.0)
                for child in busy:
                    result = child.collect(self.job_timeout)
                    if result is None:
                        continue
                    if child.alive and child.served >= self.jobs_per_worker:
                        child.stop(gracefully=True)
                    on_result(result)
        finally:
            for child in children:
                child.stop(gracefully=child.job is None)


# executors by the name ``--executor`` takes: a class, or "module:attribute" imported only when chosen (Ray is
# heavy and optional; naming it here keeps this module free of an import of it)
EXECUTORS: dict[str, Callable[..., Executor] | str] = {"local": LocalExecutor,
                                                      "ray": "autograder.batch.ray:RayExecutor"}


def register(name: str, factory: Callable[..., Executor] | str) -> None:
    """Make ``factory`` available as ``--executor name``."""
    EXECUTORS[name] = factory


def make_executor(name: str = "local", **options: Any) -> Executor:
    """The executor registered as ``name``, built with ``options`` (e.g. ``workers``, ``job_timeout``)."""
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise ValueError(f"no executor named {name!r} (known: {', '.join(sorted(EXECUTORS))})") from None
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
    return factory(**options)
