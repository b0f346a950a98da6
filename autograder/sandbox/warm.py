"""Warm lanes, grader side: start a worker by forking it from a warm template (:mod:`autograder.runtime.zygote`).

A cold worker imports torch before it can run one line (1-3 s); a child forked from a template
that already did is ready in milliseconds. Each grader process keeps a template (one per kind of
confinement; rlimits and threads each child sets for itself), its grading *lane*: a template
serves one worker at a time and sweeps the lane before the next, so a fresh, equally confined
worker serves every submission and nothing passes between students (see :mod:`autograder.runtime.zygote`).
Whenever a template cannot be used (warm workers turned off with ``Limits(warm=False)`` or
``TENSORGRADE_WARM=0``, a template that fails to start, dies or is busy) :func:`start_worker`
falls back to the cold path, :func:`autograder.sandbox.launch.start_cold`. :func:`start_worker` is the one
way the grader starts a worker.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder import protocol
from autograder.limits import Limits
from autograder.sandbox import launch
from autograder.sandbox.isolation import kill_user_processes, worker_uid
from autograder.sandbox.launch import WorkerProcess

READY_TIMEOUT = 180.0  # importing torch on a busy 2-core machine can take this long
REPLY_TIMEOUT = 10.0  # a template or a new child that takes longer is treated as broken
MAX_CHILDREN = 500  # a template is replaced after this many workers (its own CPU limit counts forks)
# set by each child for itself (rlimits, threads) or by the grader (timeouts, output caps): one template serves all
PER_CHILD_FIELDS = {"call_timeout", "load_timeout", "output_bytes", "max_output_bytes", "warm", "cpu_seconds",
                    "file_bytes", "processes", "memory_bytes", "threads", "budget_wall", "budget_cpu"}
# the template's own rlimits: wide, since a child can only lower what it inherits
TEMPLATE_RLIMITS = {"cpu_seconds": 7 * 24 * 3600, "file_bytes": 2**40, "processes": 65536, "memory_bytes": None}
MAX_LANES = 2  # templates kept per grader process (one per kind of confinement in use)
TEMPLATE_MODULE = "autograder.runtime.zygote"

_lanes: dict[tuple, Template] = {}
_lock = threading.Lock()
_why_cold: list[str] = []  # why warm workers are unavailable in this process, when they are


class WarmUnavailable(Exception):
    """No warm worker now; the caller starts a cold one."""


def warm_enabled(limits: Limits) -> bool:
    return getattr(limits, "warm", True) and os.environ.get("TENSORGRADE_WARM", "1") != "0"


def _key(limits: Limits) -> tuple:
    fields = dataclasses.fields(limits)
    return tuple((f.name, getattr(limits, f.name)) for f in fields if f.name not in PER_CHILD_FIELDS)


class WarmChild:
    """A forked worker as :class:`subprocess.Popen` would show it (pid as the grader sees it, poll, wait)."""

    def __init__(self, template: Template, child_id: int, pid: int, stdout: object) -> None:
        self.template, self.id, self.pid, self.stdout = template, child_id, pid, stdout
        self.args = ["autograder.runtime.zygote child", str(child_id)]
        self.returncode: int | None = None
        self.killed = False  # killed by the grader: its exit report is on its way

    def poll(self) -> int | None:
        if self.returncode is None:
            self.template.pump(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self.template.pump(left)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass


class WarmWorker(WorkerProcess):
    """A forked worker: killing it does not wait, since the template reaps it and sweeps the lane meanwhile."""

    def kill(self) -> None:
        child = self.popen
        assert isinstance(child, WarmChild)
        self.kill_group()
        child.killed = True
        for fd in (self.req_fd, self.rep_fd):
            try:
                os.close(fd)
            except OSError:
                pass


class Template:
    """One template process and its control socket."""

    def __init__(self, limits: Limits) -> None:
        self.lane = Path(tempfile.mkdtemp(prefix="tensorgrade-lane-"))
        self.log = tempfile.TemporaryFile(prefix="tensorgrade-template-")
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        how = launch.confine([sys.executable, "-B", "-m", TEMPLATE_MODULE, str(theirs.fileno()), "?"],
                             self.lane, dataclasses.replace(limits, **TEMPLATE_RLIMITS))
        self.mode = "ns" if how.sandboxed else "uid" if how.separate_uid else "group"
        how.command[-1] = self.mode
        if how.sandboxed and Path(how.command[0]).name == "bwrap":
            # the template is the namespace's init: its children can neither kill nor stop it
            how.command.insert(1, "--as-pid-1")
        self.popen = subprocess.Popen(how.command, cwd=self.lane, env=how.env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=self.log, pass_fds=(theirs.fileno(),),
                                      start_new_session=True, preexec_fn=how.preexec)
        theirs.close()
        self.uid = worker_uid(self.popen.pid) if how.separate_uid else None  # its children's too
        self.ready: dict | None = None
        self.child: WarmChild | None = None
        self.spawned = 0
        self.broken: str | None = None
        self.lock = threading.RLock()

    # ------------------------------------------------------------ control channel

    def _receive(self, timeout: float | None) -> dict | None:
        ready, _, _ = select.select([self.ctl], [], [], timeout)
        if not ready:
            return None
        try:
            data = self.ctl.recv(64 * 1024)
        except OSError:
            data = b""
        if not data:
            self._break("the template process ended")
            return None
        return protocol.decode_control(data)

    def _break(self, why: str) -> None:
        self.broken = self.broken or why
        if self.child is not None and self.child.returncode is None:
            self.child.kill()
            self.child.returncode = -9

    def pump(self, timeout: float | None) -> None:
        """Read control messages for up to ``timeout`` seconds, recording children's exits."""
        with self.lock:
            if self.broken:
                if self.child is not None and self.child.returncode is None:
                    self.child.returncode = -9
                return
            message = self._receive(timeout)
            if message and "exit" in message and self.child is not None and message.get("id") == self.child.id:
                self.child.returncode = int(message["exit"])
                if not message.get("clean", False):
                    self._break("a worker left something the sweep could not remove")

    def wait_ready(self) -> None:
        with self.lock:
            deadline = time.monotonic() + READY_TIMEOUT
            while self.ready is None and not self.broken:
                message = self._receive(max(0.0, deadline - time.monotonic()))
                if message is None and time.monotonic() >= deadline:
                    self._break(f"the template was not ready within {READY_TIMEOUT:g} s")
                elif message is not None and message.get("ready") is True:
                    self.ready = message
                elif message is not None:
                    self._break(f"the template could not start: {message.get('error', message)}")
            if self.broken:
                raise WarmUnavailable(self.broken + self._log_tail())

    def _log_tail(self) -> str:
        try:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace").strip().splitlines()[-3:]
        except (OSError, ValueError):
            return ""
        return (" (" + " | ".join(tail) + ")") if tail else ""

    @property
    def busy(self) -> bool:
        """A child is still alive (another session's worker): the caller takes a cold worker instead."""
        child = self.child
        if child is not None and child.returncode is None:
            if child.killed:
                try:
                    child.wait(REPLY_TIMEOUT)  # the sweep after a kill takes milliseconds
                except subprocess.TimeoutExpired:
                    self._break("a killed worker was not reported gone")
            else:
                self.pump(0)
        return child is not None and child.returncode is None

    # ------------------------------------------------------------ workers

    def spawn(self, submission_name: str, source_bytes: bytes, limits: Limits) -> WorkerProcess:
        """Fork a worker holding ``source_bytes`` as ``submission_name`` in its own directory."""
        self.wait_ready()
        with self.lock:
            if self.busy or self.broken:
                raise WarmUnavailable(self.broken or "the template is serving another worker")
            self.spawned += 1
            child_id = self.spawned
            req_r, req_w = os.pipe()
            rep_r, rep_w = os.pipe()
            out_r, out_w = os.pipe()
            cred_mine, cred_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            cred_mine.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            source = os.memfd_create("submission", os.MFD_CLOEXEC)
            view = memoryview(source_bytes)
            while view:
                view = view[os.write(source, view):]
            request = protocol.spawn(child_id, submission_name, dataclasses.asdict(limits))
            theirs = [req_r, rep_w, out_w, cred_theirs.fileno(), source]
            try:
                socket.send_fds(self.ctl, [protocol.encode_control(request)], theirs)
            except OSError as exc:
                self._break(f"the template did not take the request ({exc})")
            finally:
                for fd in (req_r, rep_w, out_w, source):
                    os.close(fd)
                cred_theirs.close()
            try:
                pid = self._child_pid(child_id, cred_mine)
            except WarmUnavailable:
                for fd in (req_w, rep_r, out_r):
                    os.close(fd)
                raise
            finally:
                cred_mine.close()
            self.child = WarmChild(self, child_id, pid, os.fdopen(out_r, "rb", buffering=0))
            return WarmWorker(self.child, req_w, rep_r, self.lane / f"w{child_id}")

    def _child_pid(self, child_id: int, cred: socket.socket) -> int:
        """Wait for the template's answer, then the child's hello, which the kernel stamps with its host pid."""
        deadline = time.monotonic() + REPLY_TIMEOUT
        while not self.broken:
            message = self._receive(max(0.0, deadline - time.monotonic()))
            if message is not None and message.get("id") == child_id:
                if "error" in message:
                    raise WarmUnavailable(f"the template refused: {message['error']}")
                break
            if message is None and time.monotonic() >= deadline:
                self._break("the template did not answer a spawn request")
        if self.broken:
            raise WarmUnavailable(self.broken)
        ready, _, _ = select.select([cred], [], [], max(0.1, deadline - time.monotonic()))
        if ready:
            data, ancillary, _, _ = cred.recvmsg(1, socket.CMSG_SPACE(12))
            for level, kind, payload in ancillary:
                if data == b"r" and level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    return struct.unpack("iII", payload[:12])[0]
        self._break("a new worker did not start")
        raise WarmUnavailable(self.broken or "")

    def close(self) -> None:
        """End the template, its children and whatever they left (its namespace, or its uid's processes)."""
        with self.lock:
            self.broken = self.broken or "closed"
            self.ctl.close()  # the template sweeps its lane and exits when its control socket closes
            try:
                self.popen.wait(timeout=2)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    self.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            if self.uid is not None:
                kill_user_processes(self.uid)
            self.log.close()
            shutil.rmtree(self.lane, ignore_errors=True)


