"""Every message between the grader, the warm template and the worker, in one place.

Two channels, two encodings:

* **grader ⇄ worker**: frames of :mod:`autograder.wire` over two pipes. The grader sends one
  request at a time, numbered by ``seq``; the worker answers each with one reply carrying the same
  ``seq``. Requests are built by the functions below (``load``, ``call``, ...); replies by
  :func:`ok` and :func:`failure`, and checked by :func:`reply_problem` on the trusted side.
* **grader ⇄ template**: small JSON objects over a SOCK_SEQPACKET socket (the template is as
  trusted as the grader: it has run no student code), descriptors passed alongside a ``spawn``.

Standard library only: the worker and the template import it inside the sandbox.
"""

from __future__ import annotations

import json
from typing import Any

# ---------------------------------------------------------------- grader -> worker

OPS = ("load", "call", "getattr", "trusted", "builtin", "ping")
BUILTINS = ("iter", "next", "len", "repr", "bool")  # what ``builtin`` may apply to a handle


def load(module: str, path: str, cells: list) -> dict:
    """Import the submission as ``module``: a .py file is one cell, a notebook its code cells in order."""
    return {"op": "load", "module": module, "path": path, "cells": cells}


def call(name: str | None, args: tuple, kwargs: dict, *, target: int | None = None,
         return_args: bool = False) -> dict:
    """Call ``name`` of the submission (or of handle ``target``; ``name`` None calls the handle itself)."""
    return {"op": "call", "target": target, "name": name, "args": args, "kwargs": kwargs,
            "return_args": return_args}


def get_attribute(target: int, name: str) -> dict:
    return {"op": "getattr", "target": target, "name": name}


def trusted(source: str, name: str, args: tuple, kwargs: dict) -> dict:
    """Run a grader-side helper, shipped as source text, in a namespace of its own in the worker."""
    return {"op": "trusted", "source": source, "name": name, "args": args, "kwargs": kwargs}


def builtin(target: int, name: str) -> dict:
    """Apply one of :data:`BUILTINS` to handle ``target``."""
    return {"op": "builtin", "target": target, "name": name}


def ping() -> dict:
    return {"op": "ping"}


# ---------------------------------------------------------------- worker -> grader

ERROR_KEYS = ("type", "builtins", "message", "where")


def ok(value: Any, **extra: Any) -> dict:
    """A successful reply: ``value``, and for calls with ``return_args`` the arguments after the call."""
    return {"ok": True, "value": value, **extra}


def failure(error: dict) -> dict:
    return {"ok": False, "error": error}


def error_info(type_name: str, message: str, builtins: list[str] | None = None,
               where: list[str] | None = None) -> dict:
    """An exception raised in the worker, as plain data: its class name, the built-in classes it derives from,
    its message and the last frames of student code."""
    return {"type": type_name, "builtins": list(builtins or []), "message": message, "where": list(where or [])}


# What the trusted side keeps of a reply's fields: every one exact-typed and cut *before* anything is
# built from it (a message of nested shared lists, or of 16 M characters, never reaches str() or a sentence).
MAX_ERROR_TYPE = 200  # characters of an exception's class name
MAX_ERROR_MESSAGE = 2000  # characters of its message
MAX_BUILTINS = 32  # built-in classes it derives from (a real MRO has a handful)
MAX_BUILTIN_NAME = 100
MAX_WHERE = 5  # frames of student code
MAX_WHERE_LINE = 300
MAX_NAMES = 10_000  # names a loaded submission defines
MAX_NAME = 200
MAX_CELLS = 100_000  # a notebook's cells
MAX_LEN = 2**63 - 1  # what len() of a real object can answer (sys.maxsize); a forged 2**2000 is refused


def _text(value: Any, limit: int) -> str | None:
    """``value`` when it is exactly a str, cut to ``limit`` characters (marked), else None."""
    if type(value) is not str:
        return None
    return value if len(value) <= limit else value[:limit] + " …"


def reply_problem(reply: Any, seq: int) -> str | None:
    """Why ``reply`` cannot be the answer to request ``seq`` (None when its shape is right)."""
    if type(reply) is not dict or type(reply.get("ok")) is not bool:
        return "the worker's reply was not in the grader's format"
    if type(reply.get("seq")) is not int or reply["seq"] != seq:
        # something wrote to the grader's channel besides the worker's own loop
        return ("a reply arrived that does not answer the grader's request (did your code write to a file "
                "descriptor it did not open?)")
    if reply["ok"] and "value" not in reply:
        return "the worker's reply was not in the grader's format"
    return None


