"""The worker: the only process that runs student code.

It imports one submission and answers requests from the trusted grader over two pipes:
call a function, read an attribute, run a trusted grader-side helper, iterate a handle
(the messages are :mod:`autograder.protocol`'s). Replies are plain data (see
:mod:`autograder.wire`); everything else stays here behind a handle. Nothing in this process
decides a score. ``python -m autograder.runtime.worker REQ_FD REP_FD`` starts a cold one; the
warm template (:mod:`autograder.runtime.zygote`) forks them.
"""

from __future__ import annotations

import builtins
import os
import sys
import traceback
import types
from typing import Any

from autograder import protocol, wire

MAX_MESSAGE = 2000  # characters of an exception message sent back
_OWN_FILES = {__file__, wire.__file__}  # frames of ours are noise to a student


def _safe_text(obj: Any, limit: int = MAX_MESSAGE) -> str:
    """str() that survives objects whose __str__ raises or returns something odd."""
    try:
        text = str(obj)
        if type(text) is not str:
            raise TypeError
    except BaseException:  # noqa: BLE001 - student objects may raise anything, even SystemExit
        text = f"<{type(obj).__name__} whose str() failed>"
    return text if len(text) <= limit else text[:limit] + " …"


def _error(exc: BaseException) -> dict:
    try:
        names = [k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins"]
        tb = traceback.extract_tb(exc.__traceback__)
        # only frames from student code are useful to a student; ours are noise
        frames = [f for f in tb if f.filename not in _OWN_FILES]
        lines = [f"line {f.lineno}, in {f.name}: {f.line or ''}".strip()[:300] for f in frames[-5:]]
        return protocol.error_info(_safe_text(type(exc).__name__, 200), _safe_text(exc), [str(n) for n in names],
                                   lines)
    except BaseException:  # noqa: BLE001 - an exception class built to break introspection
        return protocol.error_info(_safe_text(type(exc).__name__, 200), _safe_text(exc))


class MissingFunction(Exception):
    """The submission does not define a function the grader calls."""


class Worker:
    """State of one worker: the student module and the table of handles."""

    def __init__(self) -> None:
        self.module: types.ModuleType | None = None
        self.handles: dict[int, Any] = {}
        self.next_id = 1

    # ------------------------------------------------------------ handles

    def keep(self, obj: Any) -> wire.Ref:
        ref = wire.Ref(self.next_id, _safe_text(type(obj).__qualname__, 200))
        self.handles[ref.id] = obj
        self.next_id += 1
        return ref

    def resolve(self, ref: wire.Ref) -> Any:
        if ref.id not in self.handles:
            raise LookupError(f"no object with handle {ref.id}")
        return self.handles[ref.id]

    # ------------------------------------------------------------ ops

    def op_load(self, req: dict) -> dict:
        """Import the submission: a .py file whole, or notebook cells one by one."""
        name = req["module"]
        module = types.ModuleType(name)
        module.__file__ = os.path.abspath(req["path"])
        sys.modules[name] = module
        self.module = module
        warnings = []
        for index, (source, label) in enumerate(req["cells"]):
            try:
                code = compile(source, label, "exec")
                exec(code, module.__dict__)  # noqa: S102 - running student code is this process's job
            except BaseException as exc:  # noqa: BLE001
                if type(exc) in (KeyboardInterrupt,):
                    raise
                error = _error(exc)
                if isinstance(exc, SystemExit):
                    error["message"] = f"sys.exit({_safe_text(exc.code, 200)}) was called at import time"
                if len(req["cells"]) == 1:
                    return protocol.failure(error)
                warnings.append({"cell": index, "error": error})
        names = sorted(k for k, v in module.__dict__.items() if callable(v) and not k.startswith("_"))
        return protocol.ok({"names": names, "cell_errors": warnings})

    def target(self, req: dict) -> Any:
        target = req.get("target")
        if target is None:
            if self.module is None:
                raise RuntimeError("no submission loaded")
            return self.module
        return self.resolve(wire.Ref(target))

    def op_getattr(self, req: dict) -> dict:
        return protocol.ok(getattr(self.target(req), req["name"]))

    def op_call(self, req: dict) -> dict:
        fn = self.target(req)
        name = req.get("name")
        if name and fn is self.module and not callable(getattr(fn, name, None)):
            raise MissingFunction(f"your file has no function named `{name}` (check the spelling)")
        if name:
            fn = getattr(fn, name)
        args, kwargs = req["args"], req["kwargs"]
        result = fn(*args, **kwargs)
        return protocol.ok(result, args=args, kwargs=kwargs) if req.get("return_args") else protocol.ok(result)

    def op_trusted(self, req: dict) -> dict:
        """Run grader-shipped code in a namespace of its own (never the student's)."""
        namespace: dict[str, Any] = {"__name__": "tensorgrade_trusted"}
        exec(compile(req["source"], "<grader helper>", "exec"), namespace)  # noqa: S102
        return protocol.ok(namespace[req["name"]](*req["args"], **req["kwargs"]))

    def op_builtin(self, req: dict) -> dict:
        obj = self.target(req)
        name = req["name"]
        if name == "next":
            try:
                return protocol.ok(next(obj))
            except StopIteration:
                return protocol.ok(None, stop=True)
        fn = {"iter": iter, "len": len, "repr": repr, "bool": bool}[name]
        return protocol.ok(fn(obj))

    def op_ping(self, req: dict) -> dict:
        return protocol.ok(os.getpid())

    def handle(self, req: dict) -> dict:
        op = getattr(self, "op_" + str(req.get("op")), None) if req.get("op") in protocol.OPS else None
        if op is None:
            return protocol.failure(protocol.error_info("ProtocolError", f"unknown op {str(req.get('op'))[:100]!r}"))
        try:
            return op(req)
        except SystemExit as exc:
            return protocol.failure({**_error(exc), "message": f"sys.exit({_safe_text(exc.code)}) was called"})
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            return protocol.failure(_error(exc))

    def encode_reply(self, reply: dict, seq: Any = None) -> bytes:
        """The reply as one frame, tagged with the request's sequence number.

        One encoding pass for the value and the arguments, so storage shared between them survives.
        """
        reply["seq"] = seq
        try:
            return wire.dumps(reply, self.keep)
        except wire.TooLarge as exc:
            # said here, in words, rather than by the grader refusing a frame it never reads
            message = (f"the value is {exc.nbytes / 2**20:,.0f} MiB once serialised, more than the "
                       f"{wire.MAX_FRAME_BYTES // 2**20} MiB a reply may hold; a small view of a huge tensor carries "
                       "its whole storage, so return a .clone() of just what is asked for")
            error = protocol.error_info("ValueTooLarge", message)
        except BaseException as exc:  # noqa: BLE001 - e.g. a value nested too deep, or a __len__ that raises
            message = f"the value could not be sent back: {_safe_text(exc)}"
            error = {**_error(exc), "type": "UnsendableValue", "message": message}
        return wire.dumps({**protocol.failure(error), "seq": seq})


def serve(req_fd: int, rep_fd: int) -> None:
    """Answer requests until the grader closes the channel."""
    worker = Worker()
    owner = os.getpid()
    missing: list[int] = []

    def resolve(ref: wire.Ref) -> Any:
        # a handle the grader holds but this worker no longer has: answered with an error, after decoding
        if ref.id not in worker.handles:
            missing.append(ref.id)
        return worker.handles.get(ref.id)

    while True:
        missing.clear()
        try:
            request = wire.loads(wire.read_frame(req_fd), resolve)
        except (EOFError, OSError, wire.WireError):
            return
        if type(request) is not dict:
            return
        if missing:
            reply = protocol.failure(protocol.error_info("LookupError", f"no object with handle {missing[0]}",
                                                         ["LookupError", "Exception", "BaseException"]))
        else:
            reply = worker.handle(request)
        if os.getpid() != owner:
            # a child that student code forked and that returned here must not answer too
            os._exit(0)
        payload = worker.encode_reply(reply, request.get("seq"))
        _flush_output()  # what the call printed reaches the grader's tap before its reply does
        try:
            wire.write_frame(rep_fd, payload)
        except OSError:
            return


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - student code may have replaced or closed them
            pass


def _audit_sockets(event: str, args: tuple) -> None:
    if event == "socket.__new__" and len(args) > 1 and args[1] not in (-1, 1):  # 1 = AF_UNIX
        raise PermissionError("network access is not available while grading")


def harden() -> dict[str, bool]:
    """Defences the worker installs in itself before any student code runs (warm workers call it too)."""
    # student code must not be able to reach the grader through stdin
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    builtins.input = lambda *a: (_ for _ in ()).throw(EOFError("input() is not available while grading"))
    try:
        from autograder.runtime.seccomp import block_network

        filtered = block_network()
    except Exception:  # noqa: BLE001 - an odd libc: fall back to the audit hook below
        filtered = False
    if not filtered:
        # weaker (ctypes can go around it), but it stops socket, urllib, requests and friends
        sys.addaudithook(_audit_sockets)
    return {"seccomp": filtered, "audit_hook": not filtered}


def main(argv: list[str]) -> None:
    """Entry point: ``python -m autograder.runtime.worker REQ_FD REP_FD``."""
    req_fd, rep_fd = int(argv[0]), int(argv[1])
    try:
        harden()
        serve(req_fd, rep_fd)
    finally:
        # student code may have closed or replaced stdout: nothing here may stop the exit, and
        # os._exit skips atexit handlers that student code registered
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001, S110
                pass
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