def template_for(limits: Limits) -> Template:
    """This process's template for ``limits``, started when there is none (or it broke)."""
    key = _key(limits)
    with _lock:
        template = _lanes.get(key)
        if template is not None and (template.broken or template.spawned >= MAX_CHILDREN) and not template.busy:
            template.close()
            template = None
        if template is None:
            while len(_lanes) >= MAX_LANES:
                oldest = next(iter(_lanes))
                _lanes.pop(oldest).close()
            template = _lanes[key] = Template(limits)
        return template


def prewarm(limits: Limits) -> None:
    """Start this process's template now, so its imports overlap the grader's own work."""
    if warm_enabled(limits) and not _why_cold:
        try:
            template_for(limits)
        except OSError as exc:
            _why_cold.append(f"the template could not be started: {exc}")


def start_early() -> None:
    """Start this process's template before the command imports torch and pytest (they then import side by side)."""
    prewarm(Limits())  # the template's key ignores per-child fields, so it serves every assignment's limits


def start_worker(submission_name: str, source_bytes: bytes, limits: Limits) -> WorkerProcess:
    """A worker forked from the warm template, or a cold one when that is off or not possible."""
    if warm_enabled(limits) and not _why_cold:
        try:
            return template_for(limits).spawn(submission_name, source_bytes, limits)
        except WarmUnavailable as exc:
            template = _lanes.get(_key(limits))
            if template is not None and template.ready is None:
                _why_cold.append(str(exc))  # it never started: don't pay for that again in this process
        except OSError:
            pass
    return launch.start_cold(submission_name, source_bytes, limits)


def why_cold() -> str | None:
    """Why this process uses cold workers, when a template could not start (for `doctor` and benchmarks)."""
    return _why_cold[0] if _why_cold else None


@atexit.register
def close_all() -> None:
    """End every template of this process."""
    with _lock:
        while _lanes:
            _lanes.popitem()[1].close()
