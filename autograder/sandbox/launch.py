"""How a confined process is launched: bubblewrap's allow-list, rlimits, its own uid and group; cold workers.

The grader never forks itself to make a worker (it holds expected values and may hold a CUDA
context); it starts ``python -m autograder.runtime.worker`` from nothing (:func:`start_cold`), or
the warm template (:mod:`autograder.sandbox.warm`) the same way, in a temporary directory that
holds only the submission. Each defence is one small function (:func:`bwrap_prefix`,
:func:`confine`, and :mod:`autograder.limits`, :mod:`autograder.sandbox.isolation`) so that every
way of starting workers reuses them; SECURITY.md explains them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.limits import Limits, apply_rlimits, worker_env
from autograder.sandbox.isolation import (
    NOBODY,
    Confinement,
    confinement,
    drop_privileges,
    kill_user_processes,
    worker_uid,
)


@dataclass
class WorkerProcess:
    """A running worker: its process, its channel ends, its directory."""

    popen: subprocess.Popen
    req_fd: int
    rep_fd: int
    workdir: Path
    output: list[int] = field(default_factory=list)  # fds of stdout/stderr pipes
    uid: int | None = None  # the worker's own uid, when it runs under one

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the worker and the processes it started (what they reaped included).

        The grader samples it now and then (at most twice a second), for the submission's budget.
        """
        return group_cpu_seconds(self.popen.pid)

    def kill_group(self) -> None:
        """SIGKILL the worker's process group now; safe from any thread (reaping is left to kill())."""
        if self.popen.returncode is None:
            try:
                os.killpg(self.popen.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """Kill the worker's whole process group and every process of its uid, then reap it."""
        try:
            os.killpg(self.popen.pid, 9)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.uid is not None:
            # a child that left the group (setsid, double fork) still runs under the worker's uid
            kill_user_processes(self.uid)
        for fd in (self.req_fd, self.rep_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_ticks(fields: list[bytes]) -> int:
    # after the command: state, ppid, pgrp, session, ..., utime (12), stime, cutime, cstime (15)
    return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]) if len(fields) > 15 else 0


def group_cpu_seconds(leader: int) -> float:
    """CPU seconds (with reaped children's) of ``leader`` and its live descendants.

    The tree is walked through /proc/<pid>/task/<tid>/children (cost proportional to the
    worker's own processes); where the kernel lacks those files, every process whose group or
    session is ``leader`` is counted instead (one pass over /proc).
    """
    if os.path.exists(f"/proc/{leader}/task/{leader}/children"):
        total, todo, seen = 0, [leader], set()
        while todo and len(seen) < 100_000:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            fields = _stat_fields(pid)
            if fields is None:
                continue
            total += _cpu_ticks(fields)
            try:
                for task in os.scandir(f"/proc/{pid}/task"):
                    with open(f"{task.path}/children", "rb") as children:
                        todo += [int(c) for c in children.read().split()]
            except (OSError, ValueError):
                pass
        return total / _TICKS
    total = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields is not None and len(fields) > 15 and leader in (int(fields[2]), int(fields[3])):
                total += _cpu_ticks(fields)
    return total / _TICKS


# all a worker sees of the grader: the runtime and the bottom layer it imports (autograder/runtime/__init__.py maps it)
RUNTIME_FILES = ("__init__.py", "wire.py", "protocol.py", "limits.py", "faults.py", "runtime/__init__.py",
                 "runtime/worker.py", "runtime/zygote.py", "runtime/seccomp.py")
PACKAGE_DIR = Path(__file__).resolve().parent.parent
SANDBOX_ROOT = "/opt/tensorgrade"  # where the runtime appears inside the sandbox


def sandbox_available() -> bool:
    """bubblewrap present and usable (it needs namespaces, which some containers forbid)."""
    return confinement().bwrap


def hidden_data_dirs() -> list[Path]:
    """Folders of grading data inside what the sandbox mounts (standard library only: no sklearn import).

    scikit-learn's bundled datasets (``sklearn/datasets/data``), and the data root given to
    ``tensorgrade grade --data-root`` (torchvision's MNIST files) should it lie in a mounted folder.
    """
    import importlib.util

    found = []
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        found.append(Path(spec.origin).resolve().parent / "datasets" / "data")
    root = os.environ.get("TENSORGRADE_DATA_ROOT")  # autograder.datasets.DATA_ROOT_ENV (that module imports torch)
    if root:
        found.append(Path(root).resolve())
    mounted = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path("/usr")]
    return [d for d in found if d.is_dir() and any(d.is_relative_to(m) for m in mounted)]


