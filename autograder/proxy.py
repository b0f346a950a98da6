"""The graders' view of the student: :class:`StudentProxy`, handles to student objects, the result of a call.

Graders see a :class:`StudentProxy` (the ``student`` fixture): ``student.row_view(x, 1)`` runs
``row_view`` in the worker and returns plain data, decoded by :func:`autograder.wire.loads`.
Objects that cannot be data stay in the worker; the grader holds a :class:`RemoteObject` for
each. A crash, a timeout or an exception in student code arrives as a
:class:`~autograder.faults.StudentFault` with a message written for the student (re-exported
here: graders catch them from this module). The channel itself is
:class:`autograder.grading.session.Session`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograder import protocol, wire
from autograder.faults import (  # noqa: F401 - re-exported: what a call into student code raises
    BadReply,
    StudentCrash,
    StudentError,
    StudentFault,
    StudentTimeout,
)


@dataclass
class Call:
    """The result of one call, with the arguments as they were after it (for in-place checks)."""

    result: Any
    args: tuple
    kwargs: dict
    output: str


class RemoteObject:
    """A student object that cannot be data (a model, a loader): calls go to the worker."""

    def __init__(self, session: Any, ref: wire.Ref, generation: int) -> None:
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
        return self._session.request(protocol.get_attribute(self._ref.id, name),
                                     f"`{self.type_name}.{name}`")["value"]

    def _builtin(self, name: str) -> dict:
        self._check_alive()
        return self._session.request(protocol.builtin(self._ref.id, name), f"`{name}()` of your `{self.type_name}`")

    def __len__(self) -> int:
        value = protocol.length(self._builtin("len"))
        if value is None:  # a forged 2**2000 would make range(len(x)) in a grader run forever
            raise BadReply(f"`len()` of your `{self.type_name}` did not return a length (an int from 0 to 2**63-1)")
        return value

    def __iter__(self) -> RemoteObject:
        value = self._builtin("iter")["value"]
        if not isinstance(value, RemoteObject):
            raise BadReply("iter() did not return an iterator")
        return value

    def __next__(self) -> Any:
        reply = self._builtin("next")
        stop = protocol.stopped(reply)
        if stop is None:
            raise BadReply(f"`next()` of your `{self.type_name}`: the worker's reply was not in the grader's format")
        if stop:
            raise StopIteration
        return reply["value"]

    def __repr__(self) -> str:
        return f"<student {self.type_name} (handle {self._ref.id})>"


class StudentProxy:
    """What graders get as the ``student`` fixture: attribute access calls into the worker."""

    def __init__(self, session: Any) -> None:
        self._session = session  # an autograder.grading.session.Session

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
    def session(self) -> Any:
        return self._session
