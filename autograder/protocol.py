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


def reply_problem(reply: Any, seq: int) -> str | None:
    """Why ``reply`` cannot be the answer to request ``seq`` (None when its shape is right)."""
    if type(reply) is not dict or type(reply.get("ok")) is not bool:
        return "the worker's reply was not in the grader's format"
    if reply.get("seq") != seq:
        # something wrote to the grader's channel besides the worker's own loop
        return ("a reply arrived that does not answer the grader's request (did your code write to a file "
                "descriptor it did not open?)")
    return None


def error_of(reply: dict) -> dict:
    """The error of a failed reply, as a dict (empty when the worker sent something else)."""
    error = reply.get("error")
    return error if type(error) is dict else {}


def loaded(value: Any) -> tuple[list[str], list[dict]] | None:
    """The names and cell errors of a ``load`` reply's value, keeping only well-formed entries (None: malformed)."""
    if type(value) is not dict or type(value.get("names")) is not list or type(value.get("cell_errors")) is not list:
        return None
    names = [n for n in value["names"] if type(n) is str]
    cells = [e for e in value["cell_errors"] if type(e) is dict and type(e.get("error")) is dict
             and type(e.get("cell")) is int]
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
