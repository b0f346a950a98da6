"""What student code did wrong, in words for the student: the kinds of fault, exceptions and exit signals described.

Standard library only, shared by the engine and the notebook harness (:mod:`release.harness_runtime`
embeds this file). A :class:`StudentFault` fails the current test with its message; anything else a
grader raises is a bug in the grader.
"""

from __future__ import annotations

import signal


class StudentFault(Exception):
    """Something the student's code did that fails the current test (message is for the student)."""


class StudentError(StudentFault):
    """Student code raised an exception."""

    def __init__(self, message: str, error: dict) -> None:
        super().__init__(message)
        self.error = error

    @property
    def type_name(self) -> str:
        kind = self.error.get("type") if type(self.error) is dict else None
        return kind[:200] if type(kind) is str else ""

    def is_a(self, builtin_name: str) -> bool:
        """True when the exception derives from the named *built-in* exception class.

        The list came from the worker: only its strings count (``protocol.checked_error`` has
        cleaned it already; this stays strict for errors built elsewhere, e.g. by the notebook harness).
        """
        names = self.error.get("builtins") if type(self.error) is dict else None
        return type(names) is list and any(type(n) is str and n == builtin_name for n in names[:32])


class StudentTimeout(StudentFault):
    """A call did not finish in time."""


class StudentCrash(StudentFault):
    """The worker died (segfault, os._exit, killed by a limit)."""


class BadReply(StudentFault):
    """The worker's reply was not plain data of an allowed form."""


def signal_words(returncode: int | None) -> str:
    """What happened to a worker that ended with ``returncode``, as the end of "the worker running your code ..."."""
    if returncode is None:
        return "stopped responding"
    if 128 < returncode < 160:
        returncode = 128 - returncode  # bubblewrap reports a child killed by signal N as exit status 128 + N
    if returncode < 0:
        sig = -returncode
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        meaning = {
            "SIGSEGV": "a segmentation fault (memory access error)",
            "SIGBUS": "a bus error (memory access error)",
            "SIGKILL": "being killed (by a signal your code sent, or for using too much memory)",
            "SIGXCPU": "using more CPU time than allowed",
            "SIGXFSZ": "writing a file larger than allowed",
            "SIGABRT": "an abort",
            "SIGFPE": "an arithmetic error",
            "SIGALRM": "an alarm signal (did your code call signal.alarm?)",
            "SIGTERM": "being terminated (did your code send a signal to itself?)",
        }.get(name, f"signal {name}")
        return f"died from {meaning}"
    return (f"exited with status {returncode} (did your code call sys.exit or os._exit, or close or write to "
            "file descriptors it did not open?)")


def describe_error(error: dict, what: str) -> str:
    """A student-readable sentence for an exception raised in the worker."""
    # each field exact-typed and cut before any text is built from it: a message of nested shared
    # lists would make str() build gigabytes, a 16 M character one a huge feedback
    error = error if type(error) is dict else {}
    kind, message, where = error.get("type"), error.get("message"), error.get("where")
    kind = kind[:200] if type(kind) is str and kind else "an error"
    message = message[:2000] if type(message) is str else ""
    last = where[-1] if type(where) is list and where else None
    text = f"{what} raised {kind}: {message}" if message else f"{what} raised {kind}"
    if kind == "NotImplementedError":
        text = f"{what} is not implemented yet (it raised NotImplementedError)"
    if type(last) is str:
        text += f" (at {last[:300]})"
    if kind == "ModuleNotFoundError":
        text += ("; only the packages installed for grading are available (torch, numpy, ...): remove that import "
                 "or use what the instructions allow")
    elif kind == "TypeError" and "argument" in message:
        text += "; check your function's parameters against the instructions"
    # lone surrogates (from bytes decoded with surrogateescape) would break the JSON report and the terminal
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
