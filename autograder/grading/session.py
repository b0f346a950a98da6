"""One submission's session: its worker, started on demand and restarted after a fault, and the exchange with it.

Each request is one :mod:`autograder.protocol` message in one :mod:`autograder.wire` frame, with a
deadline for writing it, for the reply to begin and for the reply to end. Whatever the worker
sends back is hostile input: a reply that is not a frame of the codec, does not answer the
request in flight or is not in the protocol's shape kills the worker and fails only the current
test, as a :class:`~autograder.faults.StudentFault` whose message is for the student. Each field of
a reply is then checked by :mod:`autograder.protocol` (error reports, arguments after a call, the
answers of handles) before any grader code sees it.

The whole submission has a budget (``Limits.budget_wall`` and ``budget_cpu``): the import and every
call, across worker restarts. Once it is spent the worker is stopped and every remaining request
fails at once with a clear :class:`~autograder.faults.StudentTimeout`, so the batch slot is freed.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import select
import textwrap
import time
from collections.abc import Callable
from typing import Any

from autograder import protocol, wire
from autograder.faults import (
    BadReply,
    StudentCrash,
    StudentError,
    StudentFault,
    StudentTimeout,
    describe_error,
    signal_words,
)
from autograder.limits import Limits
from autograder.proxy import Call, RemoteObject
from autograder.sandbox import WorkerProcess, start_worker
from autograder.sandbox.output import OutputTap
from autograder.submission import Submission

CPU_SAMPLE_EVERY = 0.5  # seconds between two readings of the worker's CPU time (one pass over /proc each)
SIGXCPU = 24


class Session:
    """One submission's worker, restarted on demand after a crash or timeout."""

    def __init__(self, submission: Submission, limits: Limits | None = None) -> None:
        self.submission = submission
        self.limits = limits or Limits()
        self.process: WorkerProcess | None = None
        self.tap: OutputTap | None = None
        self.generation = 0
        self.load_error: str | None = None
        self.load_crashed = False  # the import itself crashed or hung: don't restart for every test
        self.names: list[str] = []
        self.cell_errors: list[dict] = []
        self.restarts = 0
        self.timed_out: set[str] = set()  # functions that timed out in the current test
        self.seq = 0  # numbers requests, so a reply to anything but the request in flight is refused
        # the submission's budget: the clock starts at the first worker; CPU of workers that ended, and of this one
        self.budget_start: float | None = None
        self.cpu_spent = 0.0
        self.cpu_now = 0.0
        self._cpu_sampled = 0.0
        self._worker_cpu_limit = 0
        self.budget_spent: str | None = None  # "wall" or "cpu" once the budget is used up

    # ------------------------------------------------------------ budget

    def wall_left(self) -> float:
        """Wall-clock seconds left of the submission's budget."""
        start = self.budget_start if self.budget_start is not None else time.monotonic()
        return self.limits.budget_wall - (time.monotonic() - start)

    def cpu_left(self) -> float:
        """CPU seconds left of the submission's budget (as last sampled)."""
        return self.limits.budget_cpu - self.cpu_spent - self.cpu_now

    def budget_message(self) -> str:
        spent = "CPU" if self.budget_spent == "cpu" else "wall-clock"
        return (f"was not run: the submission used up its grading budget ({self.limits.budget_wall:g} s of "
                f"wall-clock time and {self.limits.budget_cpu:g} s of CPU for the import and all calls together; "
                f"the {spent} budget ran out), so the remaining tests fail. Make your code faster: no sleeps, "
                "no Python loops over every element, no needless retraining")

    def check_budget(self) -> None:
        """Raise StudentTimeout (and stop the worker) once the submission's budget is spent."""
        if self.budget_spent is None and self.budget_start is not None:
            self._sample_cpu()
            if self.wall_left() <= 0:
                self.budget_spent = "wall"
            elif self.cpu_left() <= 0:
                self.budget_spent = "cpu"
        if self.budget_spent is not None:
            self.close()
            raise StudentTimeout(self.budget_message())

    def _sample_cpu(self, force: bool = False) -> None:
        proc = self.process
        now = time.monotonic()
        if proc is None or (not force and now - self._cpu_sampled < CPU_SAMPLE_EVERY):
            return
        self._cpu_sampled = now
        try:
            self.cpu_now = max(self.cpu_now, proc.cpu_seconds())
        except Exception:  # noqa: BLE001, S110 - /proc unreadable here: the wall-clock budget still bounds it
            pass

    def _worker_ended(self, exit_code: int | None) -> None:
        """Book the CPU of the worker that just ended into the budget."""
        if exit_code is not None and exit_code in (-SIGXCPU, 128 + SIGXCPU) \
                and self._worker_cpu_limit < self.limits.cpu_seconds:
            # its CPU limit was what was left of the budget: that is spent now
            self.cpu_now = max(self.cpu_now, float(self._worker_cpu_limit))
            self.budget_spent = "cpu"
        self.cpu_spent += self.cpu_now
        self.cpu_now = 0.0

    # ------------------------------------------------------------ lifecycle

    def ensure_started(self) -> None:
        if self.process is not None and self.process.popen.poll() is None:
            return
        if self.load_error and (self.process is not None or self.load_crashed):
            return
        if self.process is not None:
            self.restarts += 1
            self._kill()
        self.generation += 1
        if self.submission.problem:
            self.load_error = self.submission.problem
            return
        self.check_budget()
        # a worker may spend at most what is left of the submission's CPU budget (its rlimit stops it there)
        self._worker_cpu_limit = max(1, min(self.limits.cpu_seconds, math.ceil(self.cpu_left())))
        limits = dataclasses.replace(self.limits, cpu_seconds=self._worker_cpu_limit)
        process = self.process = start_worker(self.submission.filename, self.submission.raw, limits)
        if self.budget_start is None:  # from the first worker's start: the import counts, a template warming up not
            self.budget_start = time.monotonic()
        self._cpu_sampled = time.monotonic()
        for fd in (process.req_fd, process.rep_fd):
            os.set_blocking(fd, False)  # every read and write of a frame has a deadline
        self.tap = OutputTap(process.popen.stdout, self.limits.output_bytes, self.limits.max_output_bytes,
                             lambda: process.kill_group())
        self.load_error = None
        what = f"importing {self.submission.filename}"
        try:
            reply = self._exchange(protocol.load(self.submission.module, self.submission.filename,
                                                 self.submission.cells),
                                   timeout=max(self.limits.call_timeout, self.limits.load_timeout))
            if not reply["ok"]:
                self.load_error = describe_error(protocol.error_of(reply), what)
                return
            loaded = protocol.loaded(reply.get("value"))
            if loaded is None:
                raise TypeError
        except StudentFault as fault:
            # it would happen again at every restart: say so once and stop trying
            self.load_error, self.load_crashed = f"{what} {fault}", True
            return
        except TypeError:
            self._kill()
            self.load_error, self.load_crashed = f"{what} sent back something the grader cannot accept", True
            return
        self.names, self.cell_errors = loaded

    def close(self) -> None:
        if self.process is not None:
            self._kill()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ exchange

    def _exchange(self, request: dict, timeout: float) -> dict:
        """Send one request and wait for its reply; any failure kills the worker."""
        assert self.process is not None
        proc = self.process
        self.seq += 1
        request = {**request, "seq": self.seq}
        budget_first = self.budget_start is not None and self.wall_left() < timeout
        deadline = time.monotonic() + (max(self.wall_left(), 0.0) if budget_first else timeout)
        too_slow = StudentTimeout(f"did not finish within {timeout:g} s (an infinite loop, a sleep, or far too "
                                  "slow) and was stopped")
        if budget_first:  # the submission's budget ends before this call's own deadline
            too_slow = StudentTimeout(self.budget_message().replace("was not run", "was stopped", 1))
        frame = self.encode(request)
        try:
            wire.write_frame(proc.req_fd, frame, deadline)
            ready, _, _ = select.select([proc.rep_fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                self._kill()
                self.budget_spent = "wall" if budget_first else self.budget_spent
                raise too_slow
            payload = wire.read_frame(proc.rep_fd, deadline=deadline)
        except TimeoutError:
            self._kill()
            self.budget_spent = "wall" if budget_first else self.budget_spent
            raise too_slow from None
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            flooded = self.tap is not None and self.tap.flooded
            code = self._kill(exit_code=True)
            if self.budget_spent == "cpu":  # its RLIMIT_CPU was what was left of the submission's budget
                raise StudentTimeout(self.budget_message().replace("was not run", "was stopped", 1)) from None
            if flooded:
                raise StudentCrash(f"printed more than {self.limits.max_output_bytes // 2**20} MiB of output and was "
                                   "stopped (remove prints inside loops)") from None
            raise StudentCrash(f"crashed: the worker running your code {signal_words(code)}") from None
        except wire.WireError as exc:
            self._kill()
            raise BadReply(f"sent back something the grader cannot accept: {exc}") from None
        self._sample_cpu()
        generation = self.generation
        try:
            reply = wire.loads(payload, lambda ref: RemoteObject(self, ref, generation))
        except wire.WireError as exc:
            self._kill()
            raise BadReply(f"sent back something the grader cannot accept: {exc}") from None
        problem = protocol.reply_problem(reply, self.seq)
        if problem:
            self._kill()
            raise BadReply(problem)
        return reply

    def _kill(self, exit_code: bool = False) -> int | None:
        """Kill the worker; with ``exit_code``, first give it 0.2 s to end by itself and say how it ended."""
        self._sample_cpu(force=True)
        proc, self.process = self.process, None
        self.generation += 1  # every handle into the dead worker is void from now on
        if proc is None:
            return None
        code = None
        if exit_code:  # the channel closed: the worker is dying, and how it died is what the student needs to know
            try:
                code = proc.popen.wait(timeout=0.2)
            except Exception:  # noqa: BLE001, S110 - still running: killed below
                pass
        proc.kill()
        self._worker_ended(code)
        return code

    def request(self, request: dict, what: str, timeout: float | None = None) -> dict:
        """Send a request about student code; raise StudentFault for anything but a clean reply."""
        try:
            self.check_budget()
            self.ensure_started()
        except StudentFault as fault:
            raise type(fault)(f"{what} {fault}") from None
        if self.load_error:
            raise StudentError(self.load_error, {"type": "ImportError", "builtins": [], "message": "", "where": []})
        try:
            reply = self._exchange(request, timeout or self.limits.call_timeout)
        except StudentFault as fault:
            raise type(fault)(f"{what} {fault}") from None
        if not reply["ok"]:
            error = protocol.error_of(reply)  # exact types, cut: see protocol.checked_error
            raise StudentError(describe_error(error, what), error)
        return reply

    def output(self) -> str:
        return self.tap.take() if self.tap else ""

    # ------------------------------------------------------------ operations

    def encode(self, request: dict) -> bytes:
        """A request as one frame; student objects the grader passes back travel as their handles."""

        def keep(obj: Any) -> wire.Ref:
            if isinstance(obj, RemoteObject):
                if obj._generation != self.generation:
                    raise StudentCrash("an object from before the worker restarted can no longer be used")
                return obj._ref
            raise TypeError(f"cannot send a {type(obj).__name__} to the worker")

        return wire.dumps(request, keep)

    def call(self, name: str | None, args: tuple, kwargs: dict, *, target: int | None = None,
             return_args: bool = False, timeout: float | None = None, label: str | None = None) -> Call:
        key = name if target is None else f"{target}.{name}"
        label = label or f"`{name}`"
        if key in self.timed_out and self.budget_spent is None:  # a spent budget says so instead
            raise StudentTimeout(f"{label} was not run again: it timed out earlier in this test")
        self.ensure_started()
        request = protocol.call(name, tuple(args), dict(kwargs), target=target, return_args=return_args)
        try:
            reply = self.request(request, label, timeout)
        except StudentTimeout:
            self.timed_out.add(key)
            raise
        after = protocol.args_after(reply, tuple(args), dict(kwargs)) if return_args else ((), {})
        if after is None:
            self._kill()
            raise BadReply(f"{label}: the worker's reply was not in the grader's format")
        return Call(reply["value"], after[0], after[1], self.output())

    def trusted(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Run grader-side ``fn`` (source shipped by text) in the worker; returns its result or a handle."""
        self.ensure_started()
        source = textwrap.dedent(inspect.getsource(fn))
        request = protocol.trusted(source, fn.__name__, args, kwargs)
        return self.request(request, f"the grader's helper `{fn.__name__}`")["value"]