def bwrap_prefix(workdir: Path, limits: Limits | None = None) -> list[str]:
    """An allow-list filesystem: system libraries, the Python environment, the runtime, the workdir.

    Everything else (the repository with its graders and solutions, the gradebook, other
    students' files, /root, /home) simply does not exist inside. No network, own PID space.
    The workdir is a fresh size-limited tmpfs holding read-only copies of the files now in
    ``workdir``; /tmp and /dev/shm are size-limited tmpfs too, and all else is read-only.
    """
    limits = limits or Limits()
    size = str(limits.disk_bytes)
    prefix = Path(sys.prefix).resolve()
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--cap-drop", "ALL",
            "--uid", str(NOBODY), "--gid", str(NOBODY)]
    if confinement().no_nested_userns:
        args += ["--disable-userns"]
    args += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
             "--size", size, "--tmpfs", "/dev/shm", "--size", size, "--tmpfs", "/tmp"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    for etc in ("/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    for env_dir in {prefix, Path(sys.base_prefix).resolve()}:
        if not str(env_dir).startswith("/usr"):
            args += ["--ro-bind", str(env_dir), str(env_dir)]
    for name in RUNTIME_FILES:
        args += ["--ro-bind", str(PACKAGE_DIR / name), f"{SANDBOX_ROOT}/autograder/{name}"]
    # grading data must not be readable inside (hw5's held-out test set is drawn from scikit-learn's bundled
    # digits, which sit in the mounted Python environment): an empty read-only tmpfs hides each such folder
    for hidden in hidden_data_dirs():
        args += ["--size", "4096", "--tmpfs", str(hidden), "--remount-ro", str(hidden)]
    # the student's writes land in RAM the size limit bounds, never on the grader's disk
    args += ["--size", size, "--tmpfs", str(workdir)]
    for path in sorted(workdir.iterdir()):
        args += ["--ro-bind", str(path), str(path)]
    args += ["--chdir", str(workdir), "--remount-ro", "/dev", "--remount-ro", "/"]
    return args


@dataclass
class Launch:
    """How to start one confined process: its command line, environment and pre-exec setup."""

    command: list[str]
    env: dict[str, str]
    preexec: Callable[[], None]
    separate_uid: bool
    sandboxed: bool


def confine(command: list[str], workdir: Path, limits: Limits) -> Launch:
    """Wrap a Python command line in every defence this machine allows (files already in ``workdir``)."""
    env = worker_env(limits, str(workdir))
    how = confinement() if limits.sandbox else Confinement(False, False, False)  # sandbox=False: a plain process
    sandboxed = how.bwrap
    if sandboxed:
        command = bwrap_prefix(workdir, limits) + command
        env["PYTHONPATH"] = SANDBOX_ROOT

    def preexec() -> None:
        apply_rlimits(limits)  # first, while still root (the uid change below makes NPROC count)
        if how.separate_uid:
            drop_privileges(workdir)

    return Launch(command, env, preexec, how.separate_uid, sandboxed)


def start_cold(submission_name: str, source_bytes: bytes, limits: Limits) -> WorkerProcess:
    """Start a fresh worker interpreter in a new temporary directory that holds only the submission.

    What :func:`autograder.sandbox.start_worker` falls back to when no warm template can serve.
    """
    workdir = Path(tempfile.mkdtemp(prefix="tensorgrade-worker-"))
    (workdir / submission_name).write_bytes(source_bytes)
    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    launch = confine([sys.executable, "-B", "-m", "autograder.runtime.worker", str(req_r), str(rep_w)], workdir, limits)
    popen = subprocess.Popen(
        launch.command,
        cwd=workdir,
        env=launch.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(req_r, rep_w),
        start_new_session=True,  # its own process group, so a timeout kills every child too
        preexec_fn=launch.preexec,
    )
    os.close(req_r)
    os.close(rep_w)
    return WorkerProcess(popen, req_w, rep_r, workdir, uid=worker_uid(popen.pid) if launch.separate_uid else None)
