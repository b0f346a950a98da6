"""One submission's session: its worker, started on demand and restarted after a fault, and the exchange with it.

Each request is one :mod:`autograder.protocol` message in one :mod:`autograder.wire` frame, with a
deadline for writing it, for the reply to begin and for the reply to end. Whatever the worker
sends back is hostile input: a reply that is not a frame of the codec, does not answer the
request in flight or is not in the protocol's shape kills the worker and fails only the current
test, as a :class:`~autograder.faults.StudentFault` whose message is for the student.
"""

from __future__ import annotations

import inspect
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

    # ------------------------------------------------------------ lifecycle

    def ensure_started(self) -> None:
        if self.process is not None and self.process.popen.poll() is None:
            return
        if self.load_error and (self.process is not None or self.load_crashed):
            return
        if self.process is not None:
            self.restarts += 1
            self.process.kill()
        self.generation += 1
        if self.submission.problem:
            self.load_error = self.submission.problem
            return
        process = self.process = start_worker(self.submission.filename, self.submission.raw, self.limits)
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
            self.process.kill()
            self.process = None

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
        deadline = time.monotonic() + timeout
        too_slow = StudentTimeout(f"did not finish within {timeout:g} s (an infinite loop, a sleep, or far too "
                                  "slow) and was stopped")
        frame = self.encode(request)
        try:
            wire.write_frame(proc.req_fd, frame, deadline)
            ready, _, _ = select.select([proc.rep_fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                self._kill()
                raise too_slow
            payload = wire.read_frame(proc.rep_fd, deadline=deadline)
        except TimeoutError:
            self._kill()
            raise too_slow from None
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            flooded = self.tap is not None and self.tap.flooded
            code = self._kill(exit_code=True)
            if flooded:
                raise StudentCrash(f"printed more than {self.limits.max_output_bytes // 2**20} MiB of output and was "
                                   "stopped (remove prints inside loops)") from None
            raise StudentCrash(f"crashed: the worker running your code {signal_words(code)}") from None
        except wire.WireError as exc:
            self._kill()
            raise BadReply(f"sent back something the grader cannot accept: {exc}") from None
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
        return code

    def request(self, request: dict, what: str, timeout: float | None = None) -> dict:
        """Send a request about student code; raise StudentFault for anything but a clean reply."""
        self.ensure_started()
        if self.load_error:
            raise StudentError(self.load_error, {"type": "ImportError", "builtins": []})
        try:
            reply = self._exchange(request, timeout or self.limits.call_timeout)
        except StudentFault as fault:
            raise type(fault)(f"{what} {fault}") from None
        if not reply["ok"]:
            error = protocol.error_of(reply)
            raise StudentError(describe_error(error, what), error)
        if "value" not in reply:
            self._kill()
            raise BadReply(f"{what}: the worker's reply was not in the grader's format")
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
        if key in self.timed_out:
            raise StudentTimeout(f"{label} was not run again: it timed out earlier in this test")
        self.ensure_started()
        request = protocol.call(name, tuple(args), dict(kwargs), target=target, return_args=return_args)
        try:
            reply = self.request(request, label, timeout)
        except StudentTimeout:
            self.timed_out.add(key)
            raise
        args_after, kwargs_after = reply.get("args", ()), reply.get("kwargs", {})
        if return_args and (type(args_after) is not tuple or len(args_after) != len(args)
                            or type(kwargs_after) is not dict or set(kwargs_after) != set(kwargs)):
            self._kill()
            raise BadReply(f"{label}: the worker's reply was not in the grader's format")
        return Call(reply["value"], args_after, kwargs_after, self.output())

    def trusted(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Run grader-side ``fn`` (source shipped by text) in the worker; returns its result or a handle."""
        self.ensure_started()
        source = textwrap.dedent(inspect.getsource(fn))
        request = protocol.trusted(source, fn.__name__, args, kwargs)
        return self.request(request, f"the grader's helper `{fn.__name__}`")["value"]
