"""The trusted side of the channel: start the worker, send requests, check replies.

Graders see a :class:`StudentProxy`: ``student.row_view(x, 1)`` runs ``row_view`` in the
worker and returns plain data, checked by :func:`autograder.wire.loads`. A crash, a
timeout or an exception in student code arrives as a :class:`StudentFault` with a message
written for the student; the worker is then started afresh for the next test.
"""

from __future__ import annotations

import inspect
import os
import select
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograder import wire
from autograder.faults import BadReply, StudentCrash, StudentError, StudentFault, StudentTimeout, describe_error, signal_words  # noqa: F401
from autograder.sandbox import Limits, WorkerProcess
from autograder.submission import Submission
from autograder.warm import start_worker  # warm when it can be, cold otherwise


class OutputTap:
    """Drains the worker's stdout/stderr in a thread, keeping at most ``cap`` bytes per take.

    The rest is counted, not stored, so a 1 GB print costs the grader no memory; past
    ``flood`` bytes in one take ``on_flood`` is called (the session kills the worker), so an
    endless print loop costs one test rather than a call timeout of grader CPU.

    No waiting: the worker flushes what a call printed before it writes the reply, so when
    the reply is in, the output is in the pipe or already stored. Reads happen only under the
    lock (the thread waits for data without it), so :meth:`take` drains what is left in the
    pipe itself and never misses a chunk the thread holds but has not stored.
    """

    def __init__(self, stream: Any, cap: int, flood: int | None = None,
                 on_flood: Callable[[], None] | None = None) -> None:
        self.cap, self.kept, self.dropped = cap, bytearray(), 0
        self.flood, self.on_flood, self.flooded = flood, on_flood, False
        self.lock = threading.Lock()
        self.stream = stream  # holds the descriptor open as long as the tap lives
        self.fd = stream.fileno()
        self.eof = False
        os.set_blocking(self.fd, False)
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _read_available(self) -> bool:
        """Store what the pipe holds now (caller holds the lock); True when the flood limit was just crossed."""
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                break
            room = max(self.cap - len(self.kept), 0)
            self.kept += chunk[:room]
            self.dropped += len(chunk) - min(room, len(chunk))
            if self.flood is not None and not self.flooded and len(self.kept) + self.dropped > self.flood:
                self.flooded = True
                return True
        return False

    def _drain(self) -> None:
        while not self.eof:
            try:
                select.select([self.fd], [], [])
            except (OSError, ValueError):
                return
            with self.lock:
                flooded = self._read_available()
            if flooded and self.on_flood is not None:
                self.on_flood()

    def take(self) -> str:
        """What the student printed since the last take, decoded leniently (never parsed)."""
        with self.lock:
            flooded = self._read_available()
            text = bytes(self.kept).decode("utf-8", errors="replace")
            if self.dropped:
                text += f"\n… {self.dropped:,} more bytes of output were discarded"
            self.kept, self.dropped = bytearray(), 0
        if flooded and self.on_flood is not None:
            self.on_flood()
        return text


