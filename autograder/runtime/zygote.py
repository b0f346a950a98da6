"""The warm template: a clean process that has imported torch and the worker runtime, and forks workers.

It is started by :mod:`autograder.sandbox.warm` exactly like a cold worker (same bubblewrap
allow-list, no network, the worker's own uid, rlimits, scrubbed environment; see
:func:`autograder.sandbox.launch.confine`), but runs ``python -m autograder.runtime.zygote CTL_FD
MODE`` instead of the worker; its control messages are :mod:`autograder.protocol`'s. It never runs student
code, never holds grader state, never runs a torch op (a child forked after a multithreaded op
can hang) and never touches CUDA. It forks the next child ahead of time (a *spare*, which calls
``os.setsid()``, closes every inherited descriptor and reseeds its random generators); a
``spawn`` request on the control socket hands the spare its pipes and submission, and the child
sets the request's rlimits, makes its own directory holding only the submission, sets the worker
environment and torch's threads and runs :func:`autograder.runtime.worker.main`, hardening included.

Isolation between students: a template serves **one child at a time** and is owned by one
grading lane (one grader process). Children of a template share its uid and namespaces, so
before the next child is forked the template sweeps the lane: it SIGKILLs every other process
it can reach (``kill(-1)``: inside its own PID namespace under bubblewrap, or every process of
the lane's own uid), reaps them, and deletes everything the child could write (its directory,
/tmp, /dev/shm, SysV IPC objects). The template is not dumpable, so a child (same uid, no
capabilities) can neither ptrace it nor read its memory. Under bubblewrap it is the namespace's
init (``--as-pid-1``), which the kernel protects from its children's signals; elsewhere a child
that kills or stops it costs the lane a new template and no other student anything. A child's address-space limit is a
cold worker's plus what the template imported beyond a cold worker, so a student may allocate
exactly as much as in a cold worker (those pages are shared with the template besides).
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import select
import shutil
import signal
import socket
import sys
import threading
import time

from autograder import protocol
from autograder.limits import Limits, apply_rlimits, worker_env

MODES = ("ns", "uid", "group")  # what a sweep may kill: the PID namespace, the lane's uid, the child's group
# what a cold worker imports
COLD_IMPORTS = ("torch", "numpy", "autograder.wire", "autograder.runtime.worker", "autograder.runtime.seccomp")
# more than a cold worker loads: what torch imports lazily on first use of meta tensors, optimizers,
# torch.func (1-2 s each time)
EXTRA_IMPORTS = ("torch._dynamo", "torch._refs", "torch._decomp", "torch.func", "numpy.random",
                 "torch.utils.serialization")
OPTIONAL = ("torchvision",)
EXTRA_ADDRESS_SPACE = [0]  # bytes of address space the extra imports take: added to a child's RLIMIT_AS
COLD_ADDRESS_SPACE = [0]
_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_IPC_RMID = 0


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _send(ctl: socket.socket, message: dict) -> None:
    try:
        ctl.send(protocol.encode_control(message))
    except OSError:
        pass  # the grader is gone; the loop sees EOF next


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def preload() -> list[str]:
    """Import what a cold worker imports (never run anything); returns the modules that were loaded."""
    import importlib

    for name in COLD_IMPORTS:
        importlib.import_module(name)
    COLD_ADDRESS_SPACE[0] = _address_space()
    return list(COLD_IMPORTS)


def preload_extras() -> None:
    """Import what torch would import lazily in every child; in a thread of its own, at the lowest priority.

    It runs while the first child (forked before it started) serves, and is joined before the next
    fork, so no child is ever forked while it imports. The first child imports what it needs itself,
    as a cold worker would; a single-file grade thus waits for torch alone, not for these.
    """
    import importlib

    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # the grader and the child come first
    except OSError:
        pass
    for name in EXTRA_IMPORTS + OPTIONAL:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a child imports it itself if it needs it (and fails the way a cold worker would)
    # a child's memory budget is a cold worker's: what we loaded beyond one does not count against it
    EXTRA_ADDRESS_SPACE[0] = max(0, _address_space() - COLD_ADDRESS_SPACE[0])


# ---------------------------------------------------------------- the child


def _close_all_but(keep: set[int]) -> None:
    """Close every descriptor inherited from the template except ``keep``."""
    try:
        open_fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _spare(inbox: socket.socket, ctl: socket.socket) -> dict | None:
    """In a forked child before it has a student: do what does not depend on one, then wait for one."""
    os.setsid()  # its own session and process group: a timeout kills it with everything it starts
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh interpreter (the template ignores it)
    ctl.detach()  # closed below with the rest; detached so its finaliser cannot close a reused number
    _close_all_but({0, 1, 2, inbox.fileno()})
    import random

    import numpy

    random.seed()  # a fresh interpreter seeds from the OS; forked children would all share one sequence
    numpy.random.seed()
    try:
        data, fds, _, _ = socket.recv_fds(inbox, protocol.MAX_CONTROL, 8)
    except OSError:
        return None
    inbox.close()
    if not data or len(fds) != len(protocol.SPAWN_FDS):
        return None  # the template ended, or it is not a request
    return {"request": protocol.decode_control(data), "fds": fds}


def _become_worker(request: dict, fds: list[int], lane: str) -> None:
    """In the child, once given its student: become exactly what a cold worker is at its start, then serve."""
    req_fd, rep_fd, out_fd, cred_fd, source_fd = fds
    limits = Limits(**request["limits"])
    rlimits = limits
    if limits.memory_bytes:
        rlimits = dataclasses.replace(limits, memory_bytes=limits.memory_bytes + EXTRA_ADDRESS_SPACE[0])
    apply_rlimits(rlimits)  # the template's own limits are wider; a child can always lower its own
    _libc().prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # as a freshly exec'd worker (the template is not)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    workdir = os.path.join(lane, f"w{int(request['id'])}")
    os.mkdir(workdir, 0o700)
    with os.fdopen(source_fd, "rb") as source, open(os.path.join(workdir, request["name"]), "wb") as target:
        source.seek(0)
        shutil.copyfileobj(source, target)
    os.chdir(workdir)
    # the kernel stamps this message with the child's pid as the grader sees it (SCM_CREDENTIALS)
    cred = socket.socket(fileno=cred_fd)
    cred.send(b"r")
    cred.close()
    _close_all_but({0, 1, 2, req_fd, rep_fd})
    env = worker_env(limits, workdir)
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", env["PYTHONPATH"])  # where the runtime is, in or out of bwrap
    if "PWD" in os.environ:
        env["PWD"] = workdir  # bwrap --chdir sets it for a cold worker
    os.environ.clear()
    os.environ.update(env)
    import tempfile

    tempfile.tempdir = None
    sys.path[0] = workdir  # `python -m` puts the worker's directory first
    sys.argv = [sys.modules["autograder.runtime.worker"].__file__, str(req_fd), str(rep_fd)]
    import torch

    torch.set_num_threads(limits.threads)  # required after fork: the template never ran an op
    from autograder.runtime import worker

    worker.main([str(req_fd), str(rep_fd)])  # never returns: os._exit


def _fork_spare(ctl: socket.socket, lane: str) -> dict:
    """Fork the next worker ahead of its request, so the fork (tens of ms for a process this size) is not waited for."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            given = _spare(theirs, ctl)
            if given is not None:
                _become_worker(given["request"], given["fds"], lane)
        finally:
            os._exit(70)
    theirs.close()
    return {"pid": pid, "pidfd": os.pidfd_open(pid), "inbox": mine}