def checked_error(error: Any) -> dict:
    """The error report of a failed call as the trusted side keeps it: :func:`error_info`'s four fields, exact-typed.

    A field of the wrong type reads as absent, text is cut to its bound and lists keep only their
    strings (at most a few), so nothing a worker sends makes grader code raise or build huge text.
    """
    if type(error) is not dict:
        error = {}
    builtins, where = error.get("builtins"), error.get("where")
    builtins = [b for b in builtins[:MAX_BUILTINS] if type(b) is str and len(b) <= MAX_BUILTIN_NAME] \
        if type(builtins) is list else []
    where = [_text(w, MAX_WHERE_LINE) for w in where[-MAX_WHERE:] if type(w) is str] if type(where) is list else []
    return {"type": _text(error.get("type"), MAX_ERROR_TYPE) or "an error",
            "builtins": builtins,
            "message": _text(error.get("message"), MAX_ERROR_MESSAGE) or "",
            "where": where}


def error_of(reply: dict) -> dict:
    """The error of a failed reply, checked (:func:`checked_error`): always the four fields, of their types."""
    return checked_error(reply.get("error"))


def args_after(reply: dict, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
    """The arguments as they were after a ``return_args`` call (None: not in that shape).

    As many positional arguments as were sent and the same keyword names, each of exactly the type
    it was sent as: a call can change an argument's contents, never what kind of object the grader
    handed over, so a tensor that comes back as an int is a forged report. The values themselves are
    then judged like return values.
    """
    after, kwargs_after = reply.get("args"), reply.get("kwargs")
    if type(after) is not tuple or len(after) != len(args) or type(kwargs_after) is not dict \
            or set(kwargs_after) != set(kwargs):
        return None
    if any(type(a) is not type(b) for a, b in zip(after, args)) \
            or any(type(kwargs_after[k]) is not type(v) for k, v in kwargs.items()):
        return None
    return after, kwargs_after


def length(reply: dict) -> int | None:
    """The answer of ``builtin len``: an exact int that a real ``len()`` could return (None otherwise)."""
    value = reply.get("value")
    return value if type(value) is int and 0 <= value <= MAX_LEN else None


def stopped(reply: dict) -> bool | None:
    """Whether a ``builtin next`` reply says the iterator is exhausted (None: a ``stop`` field that is not a bool)."""
    stop = reply.get("stop", False)
    return stop if type(stop) is bool else None


def loaded(value: Any) -> tuple[list[str], list[dict]] | None:
    """The names and cell errors of a ``load`` reply's value, keeping only well-formed entries (None: malformed).

    Names are identifiers of at most MAX_NAME characters; each cell error is ``{"cell": index,
    "error": checked_error(...)}``.
    """
    if type(value) is not dict or type(value.get("names")) is not list or type(value.get("cell_errors")) is not list:
        return None
    names = [n for n in value["names"][:MAX_NAMES] if type(n) is str and len(n) <= MAX_NAME and n.isidentifier()]
    cells = [{"cell": e["cell"], "error": checked_error(e["error"])} for e in value["cell_errors"][:MAX_CELLS]
             if type(e) is dict and type(e.get("error")) is dict and type(e.get("cell")) is int
             and 0 <= e["cell"] < MAX_CELLS]
    return names, cells


# ---------------------------------------------------------------- grader <-> template

MAX_CONTROL = 64 * 1024  # bytes of one control message
# descriptors that travel with a spawn request, in this order
SPAWN_FDS = ("request pipe (read end)", "reply pipe (write end)", "output pipe (write end)", "credentials socket",
             "submission (memfd)")


def spawn(child_id: int, name: str, limits: dict) -> dict:
    """Ask the template for a worker holding the submission (passed as a memfd) as ``name``, under ``limits``."""
    return {"op": "spawn", "id": child_id, "name": name, "limits": limits}


def ready(pid: int, preloaded: list[str], extra_address_space: int, cuda_initialized: bool) -> dict:
    return {"ready": True, "pid": pid, "preloaded": preloaded, "extra_address_space": extra_address_space,
            "cuda_initialized": cuda_initialized}


def not_ready(error: str) -> dict:
    return {"ready": False, "error": error}


def spawned(child_id: int, pid: int) -> dict:
    return {"id": child_id, "spawned": pid}


def refused(child_id: Any, reason: str) -> dict:
    return {"id": child_id, "error": reason}


def exited(child_id: int, exit_code: int, clean: bool) -> dict:
    """A child's exit, sent once the lane has been swept (``clean``: nothing it left survived the sweep)."""
    return {"id": child_id, "exit": exit_code, "clean": clean}


def encode_control(message: dict) -> bytes:
    return json.dumps(message).encode()


def decode_control(data: bytes) -> dict:
    """A control message; anything that is not a JSON object reads as an empty one."""
    try:
        message = json.loads(data)
    except ValueError:
        return {}
    return message if type(message) is dict else {}