@dataclass
class Call:
    """The result of one call, with the arguments as they were after it (for in-place checks)."""

    result: Any
    args: tuple
    kwargs: dict
    output: str


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
            reply = self._exchange({"op": "load", "module": self.submission.module,
                                    "path": self.submission.filename, "cells": self.submission.cells},
                                   timeout=max(self.limits.call_timeout, self.limits.load_timeout))
            if not reply["ok"]:
                error = reply.get("error") if type(reply.get("error")) is dict else {}
                self.load_error = describe_error(error, what)
                return
            value = reply["value"]
            names, cell_errors = value["names"], value["cell_errors"]
            if type(names) is not list or type(cell_errors) is not list:
                raise TypeError
        except StudentFault as fault:
            # it would happen again at every restart: say so once and stop trying
            self.load_error, self.load_crashed = f"{what} {fault}", True
            return
        except (wire.WireError, KeyError, TypeError):
            self._kill()
            self.load_error, self.load_crashed = f"{what} sent back something the grader cannot accept", True
            return
        self.names = [n for n in names if type(n) is str]
        self.cell_errors = [e for e in cell_errors if type(e) is dict and type(e.get("error")) is dict]

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
            code = self._kill()
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
        if type(reply) is not dict or type(reply.get("ok")) is not bool:
            self._kill()
            raise BadReply("the worker's reply was not in the grader's format")
        if reply.get("seq") != self.seq:
            # something wrote to the grader's channel besides the worker's own loop
            self._kill()
            raise BadReply("a reply arrived that does not answer the grader's request (did your code write to a "
                           "file descriptor it did not open?)")
        return reply

    def _kill(self) -> int | None:
        proc, self.process = self.process, None
        self.generation += 1  # every handle into the dead worker is void from now on
        if proc is None:
            return None
        try:
            code = proc.popen.wait(timeout=0.2)
        except Exception:  # noqa: BLE001 - still running: kill it
            code = None
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
            error = reply.get("error") if type(reply.get("error")) is dict else {}
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
        request = {"op": "call", "target": target, "name": name, "args": tuple(args), "kwargs": dict(kwargs),
                   "return_args": return_args}
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
        request = {"op": "trusted", "source": source, "name": fn.__name__, "args": args, "kwargs": kwargs}
        return self.request(request, f"the grader's helper `{fn.__name__}`")["value"]


class RemoteObject:
    """A student object that cannot be data (a model, a loader): calls go to the worker."""

    def __init__(self, session: Session, ref: wire.Ref, generation: int) -> None:
        self._session, self._ref, self._generation = session, ref, generation

    @property
    def type_name(self) -> str:
        return self._ref.type_name

    def _check_alive(self) -> None:
        if self._generation != self._session.generation:
            raise StudentCrash("this object was lost when the worker restarted")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_method(None, *args, **kwargs)

    def call_method(self, name: str | None, *args: Any, **kwargs: Any) -> Any:
        self._check_alive()
        label = f"`{self.type_name}.{name}`" if name else f"calling your `{self.type_name}`"
        return self._session.call(name, args, kwargs, target=self._ref.id, label=label).result

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._check_alive()
        request = {"op": "getattr", "target": self._ref.id, "name": name}
        return self._session.request(request, f"`{self.type_name}.{name}`")["value"]

    def _builtin(self, name: str) -> dict:
        self._check_alive()
        return self._session.request({"op": "builtin", "target": self._ref.id, "name": name},
                                     f"`{name}()` of your `{self.type_name}`")

    def __len__(self) -> int:
        value = self._builtin("len")["value"]
        if type(value) is not int:
            raise BadReply("len() did not return an int")
        return value

    def __iter__(self) -> RemoteObject:
        value = self._builtin("iter")["value"]
        if not isinstance(value, RemoteObject):
            raise BadReply("iter() did not return an iterator")
        return value

    def __next__(self) -> Any:
        reply = self._builtin("next")
        if reply.get("stop") is True:
            raise StopIteration
        return reply["value"]

    def __repr__(self) -> str:
        return f"<student {self.type_name} (handle {self._ref.id})>"


class StudentProxy:
    """What graders get as the ``student`` fixture: attribute access calls into the worker."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def remote(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs).result

        remote.__name__ = name
        return remote

    def call(self, name: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Call:
        """Call ``name`` and get back the result *and* the arguments as they were after the call."""
        return self._session.call(name, args, kwargs, return_args=True, timeout=timeout)

    def has(self, name: str) -> bool:
        """Whether the submission defines a callable ``name`` (after it imported cleanly)."""
        self._session.ensure_started()
        return name in self._session.names

    def trusted(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return self._session.trusted(fn, *args, **kwargs)

    def timed(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
        """Call and return (result, seconds measured by the grader's clock)."""
        start = time.perf_counter()
        result = getattr(self, name)(*args, **kwargs)
        return result, time.perf_counter() - start

    @property
    def session(self) -> Session:
        return self._session