# ---------------------------------------------------------------- the sweep between children


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_everything_else(mode: str, pgid: int) -> bool:
    """SIGKILL every process the last child left; True when none is left."""
    for _ in range(200):
        try:
            if mode == "group":
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(-1, signal.SIGKILL)  # all we may signal but ourselves (and the namespace's init)
        except ProcessLookupError:
            _reap()
            return True
        except PermissionError:
            return mode == "group"
        _reap()
        time.sleep(0.002)
    return False


SWEPT = ("/tmp", "/dev/shm")  # besides the lane: where a child may write
_BEFORE: dict[str, set[str]] = {}  # what those held before the first child (e.g. the sandbox's own mount points)


def _names(path: str) -> set[str]:
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


def remember_before(lane: str) -> None:
    """Note what the swept places hold before any child runs: only what a child adds must be gone after it."""
    for path in (lane, *SWEPT):
        _BEFORE[path] = _names(path)


def _clear_dir(path: str, owner: int | None) -> bool:
    """Delete what is in ``path`` (only entries owned by ``owner`` when given); False when something a child
    added stayed (mount points and what was there before the first child do not count)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return True
    for entry in entries:
        try:
            if owner is not None and entry.stat(follow_symlinks=False).st_uid != owner:
                continue
            if entry.is_dir(follow_symlinks=False):
                # a child may have made its own directories unreadable to itself: give them back first,
                # from the top (a walk cannot list a directory it may not read)
                os.chmod(entry.path, 0o700)
                for root, dirs, _ in os.walk(entry.path):
                    for name in dirs:
                        os.chmod(os.path.join(root, name), 0o700, follow_symlinks=False)
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        left = [e for e in os.scandir(path) if e.name not in _BEFORE.get(path, set())
                and (owner is None or e.stat(follow_symlinks=False).st_uid == owner)]
    except OSError:
        return False
    return not left


def _remove_ipc(owner: int | None) -> None:
    """Remove SysV shared memory, semaphores and message queues a child left (they outlive processes)."""
    libc = _libc()
    for kind, remove in (("shm", lambda i: libc.shmctl(i, _IPC_RMID, None)),
                         ("sem", lambda i: libc.semctl(i, 0, _IPC_RMID)),
                         ("msg", lambda i: libc.msgctl(i, _IPC_RMID, None))):
        try:
            lines = open(f"/proc/sysvipc/{kind}").read().splitlines()
        except OSError:
            continue
        header = lines[0].split() if lines else []
        if "uid" not in header:
            continue
        for line in lines[1:]:
            cols = line.split()
            if owner is None or int(cols[header.index("uid")]) == owner:
                remove(int(cols[1]))


def sweep(mode: str, lane: str, pgid: int) -> bool:
    """Leave the lane as the template found it; False when something could not be removed."""
    clean = _kill_everything_else(mode, pgid)
    if mode == "ns":
        # own mount and IPC namespaces: every writable place belongs to this lane
        for path in (lane, *SWEPT):
            clean = _clear_dir(path, None) and clean
        _remove_ipc(None)
    elif mode == "uid":
        for path in (lane, *SWEPT):
            clean = _clear_dir(path, os.getuid()) and clean
        _remove_ipc(os.getuid())
    else:
        clean = _clear_dir(lane, None) and clean
    # everything else a child could change (environment, cwd, umask, signal dispositions, rlimits,
    # sys.modules, torch's globals) was its own process's and ended with it: the next child is forked
    # afresh from the template, which never ran student code; keyrings and POSIX message queues,
    # which would outlive it, are refused by the worker's seccomp filter
    return clean


# ---------------------------------------------------------------- the template's loop


def serve(ctl: socket.socket, mode: str, lane: str, spare: dict | None = None,
          extras: threading.Thread | None = None) -> None:
    """Hand one spawn request at a time to a pre-forked child; report each child's exit after the sweep.

    At most one child is alive: the spare is forked only once the previous child is gone and swept,
    and it becomes the next child, so it never shares the lane with another student's worker.
    ``extras`` (the thread importing :data:`EXTRA_IMPORTS`) is joined before any fork.
    """
    child: dict | None = None

    def fork() -> dict:
        if extras is not None:
            extras.join()  # never fork while another thread imports: the child would inherit held locks
        return _fork_spare(ctl, lane)

    while True:
        if child is None and spare is None:
            spare = fork()
        watched = [c["pidfd"] for c in (child, spare) if c is not None]
        ready, _, _ = select.select([ctl, *watched], [], [])
        if spare is not None and spare["pidfd"] in ready:  # it should not die unasked; reap and replace it
            os.waitpid(spare["pid"], 0)
            os.close(spare["pidfd"])
            spare["inbox"].close()
            spare = None
        if child is not None and child["pidfd"] in ready:
            _, status = os.waitpid(child["pid"], 0)
            os.close(child["pidfd"])
            if extras is not None:
                extras.join()  # what its imports write (torch's caches in the lane) must not appear after the sweep
            clean = sweep(mode, lane, child["pid"])
            _send(ctl, protocol.exited(child["id"], os.waitstatus_to_exitcode(status), clean))
            child = None
            if not clean:
                return  # something survived the sweep: no other student may be forked next to it
        if ctl not in ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(ctl, protocol.MAX_CONTROL, 8)
        except OSError:
            return
        if not data:
            return  # the grader is gone
        request = protocol.decode_control(data)
        if request.get("op") != "spawn" or child is not None or len(fds) != len(protocol.SPAWN_FDS):
            for fd in fds:
                os.close(fd)
            reason = "busy with another child" if child is not None else "malformed request"
            _send(ctl, protocol.refused(request.get("id"), reason))
            continue
        if spare is None:
            spare = fork()
        try:
            socket.send_fds(spare["inbox"], [data], fds)
            handed = True
        except OSError:  # the spare died just now: say so (the grader starts a cold worker) and fork another
            os.kill(spare["pid"], signal.SIGKILL)
            handed = False
        finally:
            for fd in fds:
                os.close(fd)
            spare["inbox"].close()
        if not handed:
            os.waitpid(spare["pid"], 0)
            os.close(spare["pidfd"])
            spare = None
            _send(ctl, protocol.refused(request.get("id"), "the pre-forked worker was lost"))
            continue
        child, spare = {"pid": spare["pid"], "pidfd": spare["pidfd"], "id": request["id"]}, None
        _send(ctl, protocol.spawned(request["id"], child["pid"]))


def main(argv: list[str]) -> None:
    """Entry point: ``python -m autograder.runtime.zygote CTL_FD MODE``."""
    ctl = socket.socket(fileno=int(argv[0]))
    mode = argv[1] if len(argv) > 1 and argv[1] in MODES else "group"
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    libc = _libc()
    # children run under the same uid: not dumpable means they cannot ptrace us or read our memory
    libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # whatever a child leaves behind is ours to reap
    # as the PID namespace's init (bwrap --as-pid-1) only signals we handle can reach us from inside:
    # ignoring SIGINT leaves children no way to kill or stop the template
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        loaded = preload()
        import torch

        remember_before(os.getcwd())
        spare = _fork_spare(ctl, os.getcwd())  # the first child, forked while this process has one thread
        # never torch.cuda.is_available() or any op here: is_initialized() only reads a flag
        _send(ctl, protocol.ready(os.getpid(), loaded, 0, bool(torch.cuda.is_initialized())))
    except BaseException as exc:  # noqa: BLE001 - reported to the grader, which falls back to cold workers
        _send(ctl, protocol.not_ready(f"{type(exc).__name__}: {exc}"))
        os._exit(1)
    extras = threading.Thread(target=preload_extras, name="extra imports", daemon=True)
    extras.start()
    try:
        serve(ctl, mode, os.getcwd(), spare, extras)
    finally:
        if mode != "group":
            _kill_everything_else(mode, 0)
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
